/**
 * The seam between the B2BUA and the CTI server (SPEC S3): what happened to a call, as seen from one DN, and the
 * outcome of a third-party call-control request. The B2BUA emits a CallEvent for every party DN whose state
 * changes (only while it may act: the backup emits nothing); the CTI server turns each into the T-Library event
 * of the same name and sends it to the clients registered on `thisDn`.
 */
import type { CallType, ConnID } from '../../model/call/call.ts';

export type CallEventType =
  | 'Dialing'
  | 'NetworkReached'
  | 'Ringing'
  | 'Established'
  | 'Held'
  | 'Retrieved'
  | 'Released'
  | 'RouteRequest'
  | 'RouteUsed'
  | 'PartyChanged'
  | 'AttachedDataChanged';

/** T-Library's CallState of an event: how the call came to be where it is. */
export type CtiCallState = 'Ok' | 'Transferred' | 'Redirected' | 'Busy' | 'NoAnswer' | 'Dropped' | 'Rejected';

export interface CallEvent {
  type: CallEventType;
  connId: ConnID;
  /** The DN the event is about; clients registered on it receive it. */
  thisDn: string;
  /** The other party as this DN sees it (the caller's number on an inbound call, the destination dialed). */
  otherDn: string | null;
  callType: CallType;
  callState: CtiCallState;
  /** A copy of the call's user data at the time of the event. */
  userData: Record<string, string>;
  /** PartyChanged: the ConnID the DN knew the call by before a transfer merged it. */
  previousConnId?: ConnID;
  /** Transfers: the DN that transferred the call. */
  thirdPartyDn?: string;
  /** Released: why (e.g. "caller hung up", "486 Busy Here"). */
  cause?: string;
}

/** Why a call-control request was refused; the CTI server maps each to an ErrorCode (protocol.ts). */
export type CallControlErrorKind =
  | 'no-such-call'
  | 'not-a-party'
  | 'invalid-state'
  | 'invalid-destination'
  | 'no-contact'
  | 'not-supported'
  | 'backup-mode';

export type CallControlResult<T = Record<never, never>> =
  | ({ ok: true } & T)
  | { ok: false; kind: CallControlErrorKind; message: string };

export type CallEventListener = (event: CallEvent) => void;
