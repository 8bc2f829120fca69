/**
 * Third-party call control (SPEC S3, RequestMakeCall ... RequestRouteCall) on the B2BUA's calls. Each request
 * is validated and started synchronously; what follows is reported by call events. Refusals change nothing.
 * Made calls follow RFC 3725 §4.1 flow IV (see makeCall): the origin DN's phone is INVITEd without SDP and
 * ACKed at once on hold, its offer goes to the destination, and the destination's answer comes to the phone in
 * a re-INVITE. The SIP bridging itself (legs, routing, release) is the core's (b2bua.ts), reached through the
 * narrow CallCore interface below.
 */
import type { Call, ConnID, Deadline } from '../../model/call/call.ts';
import { newConnId } from '../../model/call/call.ts';
import type { Leg } from '../../model/call/leg.ts';
import type { Party, PartyState } from '../../model/call/party.ts';
import type { StoreRecord } from '../../model/store/records.ts';
import { dialogFromUacResponse } from '../../sip/dialog/create.ts';
import type { DialogState } from '../../sip/dialog/state.ts';
import { onInDialogResponse } from '../../sip/dialog/update.ts';
import { createRequest } from '../../sip/message/build.ts';
import { getCSeq, getTo } from '../../sip/message/headers.ts';
import type { HeaderField, SipRequest, SipResponse } from '../../sip/message/types.ts';
import { parseUri } from '../../sip/message/uri.ts';
import type { InviteClientTransaction } from '../../sip/transaction/invite-client.ts';
import type { Destination } from '../../sip/transport/types.ts';
import type { ServerContext } from '../context.ts';
import type { CallEventEmitter } from './call-event-emitter.ts';
import type { CallControlErrorKind, CallControlResult, CallEvent, CtiCallState } from './call-events.ts';
import { ALLOW, bodyText, IGNORE_RESPONSES, toText } from './messages.ts';
import { activePartyOf, callStateOfStatus, callsOfDn, type DnCallView, partyOf } from './party-view.ts';
import { type DialogOps, reinvite } from './reinvite.ts';
import {
  blackHoleAnswer,
  holdSdp,
  mediaTargets,
  nextVersionOf,
  rejectingAnswer,
  retrieveSdp,
  serverOrigin,
  withOriginOf,
} from './sdp.ts';
import type { Origin, Target } from './targets.ts';

/** The part of a call's transient runtime (this process only, not replicated) call control uses. */
export interface ControlRuntime {
  inviteTx: Map<string, InviteClientTransaction>;
  /** ACKs that carried an SDP answer, by "Call-ID CSeq": re-sent as they were for a retransmitted 2xx. */
  acks: Map<string, string>;
  /** The number dialed through the trunks (the call's dialed digits, or a transfer's destination). */
  trunkNumber?: string;
  /** A hold, retrieve or transfer re-INVITE of this call is in progress. */
  mediaBusy?: boolean;
}

/** What call control needs of the B2BUA core (b2bua.ts). */
export interface CallCore extends DialogOps {
  runtimeOf(connId: ConnID): ControlRuntime;
  /** The call's runtime if this process has one (creating none). */
  peekRuntime(connId: ConnID): ControlRuntime | undefined;
  /** Commits a record, only while this server may act. */
  commit(record: StoreRecord): void;
  setPartyState(connId: ConnID, dn: string, state: PartyState): void;
  setDeadline(connId: ConnID, deadline: Deadline | null): void;
  /** The leg bridged with `legId`. */
  peerOf(call: Readonly<Call>, legId: string): Readonly<Leg> | undefined;
  /** Ends a call (BYE, CANCEL or a final response per leg; EventReleased on every party). */
  release(
    connId: ConnID,
    cause: string,
    toCaller?: { status: number; reason: string },
    byeFrom?: string,
    callState?: CtiCallState,
  ): void;
  /** Sends the call on to a resolved target (rings a phone, parks, tries the trunks). */
  route(connId: ConnID, target: Target): void;
  /** Resolves a destination as dialed by `origin` (with the core's trunk rotation). */
  resolve(dialed: string, origin: Origin): Target;
  /** Where a DN's phone is: its registered contact, else its fixed `contact` option. */
  reachDn(dn: string): { uri: string; destination: Destination } | undefined;
  /** ACKs and hangs up a 2xx for a leg nobody wants any more. */
  ackAndByeOrphan(res: SipResponse): void;
  contactHeader(): HeaderField;
  /** The server's hook for a new call (counters). */
  callCreated(call: Readonly<Call>): void;
}

export class ThirdPartyCallControl {
  constructor(
    private readonly ctx: ServerContext,
    private readonly core: CallCore,
    private readonly events: CallEventEmitter,
  ) {}

