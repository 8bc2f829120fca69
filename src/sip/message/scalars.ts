/**
 * Single-valued headers with a simple grammar (RFC 3261 §20, §25.1): Call-ID, Content-Length, Max-Forwards,
 * Expires, Date. Each reader throws SipSyntaxError with the fault only; callers add the header name.
 */
import { excerpt, is, isDigits, WORD } from './chars.ts';
import { SipSyntaxError } from './errors.ts';

/** callid = word [ "@" word ] */
export function checkCallId(value: string): void {
  if (value.length === 0) throw new SipSyntaxError('empty value');
  let at = -1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 64) {
      if (at !== -1 || i === 0 || i === value.length - 1)
        throw new SipSyntaxError(`misplaced '@' in '${excerpt(value)}'`);
      at = i;
    } else if (!is(c, WORD)) {
      throw new SipSyntaxError(`invalid character '${value[i]}' in '${excerpt(value)}'`);
    }
  }
}

function readUnsigned(value: string, max: number, what: string): number {
  if (!isDigits(value)) throw new SipSyntaxError(`${excerpt(value, 24)} is not a non-negative integer`);
  const n = value.length > 15 ? Number.POSITIVE_INFINITY : Number(value);
  if (n > max) throw new SipSyntaxError(`${excerpt(value, 24)} is out of range for ${what} (0-${max})`);
  return n;
}

/** Max-Forwards: 0-255 (§20.22, §8.1.1.6). */
export function readMaxForwards(value: string): number {
  return readUnsigned(value, 255, 'Max-Forwards');
}

/** Content-Length: a non-negative integer; anything above the message size limit is refused by the parser. */
export function readContentLength(value: string): number {
  return readUnsigned(value, Number.MAX_SAFE_INTEGER, 'Content-Length');
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
