/**
 * How a dialog changes with the requests and responses exchanged inside it (RFC 3261 §12.2, §12.3). Pure: each
 * function returns a new state and never modifies the one it is given.
 */
import { getCallId, getContacts, getCSeq, getFrom, getTo } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import { uacRouteSet } from './create.ts';
import { DialogError, type DialogState } from './state.ts';
import { uriText } from './stored-text.ts';

/**
 * Target refresh requests (their Contact replaces the remote target): re-INVITE (§12.2), UPDATE (RFC 3311 §5.2),
 * SUBSCRIBE and NOTIFY (RFC 6665 §4.1.2, §4.2.2).
 */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY']);

/** The request may go on to the transaction user, and the dialog becomes `state`. */
export interface AcceptedRequest {
  state: DialogState;
}

/** The request must be answered with `reject` (and the dialog is unchanged); `reason` is a fit reason phrase. */
export interface RejectedRequest {
  reject: 481 | 500;
  reason: string;
}

/**
 * §12.2.2: a request received inside the dialog. Out-of-order CSeq is refused with 500; a request for another
 * or an ended dialog with 481 (§12.2.2: "the UAS ... SHOULD respond ... 481"). A BYE that is accepted ends the
 * dialog (§15.1.2).
 */
export function onInDialogRequest(state: DialogState, req: SipRequest): AcceptedRequest | RejectedRequest {
  const fromTag = getFrom(req).params.tag ?? '';
  const toTag = getTo(req).params.tag ?? '';
  if (getCallId(req) !== state.id.callId || toTag !== state.id.localTag || fromTag !== state.id.remoteTag) {
    return { reject: 481, reason: 'Call/Transaction Does Not Exist' };
  }
  if (state.state === 'terminated') return { reject: 481, reason: 'Call/Transaction Does Not Exist' };

  const seq = getCSeq(req).seq;
  // ACK and CANCEL carry the number of the INVITE they belong to, which was already recorded (§13.2.2.4, §9.1).
  if (state.remoteSeq !== null && seq < state.remoteSeq && req.method !== 'ACK' && req.method !== 'CANCEL') {
    return { reject: 500, reason: `CSeq ${seq} Out of Order (last was ${state.remoteSeq})` };
  }
  let next: DialogState =
    state.remoteSeq === null || seq > state.remoteSeq ? { ...state, remoteSeq: seq } : state;

  if (TARGET_REFRESH.has(req.method)) {
    const contacts = getContacts(req);
    if (contacts !== '*' && contacts.length > 0) next = { ...next, remoteTarget: uriText(contacts[0]!.uri) };
  }
  if (req.method === 'BYE') next = { ...next, state: 'terminated' };
  return { state: next };
}

/**
 * §12.2.1.2 and §12.3: the response `res` to the request `req` we sent in (or to create) this dialog.
 * - 481 or 408: the dialog is gone or unreachable, so it terminates.
 * - A non-2xx final response to the INVITE of an early dialog terminates it (§12.3).
 * - A 2xx to the INVITE of an early dialog confirms it and recomputes the route set (UAC) and the remote target
 *   from that 2xx (§13.2.2.4).
 * - A 2xx to a target refresh request replaces the remote target with its Contact (§12.2.1.2).
 * - A 2xx to a BYE ends the dialog (§15.1.1).
 * Throws DialogError when the messages are not of this dialog: a 2xx with another To tag is a forked dialog,
 * to be created with dialogFromUacResponse.
 */
export function onInDialogResponse(state: DialogState, req: SipRequest, res: SipResponse): DialogState {
  const fromTag = getFrom(req).params.tag ?? '';
  if (getCallId(req) !== state.id.callId || fromTag !== state.id.localTag) {
    throw new DialogError(
      `The ${req.method} request (Call-ID ${getCallId(req)}) was not sent in this dialog`,
    );
  }
  if (getCSeq(res).seq !== getCSeq(req).seq || getCSeq(res).method !== req.method) {
    throw new DialogError(
      `The ${res.status} response (CSeq ${getCSeq(res).seq}) does not answer ${req.method}`,
    );
  }
  if (state.state === 'terminated' || res.status < 200) return state;
  if (res.status === 481 || res.status === 408) return { ...state, state: 'terminated' };
  if (res.status >= 300) {
    return state.state === 'early' && req.method === 'INVITE' ? { ...state, state: 'terminated' } : state;
  }

  const toTag = getTo(res).params.tag ?? '';
  if (toTag !== state.id.remoteTag) {
    throw new DialogError(
      `A ${res.status} with To tag ${JSON.stringify(toTag)} belongs to another dialog than remote tag ` +
        `${JSON.stringify(state.id.remoteTag)} (a forked answer: create it with dialogFromUacResponse)`,
    );
  }
  const contacts = getContacts(res);
  const target = contacts !== '*' && contacts.length > 0 ? uriText(contacts[0]!.uri) : undefined;
  if (state.state === 'early' && req.method === 'INVITE') {
    const confirmed: DialogState = {
      ...state,
      state: 'confirmed',
      remoteTarget: target ?? state.remoteTarget,
    };
    return state.role === 'uac' ? { ...confirmed, routeSet: uacRouteSet(res) } : confirmed;
  }
  if (req.method === 'BYE') return { ...state, state: 'terminated' };
  if (TARGET_REFRESH.has(req.method) && target !== undefined) return { ...state, remoteTarget: target };
  return state;
}

/** §12.1.1: a UAS dialog created early becomes confirmed when the UAS sends its 2xx. */
export function confirm(state: DialogState): DialogState {
  if (state.state === 'terminated') throw new DialogError('A terminated dialog cannot be confirmed');
  return state.state === 'confirmed' ? state : { ...state, state: 'confirmed' };
}

/** The dialog has ended (BYE sent or received, session timer expiry, local decision). */
export function terminate(state: DialogState): DialogState {
  return state.state === 'terminated' ? state : { ...state, state: 'terminated' };
}
