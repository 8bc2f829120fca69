/**
 * Via (RFC 3261 §20.42, §25.1): `sent-protocol LWS sent-by *( SEMI via-params )`, comma lists allowed.
 * SLASH and COLON allow whitespace around them. `received` may be an IPv4 or IPv6 address with or without
 * brackets (RFC 5118 §4.5); `rport` may be empty (RFC 3581 §3).
 *
 * One reader serves the parser (reading the Via where it lies in the message) and viaOf/parseVia (reading a
 * field's value), and can also validate without building.
 */

import { excerpt, isCode, isDigit, skipWspTo, TOKEN } from './chars.ts';
import { codesOf } from './codes.ts';
import { SipSyntaxError } from './errors.ts';
import { hostEnd, isHostAt, isIPv4At, isIPv6At, lastHost, parsePortAt, scanHost } from './host.ts';
import { listElementEnd } from './list.ts';
import { addLastParam, formatParams, lastParam, nextParam } from './params.ts';
import type { Params, Via } from './types.ts';

function tokenEnd(c: Uint8Array, i: number, end: number): number {
  while (i < end && isCode(c[i], TOKEN)) i++;
  return i;
}

function expectSlash(s: string, c: Uint8Array, i: number, a: number, end: number): number {
  i = skipWspTo(c, i, end);
  if (i >= end || c[i] !== 47)
    throw new SipSyntaxError(`expected '/' in the sent-protocol of '${excerpt(s.slice(a, end))}'`);
  return skipWspTo(c, i + 1, end);
}

/** Where the parameters the transport acts on are (first occurrence; -1: absent, -2: present without value). */
class ViaChecks {
  branch = -1;
  branchIsToken = false;
  received = -1;
  receivedEnd = -1;
  rport = -1;
  rportEnd = -1;
  ttl = -1;
  ttlEnd = -1;
  maddr = -1;
  maddrEnd = -1;
}
const checks = new ViaChecks();

/** Records the first branch/received/rport/ttl/maddr; their values are checked once all are read. */
function noteParam(): void {
  const name = lastParam.name;
  if (name === undefined) return;
  const va = lastParam.valueStart === -1 ? -2 : lastParam.valueStart;
  const vb = lastParam.valueEnd;
  if (name === 'branch') {
    if (checks.branch === -1) {
      checks.branch = va;
      checks.branchIsToken = lastParam.valueIsToken;
    }
  } else if (name === 'received') {
    if (checks.received === -1) {
      checks.received = va;
      checks.receivedEnd = vb;
    }
  } else if (name === 'rport') {
    if (checks.rport === -1) {
      checks.rport = va;
      checks.rportEnd = vb;
    }
  } else if (name === 'ttl') {
    if (checks.ttl === -1) {
      checks.ttl = va;
      checks.ttlEnd = vb;
    }
  } else if (name === 'maddr') {
    if (checks.maddr === -1) {
      checks.maddr = va;
      checks.maddrEnd = vb;
    }
  }
}

function isTtl(c: Uint8Array, a: number, b: number): boolean {
  if (b - a < 1 || b - a > 3) return false;
  let v = 0;
  for (let i = a; i < b; i++) {
    const x = c[i];
    if (!isDigit(x)) return false;
    v = v * 10 + (x - 48);
  }
  return v <= 255;
}

/** The checks the transport relies on (§18.2.2, RFC 3581), in a fixed order so the first fault is named. */
function checkViaParams(s: string, c: Uint8Array): void {
  const { branch, branchIsToken, received, receivedEnd, rport, rportEnd, ttl, ttlEnd, maddr, maddrEnd } =
    checks;
  if (branch !== -1 && (branch === -2 || !branchIsToken)) {
    throw new SipSyntaxError('branch must be a token');
  }
  if (received !== -1) {
    let a = received === -2 ? 0 : received;
    let b = received === -2 ? 0 : receivedEnd;
    const text = s.slice(a, b);
    if (b - a >= 2 && c[a] === 91 && c[b - 1] === 93) {
      a++;
      b--;
    }
    if (!isIPv4At(c, a, b) && !isIPv6At(c, a, b))
      throw new SipSyntaxError(`received '${excerpt(text)}' is not an IP address`);
  }
  if (rport >= 0 && parsePortAt(c, rport, rportEnd) === undefined) {
    throw new SipSyntaxError(`rport '${excerpt(s.slice(rport, rportEnd))}' is not a port number`);
  }
  if (ttl !== -1 && (ttl === -2 || !isTtl(c, ttl, ttlEnd))) {
    throw new SipSyntaxError('ttl must be 0-255');
  }
  if (maddr !== -1 && (maddr === -2 || !isHostAt(c, maddr, maddrEnd)))
    throw new SipSyntaxError('maddr must be a host');
}

