/**
 * One call as it is seen at both ends, written as wire text: Alice (UAC, 10.0.0.1) calls Bob (UAS, 10.0.0.2)
 * through two record-routing proxies, P1 (10.0.0.10, next to Alice) and P2 (10.0.0.20, next to Bob).
 */
import assert from 'node:assert/strict';
import { parseMessage, serializeMessage } from '../../../src/sip/message/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message/types.ts';

/** Joins header lines with CRLF and ends the header section (RFC 3261 §7). */
export function wire(lines: string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export function parse(text: string): SipMessage {
  const r = parseMessage(new TextEncoder().encode(text));
  if (!r.ok) assert.fail(`fixture does not parse: ${r.error.reason}\n${text}`);
  return r.message;
}

export function parseRequest(text: string): SipRequest {
  const m = parse(text);
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

export function parseResponse(text: string): SipResponse {
  const m = parse(text);
  assert.equal(m.kind, 'response');
  return m as SipResponse;
}

/** What a peer would receive: the request serialized and parsed again. */
export function onTheWire<T extends SipMessage>(msg: T): T {
  const bytes = serializeMessage(msg);
  const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes);
  return parse(text) as T;
}

/** Alice's INVITE as she sends it. */
export const aliceInvite = wire([
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKalice1',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@example.com>;tag=al1',
  'To: Bob <sip:bob@example.com>',
  'Call-ID: c1@10.0.0.1',
  'CSeq: 101 INVITE',
  'Contact: <sip:alice@10.0.0.1:5060>',
  'Content-Length: 0',
]);

/** The same INVITE as Bob receives it: both proxies added a Via and a Record-Route (P2's on top). */
export const bobReceivesInvite = wire([
  'INVITE sip:bob@10.0.0.2:5070 SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.20:5060;branch=z9hG4bKp2a',
  'Via: SIP/2.0/UDP 10.0.0.10:5060;branch=z9hG4bKp1a',
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKalice1',
  'Max-Forwards: 68',
  'Record-Route: <sip:10.0.0.20;lr>',
  'Record-Route: <sip:10.0.0.10;lr;x-p1=yes>',
  'From: "Alice" <sip:alice@example.com>;tag=al1',
  'To: Bob <sip:bob@example.com>',
  'Call-ID: c1@10.0.0.1',
  'CSeq: 101 INVITE',
  'Contact: <sip:alice@10.0.0.1:5060>',
  'Content-Length: 0',
]);

/** Bob's answer as Alice receives it; the Record-Route order is kept by the proxies (§16.7 item 9). */
export function aliceReceives(
  status: string,
  opts: { contact?: string; recordRoute?: string[] } = {},
): string {
  const rr = opts.recordRoute ?? ['Record-Route: <sip:10.0.0.20;lr>, <sip:10.0.0.10;lr;x-p1=yes>'];
  return wire([
    `SIP/2.0 ${status}`,
    'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKalice1',
    ...rr,
    'From: "Alice" <sip:alice@example.com>;tag=al1',
    'To: Bob <sip:bob@example.com>;tag=bo1',
    'Call-ID: c1@10.0.0.1',
    'CSeq: 101 INVITE',
    ...(opts.contact === '' ? [] : [`Contact: ${opts.contact ?? '<sip:bob@10.0.0.2:5070;transport=tcp>'}`]),
    'Content-Length: 0',
  ]);
}

/** Options every built request needs. */
export const via = { branch: 'z9hG4bKnew1', viaHost: '10.0.0.1', viaPort: 5060 } as const;
