/**
 * Building a request inside a dialog (RFC 3261 §12.2.1.1), as a pure function of the dialog state: the new
 * state comes back with the request, so the caller can replicate it before (or with) sending.
 */
import { formatNameAddr, formatVia } from '../message/index.ts';
import type { HeaderField, SipRequest, SipUri, Uri } from '../message/types.ts';
import type { Destination, TransportProtocol } from '../transport/types.ts';
import { nextHopOf } from './next-hop.ts';
import { DialogError, type DialogState } from './state.ts';
import { isSipUri, nameAddrOf, taggedText, uriOf } from './stored-text.ts';

export interface InDialogRequestOptions {
  /** The top Via branch: unique per transaction and starting with the RFC 3261 magic cookie (§8.1.1.7). */
  branch: string;
  /** Our sent-by address for the Via (§18.1.1). */
  viaHost: string;
  viaPort: number;
  /** Transport when the next hop's URI has no `;transport=`; default the dialog's own (state.transport). */
  transport?: TransportProtocol;
  body?: Uint8Array | string;
  /** Required with a non-empty body (§7.4.1). */
  contentType?: string;
  /** Further header fields (Authorization, Allow, Supported, Event, ...), appended in order. */
  headers?: readonly HeaderField[];
}

export interface InDialogRequest {
  request: SipRequest;
  /** The dialog after sending: localSeq advanced, unless the method was ACK or CANCEL. */
  state: DialogState;
  /** The next hop the request must be sent to. */
  destination: Destination;
}

/** RFC 3261 §8.1.1.6: the initial Max-Forwards value a UAC SHOULD use. */
export const MAX_FORWARDS = 70;

/** §8.1.1.7: branches of RFC 3261 transactions start with this cookie. */
const MAGIC_COOKIE = 'z9hG4bK';

/**
 * Methods whose requests carry our Contact: the target refresh requests (INVITE §12.2.1.1, UPDATE RFC 3311,
 * SUBSCRIBE and NOTIFY RFC 6665 §4.1.2, §4.2.2) and REFER (RFC 3515 §2.2). BYE and CANCEL must not carry one
 * (§20, Table 3: "not applicable").
 */
const CARRIES_CONTACT = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

/**
 * A request of `method` in the dialog. The CSeq is localSeq + 1 (§12.2.1.1), except for ACK and CANCEL, which
 * belong to the request they acknowledge or cancel and reuse its number (§9.1, §13.2.2.4): for those,
 * localSeq must still be that request's number. An ACK for a 2xx is best built with buildAck.
 */
export function buildInDialogRequest(
  state: DialogState,
  method: string,
  opts: InDialogRequestOptions,
): InDialogRequest {
  if (state.state === 'terminated') {
    throw new DialogError(`Cannot send ${method} in dialog ${state.id.callId}: the dialog is terminated`);
  }
  // §15: "the callee's UA ... MUST NOT send a BYE on early dialogs"; it must answer the INVITE instead.
  if (method === 'BYE' && state.role === 'uas' && state.state === 'early') {
    throw new DialogError(
      'A UAS cannot send BYE on an early dialog; send a final response to the INVITE (§15)',
    );
  }
  const reuses = method === 'ACK' || method === 'CANCEL';
  const seq = reuses ? state.localSeq : state.localSeq + 1;
  if (seq >= 2 ** 31) throw new DialogError(`CSeq ${seq} would exceed 2^31-1 (RFC 3261 §8.1.1.5)`);
  const next: DialogState = reuses ? state : { ...state, localSeq: seq };
  return { ...compose(state, method, seq, opts), state: next };
}

/**
 * §13.2.2.4: the ACK for a 2xx to an INVITE (or re-INVITE) numbered `inviteCSeq`: built like any in-dialog
 * request, with the INVITE's CSeq number and method ACK, in its own transaction (a new branch). Credentials the
 * INVITE carried go in `opts.headers`. The dialog state is unchanged.
 */
