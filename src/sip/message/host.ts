/**
 * Hosts as RFC 3261 §25.1 defines them: hostname / IPv4address / IPv6reference, with the IPv6 grammar as
 * corrected by RFC 5954 §4.1 (so `2001:db8:::192.0.2.1` — three colons, RFC 5118 §4.10 — is refused).
 * The scanners work on a range of a larger string, so that URI and Via parsing need no substrings.
 */
import { isAlpha, isDigit, isHexDigit } from './chars.ts';

/** IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255, in s[a, b). */
export function isIPv4At(s: string, a: number, b: number): boolean {
  let parts = 0;
  let i = a;
  while (parts < 4) {
    let v = 0;
    let digits = 0;
    while (i < b && digits < 4) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
      digits++;
    }
    if (digits === 0 || digits > 3 || v > 255) return false;
    parts++;
    if (parts < 4) {
      if (i >= b || s.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  return i === b;
}

export function isIPv4(s: string): boolean {
  return isIPv4At(s, 0, s.length);
}

/** An IPv6address without brackets (RFC 4291 §2.2 text forms, RFC 5954 ABNF). */
export function isIPv6(s: string): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  let groups = 0;
  let compressed = false;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    compressed = true;
    i = 2;
    if (i === n) return true;
  }
  while (i < n) {
    let j = i;
    while (j < n && j - i < 5 && isHexDigit(s.charCodeAt(j))) j++;
    if (j < n && s.charCodeAt(j) === 46) {
      // ls32 may be an IPv4address, and only as the last 32 bits.
      if (!isIPv4At(s, i, n)) return false;
      groups += 2;
      break;
    }
    const len = j - i;
    if (len === 0 || len > 4) return false;
    groups++;
    i = j;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i === n) return false;
    if (s.charCodeAt(i) === 58) {
      if (compressed) return false;
      compressed = true;
      i++;
    }
  }
  // "::" stands for at least one group of zeros.
  return compressed ? groups <= 7 : groups === 8;
}

function isAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
}

/** hostname = *( domainlabel "." ) toplabel [ "." ] in s[a, b): labels of alphanum and inner "-", the last
 * starting with a letter. */
export function isHostnameAt(s: string, a: number, b: number): boolean {
  if (b <= a || b - a > 255) return false;
  const end = s.charCodeAt(b - 1) === 46 ? b - 1 : b;
  if (end === a) return false;
  let labelStart = a;
  let prev = 46;
  for (let i = a; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (prev === 46 || prev === 45) return false;
      labelStart = i + 1;
    } else if (c === 45) {
      if (prev === 46) return false;
    } else if (!isAlnum(c)) {
      return false;
    }
    prev = c;
  }
  return prev !== 45 && prev !== 46 && isAlpha(s.charCodeAt(labelStart));
}

export function isHostname(s: string): boolean {
  return isHostnameAt(s, 0, s.length);
}

/** True for hostname, IPv4address, or a bracketed IPv6reference. */
export function isHost(s: string): boolean {
  if (s.charCodeAt(0) === 91) return s.charCodeAt(s.length - 1) === 93 && isIPv6(s.slice(1, -1));
  return (isDigit(s.charCodeAt(s.length - 1)) && isIPv4(s)) || isHostname(s);
}

/**
 * Reads a host starting at `i`; returns the index after it, or -1 when no valid host starts there.
 * A hostname ends at the first character that cannot be part of one (":" ";" "?" ">" SP ...).
 */
export function scanHost(s: string, i: number): number {
  if (s.charCodeAt(i) === 91) {
    const close = s.indexOf(']', i);
    return close !== -1 && isIPv6(s.slice(i + 1, close)) ? close + 1 : -1;
  }
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (!isAlnum(c) && c !== 45 && c !== 46) break;
    j++;
  }
  if (j === i) return -1;
  // Only a host ending in a digit can be an IPv4 address ("host1" is a hostname).
  const ok = (isDigit(s.charCodeAt(j - 1)) && isIPv4At(s, i, j)) || isHostnameAt(s, i, j);
  return ok ? j : -1;
}

/** Where a host starting at `i` ends (without validating it). */
export function hostEnd(s: string, i: number): number {
  if (s.charCodeAt(i) === 91) {
    const close = s.indexOf(']', i);
    return close === -1 ? s.length : close + 1;
  }
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (!isAlnum(c) && c !== 45 && c !== 46) break;
    j++;
  }
  return j;
}

/** Port 1-65535 from decimal text, or undefined. */
export function parsePort(s: string): number | undefined {
  return parsePortAt(s, 0, s.length);
}

export function parsePortAt(s: string, a: number, b: number): number | undefined {
  if (b <= a || b - a > 5) return undefined;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  return v >= 1 && v <= 65535 ? v : undefined;
}
