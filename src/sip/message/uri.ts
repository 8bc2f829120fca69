/**
 * URIs: sip/sips (RFC 3261 §19.1, §25.1), tel (RFC 3966), and any other absoluteURI kept as text.
 * User, password, URI parameters and URI headers are stored unescaped and re-escaped by formatUri, so that
 * `sip:%75ser@host` and `sip:user@host` are the same value (§19.1.4).
 */

import { HNV, isAlpha, isCode, isDigit, isHexDigit, PARAM, PASSWORD, SCHEME, URIC, USER } from './chars.ts';
import { codesOf, ownCodesOf } from './codes.ts';
import { escapePercent, unescapePercent } from './escaping.ts';
import { lastHost, parsePortAt, scanHost } from './host.ts';
import { commonName, setParam } from './params.ts';
import type { OtherUri, Params, SipUri, TelUri, Uri } from './types.ts';

/**
 * c[a, b) is text of one class plus valid %HH escapes: returns -1 when it is not, 1 when it holds an escape,
 * 0 when it is plain (and can be cut out as it is).
 */
function validRange(c: Uint8Array, a: number, b: number, flags: number): number {
  let escaped = 0;
  for (let i = a; i < b; i++) {
    const x = c[i];
    if (x === 37) {
      if (i + 2 >= b || !isHexDigit(c[i + 1]) || !isHexDigit(c[i + 2])) return -1;
      escaped = 1;
      i += 2;
    } else if (!isCode(x, flags)) return -1;
  }
  return escaped;
}

/**
 * validRange on a piece cut out of a URI (headers, tel parameters: rare). Its codes get a buffer of their own:
 * the caller may be reading the shared scratch codes of the whole text (codes.ts).
 */
function validText(s: string, flags: number): boolean {
  return validRange(ownCodesOf(s), 0, s.length, flags) !== -1;
}

function schemeEnd(c: Uint8Array, a: number, b: number): number {
  if (a >= b || !isAlpha(c[a])) return -1;
  let i = a + 1;
  while (i < b && isCode(c[i], SCHEME)) i++;
  return i < b && c[i] === 58 ? i : -1;
}

/** Parses any URI this stack knows; undefined when the text is not a valid URI. Never throws. */
export function parseUri(text: string): Uri | undefined {
  return readUriAt(text, codesOf(text), 0, text.length, true);
}

/** Returned by the readers in validation mode: a valid URI that was not built. Never leaves this file. */
const VALID: SipUri = { scheme: 'sip', host: '', params: {}, headers: {} };

/**
 * parseUri on s[a, b) (c: its codes, codes.ts); with `build` false it only validates (and returns a marker,
 * not a URI).
 */
