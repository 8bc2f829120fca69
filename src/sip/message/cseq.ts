/** CSeq (RFC 3261 §20.16): `1*DIGIT LWS Method`, the number below 2^31 (§8.1.1.5). */

import { excerpt, isDigit, isToken, isWsp, skipWsp, trimWsp } from './chars.ts';
import { SipSyntaxError } from './errors.ts';
import type { CSeq } from './types.ts';

export const MAX_CSEQ = 2 ** 31 - 1;

export function readCSeq(value: string): CSeq {
  const s = trimWsp(value);
  let i = 0;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  if (i === 0) throw new SipSyntaxError(`sequence number missing in '${excerpt(s)}'`);
  const digits = s.slice(0, i);
  const seq = digits.length > 12 ? Number.POSITIVE_INFINITY : Number(digits);
  if (seq > MAX_CSEQ)
    throw new SipSyntaxError(`sequence number ${excerpt(digits, 24)} is out of range (0 to 2^31-1)`);
  if (!isWsp(s.charCodeAt(i)))
    throw new SipSyntaxError(`expected whitespace after the sequence number in '${excerpt(s)}'`);
  const method = s.slice(skipWsp(s, i));
  if (!isToken(method)) throw new SipSyntaxError(`invalid method '${excerpt(method)}'`);
  return { seq, method };
}

/** Parses a CSeq value. Throws SipSyntaxError ("Invalid CSeq header: ..."). */
export function parseCSeq(value: string): CSeq {
  try {
    return readCSeq(value);
  } catch (e) {
    throw new SipSyntaxError(`Invalid CSeq header: ${(e as Error).message}`);
  }
}
