/**
 * Character classes of the RFC 3261 §25.1 grammar, as one bit table over ASCII, so that every scanner in this
 * folder tests a character with one array read instead of a regular expression (no backtracking on attacker
 * data, and fast).
 */

export const TOKEN = 1 << 0;
/** `word` of Call-ID (§25.1): token plus ( ) < > : \ " / [ ] ? { } */
export const WORD = 1 << 1;
/** RFC 2396 unreserved: alphanum and the marks - _ . ! ~ * ' ( ) */
export const UNRESERVED = 1 << 2;
/** SIP URI user part: unreserved / user-unreserved (& = + $ , ; ? /); '%' is checked separately. */
export const USER = 1 << 3;
/** SIP URI password: unreserved / & = + $ , */
export const PASSWORD = 1 << 4;
/** URI parameter character: unreserved / param-unreserved ([ ] / : & + $) */
export const PARAM = 1 << 5;
/** URI header name/value character: unreserved / hnv-unreserved ([ ] / ? : + $) */
export const HNV = 1 << 6;
/** RFC 2396 uric (reserved / unreserved) plus [ ] (RFC 2732): the body of an absoluteURI. */
export const URIC = 1 << 7;
/** Header parameter value (gen-value = token / host): token plus : [ ] for IPv6 hosts. */
export const GENVALUE = 1 << 8;
/** URI scheme after its first letter: ALPHA / DIGIT / + - . */
export const SCHEME = 1 << 9;

const table = new Uint16Array(128);

function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] |= flag;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
mark(ALNUM, TOKEN | WORD | UNRESERVED | USER | PASSWORD | PARAM | HNV | URIC | GENVALUE | SCHEME);
mark("-.!%*_+`'~", TOKEN | WORD | GENVALUE);
mark('()<>:\\"/[]?{}', WORD);
mark("-_.!~*'()", UNRESERVED | USER | PASSWORD | PARAM | HNV | URIC);
mark('&=+$,;?/', USER);
mark('&=+$,', PASSWORD);
mark('[]/:&+$', PARAM);
mark('[]/?:+$', HNV);
mark(';/?:@&=+$,[]%', URIC);
mark(':[]', GENVALUE);
mark('+-.', SCHEME);

/** The same classes over 0-255, for codes (codes.ts): no range test needed, 128-255 belong to none. */
const codeTable = new Uint16Array(256);
codeTable.set(table);

/** True when the code `x` (0-255, codes.ts) belongs to every class in `flags`. */
export function isCode(x: number, flags: number): boolean {
  return (codeTable[x] & flags) === flags;
}

/** True when `c` (a char code) belongs to every class in `flags`. */
export function is(c: number, flags: number): boolean {
  return c < 128 && (table[c] & flags) === flags;
}

/** True when every character of `s` (non-empty) belongs to `flags`. */
export function allOf(s: string, flags: number): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (table[c] & flags) !== flags) return false;
  }
  return true;
}

export function isToken(s: string): boolean {
  return allOf(s, TOKEN);
}

/** SP or HTAB: the only whitespace SIP allows inside a line (§25.1 WSP). */
export function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

export function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Trims SP/HTAB only: String#trim would also eat U+FEFF and other Unicode spaces that belong to a value. */
export function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWsp(s.charCodeAt(a))) a++;
  while (b > a && isWsp(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

export function skipWsp(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/** skipWsp on codes, within [i, end). */
export function skipWspTo(c: Uint8Array, i: number, end: number): number {
  while (i < end && (c[i] === 32 || c[i] === 9)) i++;
  return i;
}

/** True when c[a, b) is non-empty and every code belongs to `flags`. */
export function allOfRange(c: Uint8Array, a: number, b: number, flags: number): boolean {
  if (b <= a) return false;
  for (let i = a; i < b; i++) {
    if ((codeTable[c[i]] & flags) !== flags) return false;
  }
  return true;
}

/** True when `s` is non-empty and only decimal digits. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** Shortens attacker-controlled text before it goes into an error message. */
export function excerpt(s: string, max = 40): string {
  return s.length <= max ? s : `${s.slice(0, max)}...`;
}
