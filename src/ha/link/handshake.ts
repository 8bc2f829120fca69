/**
 * The mutual shared-secret handshake that opens every link (SPEC S4.2, S8.4: an unauthenticated peer is refused).
 *
 *   server -> client  {type:'hello', protocol, protocols, nonce: serverNonce}
 *   client -> server  {type:'auth', protocol, name, nonce: clientNonce,
 *                      mac: HMAC(secret, 'client' | protocol | serverNonce | clientNonce | name), addpRemoteTimeout}
 *   server -> client  {type:'welcome', name,
 *                      mac: HMAC(secret, 'server' | protocol | clientNonce | serverNonce | name), addpRemoteTimeout}
 *   or server -> client {type:'refused', detail}, then the server closes.
 *
 * Each side proves it knows the secret over a nonce the other side chose, so neither a recorded exchange nor a
 * reflected one (the role label differs) is accepted. The fields are joined as a JSON array rather than with a
 * separator so that no name containing the separator can make two different inputs hash alike. HMAC-SHA256,
 * compared in constant time. `protocols` in the hello (the server's accepted list) is informational: the
 * server alone decides and says why in its 'refused'.
 *
 * Pure functions: the state machine that drives them is in link.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { LinkMessage } from './types.ts';

/** Hex digits of a nonce (128 bits). */
export const NONCE_HEX = 32;
const NONCE_RE = /^[0-9a-f]{32}$/;
const MAC_RE = /^[0-9a-f]{64}$/;

export interface Hello extends LinkMessage {
  type: 'hello';
  protocol: string;
  protocols: string[];
  nonce: string;
}

export interface Auth extends LinkMessage {
  type: 'auth';
  protocol: string;
  name: string;
  nonce: string;
  mac: string;
  addpRemoteTimeout: number;
}

export interface Welcome extends LinkMessage {
  type: 'welcome';
  name: string;
  mac: string;
  addpRemoteTimeout: number;
}

export interface Refused extends LinkMessage {
  type: 'refused';
  detail: string;
}

export function clientMac(
  secret: string,
  protocol: string,
  serverNonce: string,
  clientNonce: string,
  name: string,
): string {
  return hmac(secret, ['client', protocol, serverNonce, clientNonce, name]);
}

export function serverMac(
  secret: string,
  protocol: string,
  clientNonce: string,
  serverNonce: string,
  name: string,
): string {
  return hmac(secret, ['server', protocol, clientNonce, serverNonce, name]);
}

/** Constant-time comparison of a MAC we computed with one we were sent. */
export function macMatches(expected: string, received: string): boolean {
  if (!MAC_RE.test(received)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(received, 'hex'));
}

function hmac(secret: string, fields: string[]): string {
  return createHmac('sha256', secret).update(JSON.stringify(fields), 'utf8').digest('hex');
}

// ---- server side ----

export function makeHello(protocol: string, accepted: readonly string[], serverNonce: string): Hello {
  return { type: 'hello', protocol, protocols: [...accepted], nonce: serverNonce };
}

export interface ServerContext {
  secret: string;
  accepted: readonly string[];
  serverNonce: string;
}

/** Checks the client's 'auth': the accepted Auth, or why the peer is refused. */
export function checkAuth(msg: LinkMessage, ctx: ServerContext): Auth | string {
  if (msg.type !== 'auth') return `expected an 'auth' message, got '${clip(msg.type)}'`;
  const { protocol, name, nonce, mac, addpRemoteTimeout } = msg;
  if (typeof protocol !== 'string' || typeof name !== 'string' || typeof mac !== 'string') {
    return "malformed 'auth' (protocol, name and mac must be strings)";
  }
  if (typeof nonce !== 'string' || !NONCE_RE.test(nonce)) {
    return `malformed 'auth' (the nonce must be ${NONCE_HEX} lowercase hex digits)`;
  }
  if (!isTimeout(addpRemoteTimeout)) return "malformed 'auth' (addpRemoteTimeout must be a number >= 0)";
  if (!ctx.accepted.includes(protocol)) {
    return `protocol '${clip(protocol)}' of '${clip(name)}' is not accepted here (accepted: ${ctx.accepted.join(', ')})`;
  }
  if (!macMatches(clientMac(ctx.secret, protocol, ctx.serverNonce, nonce, name), mac)) {
    return `authentication of '${clip(name)}' failed: wrong mac (the peer does not have our link secret)`;
  }
  return msg as Auth;
}

export function makeWelcome(
  secret: string,
  auth: Auth,
  serverNonce: string,
  serverName: string,
  addpRemoteTimeout: number,
): Welcome {
  return {
    type: 'welcome',
    name: serverName,
    mac: serverMac(secret, auth.protocol, auth.nonce, serverNonce, serverName),
    addpRemoteTimeout,
  };
}

export function makeRefused(detail: string): Refused {
  return { type: 'refused', detail };
}

// ---- client side ----

/** Reads the server's 'hello': the Hello, or why the handshake fails. */
export function parseHello(msg: LinkMessage): Hello | string {
  if (msg.type === 'refused') return refusedDetail(msg);
  if (msg.type !== 'hello') return `expected a 'hello' message, got '${clip(msg.type)}'`;
  if (typeof msg.nonce !== 'string' || !NONCE_RE.test(msg.nonce)) {
    return `malformed 'hello' (the nonce must be ${NONCE_HEX} lowercase hex digits)`;
  }
  if (typeof msg.protocol !== 'string') return "malformed 'hello' (no protocol)";
  const protocols = Array.isArray(msg.protocols)
    ? msg.protocols.filter((p): p is string => typeof p === 'string')
    : [msg.protocol];
  return { type: 'hello', protocol: msg.protocol, protocols, nonce: msg.nonce };
}

export function makeAuth(
  secret: string,
  protocol: string,
  name: string,
  serverNonce: string,
  clientNonce: string,
  addpRemoteTimeout: number,
): Auth {
  return {
    type: 'auth',
    protocol,
    name,
    nonce: clientNonce,
    mac: clientMac(secret, protocol, serverNonce, clientNonce, name),
    addpRemoteTimeout,
  };
}

export interface ClientContext {
  secret: string;
  protocol: string;
  serverNonce: string;
  clientNonce: string;
}

/** Checks the server's answer to our 'auth': the Welcome, or why the handshake fails. */
export function checkWelcome(msg: LinkMessage, ctx: ClientContext): Welcome | string {
  if (msg.type === 'refused') return refusedDetail(msg);
  if (msg.type !== 'welcome') return `expected a 'welcome' message, got '${clip(msg.type)}'`;
  const { name, mac, addpRemoteTimeout } = msg;
  if (typeof name !== 'string' || typeof mac !== 'string') {
    return "malformed 'welcome' (name and mac must be strings)";
  }
  if (!isTimeout(addpRemoteTimeout)) return "malformed 'welcome' (addpRemoteTimeout must be a number >= 0)";
  if (!macMatches(serverMac(ctx.secret, ctx.protocol, ctx.clientNonce, ctx.serverNonce, name), mac)) {
    return `the peer '${clip(name)}' failed to authenticate: wrong mac (it does not have our link secret)`;
  }
  return msg as Welcome;
}

function refusedDetail(msg: LinkMessage): string {
  return `refused by the peer: ${typeof msg.detail === 'string' ? clip(msg.detail, 300) : '(no reason given)'}`;
}

function isTimeout(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Peer-chosen text put in our logs: bounded, so a hostile peer cannot flood them. */
function clip(s: string, max = 80): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}