  /**
   * RequestMakeCall, third-party call control after RFC 3725 §4.1 flow IV. The origin DN's phone (A) is rung
   * first, without SDP and with the auto-answer hints (Call-Info answer-after=0, Alert-Info
   * info=alert-autoanswer); its 2xx carries an offer (offer1), which is ACKed at once with a "black hole"
   * answer (the same m-lines and formats, c=0.0.0.0, a=inactive: see blackHoleAnswer). offer1 goes to the
   * destination (B) in a normal INVITE; when B answers (answer1), A is re-INVITEd with answer1 as its new offer
   * (under the leg's o= line, version 2), A answers, ACK (connectOrigin).
   *
   * Why this flow. Flow I (ACK A only with B's answer) is what §4.1 itself warns about: A's 2xx waits for its
   * ACK while B rings, and A gives up after 64*T1 = 32 s (RFC 3261 §13.3.1.4) - an outbound call that rings
   * 30-60 s, normal in a contact center, would drop the agent's phone. Flow II sends B an INVITE without SDP:
   * trunks and gateways then have no offer for early media / ringback, many refuse or mishandle offerless
   * INVITEs, and B's 2xx in turn waits for an ACK carrying A's answer to a re-INVITE. Flow IV
   * keeps B's INVITE a plain INVITE with A's real offer (what every trunk and phone takes, and what the
   * sipp scenarios of the tests play), and only A, which just auto-answered, sees the re-INVITE; its content
   * is B's answer to A's own offer, so A's codecs, nothing A could refuse. (A re-INVITE of A without SDP,
   * to relay a fresh offer to B, would also re-INVITE B and risk glare on both legs.) The cost: A is
   * re-INVITEd once, and if A answers it with media elsewhere than its first offer, B is re-INVITEd too.
   */
  makeCall(
    originDn: string,
    destination: string,
    userData: Record<string, string> = {},
  ): CallControlResult<{ connId: ConnID }> {
    const refused = this.refuseUnlessPrimary() ?? badUserData(userData);
    if (refused) return refused;
    const plan = this.planThirdPartyCall(originDn, destination);
    if (!plan.ok) return plan;
    return this.startThirdPartyCall(originDn, destination, userData, plan);
  }

  /** RequestAnswerCall: only phones that answer on `NOTIFY Event: talk` (DN option sip-cti-control). */
  answerCall(connId: ConnID, dn: string): CallControlResult {
    const found = this.findParty(connId, dn);
    if (!found.ok) return found;
    const { call, party } = found;
    const leg = lastLeg(call, (l) => l.dn === dn && l.side === 'callee');
    if (party.state !== 'Ringing' || !leg || (leg.state !== 'trying' && leg.state !== 'early')) {
      return fail('invalid-state', `call ${connId} is not ringing on DN ${dn} (it is ${party.state})`);
    }
    if (!ctiControlOf(this.ctx.dn(dn)?.options.sipCtiControl).has('talk')) {
      return fail(
        'not-supported',
        `DN ${dn}'s phone cannot be answered remotely: set the DN option sip-cti-control to include "talk" ` +
          'if the phone answers on NOTIFY Event: talk',
      );
    }
    const reach = this.core.reachDn(dn);
    if (!reach) return fail('no-contact', `DN ${dn} has no registered phone`);
    this.sendTalkNotify(connId, dn, reach);
    this.logControl('answer', dn, connId, 'NOTIFY Event: talk sent');
    return { ok: true };
  }

  /** RequestReleaseCall: `dn` leaves; a two-party call ends (BYE, CANCEL or a final response per leg). */
  releaseCall(connId: ConnID, dn: string): CallControlResult {
    const found = this.findParty(connId, dn);
    if (!found.ok) return found;
    const toCaller =
      found.party.role === 'Origination'
        ? { status: 487, reason: 'Request Terminated' }
        : { status: 480, reason: `Released by ${dn}` };
    this.logControl('release', dn, connId, 'released');
    this.core.release(connId, `released by ${dn}`, toCaller, undefined, 'Ok');
    return { ok: true };
  }

  /** RequestHoldCall: the other party is re-INVITEd with hold SDP (its DN's sip-hold-rfc3264 convention). */
  holdCall(connId: ConnID, dn: string): CallControlResult {
    const found = this.mediaTarget(connId, dn);
    if (!found.ok) return found;
    const { party, dnLeg, other } = found;
    if (party.state === 'Held') return fail('invalid-state', `DN ${dn} already holds call ${connId}`);
    if (party.state !== 'Established') {
      return fail('invalid-state', `call ${connId} is not established on DN ${dn} (it is ${party.state})`);
    }
    const base = dnLeg.remoteSdp;
    if (!base) return fail('invalid-state', `call ${connId} has no media description of DN ${dn} to hold`);
    const rfc3264 = this.ctx.dn(other.dn)?.options.sipHoldRfc3264 === true;
    const sdp = nextVersionOf(holdSdp(base, rfc3264), other.localSdp ?? base);
    this.startMediaChange(connId, dn, other.id, sdp, 'hold', () => {
      this.core.updateLeg(connId, dnLeg.id, { hold: 'held' });
      this.core.setPartyState(connId, dn, 'Held');
      this.events.emit(connId, 'Held', dn);
    });
    this.logControl('hold', dn, connId, `re-INVITE to ${other.dn}`);
    return { ok: true };
  }

  /** RequestRetrieveCall: the other party is re-INVITEd with the held DN's media again. */
  retrieveCall(connId: ConnID, dn: string): CallControlResult {
    const found = this.mediaTarget(connId, dn);
    if (!found.ok) return found;
    const { party, dnLeg, other } = found;
    if (party.state !== 'Held') {
      return fail('invalid-state', `call ${connId} is not held by DN ${dn} (it is ${party.state})`);
    }
    const base = dnLeg.remoteSdp;
    if (!base) return fail('invalid-state', `call ${connId} has no media description of DN ${dn}`);
    const sdp = nextVersionOf(retrieveSdp(base, base), other.localSdp ?? base);
    this.startMediaChange(connId, dn, other.id, sdp, 'retrieve', () => {
      this.core.updateLeg(connId, dnLeg.id, { hold: 'active' });
      this.core.setPartyState(connId, dn, 'Established');
      this.events.emit(connId, 'Retrieved', dn);
    });
    this.logControl('retrieve', dn, connId, `re-INVITE to ${other.dn}`);
    return { ok: true };
  }

