/**
 * A dialog (RFC 3261 §12) as plain data.
 *
 * Everything here is strings, numbers, booleans, null and arrays, so that `JSON.parse(JSON.stringify(state))`
 * is an equal, fully usable state: the HA backup receives it over the link and, after a takeover, must be able
 * to send a BYE or re-INVITE on a call it never saw being set up (SPEC S2.3, S4.3). URIs are therefore kept as
 * text and parsed again when a request is built.
 */
import type { TransportProtocol } from '../transport/types.ts';

/** §12: a dialog is identified at each UA by Call-ID, local tag and remote tag. */
export interface DialogId {
  callId: string;
  localTag: string;
  /**
   * The peer's tag. Empty only for a UAS dialog created by an RFC 2543 UAC whose From had no tag
   * (§12.1.1 allows that "for backwards compatibility"); then no tag is put on the To of our requests.
   */
  remoteTag: string;
}

/** Which side of the dialog-creating transaction this UA was (§12.1.1 UAS, §12.1.2 UAC). */
export type DialogRole = 'uac' | 'uas';

/** §12: early (created by a 1xx), confirmed (2xx), terminated. */
export type DialogPhase = 'early' | 'confirmed' | 'terminated';

export interface DialogState {
  id: DialogId;
  role: DialogRole;
  state: DialogPhase;
  /** Our name-addr text without tag: From of our requests (the From of the INVITE for a UAC, its To for a UAS). */
  localUri: string;
  /** The peer's name-addr text without tag: To of our requests. */
  remoteUri: string;
  /** The CSeq number of the last request we sent in this dialog; the next one uses localSeq + 1 (§12.2.1.1). */
  localSeq: number;
  /** The highest CSeq number received from the peer; null while it has sent nothing in the dialog (§12.2.2). */
  remoteSeq: number | null;
  /** The peer's Contact URI, as text: the Request-URI of our requests under loose routing (§12.2.1.1). */
  remoteTarget: string;
  /** Route set as name-addr texts, in the order our requests carry them (§12.1.1, §12.1.2). */
  routeSet: string[];
  /** §12.1.1: TLS and a SIPS Request-URI at creation; later requests must then use sips (not enforced here). */
  secure: boolean;
  /** Our Contact header value (name-addr text), put on target refresh requests (§12.2.1.1). */
  localContact: string;
  /** Transport to use when the next hop's URI has no `;transport=` parameter. */
  transport: TransportProtocol;
}

/** A dialog operation that cannot be done, with a message naming the fault and the rule. */
export class DialogError extends Error {
  override name = 'DialogError';
}

/** A string key for maps of dialogs. Call-IDs and tags contain no space (§25.1 word and token). */
export function dialogKey(id: DialogId): string {
  return `${id.callId} ${id.localTag} ${id.remoteTag}`;
}

/** Call-ID compares byte by byte (§20.8); tags are compared exactly as well. */
export function sameDialogId(a: DialogId, b: DialogId): boolean {
  return a.callId === b.callId && a.localTag === b.localTag && a.remoteTag === b.remoteTag;
}

/**
 * Checks that a value received from elsewhere (the HA link, a store) is a well-formed DialogState, so that a
 * corrupt record fails here with the field named, not later while building a request.
 */
export function validateDialogState(value: unknown): DialogState {
  const fail = (field: string, want: string): never => {
    throw new DialogError(`Invalid dialog state: ${field} must be ${want}`);
  };
  if (!isObject(value)) return fail('the value', 'an object');
  const id = value.id;
  if (!isObject(id)) return fail('id', 'an object');
  for (const f of ['callId', 'localTag', 'remoteTag'] as const) {
    if (typeof id[f] !== 'string') fail(`id.${f}`, 'a string');
  }
  if (id.callId === '' || id.localTag === '') fail('id.callId and id.localTag', 'non-empty');
  if (value.role !== 'uac' && value.role !== 'uas') fail('role', "'uac' or 'uas'");
  if (value.state !== 'early' && value.state !== 'confirmed' && value.state !== 'terminated') {
    fail('state', "'early', 'confirmed' or 'terminated'");
  }
  for (const f of ['localUri', 'remoteUri', 'remoteTarget', 'localContact'] as const) {
    if (typeof value[f] !== 'string' || value[f] === '') fail(f, 'a non-empty string');
  }
  if (!isSeq(value.localSeq)) fail('localSeq', 'an integer in 0..2^31-1');
  if (value.remoteSeq !== null && !isSeq(value.remoteSeq))
    fail('remoteSeq', 'null or an integer in 0..2^31-1');
  const routes = value.routeSet;
  if (!Array.isArray(routes) || !routes.every((r) => typeof r === 'string'))
    fail('routeSet', 'an array of strings');
  if (typeof value.secure !== 'boolean') fail('secure', 'a boolean');
  if (value.transport !== 'UDP' && value.transport !== 'TCP') fail('transport', "'UDP' or 'TCP'");
  return value as unknown as DialogState;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** §8.1.1.5: a CSeq sequence number is a 32-bit unsigned integer less than 2^31. */
function isSeq(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 31;
}