export function buildAck(
  state: DialogState,
  inviteCSeq: number,
  opts: InDialogRequestOptions,
): InDialogRequest {
  if (!Number.isInteger(inviteCSeq) || inviteCSeq < 0 || inviteCSeq >= 2 ** 31) {
    throw new DialogError(`ACK CSeq ${inviteCSeq} is not a valid sequence number (RFC 3261 §8.1.1.5)`);
  }
  return { ...compose(state, 'ACK', inviteCSeq, opts), state };
}

function compose(
  state: DialogState,
  method: string,
  seq: number,
  opts: InDialogRequestOptions,
): { request: SipRequest; destination: Destination } {
  if (!/^[A-Za-z0-9.!%*_+`'~-]+$/.test(method))
    throw new DialogError(`${JSON.stringify(method)} is not a method`);
  if (!opts.branch.startsWith(MAGIC_COOKIE)) {
    throw new DialogError(
      `Via branch ${JSON.stringify(opts.branch)} must start with ${MAGIC_COOKIE} (§8.1.1.7)`,
    );
  }
  const body =
    typeof opts.body === 'string' ? new TextEncoder().encode(opts.body) : (opts.body ?? new Uint8Array());
  if (body.length > 0 && !opts.contentType) {
    throw new DialogError(`A ${method} with a body needs a contentType (RFC 3261 §7.4.1)`);
  }

  const target = uriOf(state.remoteTarget, 'remoteTarget');
  let requestUri: Uri = target;
  let routes = state.routeSet;
  let hop: Uri = target;
  if (state.routeSet.length > 0) {
    const first = nameAddrOf(state.routeSet[0]!, 'routeSet[0]').uri;
    hop = first;
    if (!(isSipUri(first) && first.params.lr !== undefined)) {
      // §12.2.1.1 strict routing: the first route becomes the Request-URI and the remote target travels as the
      // last Route, so that a strict router (RFC 2543) finds the next hop in the Request-URI.
      requestUri = requestUriForm(first);
      routes = [...state.routeSet.slice(1), formatNameAddr({ uri: target, params: {} })];
    }
  }
  const destination = nextHopOf(hop, opts.transport ?? state.transport);

  const h = (name: string, value: string): HeaderField => ({ name, value });
  const headers: HeaderField[] = [
    h(
      'Via',
      formatVia({
        protocol: 'SIP/2.0',
        transport: destination.transport,
        host:
          opts.viaHost.includes(':') && !opts.viaHost.startsWith('[') ? `[${opts.viaHost}]` : opts.viaHost,
        port: opts.viaPort,
        params: { branch: opts.branch },
      }),
    ),
    h('Max-Forwards', String(MAX_FORWARDS)),
    ...routes.map((r) => h('Route', r)),
    h('From', taggedText(state.localUri, state.id.localTag, 'localUri')),
    h('To', taggedText(state.remoteUri, state.id.remoteTag, 'remoteUri')),
    h('Call-ID', state.id.callId),
    h('CSeq', `${seq} ${method}`),
  ];
  if (CARRIES_CONTACT.has(method)) headers.push(h('Contact', state.localContact));
  if (opts.headers) headers.push(...opts.headers);
  if (body.length > 0) headers.push(h('Content-Type', opts.contentType!));
  headers.push(h('Content-Length', String(body.length)));

  const request: SipRequest = { kind: 'request', version: 'SIP/2.0', method, uri: requestUri, headers, body };
  return { request, destination };
}

/** §12.2.1.1 / §19.1.1 Table 1: a Request-URI may not carry the `method` parameter or URI headers. */
function requestUriForm(uri: Uri): Uri {
  if (!isSipUri(uri)) return uri;
  const { method: _method, ...params } = uri.params;
  const clean: SipUri = { ...uri, params, headers: {} };
  return clean;
}