  /**
   * RequestInitiateTransfer: holds `connId` and makes a consultation call from `dn` to `destination` (a new
   * ConnID; dn's phone is rung again with the auto-answer hints). The consultation call gets the held call's
   * user data with `userData` merged in.
   */
  initiateTransfer(
    connId: ConnID,
    dn: string,
    destination: string,
    userData: Record<string, string> = {},
  ): CallControlResult<{ connId: ConnID }> {
    const found = this.mediaTarget(connId, dn);
    if (!found.ok) return found;
    const bad = badUserData(userData);
    if (bad) return bad;
    if (found.party.state !== 'Established') {
      return fail(
        'invalid-state',
        `call ${connId} is not established on DN ${dn} (it is ${found.party.state})`,
      );
    }
    const plan = this.planThirdPartyCall(dn, destination);
    if (!plan.ok) return plan;
    const held = this.holdCall(connId, dn);
    if (!held.ok) return held;
    return this.startThirdPartyCall(dn, destination, { ...found.call.userData, ...userData }, plan, connId);
  }

  /**
   * RequestCompleteTransfer: the party held in `heldConnId` and the party consulted in `consultConnId` are
   * joined in `heldConnId` (RFC 3725 §4.2 style: the consulted leg is re-INVITEd without SDP, its offer goes
   * to the held leg in a re-INVITE, the held leg's answer back in the ACK); `dn` leaves both calls.
   */
  completeTransfer(heldConnId: ConnID, consultConnId: ConnID, dn: string): CallControlResult {
    const h = this.mediaTarget(heldConnId, dn);
    if (!h.ok) return h;
    const c = this.mediaTarget(consultConnId, dn);
    if (!c.ok) return c;
    if (heldConnId === consultConnId) {
      return fail('invalid-state', 'the held call and the consultation call are the same call');
    }
    if (h.party.state !== 'Held') {
      return fail('invalid-state', `call ${heldConnId} is not held by DN ${dn} (it is ${h.party.state})`);
    }
    if (c.party.state !== 'Established') {
      return fail(
        'invalid-state',
        `consultation call ${consultConnId} is not established on DN ${dn} (it is ${c.party.state})`,
      );
    }
    const held = h.other;
    const consulted = c.other;
    const consultedParty = activePartyOf(c.call, consulted.dn);
    if (!consultedParty || consulted.dn === held.dn) {
      return fail('invalid-state', `DN ${consulted.dn} cannot be joined with ${held.dn}`);
    }
    // The model first: the consulted leg moves into the held call, dn's parties leave both calls.
    const legId = `b${h.call.legs.filter((l) => l.side === 'callee').length + 1}`;
    const heldNumber = numberOfParty(h.call, held.dn);
    // (The leg objects are the store's own: the copy is committed before the consultation call's leg ends.)
    this.core.commit({
      type: 'LegAdded',
      connId: heldConnId,
      leg: { ...consulted, id: legId, side: 'callee' },
    });
    this.core.updateLeg(consultConnId, consulted.id, { state: 'ended' });
    const joined: Party = { dn: consulted.dn, role: 'Destination', state: 'Established' };
    if (consultedParty.number !== undefined) joined.number = consultedParty.number;
    this.core.commit({ type: 'PartyAdded', connId: heldConnId, party: joined });
    this.core.commit({
      type: 'PartyStateChanged',
      connId: consultConnId,
      dn: consulted.dn,
      state: 'Released',
    });
    this.leaveCall(heldConnId, dn, h.dnLeg.id, { otherDn: heldNumber });
    // CallState Transferred: how the call came to these parties (as on EventReleased of the one who left).
    this.events.emit(heldConnId, 'PartyChanged', consulted.dn, {
      previousConnId: consultConnId,
      thirdPartyDn: dn,
      callState: 'Transferred',
    });
    this.events.emit(heldConnId, 'PartyChanged', held.dn, {
      previousConnId: heldConnId,
      thirdPartyDn: dn,
      callState: 'Transferred',
    });
    this.core.release(consultConnId, `transferred by ${dn}`, undefined, undefined, 'Transferred');
    this.ctx.logger.event('10-40033', { connId: heldConnId, dn, to: consulted.dn, consultConnId });
    // Then the media: ask the consulted party for an offer, give it to the held party, answer back.
    const rt = this.core.runtimeOf(heldConnId);
    rt.mediaBusy = true;
    reinvite(this.ctx, this.core, heldConnId, legId, null, (first) => {
      if (!first.ok || !first.sdp) {
        rt.mediaBusy = false;
        if (first.ok) first.ack(undefined);
        this.mediaFailed(heldConnId, consulted.dn, 'transfer', first);
        return;
      }
      const offer = first.sdp;
      reinvite(this.ctx, this.core, heldConnId, held.id, offer, (second) => {
        rt.mediaBusy = false;
        const answer = second.ok && second.sdp ? second.sdp : rejectingAnswer(offer);
        if (first.ok) first.ack(answer);
        this.core.updateLeg(heldConnId, legId, { localSdp: answer });
        if (!second.ok) {
          this.mediaFailed(heldConnId, held.dn, 'transfer', second);
          return;
        }
        this.core.updateLeg(heldConnId, held.id, { hold: 'active' });
      });
    });
    return { ok: true };
  }