/** Reads one via-parm in s[a, b); appends it to `out` when given, else only validates. */
function readOneViaAt(s: string, c: Uint8Array, a: number, b: number, out: Via[] | null): void {
  if (a === b) throw new SipSyntaxError('empty element in the list');
  let protocol = 'SIP/2.0';
  let i: number;
  if (
    b - a >= 8 &&
    c[a] === 83 &&
    c[a + 1] === 73 &&
    c[a + 2] === 80 &&
    c[a + 3] === 47 &&
    c[a + 4] === 50 &&
    c[a + 5] === 46 &&
    c[a + 6] === 48 &&
    c[a + 7] === 47
  ) {
    // "SIP/2.0/": the form every element sends; the general path below handles case and whitespace variants.
    i = a + 8;
  } else {
    const nameEnd = tokenEnd(c, a, b);
    if (nameEnd === a) throw new SipSyntaxError(`missing protocol name in '${excerpt(s.slice(a, b))}'`);
    const vStart = expectSlash(s, c, nameEnd, a, b);
    const vEnd = tokenEnd(c, vStart, b);
    if (vEnd === vStart) throw new SipSyntaxError(`missing protocol version in '${excerpt(s.slice(a, b))}'`);
    if (out !== null) protocol = `${s.slice(a, nameEnd)}/${s.slice(vStart, vEnd)}`;
    i = expectSlash(s, c, vEnd, a, b);
  }
  const tStart = i;
  const tEnd = tokenEnd(c, i, b);
  if (tEnd === i) throw new SipSyntaxError(`missing transport in '${excerpt(s.slice(a, b))}'`);
  i = tEnd;
  if (i >= b || (c[i] !== 32 && c[i] !== 9))
    throw new SipSyntaxError(`expected whitespace before the sent-by host in '${excerpt(s.slice(a, b))}'`);
  i = skipWspTo(c, i, b);
  const hostStart = i;
  const he = scanHost(c, i, b);
  if (he === -1) {
    const e = s.slice(a, b);
    throw new SipSyntaxError(`invalid sent-by host '${excerpt(e.slice(i - a, hostEnd(e, i - a) + 1))}'`);
  }
  const hostUpper = lastHost.upper;
  let port: number | undefined;
  i = skipWspTo(c, he, b);
  if (i < b && c[i] === 58) {
    i = skipWspTo(c, i + 1, b);
    const start = i;
    while (i < b && isDigit(c[i])) i++;
    port = parsePortAt(c, start, i);
    if (port === undefined)
      throw new SipSyntaxError(`invalid sent-by port '${excerpt(s.slice(start, Math.min(i + 1, b)))}'`);
  }
  const params: Params | null = out === null ? null : {};
  checks.branch = checks.received = checks.rport = checks.ttl = checks.maddr = -1;
  i = skipWspTo(c, i, b);
  while (i < b) {
    i = nextParam(s, c, i, b);
    noteParam();
    if (params !== null) addLastParam(s, c, params);
  }
  checkViaParams(s, c);
  if (out === null || params === null) return;
  let transport = s.slice(tStart, tEnd);
  if (transport !== 'UDP' && transport !== 'TCP' && transport !== 'TLS') transport = transport.toUpperCase();
  const host = hostUpper ? s.slice(hostStart, he).toLowerCase() : s.slice(hostStart, he);
  out.push(
    port === undefined ? { protocol, transport, host, params } : { protocol, transport, host, port, params },
  );
}

/**
 * Reads every via-parm of the Via value in s[a, b) (c: its codes, codes.ts) into `out`, or only validates
 * when `out` is null; returns their number. Throws SipSyntaxError with the fault only.
 */
export function readViaAt(s: string, c: Uint8Array, a: number, b: number, out: Via[] | null): number {
  const comma = s.indexOf(',', a);
  if (comma === -1 || comma >= b) {
    readOneViaAt(s, c, a, b, out);
    return 1;
  }
  let count = 0;
  let i = a;
  for (;;) {
    // The elements of splitList: trimmed, commas inside quotes or <> do not separate.
    const e = listElementEnd(c, i, b);
    const x = skipWspTo(c, i, e);
    let y = e;
    while (y > x && (c[y - 1] === 32 || c[y - 1] === 9)) y--;
    readOneViaAt(s, c, x, y, out);
    count++;
    if (e >= b) return count;
    i = e + 1;
  }
}

/** Reads every via-parm of one Via header value. Throws SipSyntaxError with the fault only. */
export function readVia(value: string): Via[] {
  const out: Via[] = [];
  readViaAt(value, codesOf(value), 0, value.length, out);
  return out;
}

/** Parses a Via header value (one or more comma-separated via-parms). Throws SipSyntaxError. */
export function parseVia(value: string): Via[] {
  try {
    return readVia(value);
  } catch (e) {
    throw new SipSyntaxError(`Invalid Via header: ${(e as Error).message}`);
  }
}

export function formatVia(v: Via): string {
  return `${v.protocol}/${v.transport} ${v.host}${v.port !== undefined ? `:${v.port}` : ''}${formatParams(v.params)}`;
}
