/**
 * A SIP leg of a call: one dialog between the server and one endpoint (the caller's phone, the callee's phone,
 * a trunk). Everything needed to act on the leg later, in another process (the backup after a takeover), is
 * here as plain data: the dialog state (CSeq, route set, remote target, tags), and while the leg's INVITE is
 * still unanswered, the INVITE itself as text, so that the new primary can still answer it (a ringing call
 * survives) or cancel it.
 */
import type { DialogState } from '../../sip/dialog/state.ts';
import type { Destination } from '../../sip/transport/types.ts';

export type LegSide = 'caller' | 'callee';

/** trying: INVITE sent/received, no dialog yet; early: a provisional with a tag; confirmed: 2xx; ended. */
export type LegState = 'trying' | 'early' | 'confirmed' | 'ended';

export type HoldState = 'active' | 'held';

export interface Leg {
  /** Unique in the call: "a" for the caller's leg, "b1", "b2", ... for each outbound attempt. */
  id: string;
  side: LegSide;
  /** The DN this leg reaches (the caller's DN, the callee's DN, or the Trunk DN). */
  dn: string;
  state: LegState;
  /** The SIP Call-ID of this leg (each B2BUA leg has its own). */
  callId: string;
  /** Dialog state once a tag pair exists. */
  dialog: DialogState | null;
  /** Caller side, unanswered: the received INVITE (text), to build its final response later. */
  pendingInvite: string | null;
  /** Callee side, unanswered: the INVITE we sent (text) and where, to CANCEL or match its responses. */
  sentInvite: { text: string; destination: Destination } | null;
  /** The local tag this server uses on the leg (our To tag on the caller side, our From tag on callee sides). */
  localTag: string;
  hold: HoldState;
  /** The last SDP this endpoint sent (an offer or answer), kept to bridge re-INVITEs and hold. */
  remoteSdp: string | null;
  /**
   * Third-party call control (RFC 3725): the server sent this leg's INVITE although the leg is the caller's
   * side (the origin phone of a RequestMakeCall, rung with an auto-answer hint). Its INVITE is then in
   * `sentInvite` until its 2xx, which is ACKed at once with a held answer (RFC 3725 flow IV); the phone is
   * re-INVITEd with the destination's media when the destination answers.
   */
  initiatedByServer?: boolean;
  /** The last SDP this server sent to the endpoint when it chose it itself (hold, retrieve, transfers). */
  localSdp?: string | null;
}