  /**
   * RequestSingleStepTransfer: `dn` leaves and the other party is connected to `destination`, which is
   * INVITEd without SDP; its offer goes to the other party in a re-INVITE, the answer back in the ACK. To a
   * Routing Point, the remaining party's call parks there (EventRouteRequest to its routers, router-timeout
   * and default-dn as for any parked call) until routeParked sends it on the same way.
   */
  singleStepTransfer(connId: ConnID, dn: string, destination: string): CallControlResult {
    const found = this.mediaTarget(connId, dn);
    if (!found.ok) return found;
    const { call, party, dnLeg, other } = found;
    if (party.state !== 'Established' && party.state !== 'Held') {
      return fail('invalid-state', `call ${connId} is not established on DN ${dn} (it is ${party.state})`);
    }
    const target = this.core.resolve(destination, { dn, callType: 'Internal' });
    if (target.kind === 'none') {
      return fail('invalid-destination', `cannot transfer to ${destination}: ${target.reason}`);
    }
    if (target.kind === 'phone') {
      if (target.dn === dn || target.dn === other.dn) {
        return fail('invalid-destination', `DN ${destination} is already in call ${connId}`);
      }
      if (!this.core.reachDn(target.dn))
        return fail('invalid-destination', `DN ${destination} is not registered`);
    }
    this.leaveCall(connId, dn, dnLeg.id, { otherDn: numberOfParty(call, other.dn) });
    this.ctx.logger.event('10-40035', { connId, dn, dest: destination });
    if (target.kind === 'routing-point') {
      this.parkTransferred(connId, target.dn);
      return { ok: true };
    }
    if (target.kind === 'trunks') this.core.runtimeOf(connId).trunkNumber = destination;
    this.core.route(connId, target);
    return { ok: true };
  }

  /**
   * An established call whose DN party left (single-step transfer) waits on a Routing Point: the remaining
   * party stays connected to the server (its leg as it is; it hears nothing meanwhile), the Routing Point's
   * routers get EventRouteRequest, and router-timeout runs from now (then default-dn, else the call ends).
   */
  private parkTransferred(connId: ConnID, rpDn: string): void {
    this.core.commit({
      type: 'PartyAdded',
      connId,
      party: { dn: rpDn, role: 'Destination', state: 'Queued' },
    });
    this.core.commit({ type: 'CallStateChanged', connId, state: 'parked' });
    this.events.emit(connId, 'RouteRequest', rpDn);
    const seconds = this.ctx.dn(rpDn)?.options.routerTimeout ?? this.ctx.app().options.tserver.routerTimeout;
    this.core.setDeadline(connId, { kind: 'router-timeout', at: this.ctx.clock.now() + seconds * 1000 });
  }

  /**
   * RequestAttachUserData / RequestUpdateUserData: the keys given replace those of the call, the others stay
   * (both modes merge: T-Library's difference, update adding only absent keys, is not kept). One CallUpdated
   * record, so the user data is synced; EventAttachedDataChanged on every DN party.
   */
  updateUserData(connId: ConnID, data: Record<string, string>, mode: 'attach' | 'update'): CallControlResult {
    const refused = this.refuseUnlessPrimary() ?? badUserData(data);
    if (refused) return refused;
    const call = this.ctx.store.call(connId);
    if (!call) return fail('no-such-call', `no call ${connId}`);
    this.core.commit({ type: 'CallUpdated', connId, changes: { userData: { ...call.userData, ...data } } });
    for (const p of this.ctx.store.call(connId)!.parties) {
      if (p.state !== 'Released') this.events.emit(connId, 'AttachedDataChanged', p.dn);
    }
    this.logControl(mode === 'attach' ? 'attach-user-data' : 'update-user-data', '-', connId, 'merged');
    return { ok: true };
  }

  /** The calls `dn` takes part in, with its party state and the other party (RequestQueryAddress). */
  callsOf(dn: string): DnCallView[] {
    return callsOfDn(this.ctx.store.calls(), dn);
  }

  /**
   * Routes a parked call (RequestRouteCall from a router, or default-dn on timeout): the Routing Point party
   * leaves (EventRouteUsed) and the call goes on to `dest` as if dialed. `rpDn`, when given, must be the
   * Routing Point the call is parked on. A destination that cannot be reached is refused and the call stays
   * parked (the router may choose again).
   */
  routeParked(connId: ConnID, dest: string, rpDn?: string): CallControlResult {
    const refused = this.refuseUnlessPrimary();
    if (refused) return refused;
    const call = this.ctx.store.call(connId);
    if (!call) return fail('no-such-call', `no call ${connId}`);
    const rp = call.parties.find((p) => p.state === 'Queued');
    if (call.state !== 'parked' || !rp) {
      return fail('invalid-state', `call ${connId} is not parked on a Routing Point (it is ${call.state})`);
    }
    if (rpDn !== undefined && rp.dn !== rpDn) {
      return fail('not-a-party', `call ${connId} is parked on Routing Point ${rp.dn}, not on ${rpDn}`);
    }
    const origin: Origin = {
      dn: call.origin,
      callType: call.callType === 'Inbound' ? 'Inbound' : 'Internal',
    };
    const target = this.core.resolve(dest, origin);
    if (target.kind === 'none')
      return fail('invalid-destination', `cannot route to ${dest}: ${target.reason}`);
    // Parked after a single-step transfer: a party is connected already (talking: Established or Held; the
    // origin phone of a made call is answered too, but still Dialing); the destination joins it (INVITE
    // without SDP, its offer to the connected party), as in a single-step transfer to a DN.
    const joining = call.legs.some((l) => {
      const state =
        l.state === 'confirmed' && l.dialog !== null ? activePartyOf(call, l.dn)?.state : undefined;
      return state === 'Established' || state === 'Held';
    });
    if (joining && target.kind === 'phone') {
      if (activePartyOf(call, target.dn)) {
        return fail('invalid-destination', `DN ${target.dn} is already in call ${connId}`);
      }
      if (!this.core.reachDn(target.dn)) {
        return fail('invalid-destination', `DN ${target.dn} is not registered`);
      }
    }
    this.core.commit({ type: 'PartyStateChanged', connId, dn: rp.dn, state: 'Released' });
    this.events.emit(connId, 'RouteUsed', rp.dn, { otherDn: dest });
    this.core.setDeadline(connId, null);
    this.core.commit({ type: 'CallStateChanged', connId, state: joining ? 'established' : 'dialing' });
    this.ctx.logger.event('10-40005', { connId, dn: rp.dn, dest });
    if (target.kind === 'trunks') this.core.runtimeOf(connId).trunkNumber = dest;
    this.core.route(connId, target);
    return { ok: true };
  }

