/** SIP dialogs (RFC 3261 §12) as plain, replicable data. */
export { dialogFromUacResponse, dialogFromUasRequest, dialogId, type UasDialogOptions } from './create.ts';
export { DEFAULT_SIP_PORT, nextHopOf } from './next-hop.ts';
export {
  buildAck,
  buildInDialogRequest,
  type InDialogRequest,
  type InDialogRequestOptions,
  MAX_FORWARDS,
} from './request.ts';
export {
  DialogError,
  type DialogId,
  type DialogPhase,
  type DialogRole,
  type DialogState,
  dialogKey,
  sameDialogId,
  validateDialogState,
} from './state.ts';
export {
  type AcceptedRequest,
  confirm,
  onInDialogRequest,
  onInDialogResponse,
  type RejectedRequest,
  terminate,
} from './update.ts';