export function readUriAt(s: string, c: Uint8Array, a: number, b: number, build: boolean): Uri | undefined {
  const colon = schemeEnd(c, a, b);
  if (colon === -1) return undefined;
  // Fast paths for the two schemes that matter, in the case they are nearly always written in.
  const len = colon - a;
  if (len === 3 && c[a] === 115 && c[a + 1] === 105 && c[a + 2] === 112)
    return readSipUri('sip', s, c, colon + 1, b, build);
  if (len === 4 && s.startsWith('sips', a)) return readSipUri('sips', s, c, colon + 1, b, build);
  const scheme = s.slice(a, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return readSipUri(scheme, s, c, colon + 1, b, build);
  if (scheme === 'tel') return parseTelUri(s.slice(colon + 1, b));
  // absoluteURI (RFC 2396 §3): hier-part or opaque-part, both runs of uric that do not start empty.
  if (colon + 1 === b || validRange(c, colon + 1, b, URIC) === -1) return undefined;
  if (!build) return VALID;
  const other: OtherUri = { scheme, raw: s.slice(a, b) };
  return other;
}

function unescapeRange(s: string, a: number, b: number): string {
  const part = s.slice(a, b);
  return part.indexOf('%') === -1 ? part : unescapePercent(part);
}

function lowerAscii(text: string): string {
  for (let k = 0; k < text.length; k++) {
    const x = text.charCodeAt(k);
    if (x >= 65 && x <= 90) return text.toLowerCase();
  }
  return text;
}

function readSipUri(
  scheme: 'sip' | 'sips',
  s: string,
  c: Uint8Array,
  start: number,
  n: number,
  build: boolean,
): SipUri | undefined {
  let user: string | undefined;
  let password: string | undefined;
  // '@' cannot appear unescaped anywhere but between userinfo and host (§25.1), so the first one splits them;
  // the first ':' before it ends the user.
  let at = -1;
  let colon = -1;
  for (let k = start; k < n; k++) {
    const x = c[k];
    if (x === 64) {
      at = k;
      break;
    }
    if (x === 58 && colon === -1) colon = k;
  }
  let i = start;
  if (at !== -1) {
    const userEnd = colon === -1 ? at : colon;
    if (userEnd === start) return undefined;
    const u = validRange(c, start, userEnd, USER);
    if (u === -1) return undefined;
    if (build) user = u === 0 ? s.slice(start, userEnd) : unescapePercent(s.slice(start, userEnd));
    if (colon !== -1) {
      const p = validRange(c, colon + 1, at, PASSWORD);
      if (p === -1) return undefined;
      if (build) password = p === 0 ? s.slice(colon + 1, at) : unescapePercent(s.slice(colon + 1, at));
    }
    i = at + 1;
  }
  const he = scanHost(c, i, n);
  if (he === -1) return undefined;
  let uri = VALID;
  if (build) {
    const host = lastHost.upper ? s.slice(i, he).toLowerCase() : s.slice(i, he);
    uri = { scheme, host, params: {}, headers: {} };
    if (user !== undefined) uri.user = user;
    if (password !== undefined) uri.password = password;
  }
  i = he;
  if (i < n && c[i] === 58) {
    let j = i + 1;
    while (j < n && isDigit(c[j])) j++;
    const port = parsePortAt(c, i + 1, j);
    if (port === undefined) return undefined;
    if (build) uri.port = port;
    i = j;
  }
  while (i < n && c[i] === 59) {
    let j = i + 1;
    let eq = -1;
    while (j < n) {
      const x = c[j];
      if (x === 59 || x === 63) break;
      if (x === 61 && eq === -1) eq = j;
      j++;
    }
    const nameEnd = eq === -1 ? j : eq;
    if (nameEnd === i + 1) return undefined;
    const nv = validRange(c, i + 1, nameEnd, PARAM);
    if (nv === -1) return undefined;
    const vv = eq === -1 ? 0 : eq + 1 === j ? -1 : validRange(c, eq + 1, j, PARAM);
    if (vv === -1) return undefined;
    if (build) {
      const name =
        commonName(c, i + 1, nameEnd) ??
        lowerAscii(nv === 0 ? s.slice(i + 1, nameEnd) : unescapePercent(s.slice(i + 1, nameEnd)));
      const value = eq === -1 ? null : vv === 0 ? s.slice(eq + 1, j) : unescapePercent(s.slice(eq + 1, j));
      if (!Object.hasOwn(uri.params, name)) setParam(uri.params, name, value);
    }
    i = j;
  }
  if (i < n && c[i] === 63) {
    // URI headers are rare (REFER targets, escaped Route in a Contact): read them the simple way.
    const headers: Record<string, string> = {};
    for (const pair of s.slice(i + 1, n).split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) return undefined;
      if (!validText(pair.slice(0, eq), HNV) || !validText(pair.slice(eq + 1), HNV)) return undefined;
      const key = unescapeRange(pair, 0, eq);
      if (key === '__proto__') return undefined;
      headers[key] = unescapeRange(pair, eq + 1, pair.length);
    }
    if (build) uri.headers = headers;
    i = n;
  }
  return i === n ? uri : undefined;
}

/** tel-URI: RFC 3966 §3. global-number-digits start with "+", local numbers need a phone-context. */
function parseTelUri(s: string): TelUri | undefined {
  const semi = s.indexOf(';');
  const number = semi === -1 ? s : s.slice(0, semi);
  const global = number.charCodeAt(0) === 43;
  let digits = 0;
  for (let i = global ? 1 : 0; i < number.length; i++) {
    const c = number.charCodeAt(i);
    if (isDigit(c) || (!global && (isHexDigit(c) || c === 42 || c === 35))) digits++;
    else if (c !== 45 && c !== 46 && c !== 40 && c !== 41) return undefined;
  }
  if (digits === 0) return undefined;
  const params: Params = {};
  if (semi !== -1) {
    for (const param of s.slice(semi + 1).split(';')) {
      const eq = param.indexOf('=');
      const name = eq === -1 ? param : param.slice(0, eq);
      if (!isParamName(name)) return undefined;
      let value: string | null = null;
      if (eq !== -1) {
        const raw = param.slice(eq + 1);
        if (raw.length === 0 || !validText(raw, PARAM)) return undefined;
        value = unescapePercent(raw);
      }
      const key = name.toLowerCase();
      if (!Object.hasOwn(params, key)) setParam(params, key, value);
    }
  }
  if (!global && params['phone-context'] === undefined) return undefined;
  return { scheme: 'tel', number, params };
}

/** RFC 3966 pname = 1*( alphanum / "-" ) */
function isParamName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isAlpha(c) && !isDigit(c) && c !== 45) return false;
  }
  return true;
}

