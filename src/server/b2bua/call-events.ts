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

/** The requests whose SIP part runs after the B2BUA accepted them, and may fail then. */
export type AsyncControlRequest = 'answer' | 'hold' | 'retrieve';

/**
 * A request the B2BUA accepted (it returned ok) whose SIP part failed afterwards: the re-INVITE of a hold or
 * retrieve, or the NOTIFY Event: talk of an answer, was refused, not answered or not deliverable. The call is
 * unchanged (no call event follows); the CTI server answers the request with EventError RequestFailed. Like
 * call events, reported only while this server may act.
 */
export interface RequestFailure {
  request: AsyncControlRequest;
  connId: ConnID;
  /** The DN the request was made for (its ThisDN). */
  dn: string;
  /** The SIP outcome: the final status (408 when unanswered, 503 when not deliverable) and its reason. */
  status: number;
  reason: string;
  /** What failed and what it means, for people. */
  message: string;
}

export type RequestFailureListener = (failure: RequestFailure) => void;
