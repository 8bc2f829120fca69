/**
 * Via (RFC 3261 §20.42, §25.1): `sent-protocol LWS sent-by *( SEMI via-params )`, comma lists allowed.
 * SLASH and COLON allow whitespace around them. `received` may be an IPv4 or IPv6 address with or without
 * brackets (RFC 5118 §4.5); `rport` may be empty (RFC 3581 §3).
 */

import { excerpt, is, isDigit, isWsp, skipWsp, TOKEN } from './chars.ts';
import { SipSyntaxError } from './errors.ts';
import { hostEnd, isHost, isIPv4, isIPv6, parsePort, parsePortAt, scanHost } from './host.ts';
import { splitList } from './list.ts';
import { formatParams, readParams } from './params.ts';
import type { Params, Via } from './types.ts';

function tokenEnd(s: string, i: number): number {
  while (i < s.length && is(s.charCodeAt(i), TOKEN)) i++;
  return i;
}

function expectSlash(s: string, i: number): number {
  i = skipWsp(s, i);
  if (s.charCodeAt(i) !== 47)
    throw new SipSyntaxError(`expected '/' in the sent-protocol of '${excerpt(s)}'`);
  return skipWsp(s, i + 1);
}

function readOneVia(s: string): Via {
  if (s.length === 0) throw new SipSyntaxError('empty element in the list');
  let protocol: string;
  let i: number;
  if (s.startsWith('SIP/2.0/')) {
    // The form every element sends; the general path below handles case and whitespace variants.
    protocol = 'SIP/2.0';
    i = 8;
  } else {
    const nameEnd = tokenEnd(s, 0);
    if (nameEnd === 0) throw new SipSyntaxError(`missing protocol name in '${excerpt(s)}'`);
    const vStart = expectSlash(s, nameEnd);
    const vEnd = tokenEnd(s, vStart);
    if (vEnd === vStart) throw new SipSyntaxError(`missing protocol version in '${excerpt(s)}'`);
    protocol = `${s.slice(0, nameEnd)}/${s.slice(vStart, vEnd)}`;
    i = expectSlash(s, vEnd);
  }
  const tEnd = tokenEnd(s, i);
  if (tEnd === i) throw new SipSyntaxError(`missing transport in '${excerpt(s)}'`);
  let transport = s.slice(i, tEnd);
  if (transport !== 'UDP' && transport !== 'TCP' && transport !== 'TLS') transport = transport.toUpperCase();
  i = tEnd;
  if (!isWsp(s.charCodeAt(i)))
    throw new SipSyntaxError(`expected whitespace before the sent-by host in '${excerpt(s)}'`);
  i = skipWsp(s, i);
  const he = scanHost(s, i);
  if (he === -1) throw new SipSyntaxError(`invalid sent-by host '${excerpt(s.slice(i, hostEnd(s, i) + 1))}'`);
  let host = s.slice(i, he);
  for (let k = 0; k < host.length; k++) {
    const c = host.charCodeAt(k);
    if (c >= 65 && c <= 90) {
      host = host.toLowerCase();
      break;
    }
  }
  let port: number | undefined;
  i = skipWsp(s, he);
  if (s.charCodeAt(i) === 58) {
    i = skipWsp(s, i + 1);
    const start = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    port = parsePortAt(s, start, i);
    if (port === undefined)
      throw new SipSyntaxError(`invalid sent-by port '${excerpt(s.slice(start, i + 1))}'`);
  }
  const params = readParams(s, i);
  checkViaParams(params);
  const via: Via =
    port === undefined ? { protocol, transport, host, params } : { protocol, transport, host, port, params };
  return via;
}

function checkViaParams(p: Params): void {
  const branch = p.branch;
  if (branch !== undefined && (branch === null || !isTokenValue(branch))) {
    throw new SipSyntaxError('branch must be a token');
  }
  const received = p.received;
  if (received !== undefined) {
    const r = received ?? '';
    const bare = r.startsWith('[') && r.endsWith(']') ? r.slice(1, -1) : r;
    if (!isIPv4(bare) && !isIPv6(bare))
      throw new SipSyntaxError(`received '${excerpt(r)}' is not an IP address`);
  }
  const rport = p.rport;
  if (rport !== undefined && rport !== null && parsePort(rport) === undefined) {
    throw new SipSyntaxError(`rport '${excerpt(rport)}' is not a port number`);
  }
  const ttl = p.ttl;
  if (ttl !== undefined && (ttl === null || !/^\d{1,3}$/.test(ttl) || Number(ttl) > 255)) {
    throw new SipSyntaxError('ttl must be 0-255');
  }
  const maddr = p.maddr;
  if (maddr !== undefined && (maddr === null || !isHost(maddr)))
    throw new SipSyntaxError('maddr must be a host');
}

function isTokenValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (!is(v.charCodeAt(i), TOKEN)) return false;
  return v.length > 0;
}

/** Reads every via-parm of one Via header value. Throws SipSyntaxError with the fault only. */
export function readVia(value: string): Via[] {
  if (value.indexOf(',') === -1) return [readOneVia(value)];
  return splitList(value).map(readOneVia);
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
