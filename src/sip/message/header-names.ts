/**
 * Header names: case-insensitive (RFC 3261 §7.3.1), with compact forms (§7.3.3, and the later RFCs that
 * define o, r, b, x, u, y, n, a, j, d). Known headers are stored under one canonical spelling so that a
 * plain `===` finds them; unknown headers keep their spelling.
 */

import { NameTable } from './name-table.ts';

const CANONICAL = [
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Accept-Resource-Priority',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-ID',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Error-Info',
  'Event',
  'Expires',
  'Flow-Timer',
  'From',
  'History-Info',
  'Identity',
  'Identity-Info',
  'In-Reply-To',
  'Join',
  'Max-Breadth',
  'Max-Forwards',
  'MIME-Version',
  'Min-Expires',
  'Min-SE',
  'Organization',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Path',
  'Priority',
  'Privacy',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'RAck',
  'Reason',
  'Record-Route',
  'Refer-Sub',
  'Refer-To',
  'Referred-By',
  'Reject-Contact',
  'Replaces',
  'Reply-To',
  'Request-Disposition',
  'Require',
  'Resource-Priority',
  'Retry-After',
  'Route',
  'RSeq',
  'Security-Client',
  'Security-Server',
  'Security-Verify',
  'Server',
  'Service-Route',
  'Session-Expires',
  'SIP-ETag',
  'SIP-If-Match',
  'Subject',
  'Subscription-State',
  'Supported',
  'Target-Dialog',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
];

const COMPACT: Record<string, string> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

/** Both the canonical spelling and the lower-case spelling map to the canonical name (exact hits are common). */
const names = new Map<string, string>();
for (const n of CANONICAL) {
  names.set(n, n);
  names.set(n.toLowerCase(), n);
}
for (const [k, v] of Object.entries(COMPACT)) {
  names.set(k, v);
  names.set(k.toUpperCase(), v);
}

/** "v" → "Via", "call-id" → "Call-ID"; an unknown name is returned as given. */
export function canonicalHeaderName(name: string): string {
  return names.get(name) ?? names.get(name.toLowerCase()) ?? name;
}

/** The canonical name for exactly this spelling (canonical, all lower case, or compact), or undefined. */
export function knownSpelling(name: string): string | undefined {
  return names.get(name);
}

/** True when the name (any spelling) is one this stack knows. */
export function isKnownHeader(name: string): boolean {
  return names.has(name) || names.has(name.toLowerCase());
}

/** Every known spelling in lower case (compact forms included), for finding names inside a message. */
const table = new NameTable([...names].filter(([k]) => k === k.toLowerCase()));

/** The canonical name of the known header named c[a, b) (codes.ts; any case, compact forms), or undefined. */
export function knownHeaderAt(c: Uint8Array, a: number, b: number): string | undefined {
  return table.find(c, a, b);
}

/**
 * Headers whose grammar is a comma-separated list (§7.3.1), so that several fields may be combined and a
 * value may be split. Unknown headers are not split: many single-valued extensions contain commas.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Accept-Resource-Priority',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Call-Info',
  'Contact',
  'Content-Encoding',
  'Content-Language',
  'Error-Info',
  'History-Info',
  'In-Reply-To',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Path',
  'Proxy-Require',
  'Reason',
  'Record-Route',
  'Reject-Contact',
  'Request-Disposition',
  'Require',
  'Resource-Priority',
  'Route',
  'Security-Client',
  'Security-Server',
  'Security-Verify',
  'Service-Route',
  'Supported',
  'Unsupported',
  'Via',
  'Warning',
]);