function formatUriParams(p: Params): string {
  let out = '';
  for (const name in p) {
    const v = p[name];
    out += `;${escapePercent(name, PARAM)}`;
    if (v !== null) out += `=${escapePercent(v, PARAM)}`;
  }
  return out;
}

/** Writes a URI; user, password, parameters and headers are %-escaped where their grammar requires. */
export function formatUri(uri: Uri): string {
  if (uri.scheme === 'sip' || uri.scheme === 'sips') {
    const u = uri as SipUri;
    let out = `${u.scheme}:`;
    if (u.user !== undefined) {
      out += escapePercent(u.user, USER);
      if (u.password !== undefined) out += `:${escapePercent(u.password, PASSWORD)}`;
      out += '@';
    }
    out += u.host;
    if (u.port !== undefined) out += `:${u.port}`;
    out += formatUriParams(u.params);
    let sep = '?';
    for (const name in u.headers) {
      out += `${sep}${escapePercent(name, HNV)}=${escapePercent(u.headers[name], HNV)}`;
      sep = '&';
    }
    return out;
  }
  if (uri.scheme === 'tel' && 'number' in uri) {
    return `tel:${uri.number}${formatUriParams(uri.params)}`;
  }
  return (uri as OtherUri).raw;
}

function isSipUri(u: Uri): u is SipUri {
  return u.scheme === 'sip' || u.scheme === 'sips';
}

function isTelUri(u: Uri): u is TelUri {
  return u.scheme === 'tel' && 'number' in u;
}

/** Parameters that make two URIs differ when only one of them has it (§19.1.4). */
const MUST_MATCH_IF_ONE = ['user', 'ttl', 'method', 'maddr', 'transport'];

function paramsMatch(a: Params, b: Params): boolean {
  for (const name in a) {
    if (Object.hasOwn(b, name)) {
      const va = a[name];
      const vb = b[name];
      if (va === null || vb === null ? va !== vb : va.toLowerCase() !== vb.toLowerCase()) return false;
    }
  }
  for (const name of MUST_MATCH_IF_ONE) {
    if (Object.hasOwn(a, name) !== Object.hasOwn(b, name)) return false;
  }
  return true;
}

function headersMatch(a: Record<string, string>, b: Record<string, string>): boolean {
  const la = new Map(Object.entries(a).map(([k, v]) => [k.toLowerCase(), v]));
  const lb = new Map(Object.entries(b).map(([k, v]) => [k.toLowerCase(), v]));
  if (la.size !== lb.size) return false;
  for (const [k, v] of la) if (lb.get(k) !== v) return false;
  return true;
}

function telDigits(n: string): string {
  let out = '';
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c !== 45 && c !== 46 && c !== 40 && c !== 41) out += n[i];
  }
  return out.toLowerCase();
}

/**
 * URI equality: RFC 3261 §19.1.4 for sip/sips (user and password case-sensitive, host case-insensitive,
 * a default-valued component is not equal to an absent one, user/ttl/method/maddr/transport must both be
 * present or both absent, other parameters compared only when in both, headers always compared);
 * RFC 3966 §4 for tel (visual separators ignored, all parameters must match); others: the text, with the
 * scheme case-insensitive.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (isSipUri(a) && isSipUri(b)) {
    return (
      a.user === b.user &&
      a.password === b.password &&
      a.host === b.host &&
      a.port === b.port &&
      paramsMatch(a.params, b.params) &&
      paramsMatch(b.params, a.params) &&
      headersMatch(a.headers, b.headers)
    );
  }
  if (isTelUri(a) && isTelUri(b)) {
    if (telDigits(a.number) !== telDigits(b.number)) return false;
    const ka = Object.keys(a.params);
    if (ka.length !== Object.keys(b.params).length) return false;
    for (const k of ka) {
      const va = a.params[k];
      const vb = b.params[k];
      if (vb === undefined) return false;
      if (va === null || vb === null ? va !== vb : va.toLowerCase() !== vb.toLowerCase()) return false;
    }
    return true;
  }
  if (isSipUri(a) || isSipUri(b) || isTelUri(a) || isTelUri(b)) return false;
  return (a as OtherUri).raw.slice(a.scheme.length) === (b as OtherUri).raw.slice(b.scheme.length);
}

/** A deep copy (URIs are plain data but mutable; messages that share one must not see each other's edits). */
export function cloneUri(uri: Uri): Uri {
  if (isSipUri(uri)) {
    return { ...uri, params: { ...uri.params }, headers: { ...uri.headers } };
  }
  if (isTelUri(uri)) return { ...uri, params: { ...uri.params } };
  return { ...uri };
}