  private refuseUnlessPrimary(): { ok: false; kind: 'backup-mode'; message: string } | undefined {
    return this.ctx.gate.mayAct()
      ? undefined
      : fail('backup-mode', 'this server is the backup; call control requests go to the primary');
  }

  private findParty(
    connId: ConnID,
    dn: string,
  ):
    | { ok: true; call: Readonly<Call>; party: Readonly<Party> }
    | { ok: false; kind: 'no-such-call' | 'not-a-party' | 'backup-mode'; message: string } {
    const refused = this.refuseUnlessPrimary();
    if (refused) return refused;
    const call = this.ctx.store.call(connId);
    if (!call) return fail('no-such-call', `no call ${connId}`);
    const party = activePartyOf(call, dn);
    if (!party) return fail('not-a-party', `DN ${dn} is not a party of call ${connId}`);
    return { ok: true, call, party };
  }

  /** A party, its connected leg and the leg bridged with it, for hold, retrieve and transfers. */
  private mediaTarget(
    connId: ConnID,
    dn: string,
  ):
    | { ok: true; call: Readonly<Call>; party: Readonly<Party>; dnLeg: Readonly<Leg>; other: Readonly<Leg> }
    | { ok: false; kind: 'no-such-call' | 'not-a-party' | 'backup-mode' | 'invalid-state'; message: string } {
    const found = this.findParty(connId, dn);
    if (!found.ok) return found;
    const { call } = found;
    if (this.core.peekRuntime(connId)?.mediaBusy) {
      return fail('invalid-state', `a hold, retrieve or transfer of call ${connId} is in progress`);
    }
    const dnLeg = lastLeg(call, (l) => l.dn === dn && l.state === 'confirmed' && l.dialog !== null);
    const other = dnLeg && this.core.peerOf(call, dnLeg.id);
    if (!dnLeg || !other || other.state !== 'confirmed' || !other.dialog || other.id === dnLeg.id) {
      return fail(
        'invalid-state',
        `call ${connId} is not connected on DN ${dn} (it is ${found.party.state})`,
      );
    }
    return { ...found, dnLeg, other };
  }

  private planThirdPartyCall(
    originDn: string,
    destination: string,
  ):
    | { ok: true; reach: { uri: string; destination: Destination }; target: Target }
    | { ok: false; kind: 'not-supported' | 'no-contact' | 'invalid-destination'; message: string } {
    const origin = this.ctx.dn(originDn);
    if (!origin || (origin.type !== 'Extension' && origin.type !== 'ACD Position')) {
      return fail(
        'not-supported',
        `calls are made from Extension and ACD Position DNs; ${originDn} is ${origin ? `a ${origin.type}` : 'no DN'}`,
      );
    }
    const reach = this.core.reachDn(originDn);
    if (!reach) return fail('no-contact', `DN ${originDn} has no registered phone`);
    const dest = destination.replace(/[-.() ]/g, '');
    if (dest === '') return fail('invalid-destination', 'no destination number');
    if (dest === originDn) return fail('invalid-destination', `DN ${originDn} cannot call itself`);
    const target = this.core.resolve(dest, { dn: originDn, callType: 'Internal' });
    if (target.kind === 'none') return fail('invalid-destination', `cannot call ${dest}: ${target.reason}`);
    return { ok: true, reach, target };
  }

