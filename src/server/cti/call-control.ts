/**
 * What the CTI server needs of the B2BUA (SPEC S3): third-party call control, each request validated and
 * started synchronously (progress comes back as CallEvents), and the calls a DN takes part in. B2bua
 * implements it (server/b2bua/b2bua.ts); tests may give a fake.
 */
import type { ConnID } from '../../model/call/call.ts';
import type { PartyState } from '../../model/call/party.ts';
import type { CallControlResult, RequestFailureListener } from '../b2bua/call-events.ts';

/** One call a DN takes part in, as RequestQueryAddress and the promotion resend report it. */
export interface DnCall {
  connId: ConnID;
  partyState: PartyState;
  otherDn: string | null;
  callType: 'Internal' | 'Inbound' | 'Outbound';
  userData?: Record<string, string>;
}

export interface CallControl {
  makeCall(
    originDn: string,
    destination: string,
    userData: Record<string, string>,
  ): CallControlResult<{ connId: ConnID }>;
  answerCall(connId: ConnID, dn: string): CallControlResult;
  releaseCall(connId: ConnID, dn: string): CallControlResult;
  holdCall(connId: ConnID, dn: string): CallControlResult;
  retrieveCall(connId: ConnID, dn: string): CallControlResult;
  initiateTransfer(
    connId: ConnID,
    dn: string,
    destination: string,
    userData: Record<string, string>,
  ): CallControlResult<{ connId: ConnID }>;
  completeTransfer(heldConnId: ConnID, consultConnId: ConnID, dn: string): CallControlResult;
  singleStepTransfer(connId: ConnID, dn: string, destination: string): CallControlResult;
  updateUserData(connId: ConnID, data: Record<string, string>, mode: 'attach' | 'update'): CallControlResult;
  /** `rpDn`: the Routing Point the call must be parked on (ThisDN of RequestRouteCall). */
  routeParked(connId: ConnID, destination: string, rpDn?: string): CallControlResult;
  callsOf(dn: string): DnCall[];
  /**
   * Accepted requests whose SIP part failed later (hold/retrieve re-INVITE, answer NOTIFY): the CTI server
   * subscribes when it starts and answers the waiting request with EventError RequestFailed.
   */
  onRequestFailed?(listener: RequestFailureListener): () => void;
}
