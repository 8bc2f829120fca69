/**
 * The two requests the transaction layer builds itself from an INVITE it sent: the ACK for a non-2xx final
 * response (§17.1.1.3) and the CANCEL (§9.1). Both are hop-by-hop: they reuse the INVITE's top Via (hence
 * its branch) so that the next hop's server transaction matches them to the INVITE.
 */
import { formatVia, getCSeq, getHeader, getTopVia } from '../message/index.ts';
import type { HeaderField, SipRequest, SipResponse } from '../message/types.ts';

function required(msg: SipRequest | SipResponse, name: string): string {
  const value = getHeader(msg, name);
  if (value === undefined) {
    throw new TypeError(`cannot build the request: the ${msg.kind} has no ${name} header`);
  }
  return value;
}

/** Only the top Via (an INVITE forwarded by a proxy carries more): the request goes to the next hop only. */
function topViaField(invite: SipRequest): HeaderField {
  return { name: 'Via', value: formatVia(getTopVia(invite)) };
}

/** Route header fields of the INVITE, in order, as they were sent. */
function routeFields(invite: SipRequest): HeaderField[] {
  return invite.headers.filter((h) => h.name.toLowerCase() === 'route');
}

function derived(invite: SipRequest, method: string, to: string): SipRequest {
  return {
    kind: 'request',
    method,
    uri: invite.uri,
    version: invite.version,
    headers: [
      topViaField(invite),
      ...routeFields(invite),
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: required(invite, 'From') },
      { name: 'To', value: to },
      { name: 'Call-ID', value: required(invite, 'Call-ID') },
      { name: 'CSeq', value: `${getCSeq(invite).seq} ${method}` },
    ],
    body: new Uint8Array(0),
  };
}

/**
 * §17.1.1.3: same Request-URI, Call-ID, From, CSeq number and Route as the INVITE, a single Via equal to the
 * INVITE's top Via, and the To of the response (it carries the tag the server chose).
 */
export function createNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  return derived(invite, 'ACK', required(response, 'To'));
}

/**
 * §9.1: same Request-URI, Call-ID, To, From and CSeq number as the INVITE (tags included), the INVITE's top
 * Via alone, and its Route header fields.
 */
export function createCancel(invite: SipRequest): SipRequest {
  return derived(invite, 'CANCEL', required(invite, 'To'));
}