  private startThirdPartyCall(
    originDn: string,
    destination: string,
    userData: Record<string, string>,
    plan: { reach: { uri: string; destination: Destination }; target: Target },
    consultOf?: ConnID,
  ): CallControlResult<{ connId: ConnID }> {
    const { ctx } = this;
    const dialed = destination.replace(/[-.() ]/g, '');
    const connId = newConnId(ctx.random);
    const callId = `${ctx.random.hex(20)}@duet`;
    const localTag = ctx.random.hex(10);
    const { host, port } = ctx.local;
    const shown = host.includes(':') ? `[${host}]` : host;
    const uri = parseUri(plan.reach.uri);
    if (!uri) return fail('no-contact', `DN ${originDn}'s contact ${plan.reach.uri} is not a SIP URI`);
    const invite = createRequest({
      method: 'INVITE',
      uri,
      headers: [
        {
          name: 'Via',
          value: `SIP/2.0/${plan.reach.destination.transport} ${shown}:${port};branch=${ctx.transactions.newBranch()};rport`,
        },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `<sip:${dialed}@${shown}>;tag=${localTag}` },
        { name: 'To', value: `<${plan.reach.uri.replace(/;.*$/, '')}>` },
        { name: 'Call-ID', value: callId },
        { name: 'CSeq', value: '1 INVITE' },
        this.core.contactHeader(),
        { name: 'Allow', value: ALLOW },
        // The auto-answer hints phones know (third-party call control needs the phone to answer by itself).
        { name: 'Call-Info', value: `<sip:${shown}:${port}>;answer-after=0` },
        { name: 'Alert-Info', value: '<http://127.0.0.1>;info=alert-autoanswer' },
      ],
    });
    const call: Call = {
      connId,
      state: 'dialing',
      callType: plan.target.kind === 'trunks' ? 'Outbound' : 'Internal',
      origin: originDn,
      dialed,
      parties: [{ dn: originDn, role: 'Origination', state: 'Dialing' }],
      legs: [
        {
          id: 'a',
          side: 'caller',
          dn: originDn,
          state: 'trying',
          callId,
          dialog: null,
          pendingInvite: null,
          sentInvite: { text: toText(invite), destination: plan.reach.destination },
          localTag,
          hold: 'active',
          remoteSdp: null,
          initiatedByServer: true,
        },
      ],
      deadline: null,
      userData: { ...userData },
      multisite: false,
      createdAt: ctx.clock.now(),
      triedTrunks: [],
      ...(consultOf ? { consultOf } : {}),
    };
    this.core.commit({ type: 'CallCreated', call });
    const rt = this.core.runtimeOf(connId);
    ctx.logger.event('10-40003', { connId, from: originDn, to: dialed });
    ctx.logger.event('10-40031', { connId, dn: originDn, dest: dialed });
    this.core.callCreated(call);
    this.events.emit(connId, 'Dialing', originDn);
    const timeout = ctx.app().options.tserver.noAnswerTimeout;
    if (timeout > 0)
      this.core.setDeadline(connId, { kind: 'no-answer', at: ctx.clock.now() + timeout * 1000 });
    const tx = ctx.transactions.sendRequest(invite, plan.reach.destination, {
      onResponse: (res) => this.onOriginResponse(connId, 'a', invite, res),
      onTimeout: () => this.onOriginFailure(connId, 408, 'No response'),
      onTransportError: (err) => this.onOriginFailure(connId, 503, `Transport error: ${err.code}`),
    });
    rt.inviteTx.set('a', tx as InviteClientTransaction);
    return { ok: true, connId };
  }

  /** Responses of the origin phone of a third-party call to our INVITE without SDP. */
  onOriginResponse(connId: ConnID, legId: string, invite: SipRequest, res: SipResponse): void {
    const call = this.ctx.store.call(connId);
    const leg = call?.legs.find((l) => l.id === legId);
    if (!call || !leg || leg.state === 'ended') {
      if (res.status >= 200 && res.status < 300) this.core.ackAndByeOrphan(res);
      return;
    }
    if (res.status === 100) return;
    const rt = this.core.runtimeOf(connId);
    if (res.status < 200) {
      if (getTo(res).params.tag && leg.state === 'trying') {
        this.core.updateLeg(connId, legId, { state: 'early', dialog: dialogFromUacResponse(invite, res) });
      }
      return;
    }
    if (res.status >= 300) {
      this.onOriginFailure(connId, res.status, res.reason);
      return;
    }
    const seq = getCSeq(res).seq;
    const key = `${leg.callId} ${seq}`;
    if (leg.state === 'confirmed') {
      // A retransmitted 2xx (our ACK was lost): ACKed again as the first one was.
      const body = rt.acks.get(key);
      if (body !== '' && leg.dialog) this.core.sendAck(leg.dialog, seq, body);
      return;
    }
    const dialog =
      leg.dialog && leg.dialog.id.remoteTag === getTo(res).params.tag
        ? onInDialogResponse(leg.dialog, invite, res)
        : dialogFromUacResponse(invite, res);
    const offer = bodyText(res);
    // Flow IV (see makeCall): the phone's offer is answered at once, with the black hole, so that the phone's
    // 2xx is ACKed now, however long the destination rings. Its offer goes to the destination.
    const answer = offer ? blackHoleAnswer(offer, this.originLine(connId, 1)) : undefined;
    if (answer) rt.acks.set(key, answer);
    this.core.sendAck(dialog, seq, answer);
    rt.inviteTx.delete(legId);
    this.core.updateLeg(connId, legId, {
      state: 'confirmed',
      dialog,
      sentInvite: null,
      ...(offer ? { remoteSdp: offer } : {}),
      ...(answer ? { localSdp: answer } : {}),
    });
    this.core.setDeadline(connId, null);
    if (!offer) {
      this.core.release(connId, `${leg.dn} answered without an SDP offer`, undefined, undefined, 'Rejected');
      return;
    }
    // The origin phone is off hook: now the destination, resolved again (a trunk may have gone out of service).
    const target = this.core.resolve(call.dialed, { dn: leg.dn, callType: 'Internal' });
    if (target.kind === 'none') {
      this.core.release(connId, target.reason, undefined, undefined, callStateOfStatus(target.status));
      return;
    }
    if (target.kind === 'trunks') rt.trunkNumber = call.dialed;
    this.core.route(connId, target);
  }

  private onOriginFailure(connId: ConnID, status: number, reason: string): void {
    const call = this.ctx.store.call(connId);
    const leg = call?.legs.find((l) => l.id === 'a');
    if (!call || !leg || leg.state === 'ended' || leg.state === 'confirmed') return;
    this.core.runtimeOf(connId).inviteTx.delete('a');
    this.core.updateLeg(connId, 'a', { state: 'ended', sentInvite: null });
    this.core.release(
      connId,
      `${leg.dn} answered ${status} ${reason}`,
      undefined,
      undefined,
      callStateOfStatus(status),
    );
  }

  /**
   * The destination of a third-party call answered (its 2xx is ACKed, Established reported): the origin phone,
   * silent on the black-hole answer since it answered, is re-INVITEd with the destination's answer as its new
   * offer (flow IV, messages 7-9): the destination's address, ports and formats, which are the phone's own offer
   * narrowed, so the phone can take them, under the server's o= line of the leg with the next version. If the
   * phone answers with media elsewhere than it first offered (the destination has that first offer), the
   * destination is re-INVITEd with it. A phone that refuses or does not answer ends the call; one re-INVITE
   * crossing ours (491) is retried once after 2.1-4 s (RFC 3261 §14.1, we own the Call-ID).
   */
  connectOrigin(connId: ConnID, answer: string | null, attempt = 1): void {
    const call = this.ctx.store.call(connId);
    const a = call?.legs.find((l) => l.id === 'a');
    if (!call || !a?.initiatedByServer || a.state !== 'confirmed' || !a.dialog) return;
    if (!answer) {
      this.core.release(
        connId,
        `${call.dialed} answered without an SDP answer`,
        undefined,
        undefined,
        'Rejected',
      );
      return;
    }
    const offered = a.remoteSdp;
    const offer = a.localSdp ? withOriginOf(answer, a.localSdp) : answer;
    const rt = this.core.runtimeOf(connId);
    rt.mediaBusy = true;
    reinvite(this.ctx, this.core, connId, 'a', offer, (r) => {
      rt.mediaBusy = false;
      const now = this.ctx.store.call(connId);
      if (!now) return; // released meanwhile
      if (!r.ok && r.status === 491 && attempt === 1) {
        this.ctx.clock.setTimer(2100 + this.ctx.random.int(1900), () => {
          if (this.ctx.gate.mayAct()) this.connectOrigin(connId, answer, 2);
        });
        return;
      }
      if (!r.ok) {
        this.mediaFailed(connId, a.dn, 'connect', r);
        return;
      }
      const theirs = r.sdp;
      const peer = this.core.peerOf(now, 'a');
      if (!theirs || !offered || !peer?.dialog || peer.state !== 'confirmed') return;
      if (mediaTargets(theirs) === mediaTargets(offered)) return;
      rt.mediaBusy = true;
      const moved = withOriginOf(theirs, peer.localSdp ?? offered);
      reinvite(this.ctx, this.core, connId, peer.id, moved, (r2) => {
        rt.mediaBusy = false;
        if (!r2.ok && this.ctx.store.call(connId)) this.mediaFailed(connId, peer.dn, 'connect', r2);
      });
    });
  }

  /** The server's o= line on a third-party call's origin leg (its session id from the ConnID). */
  private originLine(connId: ConnID, version: number): string {
    return serverOrigin(String(Number.parseInt(connId.slice(0, 12), 16)), version, this.ctx.local.host);
  }

  /**
   * A party joining an established call answered our INVITE without SDP with an offer (single-step transfer):
   * the offer goes to the other party in a re-INVITE, and its answer comes back in our ACK.
   */
  joinLateOffer(connId: ConnID, legId: string, dialog: DialogState, res: SipResponse): void {
    const call = this.ctx.store.call(connId)!;
    const leg = call.legs.find((l) => l.id === legId)!;
    const seq = getCSeq(res).seq;
    const offer = bodyText(res);
    const rt = this.core.runtimeOf(connId);
    this.core.updateLeg(connId, legId, {
      state: 'confirmed',
      dialog,
      sentInvite: null,
      ...(offer ? { remoteSdp: offer } : {}),
    });
    rt.inviteTx.delete(legId);
    this.core.setDeadline(connId, null);
    this.core.setPartyState(connId, leg.dn, 'Established');
    this.events.emit(connId, 'Established', leg.dn);
    const peer = this.core.peerOf(this.ctx.store.call(connId)!, legId);
    if (!offer || !peer) {
      this.core.sendAck(dialog, seq);
      this.core.release(connId, `${leg.dn} answered without an SDP offer`, undefined, undefined, 'Rejected');
      return;
    }
    const key = `${leg.callId} ${seq}`;
    rt.acks.set(key, '');
    rt.mediaBusy = true;
    reinvite(this.ctx, this.core, connId, peer.id, offer, (r) => {
      rt.mediaBusy = false;
      const answer = r.ok && r.sdp ? r.sdp : rejectingAnswer(offer);
      rt.acks.set(key, answer);
      const current = this.ctx.store.call(connId)?.legs.find((l) => l.id === legId);
      this.core.sendAck(current?.dialog ?? dialog, seq, answer);
      if (!r.ok) {
        this.mediaFailed(connId, peer.dn, 'transfer', r);
        return;
      }
      this.core.updateLeg(connId, legId, { localSdp: answer });
      this.core.updateLeg(connId, peer.id, { hold: 'active' });
    });
  }

  /**
   * Hold and retrieve: one re-INVITE of the other leg; the model changes (and the event) on its 2xx. When it
   * fails nothing changes, and the request is reported failed (RequestFailure: the CTI server answers it).
   */
  private startMediaChange(
    connId: ConnID,
    dn: string,
    legId: string,
    sdp: string,
    purpose: 'hold' | 'retrieve',
    onDone: () => void,
  ): void {
    const rt = this.core.runtimeOf(connId);
    rt.mediaBusy = true;
    const leg = this.ctx.store.call(connId)?.legs.find((l) => l.id === legId);
    const target = leg ? this.numberOfLeg(connId, leg.dn) : 'the other party';
    reinvite(this.ctx, this.core, connId, legId, sdp, (r) => {
      rt.mediaBusy = false;
      const call = this.ctx.store.call(connId);
      if (!call) return; // released meanwhile: its EventReleased answers the request
      if (r.ok) {
        onDone();
        return;
      }
      this.mediaFailed(connId, leg?.dn ?? dn, purpose, r);
      const what =
        r.status === 408
          ? `${target} did not answer the re-INVITE (408 ${r.reason})`
          : r.status === 503
            ? `the re-INVITE could not be sent to ${target} (503 ${r.reason})`
            : `${target} answered the re-INVITE ${r.status} ${r.reason}`;
      this.events.requestFailed({
        request: purpose,
        connId,
        dn,
        status: r.status,
        reason: r.reason,
        message: `${purpose} of call ${connId} by DN ${dn} failed: ${what}; the call is unchanged (${
          activePartyOf(call, dn)?.state ?? 'released'
        } on DN ${dn})`,
      });
    });
  }

  /** The number of the DN's party in the call now, for messages. */
  private numberOfLeg(connId: ConnID, dn: string): string {
    const call = this.ctx.store.call(connId);
    return call ? numberOfParty(call, dn) : dn;
  }

  /**
   * A re-INVITE of hold, retrieve, a transfer or the connection of a made call failed: logged; a failed
   * transfer or connection ends the call (its parties would not hear each other).
   */
  private mediaFailed(
    connId: ConnID,
    dn: string,
    purpose: 'hold' | 'retrieve' | 'transfer' | 'connect',
    r: { ok: true } | { ok: false; status: number; reason: string },
  ): void {
    const status = r.ok ? 488 : r.status;
    const reason = r.ok ? 'no SDP offer' : r.reason;
    this.ctx.logger.event('10-40032', { connId, dn, purpose, status, reason });
    if (purpose === 'transfer')
      this.core.release(connId, `transfer failed: ${dn} answered ${status} ${reason}`);
    else if (purpose === 'connect')
      this.core.release(
        connId,
        `connecting the media failed: ${dn} answered the re-INVITE ${status} ${reason}`,
      );
  }

  /** `dn` leaves a call that goes on (transfers): EventReleased (Transferred) and a BYE to its phone. */
  private leaveCall(connId: ConnID, dn: string, legId: string, extra: Partial<CallEvent>): void {
    const call = this.ctx.store.call(connId)!;
    const released = this.events.eventOf(call, 'Released', dn, {
      callState: 'Transferred',
      cause: 'transferred',
      ...extra,
    });
    this.core.commit({ type: 'PartyStateChanged', connId, dn, state: 'Released' });
    if (released) this.events.deliver(released);
    const out = this.core.inDialog(connId, legId, 'BYE', {});
    if (out && this.ctx.gate.mayAct()) {
      this.ctx.transactions.sendRequest(out.request, out.destination, IGNORE_RESPONSES);
    }
    this.core.updateLeg(connId, legId, { state: 'ended' });
  }

  /**
   * An out-of-dialog NOTIFY with Event: talk (the BroadSoft remote-answer convention). When the phone refuses
   * it or does not answer, the answer request is reported failed (RequestFailure): the call still rings.
   */
  private sendTalkNotify(connId: ConnID, dn: string, reach: { uri: string; destination: Destination }): void {
    const uri = parseUri(reach.uri);
    if (!uri) return;
    const { host, port } = this.ctx.local;
    const shown = host.includes(':') ? `[${host}]` : host;
    const notify = createRequest({
      method: 'NOTIFY',
      uri,
      headers: [
        {
          name: 'Via',
          value: `SIP/2.0/${reach.destination.transport} ${shown}:${port};branch=${this.ctx.transactions.newBranch()};rport`,
        },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `<sip:duet@${shown}>;tag=${this.ctx.random.hex(10)}` },
        { name: 'To', value: `<${reach.uri.replace(/;.*$/, '')}>` },
        { name: 'Call-ID', value: `${this.ctx.random.hex(20)}@duet` },
        { name: 'CSeq', value: '1 NOTIFY' },
        this.core.contactHeader(),
        { name: 'Event', value: 'talk' },
      ],
    });
    const failed = (status: number, reason: string): void => {
      this.ctx.logger.event('10-40034', { dn, status, reason });
      const call = this.ctx.store.call(connId);
      if (!call || !activePartyOf(call, dn)) return; // released meanwhile: its EventReleased answers
      this.events.requestFailed({
        request: 'answer',
        connId,
        dn,
        status,
        reason,
        message:
          `answer of call ${connId} on DN ${dn} failed: ${talkOutcome(status, reason)}; the call is unchanged ` +
          `(${activePartyOf(call, dn)!.state} on DN ${dn}); check that the phone answers on NOTIFY Event: talk ` +
          '(DN option sip-cti-control)',
      });
    };
    this.ctx.transactions.sendRequest(notify, reach.destination, {
      onResponse: (res) => {
        if (res.status >= 300) failed(res.status, res.reason);
      },
      onTimeout: () => failed(408, 'No response'),
      onTransportError: (err) => failed(503, `Transport error: ${err.code}`),
    });
  }

  private logControl(request: string, dn: string, connId: string, outcome: string): void {
    this.ctx.logger.event('10-40030', { request, dn, connId, outcome });
  }
}

