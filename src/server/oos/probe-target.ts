/**
 * Where the OPTIONS probes of a service DN go (SPEC S2.7, S2.8): its `contact` option, written as `host`,
 * `host:port` or a `sip:` URI, turned into a Request-URI and a next hop. No DNS here (the core does no I/O): a
 * host name is passed on for the transport to resolve.
 */
import { nextHopOf } from '../../sip/dialog/next-hop.ts';
import type { SipUri } from '../../sip/message/types.ts';
import { parseUri } from '../../sip/message/uri.ts';
import type { Destination, TransportProtocol } from '../../sip/transport/types.ts';

export interface ProbeTarget {
  /** The contact as configured (for logs and statistics). */
  contact: string;
  uri: SipUri;
  destination: Destination;
}

export type ProbeTargetResult = { ok: true; target: ProbeTarget } | { ok: false; error: string };

/**
 * `fallback` is the transport used when the contact does not name one (`;transport=tcp`). A `sips:` contact
 * or another transport is refused with the reason: TLS is not a transport yet (docs/architecture.md).
 */
export function probeTarget(contact: string, fallback: TransportProtocol): ProbeTargetResult {
  const text = /^sips?:/i.test(contact) ? contact : `sip:${contact}`;
  const uri = parseUri(text);
  if (uri === undefined || (uri.scheme !== 'sip' && uri.scheme !== 'sips')) {
    return { ok: false, error: `contact ${JSON.stringify(contact)} is not host, host:port or a sip: URI` };
  }
  const sipUri = uri as SipUri;
  if (sipUri.scheme === 'sips') {
    return {
      ok: false,
      error: `contact ${JSON.stringify(contact)} is a sips: URI, and TLS is not supported yet`,
    };
  }
  try {
    return { ok: true, target: { contact, uri: sipUri, destination: nextHopOf(sipUri, fallback) } };
  } catch (err) {
    return { ok: false, error: `contact ${JSON.stringify(contact)}: ${(err as Error).message}` };
  }
}
