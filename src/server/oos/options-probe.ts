/**
 * The OPTIONS request of an out-of-service probe (SPEC S2.8, RFC 3261 §11.1): a fresh out-of-dialog request,
 * so a new Call-ID, From tag and branch each time; Max-Forwards 70 (§8.1.1.6). Any final response to it shows
 * the device is alive, whatever its status.
 */
import { createRequest } from '../../sip/message/build.ts';
import type { SipRequest } from '../../sip/message/types.ts';
import { formatUri } from '../../sip/message/uri.ts';
import type { ServerContext } from '../context.ts';
import type { ProbeTarget } from './probe-target.ts';

/** A host as it appears in a Via sent-by or a URI: an IPv6 address needs brackets (RFC 3261 §25.1). */
function hostPart(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function buildOptionsProbe(ctx: ServerContext, target: ProbeTarget): SipRequest {
  const { host, port } = ctx.local;
  const sentBy = `${hostPart(host)}:${port}`;
  const uri = formatUri(target.uri);
  return createRequest({
    method: 'OPTIONS',
    uri: target.uri,
    headers: [
      {
        name: 'Via',
        value: `SIP/2.0/${target.destination.transport} ${sentBy};branch=${ctx.transactions.newBranch()};rport`,
      },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<sip:duet@${sentBy}>;tag=${ctx.random.hex(10)}` },
      { name: 'To', value: `<${uri}>` },
      { name: 'Call-ID', value: `${ctx.random.hex(20)}@${hostPart(host)}` },
      { name: 'CSeq', value: '1 OPTIONS' },
      { name: 'Contact', value: `<sip:duet@${sentBy}>` },
      { name: 'Accept', value: 'application/sdp' },
    ],
  });
}