function fail<K extends CallControlErrorKind>(
  kind: K,
  message: string,
): { ok: false; kind: K; message: string } {
  return { ok: false, kind, message };
}

/** User data is a flat map of strings (T-Library KVList of strings). */
function badUserData(data: unknown): { ok: false; kind: 'not-supported'; message: string } | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return fail('not-supported', 'user data must be an object of string values');
  }
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string')
      return fail('not-supported', `user data key ${JSON.stringify(k)} is not a string`);
  }
  return undefined;
}

function lastLeg(call: Readonly<Call>, pred: (l: Readonly<Leg>) => boolean): Readonly<Leg> | undefined {
  for (let i = call.legs.length - 1; i >= 0; i--) if (pred(call.legs[i]!)) return call.legs[i];
  return undefined;
}

/** The number of the DN's party in the call (the external number of a Trunk party). */
function numberOfParty(call: Readonly<Call>, dn: string): string {
  const p = partyOf(call, dn);
  return p?.number ?? dn;
}

/** How the phone took our NOTIFY Event: talk, for messages. */
function talkOutcome(status: number, reason: string): string {
  if (status === 408) return `the phone did not answer NOTIFY Event: talk (408 ${reason})`;
  if (status === 503) return `NOTIFY Event: talk could not be sent to the phone (503 ${reason})`;
  return `the phone answered NOTIFY Event: talk with ${status} ${reason}`;
}

/** The DN option sip-cti-control (a comma list of talk, hold) as a set. */
function ctiControlOf(value: string | undefined): Set<string> {
  return new Set(
    (value ?? '')
      .split(',')
      .map((v) => v.trim().toLowerCase())
      .filter((v) => v !== ''),
  );
}
