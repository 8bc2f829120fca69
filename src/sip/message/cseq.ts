/** CSeq (RFC 3261 §20.16): `1*DIGIT LWS Method`, the number below 2^31 (§8.1.1.5). */

import { allOfRange, excerpt, isDigit, skipWspTo, TOKEN, trimWsp } from './chars.ts';
import { codesOf } from './codes.ts';
import { SipSyntaxError } from './errors.ts';
import type { CSeq } from './types.ts';

export const MAX_CSEQ = 2 ** 31 - 1;

/** Reads the CSeq value in s[a, b) (trimmed; c: its codes, codes.ts). Throws SipSyntaxError naming the fault. */
export function readCSeqAt(s: string, c: Uint8Array, a: number, b: number): CSeq {
  let i = a;
  let seq = 0;
  while (i < b && isDigit(c[i])) {
    seq = seq * 10 + (c[i] - 48);
    i++;
  }
  if (i === a) throw new SipSyntaxError(`sequence number missing in '${excerpt(s.slice(a, b))}'`);
  // Up to 12 digits the sum above is exact; longer runs are out of range whatever they hold.
  if (i - a > 12 || seq > MAX_CSEQ) {
    throw new SipSyntaxError(`sequence number ${excerpt(s.slice(a, i), 24)} is out of range (0 to 2^31-1)`);
  }
  if (i >= b || (c[i] !== 32 && c[i] !== 9))
    throw new SipSyntaxError(`expected whitespace after the sequence number in '${excerpt(s.slice(a, b))}'`);
  const m = skipWspTo(c, i, b);
  if (!allOfRange(c, m, b, TOKEN)) throw new SipSyntaxError(`invalid method '${excerpt(s.slice(m, b))}'`);
  return { seq, method: s.slice(m, b) };
}

export function readCSeq(value: string): CSeq {
  const s = trimWsp(value);
  return readCSeqAt(s, codesOf(s), 0, s.length);
}

/** Parses a CSeq value. Throws SipSyntaxError ("Invalid CSeq header: ..."). */
export function parseCSeq(value: string): CSeq {
  try {
    return readCSeq(value);
  } catch (e) {
    throw new SipSyntaxError(`Invalid CSeq header: ${(e as Error).message}`);
  }
}
