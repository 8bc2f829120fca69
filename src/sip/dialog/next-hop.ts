/**
 * Where an in-dialog request goes: the first Route's URI, or the Request-URI when there is no route set
 * (RFC 3261 §8.1.2, §12.2.1.1), resolved the way RFC 3263 §4 does for a numeric host, without DNS: the core does
 * no I/O, so a host name is returned as is for the caller to resolve.
 */
import type { Uri } from '../message/types.ts';
import type { Destination, TransportProtocol } from '../transport/types.ts';
import { DialogError } from './state.ts';
import { isSipUri } from './stored-text.ts';

/** RFC 3261 §19.1.2: the default port of a sip URI. */
export const DEFAULT_SIP_PORT = 5060;

export function nextHopOf(uri: Uri, fallback: TransportProtocol): Destination {
  if (!isSipUri(uri)) {
    throw new DialogError(`Cannot send to a ${uri.scheme}: URI; the next hop of a request must be a sip URI`);
  }
  // RFC 3263 §4.1 / RFC 3261 §19.1.1: maddr overrides the host for where the request is sent.
  const maddr = uri.params.maddr;
  const host = maddr ? maddr.toLowerCase() : uri.host;
  return {
    transport: transportParam(uri.params.transport, fallback),
    host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host,
    port: uri.port ?? DEFAULT_SIP_PORT,
  };
}

function transportParam(param: string | null | undefined, fallback: TransportProtocol): TransportProtocol {
  if (param === undefined || param === null) return fallback;
  const t = param.toLowerCase();
  if (t === 'udp') return 'UDP';
  if (t === 'tcp') return 'TCP';
  throw new DialogError(
    `The next hop asks for transport=${param}; only udp and tcp are supported (SPEC S2.2)`,
  );
}
