/**
 * Single-valued headers with a simple grammar (RFC 3261 §20, §25.1): Call-ID, Content-Length, Max-Forwards,
 * Expires, Date. Each reader throws SipSyntaxError with the fault only; callers add the header name. The `At`
 * forms read a range of a larger string, so that the parser needs no substring to validate a value.
 */
import { excerpt, isCode, isDigits, WORD } from './chars.ts';
import { codesOf } from './codes.ts';
import { SipSyntaxError } from './errors.ts';

/** callid = word [ "@" word ] */
export function checkCallId(value: string): void {
  checkCallIdAt(value, codesOf(value), 0, value.length);
}

/** checkCallId on s[a, b) (c: its codes, codes.ts). */
export function checkCallIdAt(s: string, c: Uint8Array, a: number, b: number): void {
  if (a === b) throw new SipSyntaxError('empty value');
  let at = -1;
  for (let i = a; i < b; i++) {
    const x = c[i];
    if (x === 64) {
      if (at !== -1 || i === a || i === b - 1)
        throw new SipSyntaxError(`misplaced '@' in '${excerpt(s.slice(a, b))}'`);
      at = i;
    } else if (!isCode(x, WORD)) {
      throw new SipSyntaxError(`invalid character '${s[i]}' in '${excerpt(s.slice(a, b))}'`);
    }
  }
}

function readUnsignedAt(s: string, c: Uint8Array, a: number, b: number, max: number, what: string): number {
  let n = 0;
  for (let i = a; i < b; i++) {
    const x = c[i];
    if (x < 48 || x > 57) {
      n = -1;
      break;
    }
    // Exact up to 2^53; longer runs only need to compare as "too large".
    n = n * 10 + (x - 48);
  }
  if (a === b || n < 0)
    throw new SipSyntaxError(`${excerpt(s.slice(a, b), 24)} is not a non-negative integer`);
  if (b - a > 15 || n > max)
    throw new SipSyntaxError(`${excerpt(s.slice(a, b), 24)} is out of range for ${what} (0-${max})`);
  return n;
}

/** Max-Forwards: 0-255 (§20.22, §8.1.1.6). */
export function readMaxForwards(value: string): number {
  return readUnsignedAt(value, codesOf(value), 0, value.length, 255, 'Max-Forwards');
}

export function readMaxForwardsAt(s: string, c: Uint8Array, a: number, b: number): number {
  return readUnsignedAt(s, c, a, b, 255, 'Max-Forwards');
}

export function readContentLengthAt(s: string, c: Uint8Array, a: number, b: number): number {
  return readUnsignedAt(s, c, a, b, Number.MAX_SAFE_INTEGER, 'Content-Length');
}

/**
 * delta-seconds (Expires, expires parameter). Values above 2^32-1 are read as 2^32-1: RFC 4475 §3.1.2.4
 * allows treating an overlarge expiry as a default rather than refusing the request.
 */
export function readDeltaSeconds(value: string): number {
  if (!isDigits(value)) throw new SipSyntaxError(`${excerpt(value, 24)} is not a number of seconds`);
  return value.length > 10 ? 4294967295 : Math.min(Number(value), 4294967295);
}

const DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

/** SIP-date = rfc1123-date, always in GMT (§20.17, RFC 4475 §3.1.2.7). */
export function checkDate(value: string): void {
  // Bounded input length before the (linear) pattern, as it runs on attacker data.
  if (value.length !== 29 || !DATE.test(value)) {
    throw new SipSyntaxError(
      `'${excerpt(value)}' is not an RFC 1123 date in GMT (e.g. 'Sat, 13 Nov 2010 23:29:00 GMT')`,
    );
  }
}
