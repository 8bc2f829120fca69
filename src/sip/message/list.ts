/**
 * Splits a header value holding a comma-separated list (RFC 3261 §7.3.1) into its elements. A comma inside a
 * quoted string or inside <...> does not separate, so `"Bell, A." <sip:a@b>, <sip:c@d>` is two elements.
 * Elements are trimmed of SP/HTAB; an empty element is kept (as '') so that callers can reject it.
 */
import { trimWsp } from './chars.ts';

export function splitList(value: string): string[] {
  if (value.indexOf(',') === -1) return [trimWsp(value)];
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 92) i++;
      else if (c === 34) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 60) inAngle = true;
    else if (c === 62) inAngle = false;
    else if (c === 44 && !inAngle) {
      out.push(trimWsp(value.slice(start, i)));
      start = i + 1;
    }
  }
  out.push(trimWsp(value.slice(start)));
  return out;
}

/**
 * Where the list element starting at `i` ends in c[i, end) (codes.ts): the index of the comma that closes it,
 * or `end`. The same rules as splitList: commas inside a quoted string or inside <...> do not separate.
 */
export function listElementEnd(c: Uint8Array, i: number, end: number): number {
  let inQuote = false;
  let inAngle = false;
  for (; i < end; i++) {
    const x = c[i];
    if (inQuote) {
      if (x === 92) i++;
      else if (x === 34) inQuote = false;
    } else if (x === 34) inQuote = true;
    else if (x === 60) inAngle = true;
    else if (x === 62) inAngle = false;
    else if (x === 44 && !inAngle) return i;
  }
  return end;
}
