/**
 * Creating a dialog from the messages of the transaction that establishes it (RFC 3261 §12.1).
 */
import {
  formatNameAddr,
  getCallId,
  getContacts,
  getCSeq,
  getFrom,
  getRecordRoutes,
  getTo,
  getTopVia,
} from '../message/index.ts';
import type { NameAddr, SipMessage, SipRequest, SipResponse } from '../message/types.ts';
import type { TransportProtocol } from '../transport/types.ts';
import { DialogError, type DialogId, type DialogRole, type DialogState } from './state.ts';
import { untaggedText, uriText } from './stored-text.ts';

/**
 * The dialog a message belongs to, seen from this UA (§12). `role` is our side of the message's transaction:
 * 'uac' for a request we sent or a response to it (local tag = From tag), 'uas' for a request we received or
 * our response to it (local tag = To tag). Undefined while the To has no tag: no dialog exists yet.
 */
export function dialogId(msg: SipMessage, role: DialogRole): DialogId | undefined {
  const fromTag = getFrom(msg).params.tag ?? '';
  const toTag = getTo(msg).params.tag ?? '';
  if (toTag === '') return undefined;
  const callId = getCallId(msg);
  return role === 'uac'
    ? { callId, localTag: fromTag, remoteTag: toTag }
    : { callId, localTag: toTag, remoteTag: fromTag };
}

export interface UasDialogOptions {
  /** The To tag we put on our 1xx/2xx (§12.1.1: the UAS MUST add a tag to the To). */
  localTag: string;
  /** Our Contact, as the header value we send (name-addr text). */
  localContact: string;
  /** 'early' when the dialog is created by a 1xx, 'confirmed' (the default) by a 2xx (§12.1). */
  state?: 'early' | 'confirmed';
  /** The CSeq number our first request in the dialog will exceed by one; default 0 (§12.1.1 leaves it to us). */
  localSeq?: number;
  /** Fallback transport for our requests; default the transport the request arrived on (its top Via). */
  transport?: TransportProtocol;
}

/** §12.1.1: the dialog a UAS creates when it answers a dialog-creating request with a 1xx or 2xx. */
export function dialogFromUasRequest(req: SipRequest, opts: UasDialogOptions): DialogState {
  if (opts.localTag === '')
    throw new DialogError('A UAS dialog needs a non-empty local (To) tag (RFC 3261 §12.1.1)');
  const from = getFrom(req);
  const to = getTo(req);
  const viaTransport = getTopVia(req).transport;
  return {
    id: { callId: getCallId(req), localTag: opts.localTag, remoteTag: from.params.tag ?? '' },
    role: 'uas',
    state: opts.state ?? 'confirmed',
    localUri: untaggedText(to),
    remoteUri: untaggedText(from),
    localSeq: opts.localSeq ?? 0,
    remoteSeq: getCSeq(req).seq,
    remoteTarget: uriText(singleContact(req, `${req.method} request`).uri),
    // The UAS keeps Record-Route in the order received: its first entry is the hop nearest to it (§12.1.1).
    routeSet: getRecordRoutes(req).map(routeText),
    secure: viaTransport === 'TLS' && req.uri.scheme === 'sips',
    localContact: opts.localContact,
    transport: opts.transport ?? transportOf(viaTransport),
  };
}

/**
 * §12.1.2: the dialog a UAC creates from a 101-199 response with a To tag (early) or a 2xx (confirmed) to the
 * request `req` it sent. Each To tag is a separate dialog (forking, §12.1.2 / §13.2.2.4).
 */
export function dialogFromUacResponse(req: SipRequest, res: SipResponse): DialogState {
  if (res.status <= 100 || res.status >= 300) {
    throw new DialogError(`A ${res.status} response creates no dialog: only 101-299 do (RFC 3261 §12.1)`);
  }
  const from = getFrom(req);
  const to = getTo(res);
  const localTag = from.params.tag ?? '';
  const remoteTag = to.params.tag ?? '';
  if (localTag === '')
    throw new DialogError('Our request has no From tag, so it cannot form a dialog (§8.1.1.3)');
  if (remoteTag === '') {
    throw new DialogError(`A ${res.status} response without a To tag creates no dialog (RFC 3261 §12.1.2)`);
  }
  const viaTransport = getTopVia(req).transport;
  return {
    id: { callId: getCallId(req), localTag, remoteTag },
    role: 'uac',
    state: res.status < 200 ? 'early' : 'confirmed',
    localUri: untaggedText(from),
    remoteUri: untaggedText(to),
    localSeq: getCSeq(req).seq,
    remoteSeq: null,
    remoteTarget: responseTarget(req, res),
    // The response's Record-Route lists the hops from the UAS back to us; our requests need them reversed.
    routeSet: uacRouteSet(res),
    secure: viaTransport === 'TLS' && req.uri.scheme === 'sips',
    localContact: routeText(singleContact(req, `our ${req.method} request`)),
    transport: transportOf(viaTransport),
  };
}

/** §12.1.2 (and §13.2.2.4 for the 2xx that confirms an early dialog): Record-Route in reverse order. */
export function uacRouteSet(res: SipResponse): string[] {
  return getRecordRoutes(res).map(routeText).reverse();
}

/**
 * The remote target from a response's Contact. A provisional response may lack one (Contact is optional in
 * 1xx, §20 Table 3): the early dialog then targets the Request-URI until the 2xx, which must carry a Contact.
 */
export function responseTarget(req: SipRequest, res: SipResponse): string {
  const contacts = getContacts(res);
  if (contacts !== '*' && contacts.length > 0) return uriText(contacts[0]!.uri);
  if (res.status < 200) return uriText(req.uri);
  throw new DialogError(
    `A ${res.status} response to ${req.method} has no Contact (RFC 3261 §12.1.2 needs one)`,
  );
}

function singleContact(msg: SipMessage, what: string): NameAddr {
  const contacts = getContacts(msg);
  if (contacts === '*' || contacts.length === 0) {
    throw new DialogError(`The ${what} has no usable Contact, so no dialog can be formed (RFC 3261 §12.1)`);
  }
  return contacts[0]!;
}

function routeText(na: NameAddr): string {
  // Route and Record-Route values are copied whole, parameters included (§12.1.1, §12.1.2).
  return formatNameAddr(na);
}

function transportOf(viaTransport: string): TransportProtocol {
  // We send on UDP and TCP only (SPEC S2.2); UDP is the one every UA must support (RFC 3261 §18).
  return viaTransport === 'TCP' ? 'TCP' : 'UDP';
}
