/**
 * Hosts as RFC 3261 §25.1 defines them: hostname / IPv4address / IPv6reference, with the IPv6 grammar as
 * corrected by RFC 5954 §4.1 (so `2001:db8:::192.0.2.1` — three colons, RFC 5118 §4.10 — is refused).
 * The scanners read a range of codes (codes.ts), so that URI and Via parsing need no substrings.
 */
import { isAlpha, isDigit, isHexDigit } from './chars.ts';
import { codesOf } from './codes.ts';

/** IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255, in c[a, b). */
export function isIPv4At(c: Uint8Array, a: number, b: number): boolean {
  let parts = 0;
  let i = a;
  while (parts < 4) {
    let v = 0;
    let digits = 0;
    while (i < b && digits < 4) {
      const x = c[i];
      if (x < 48 || x > 57) break;
      v = v * 10 + (x - 48);
      i++;
      digits++;
    }
    if (digits === 0 || digits > 3 || v > 255) return false;
    parts++;
    if (parts < 4) {
      if (i >= b || c[i] !== 46) return false;
      i++;
    }
  }
  return i === b;
}

/** An IPv6address without brackets (RFC 4291 §2.2 text forms, RFC 5954 ABNF). */
export function isIPv6(s: string): boolean {
  return isIPv6At(codesOf(s), 0, s.length);
}

/** isIPv6 on c[a, b). */
export function isIPv6At(c: Uint8Array, a: number, b: number): boolean {
  const n = b;
  if (n - a < 2 || n - a > 45) return false;
  let groups = 0;
  let compressed = false;
  let i = a;
  if (c[a] === 58) {
    if (c[a + 1] !== 58) return false;
    compressed = true;
    i = a + 2;
    if (i === n) return true;
  }
  while (i < n) {
    let j = i;
    while (j < n && j - i < 5 && isHexDigit(c[j])) j++;
    if (j < n && c[j] === 46) {
      // ls32 may be an IPv4address, and only as the last 32 bits.
      if (!isIPv4At(c, i, n)) return false;
      groups += 2;
      break;
    }
    const len = j - i;
    if (len === 0 || len > 4) return false;
    groups++;
    i = j;
    if (i === n) break;
    if (c[i] !== 58) return false;
    i++;
    if (i === n) return false;
    if (c[i] === 58) {
      if (compressed) return false;
      compressed = true;
      i++;
    }
  }
  // "::" stands for at least one group of zeros.
  return compressed ? groups <= 7 : groups === 8;
}

function isAlnum(x: number): boolean {
  return (x >= 97 && x <= 122) || (x >= 48 && x <= 57) || (x >= 65 && x <= 90);
}

/** hostname = *( domainlabel "." ) toplabel [ "." ] in c[a, b): labels of alphanum and inner "-", the last
 * starting with a letter. */
export function isHostnameAt(c: Uint8Array, a: number, b: number): boolean {
  if (b <= a || b - a > 255) return false;
  const end = c[b - 1] === 46 ? b - 1 : b;
  if (end === a) return false;
  let labelStart = a;
  let prev = 46;
  for (let i = a; i < end; i++) {
    const x = c[i];
    if (x === 46) {
      if (prev === 46 || prev === 45) return false;
      labelStart = i + 1;
    } else if (x === 45) {
      if (prev === 46) return false;
    } else if (!isAlnum(x)) {
      return false;
    }
    prev = x;
  }
  return prev !== 45 && prev !== 46 && isAlpha(c[labelStart]);
}

/** True for hostname, IPv4address, or a bracketed IPv6reference. */
export function isHost(s: string): boolean {
  return isHostAt(codesOf(s), 0, s.length);
}

/** isHost on c[a, b). */
export function isHostAt(c: Uint8Array, a: number, b: number): boolean {
  if (b <= a) return false;
  if (c[a] === 91) return b - a >= 2 && c[b - 1] === 93 && isIPv6At(c, a + 1, b - 1);
  return (isDigit(c[b - 1]) && isIPv4At(c, a, b)) || isHostnameAt(c, a, b);
}

/** Whether the host read by the last scanHost call holds an upper-case letter (to lower-case it). */
export const lastHost = { upper: false };

/**
 * Reads a host starting at `i` (and ending before `end`); returns the index after it, or -1 when no valid
 * host starts there. A hostname ends at the first character that cannot be part of one (":" ";" "?" ">" SP).
 * One pass checks the hostname rules (isHostnameAt) and whether it can be an IPv4 address as it goes.
 */
export function scanHost(c: Uint8Array, i: number, end: number): number {
  lastHost.upper = false;
  if (i >= end) return -1;
  if (c[i] === 91) {
    let close = i + 1;
    while (close < end && c[close] !== 93) close++;
    if (close >= end || !isIPv6At(c, i + 1, close)) return -1;
    for (let k = i + 1; k < close; k++) {
      const x = c[k];
      if (x >= 65 && x <= 90) lastHost.upper = true;
    }
    return close + 1;
  }
  let j = i;
  let prev = 46;
  let labelStart = i;
  let topStart = i;
  let hostname = true;
  let digitsAndDots = true;
  let upper = false;
  while (j < end) {
    const x = c[j];
    if (x === 46) {
      // No empty label, no label ending in '-'.
      if (prev === 46 || prev === 45) hostname = false;
      topStart = labelStart;
      labelStart = j + 1;
    } else if (x === 45) {
      // No label starting with '-'.
      if (prev === 46) hostname = false;
      digitsAndDots = false;
    } else if (x >= 97 && x <= 122) {
      digitsAndDots = false;
    } else if (x >= 65 && x <= 90) {
      digitsAndDots = false;
      upper = true;
    } else if (x < 48 || x > 57) {
      break;
    }
    prev = x;
    j++;
  }
  if (j === i) return -1;
  lastHost.upper = upper;
  // Only a host ending in a digit can be an IPv4 address ("host1" is a hostname).
  if (digitsAndDots && prev !== 46 && isIPv4At(c, i, j)) return j;
  if (!hostname || j - i > 255 || prev === 45) return -1;
  // toplabel = ALPHA *( alphanum / "-" ): the last label (before a trailing dot) starts with a letter.
  if (prev === 46 && j - 1 === i) return -1;
  return isAlpha(c[prev === 46 ? topStart : labelStart]) ? j : -1;
}

/** Where a host starting at `i` ends (without validating it); for error messages. */
export function hostEnd(s: string, i: number): number {
  if (s.charCodeAt(i) === 91) {
    const close = s.indexOf(']', i);
    return close === -1 ? s.length : close + 1;
  }
  let j = i;
  while (j < s.length) {
    const x = s.charCodeAt(j);
    if (!isAlnum(x) && x !== 45 && x !== 46) break;
    j++;
  }
  return j;
}

/** Port 1-65535 from the decimal text c[a, b), or undefined. */
export function parsePortAt(c: Uint8Array, a: number, b: number): number | undefined {
  if (b <= a || b - a > 5) return undefined;
  let v = 0;
  for (let i = a; i < b; i++) {
    const x = c[i];
    if (x < 48 || x > 57) return undefined;
    v = v * 10 + (x - 48);
  }
  return v >= 1 && v <= 65535 ? v : undefined;
}
