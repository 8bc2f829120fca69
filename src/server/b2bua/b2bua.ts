/**
 * The back-to-back user agent (SPEC S2.5-S2.7): every call is two SIP dialogs (legs) joined by the server.
 * The caller's INVITE is answered by the server (leg "a"); the server sends its own INVITE to the destination
 * (legs "b1", "b2", ... one per attempt: a phone's registered contact, a trunk, the next trunk on overflow);
 * provisional and final responses, ACK, BYE, CANCEL and re-INVITE/UPDATE/INFO are bridged between the legs,
 * SDP passing through.
 *
 * What must survive a failover is in the replicated store, one record per change: the call, its parties, each
 * leg's dialog state (CSeq, route set, remote target, tags), an unanswered INVITE as text (so that the new
 * primary can still answer or cancel it), and timers as absolute deadlines. What is only transient (the
 * transactions in flight, the 2xx retransmission timers) lives in `runtime` and is rebuilt or not needed after
 * a takeover; the seeds accept that requests in flight during a failure may be lost (SPEC S4.3).
 *
 * Third-party call control for the CTI (making, answering, holding, transferring calls) is in call-control.ts,
 * the re-INVITEs it sends in reinvite.ts, the emission of call events in call-event-emitter.ts; B2bua keeps
 * their public methods and gives call control a narrow view of the core (CallCore).
 */
import { matchesOverflowCodes } from '../../config/overflow-codes.ts';
import type { Call, CallType, ConnID, Deadline } from '../../model/call/call.ts';
import { newConnId } from '../../model/call/call.ts';
import type { Leg } from '../../model/call/leg.ts';
import type { Party, PartyState } from '../../model/call/party.ts';
import type { Contact } from '../../model/contact.ts';
import type { LegChanges, StoreRecord } from '../../model/store/records.ts';
import type { TimerHandle } from '../../runtime/clock.ts';
import { dialogFromUacResponse, dialogFromUasRequest } from '../../sip/dialog/create.ts';
import { nextHopOf } from '../../sip/dialog/next-hop.ts';
import { buildAck, buildInDialogRequest } from '../../sip/dialog/request.ts';
import type { DialogState } from '../../sip/dialog/state.ts';
import { confirm, onInDialogRequest, onInDialogResponse } from '../../sip/dialog/update.ts';
import { createRequest, createResponse } from '../../sip/message/build.ts';
import {
  getCallId,
  getContentType,
  getCSeq,
  getFrom,
  getMaxForwards,
  getTo,
  getTopVia,
} from '../../sip/message/headers.ts';
import type { HeaderField, SipRequest, SipResponse } from '../../sip/message/types.ts';
import { parseUri } from '../../sip/message/uri.ts';
import { createCancel } from '../../sip/transaction/derived-request.ts';
import type { InviteClientTransaction } from '../../sip/transaction/invite-client.ts';
import type { InviteServerTransaction } from '../../sip/transaction/invite-server.ts';
import type { ServerTransaction } from '../../sip/transaction/layer.ts';
import type { Destination, Inbound } from '../../sip/transport/types.ts';
import { TwoXxRetransmitter } from '../../sip/ua/two-xx-retransmitter.ts';
import type { ServerContext } from '../context.ts';
import { type CallCore, type ControlRuntime, ThirdPartyCallControl } from './call-control.ts';
import { CallEventEmitter } from './call-event-emitter.ts';
import type {
  CallControlResult,
  CallEvent,
  CallEventListener,
  CtiCallState,
  RequestFailureListener,
} from './call-events.ts';
import { ALLOW, bodyText, IGNORE_RESPONSES, parseStored, toText } from './messages.ts';
import { activePartyOf, callStateOfStatus, type DnCallView, partyOf } from './party-view.ts';
import { isHoldSdp, rejectingAnswer } from './sdp.ts';
import { contactTarget, type Origin, resolveTarget, trunkAt } from './targets.ts';

/** What the B2BUA needs from the other services of the server. */
export interface B2buaDeps {
  /** A DN's registered contacts, best first. */
  lookupContacts(dn: string): readonly Readonly<Contact>[];
  /** Active OOS detection (S2.8): out-of-service trunks are skipped. */
  isInService(dn: string): boolean;
  hooks?: B2buaHooks;
}

/** Counters and statistics the server keeps about calls (HTTP interface, metrics). */
export interface B2buaHooks {
  callCreated?(call: Readonly<Call>): void;
  callReleased?(call: Readonly<Call>, cause: string): void;
  trunkCallStarted?(dn: string): void;
  trunkCallEnded?(dn: string): void;
  trunkFinalResponse?(dn: string, status: number): void;
  trunkOverflow?(dn: string): void;
  /** A call event for one DN (T-Library, SPEC S3); only while this server may act. See also onCallEvent. */
  callEvent?(event: CallEvent): void;
}

/** Transient per-call state: transactions and timers of this process. Not replicated. */

/**
 * Transient per-call state: transactions and timers of this process. Not replicated. (The INVITE client
 * transactions, ACK bodies, trunk number and media flag are the part call control uses: ControlRuntime.)
 */
interface CallRuntime extends ControlRuntime {
  aTx?: InviteServerTransaction;
  aInbound?: Inbound;
  retransmitters: Map<string, TwoXxRetransmitter>;
  deadlineTimer?: TimerHandle;
  /** Trunks still to try on overflow, in order. */
  trunksLeft: string[];
}

export class B2bua {
  private readonly runtime = new Map<ConnID, CallRuntime>();
  /** SIP Call-ID of each leg -> its call and leg; rebuilt from store records, so a backup has it too. */
  private readonly byCallId = new Map<string, { connId: ConnID; legId: string }>();
  /** The reverse of byCallId: each call's SIP Call-IDs, so that a released call's go at once, not by a scan. */
  private readonly callIdsOf = new Map<ConnID, string[]>();
  private rotation = 0;
  private readonly events: CallEventEmitter;
  private readonly control: ThirdPartyCallControl;

  constructor(
    private readonly ctx: ServerContext,
    private readonly deps: B2buaDeps,
  ) {
    ctx.store.onRecord((r) => this.index(r));
    this.events = new CallEventEmitter(ctx, () => this.deps.hooks);
    this.control = new ThirdPartyCallControl(ctx, this.callCore(), this.events);
  }

  get activeCalls(): number {
    return this.ctx.store.callCount;
  }

  /** Call events (T-Library, SPEC S3), one per DN per change, only while this server may act. */
  onCallEvent(listener: CallEventListener): () => void {
    return this.events.onCallEvent(listener);
  }

  /** Accepted call-control requests whose SIP part failed (hold/retrieve re-INVITE, answer NOTIFY). */
  onRequestFailed(listener: RequestFailureListener): () => void {
    return this.events.onRequestFailed(listener);
  }

  /** Arms the timers of every call from its synced deadline (at start and on promotion). */
  start(): void {
    for (const call of this.ctx.store.calls()) {
      this.armDeadline(call.connId);
      this.resendUnackedAnswer(call);
    }
  }

  /**
   * After a takeover: a caller answered by the old primary whose ACK never reached the store (the leg still
   * keeps its INVITE, cleared by the ACK) may never have received the 200 (lost with the crash). A caller that
   * had a provisional no longer retransmits its INVITE (§17.1.1.2), so nobody would resend it: the new primary
   * does, rebuilt from the stored INVITE, the leg's tag and the callee's answer, until the ACK comes (§13.3.1.4).
   * A caller that had the 200 just ACKs the copy again (§13.2.2.4).
   */
  private resendUnackedAnswer(call: Readonly<Call>): void {
    const leg = call.legs.find((l) => l.id === 'a');
    if (!leg || leg.state !== 'confirmed' || !leg.pendingInvite || leg.initiatedByServer) return;
    if (this.runtime.get(call.connId)?.retransmitters.has('a')) return;
    const answer = this.peerOf(call, 'a')?.remoteSdp;
    const invite = parseStored(leg.pendingInvite);
    if (!invite) return;
    const res = createResponse(invite, 200, 'OK', {
      toTag: leg.localTag,
      headers: [this.contactHeader(), { name: 'Allow', value: ALLOW }],
      body: answer ? Buffer.from(answer, 'latin1') : undefined,
      contentType: answer ? 'application/sdp' : undefined,
    });
    const inbound = this.inboundOf(invite);
    this.ctx.sender.sendResponse(res, inbound);
    this.retransmit(call.connId, 'a', res, inbound);
  }

  /** Stops every timer of this process (demotion, shutdown); the calls stay in the store. */
  stop(): void {
    for (const rt of this.runtime.values()) {
      if (rt.deadlineTimer !== undefined) this.ctx.clock.clearTimer(rt.deadlineTimer);
      for (const r of rt.retransmitters.values()) r.stop();
    }
    this.runtime.clear();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Requests from the transaction layer

  /** An INVITE without a To tag: a new call. */
  onInitialInvite(req: SipRequest, tx: InviteServerTransaction, inbound: Inbound): void {
    const { ctx } = this;
    const config = ctx.config();
    tx.respond(createResponse(req, 100, 'Trying'));
    const known = this.legOf(getCallId(req));
    if (known) {
      // A retransmission of an INVITE whose call exists (its transaction was in the old primary): the call
      // goes on, and this transaction carries its answers from now on.
      const rt = this.runtimeOf(known.connId);
      rt.aTx = tx;
      rt.aInbound = inbound;
      return;
    }
    const origin = this.originOf(req, inbound);
    if (!origin) {
      tx.respond(
        createResponse(req, 403, 'Caller is not a DN of this switch', { toTag: ctx.random.hex(10) }),
      );
      return;
    }
    const dialed = dialedOf(req);
    if (!dialed) {
      tx.respond(createResponse(req, 404, 'No number in the Request-URI', { toTag: ctx.random.hex(10) }));
      return;
    }
    const target = resolveTarget(config, dialed, origin, (dn) => this.deps.isInService(dn), this.rotation++);
    if (target.kind === 'none') {
      tx.respond(createResponse(req, target.status, target.reason, { toTag: ctx.random.hex(10) }));
      return;
    }
    const connId = newConnId(ctx.random);
    const now = ctx.clock.now();
    const callType: CallType =
      origin.callType === 'Inbound' ? 'Inbound' : target.kind === 'trunks' ? 'Outbound' : 'Internal';
    const aLeg: Leg = {
      id: 'a',
      side: 'caller',
      dn: origin.dn,
      state: 'trying',
      callId: getCallId(req),
      dialog: null,
      pendingInvite: toText(req),
      sentInvite: null,
      localTag: ctx.random.hex(10),
      hold: 'active',
      remoteSdp: bodyText(req),
    };
    const call: Call = {
      connId,
      state: 'dialing',
      callType,
      origin: origin.dn,
      dialed,
      parties: [
        origin.callType === 'Inbound'
          ? { dn: origin.dn, role: 'Origination', state: 'Dialing', number: callerNumberOf(req) }
          : { dn: origin.dn, role: 'Origination', state: 'Dialing' },
      ],
      legs: [aLeg],
      deadline: null,
      userData: {},
      multisite: origin.callType === 'Inbound' && config.dns[origin.dn]?.options.multisite === true,
      createdAt: now,
      triedTrunks: [],
    };
    this.commit({ type: 'CallCreated', call });
    this.runtime.set(connId, {
      aTx: tx,
      aInbound: inbound,
      retransmitters: new Map(),
      inviteTx: new Map(),
      trunksLeft: [],
      acks: new Map(),
    });
    ctx.logger.event('10-40003', { connId, from: origin.dn, to: dialed });
    this.deps.hooks?.callCreated?.(call);
    if (origin.callType === 'Inbound') this.deps.hooks?.trunkCallStarted?.(origin.dn);
    this.events.emit(connId, 'Dialing', origin.dn);
    this.route(connId, target);
  }

  /** CANCEL (§9.2): the caller gives up before the answer. */
  onCancel(req: SipRequest, tx: ServerTransaction): void {
    const found = this.legOf(getCallId(req));
    const call = found && this.ctx.store.call(found.connId);
    const leg = call?.legs.find((l) => l.id === found?.legId);
    if (!call || !leg || leg.side !== 'caller') {
      tx.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    tx.respond(createResponse(req, 200));
    if (leg.state === 'confirmed') return; // too late: the call was answered (§9.2)
    this.release(call.connId, 'caller cancelled', { status: 487, reason: 'Request Terminated' });
  }

  /**
   * A request in a dialog (a To tag): ACK, BYE, re-INVITE, UPDATE, INFO, ... Returns false when it belongs to
   * no call here (the caller answers 481).
   */
  onInDialogRequest(req: SipRequest, tx: ServerTransaction | null, inbound: Inbound): boolean {
    const found = this.legOf(getCallId(req));
    const call = found && this.ctx.store.call(found.connId);
    const leg = call?.legs.find((l) => l.id === found?.legId);
    if (!call || !leg || getTo(req).params.tag !== leg.localTag) return false;
    const rt = this.runtimeOf(call.connId);
    if (leg.state === 'ended') {
      // A leg that left the call (a transfer): its BYE may cross ours; nothing else is taken on it.
      if (tx) tx.respond(createResponse(req, req.method === 'BYE' ? 200 : 481));
      return true;
    }
    if (req.method === 'ACK') {
      // The ACK of our 2xx (§13.3.1.4): stop resending it; the INVITE text is no longer needed.
      rt.retransmitters.get(leg.id)?.stop();
      rt.retransmitters.delete(leg.id);
      if (leg.pendingInvite) this.updateLeg(call.connId, leg.id, { pendingInvite: null });
      return true;
    }
    if (!tx) return true;
    if (!leg.dialog) {
      tx.respond(createResponse(req, 481, 'Dialog not established'));
      return true;
    }
    const checked = onInDialogRequest(leg.dialog, req);
    if ('reject' in checked) {
      tx.respond(createResponse(req, checked.reject, checked.reason));
      return true;
    }
    this.updateLeg(call.connId, leg.id, { dialog: checked.state });
    if (req.method === 'BYE') {
      tx.respond(createResponse(req, 200));
      this.release(call.connId, `BYE from ${leg.dn}`, undefined, leg.id);
      return true;
    }
    this.relayInDialog(call.connId, leg.id, req, tx, inbound);
    return true;
  }

  /** A response that matched no client transaction: a retransmitted 2xx of an INVITE we sent (re-ACK it). */
  onStrayResponse(res: SipResponse): void {
    if (getCSeq(res).method !== 'INVITE') return;
    const found = this.legOf(getCallId(res));
    const leg = found && this.ctx.store.call(found.connId)?.legs.find((l) => l.id === found.legId);
    if (found && leg?.initiatedByServer && leg.sentInvite) {
      // The origin phone of a third-party call answers (or repeats its 2xx) after a takeover, or after the
      // INVITE transaction ended while the destination still rang.
      const invite = parseStored(leg.sentInvite.text);
      if (invite) this.control.onOriginResponse(found.connId, leg.id, invite, res);
      return;
    }
    if (
      found &&
      leg?.side === 'callee' &&
      leg.sentInvite &&
      (leg.state === 'trying' || leg.state === 'early')
    ) {
      // The callee rings or answers after a takeover: its INVITE transaction was in the old primary, but the
      // INVITE as sent is in the store, which is all the response handling needs.
      const invite = parseStored(leg.sentInvite.text);
      if (invite) this.onCalleeResponse(found.connId, leg.id, invite, res);
      return;
    }
    if (res.status < 200 || res.status >= 300) return;
    if (leg?.dialog && getTo(res).params.tag === leg.dialog.id.remoteTag) {
      const body = found && this.runtime.get(found.connId)?.acks.get(`${leg.callId} ${getCSeq(res).seq}`);
      // '' marks an answer still awaited (third-party call control): the ACK waits for it.
      if (body !== '') this.sendAck(leg.dialog, getCSeq(res).seq, body || undefined);
    } else if (this.ctx.gate.mayAct()) {
      // An answer for a call that is gone (cancelled, released): confirm and end it at once (§15).
      this.ackAndByeOrphan(res);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Routing

  private route(connId: ConnID, target: ReturnType<typeof resolveTarget>): void {
    switch (target.kind) {
      case 'phone':
        this.ringPhone(connId, target.dn);
        return;
      case 'routing-point':
        this.park(connId, target.dn);
        return;
      case 'trunks':
        this.runtimeOf(connId).trunksLeft = [...target.trunks];
        this.tryNextTrunk(connId);
        return;
      case 'none':
        this.release(connId, target.reason, { status: target.status, reason: target.reason });
    }
  }

  private ringPhone(connId: ConnID, dn: string): void {
    const device = this.ctx.store.device(dn);
    if (this.ctx.store.call(connId)?.parties.some((p) => p.dn === dn && p.state !== 'Released')) {
      // The call would ring its own caller (a Routing Point whose default-dn is the caller): the DN is busy.
      this.release(connId, `DN ${dn} is already in the call`, { status: 486, reason: 'Busy Here' });
      return;
    }
    if (device?.dnd) {
      this.release(connId, `DN ${dn} is in do-not-disturb`, { status: 486, reason: 'Busy Here' });
      return;
    }
    const contact = this.deps.lookupContacts(dn)[0];
    const fixed = this.ctx.dn(dn)?.options.contact;
    const reach = contact ? reachOf(contact) : fixed ? contactTarget(fixed, dn) : undefined;
    if (!reach) {
      this.release(connId, `DN ${dn} is not registered`, { status: 480, reason: 'Temporarily Unavailable' });
      return;
    }
    this.addParty(connId, dn, 'Ringing');
    this.events.emit(connId, 'Ringing', dn);
    const timeout = this.ctx.app().options.tserver.noAnswerTimeout;
    if (timeout > 0)
      this.setDeadline(connId, { kind: 'no-answer', at: this.ctx.clock.now() + timeout * 1000 });
    this.sendCalleeInvite(connId, dn, reach.uri, reach.destination);
  }

  /** S2.6: the call waits on the Routing Point, ringing, until routed or until router-timeout. */
  private park(connId: ConnID, dn: string): void {
    const call = this.ctx.store.call(connId)!;
    this.addParty(connId, dn, 'Queued');
    this.commit({ type: 'CallStateChanged', connId, state: 'parked' });
    this.events.emit(connId, 'RouteRequest', dn);
    this.answerCaller(connId, 180, undefined);
    const seconds = this.ctx.dn(dn)?.options.routerTimeout ?? this.ctx.app().options.tserver.routerTimeout;
    this.setDeadline(connId, { kind: 'router-timeout', at: call.createdAt + seconds * 1000 });
  }

  /**
   * Routes a parked call (RequestRouteCall from a router, or default-dn on timeout): see call-control.ts.
   * `rpDn`, when given, must be the Routing Point the call is parked on.
   */
  routeParked(connId: ConnID, dest: string, rpDn?: string): CallControlResult {
    return this.control.routeParked(connId, dest, rpDn);
  }

  private tryNextTrunk(connId: ConnID): boolean {
    const rt = this.runtimeOf(connId);
    const call = this.ctx.store.call(connId)!;
    while (rt.trunksLeft.length > 0) {
      const dn = rt.trunksLeft.shift()!;
      if (!this.deps.isInService(dn)) continue;
      const contact = this.ctx.dn(dn)?.options.contact;
      const number = rt.trunkNumber ?? call.dialed;
      const reach = contact ? contactTarget(contact, number) : undefined;
      if (!reach) continue;
      this.commit({
        type: 'CallUpdated',
        connId,
        changes: {
          triedTrunks: [...call.triedTrunks, dn],
          multisite: call.multisite || this.ctx.dn(dn)?.options.multisite === true,
        },
      });
      this.addParty(connId, dn, 'Dialing', number);
      this.deps.hooks?.trunkCallStarted?.(dn);
      this.sendCalleeInvite(connId, dn, reach.uri, reach.destination);
      return true;
    }
    return false;
  }

  private sendCalleeInvite(connId: ConnID, dn: string, uri: string, destination: Destination): void {
    const { ctx } = this;
    const call = ctx.store.call(connId)!;
    const aInvite = this.callerInvite(call);
    const legId = `b${call.legs.filter((l) => l.side === 'callee').length + 1}`;
    const callId = `${ctx.random.hex(20)}@duet`;
    const localTag = ctx.random.hex(10);
    const { host, port, transport } = ctx.local;
    const shown = host.includes(':') ? `[${host}]` : host;
    const callerName = aInvite ? getFrom(aInvite).displayName : undefined;
    const headers: HeaderField[] = [
      {
        name: 'Via',
        value: `SIP/2.0/${destination.transport} ${shown}:${port};branch=${ctx.transactions.newBranch()};rport`,
      },
      {
        name: 'Max-Forwards',
        value: String(Math.max(0, (aInvite ? (getMaxForwards(aInvite) ?? 70) : 70) - 1)),
      },
      {
        name: 'From',
        value: `${callerName ? `"${callerName.replace(/["\\]/g, '')}" ` : ''}<sip:${call.origin}@${shown}>;tag=${localTag}`,
      },
      { name: 'To', value: `<${uri.replace(/;.*$/, '')}>` },
      { name: 'Call-ID', value: callId },
      { name: 'CSeq', value: '1 INVITE' },
      {
        name: 'Contact',
        value: `<sip:${call.origin}@${shown}:${port}${transport === 'TCP' ? ';transport=tcp' : ''}>`,
      },
      { name: 'Allow', value: ALLOW },
    ];
    // The offer: the caller's; for a third-party call the origin phone's (RFC 3725 §4.1 flow IV); none when the
    // call is already established and a new party joins it (a transfer): that party then makes the offer.
    const aLeg = call.legs.find((l) => l.id === 'a');
    let body: Uint8Array | undefined;
    let contentType: string | undefined;
    if (call.state === 'established') {
      body = undefined;
    } else if (aLeg?.initiatedByServer) {
      body = aLeg.remoteSdp ? Buffer.from(aLeg.remoteSdp, 'latin1') : undefined;
      contentType = 'application/sdp';
    } else {
      body = aInvite?.body;
      contentType = aInvite ? getContentType(aInvite) : undefined;
    }
    if (body && body.length > 0 && contentType) headers.push({ name: 'Content-Type', value: contentType });
    const parsedUri = parseUri(uri);
    if (!parsedUri) {
      this.release(connId, `bad contact URI ${uri}`, { status: 500, reason: 'Bad destination URI' });
      return;
    }
    const invite = createRequest({
      method: 'INVITE',
      uri: parsedUri,
      headers,
      body: body && body.length > 0 ? body : undefined,
    });
    this.commit({
      type: 'LegAdded',
      connId,
      leg: {
        id: legId,
        side: 'callee',
        dn,
        state: 'trying',
        callId,
        dialog: null,
        pendingInvite: null,
        sentInvite: { text: toText(invite), destination },
        localTag,
        hold: 'active',
        remoteSdp: null,
      },
    });
    if (!ctx.gate.mayAct()) return;
    const tx = ctx.transactions.sendRequest(invite, destination, {
      onResponse: (res) => this.onCalleeResponse(connId, legId, invite, res),
      onTimeout: () => this.onCalleeFailure(connId, legId, 408, 'No response'),
      onTransportError: (err) => this.onCalleeFailure(connId, legId, 503, `Transport error: ${err.code}`),
    });
    this.runtimeOf(connId).inviteTx.set(legId, tx as InviteClientTransaction);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Responses on a callee leg

  private onCalleeResponse(connId: ConnID, legId: string, invite: SipRequest, res: SipResponse): void {
    const call = this.ctx.store.call(connId);
    const leg = call?.legs.find((l) => l.id === legId);
    if (!call || !leg || leg.state === 'ended') {
      if (res.status >= 200 && res.status < 300) this.ackAndByeOrphan(res);
      return;
    }
    if (res.status === 100) return;
    const sdp = bodyText(res);
    if (res.status < 200) {
      if (getTo(res).params.tag && leg.state !== 'confirmed') {
        this.updateLeg(connId, legId, {
          state: 'early',
          dialog: dialogFromUacResponse(invite, res),
          ...(sdp ? { remoteSdp: sdp } : {}),
        });
      }
      if (call.state === 'dialing') this.commit({ type: 'CallStateChanged', connId, state: 'ringing' });
      // A trunk's first provisional: the network is reached (T-Library EventNetworkReached on the caller).
      const firstFromTrunk = this.isTrunk(leg.dn) && partyOf(call, leg.dn)?.state === 'Dialing';
      this.setPartyState(connId, leg.dn, 'Ringing');
      if (firstFromTrunk) this.events.emitToOthers(connId, 'NetworkReached', leg.dn);
      // 180/183 go to the caller, with the early SDP when there is one (early media).
      this.answerCaller(connId, res.status, res.reason, res.body.length > 0 ? res : undefined);
      return;
    }
    if (res.status < 300) {
      const dialog =
        leg.dialog && leg.dialog.id.remoteTag === getTo(res).params.tag
          ? onInDialogResponse(leg.dialog, invite, res)
          : dialogFromUacResponse(invite, res);
      const seq = getCSeq(res).seq;
      if (leg.state === 'confirmed') {
        // A retransmission: re-ACKed as it was (with its answer), unless the answer is still awaited.
        const body = this.runtime.get(connId)?.acks.get(`${leg.callId} ${seq}`);
        if (body !== '') this.sendAck(dialog, seq, body);
        return;
      }
      const peer = this.peerOf(call, legId);
      if (invite.body.length === 0 && call.state === 'established' && peer?.state === 'confirmed') {
        this.control.joinLateOffer(connId, legId, dialog, res);
        return;
      }
      const wasDialing = partyOf(call, leg.dn)?.state === 'Dialing' && this.isTrunk(leg.dn);
      // The record first, then the ACK: once the callee has its ACK it stops resending the 200, so a backup
      // that missed the answer could never learn it. Written to the HA link before the ACK leaves, the record
      // reaches the backup even if this process dies right after (the kernel still sends what it was given).
      this.updateLeg(connId, legId, {
        state: 'confirmed',
        dialog,
        sentInvite: null,
        ...(sdp ? { remoteSdp: sdp } : {}),
      });
      this.sendAck(dialog, seq);
      this.runtimeOf(connId).inviteTx.delete(legId);
      this.setDeadline(connId, null);
      this.commit({ type: 'CallStateChanged', connId, state: 'established' });
      if (wasDialing) this.events.emitToOthers(connId, 'NetworkReached', leg.dn);
      // T-Library: Established on the answering DN first, then on the others.
      const answered: string[] = [];
      for (const p of this.ctx.store.call(connId)!.parties) {
        if (p.state === 'Released' || p.state === 'Established') continue;
        this.setPartyState(connId, p.dn, 'Established');
        answered.push(p.dn);
      }
      if (answered.includes(leg.dn)) this.events.emit(connId, 'Established', leg.dn);
      for (const dn of answered) if (dn !== leg.dn) this.events.emit(connId, 'Established', dn);
      if (call.legs.find((l) => l.id === 'a')?.initiatedByServer) this.control.connectOrigin(connId, sdp);
      else this.answerCaller(connId, 200, res.reason, res);
      return;
    }
    this.onCalleeFailure(connId, legId, res.status, res.reason);
  }

  /** A final non-2xx answer, a timeout or a transport error on a callee leg. */
  private onCalleeFailure(connId: ConnID, legId: string, status: number, reason: string): void {
    const call = this.ctx.store.call(connId);
    const leg = call?.legs.find((l) => l.id === legId);
    if (!call || !leg || leg.state === 'ended' || leg.state === 'confirmed') return;
    const rt = this.runtimeOf(connId);
    rt.inviteTx.delete(legId);
    this.updateLeg(connId, legId, { state: 'ended', sentInvite: null });
    const released = activePartyOf(call, leg.dn)
      ? this.events.eventOf(call, 'Released', leg.dn, {
          callState: callStateOfStatus(status),
          cause: `${status} ${reason}`,
        })
      : undefined;
    this.setPartyState(connId, leg.dn, 'Released');
    if (released) this.events.deliver(released);
    const isTrunk = this.ctx.dn(leg.dn)?.type === 'Trunk';
    if (isTrunk) {
      this.deps.hooks?.trunkFinalResponse?.(leg.dn, status);
      this.deps.hooks?.trunkCallEnded?.(leg.dn);
      // Seed 000, sip-error-codes-overflow: a matching negative answer to the initial INVITE tries the next
      // trunk; a timeout counts as 408.
      const codes = this.ctx.app().options.tserver.sipErrorCodesOverflow;
      if (matchesOverflowCodes(codes, status) && rt.trunksLeft.length > 0) {
        this.ctx.logger.event('10-40007', { connId, dn: leg.dn, status });
        this.deps.hooks?.trunkOverflow?.(leg.dn);
        if (this.tryNextTrunk(connId)) return;
      }
    }
    const toCaller = status === 408 ? { status: 480, reason: 'No answer' } : { status, reason };
    this.release(
      connId,
      `${leg.dn} answered ${status} ${reason}`,
      toCaller,
      undefined,
      callStateOfStatus(status),
    );
  }

  // ---------------------------------------------------------------------------------------------------------
  // Bridging in-dialog requests

  /**
   * A re-INVITE, UPDATE, INFO, ... on one leg goes to the other leg in its dialog, and the other leg's final
   * response comes back. For INVITE, our ACK goes to the far side at once and the near side's ACK is absorbed.
   */
  private relayInDialog(
    connId: ConnID,
    fromLegId: string,
    req: SipRequest,
    tx: ServerTransaction,
    inbound: Inbound,
  ): void {
    const call = this.ctx.store.call(connId)!;
    const peer = this.peerOf(call, fromLegId);
    if (!peer?.dialog || peer.state !== 'confirmed') {
      tx.respond(createResponse(req, 491, 'Request Pending'));
      return;
    }
    const sdp = bodyText(req);
    const fromLeg = call.legs.find((l) => l.id === fromLegId)!;
    if (sdp && (req.method === 'INVITE' || req.method === 'UPDATE')) {
      const held = isHoldSdp(sdp);
      this.updateLeg(connId, fromLegId, { remoteSdp: sdp, hold: held ? 'held' : 'active' });
      if (held !== (fromLeg.hold === 'held')) {
        // The party that sends hold SDP is the one holding the call (T-Library EventHeld / EventRetrieved).
        const before = partyOf(call, fromLeg.dn)?.state;
        this.setPartyState(connId, fromLeg.dn, held ? 'Held' : 'Established');
        if (before === (held ? 'Established' : 'Held'))
          this.events.emit(connId, held ? 'Held' : 'Retrieved', fromLeg.dn);
      }
      this.updateLeg(connId, peer.id, { localSdp: sdp });
    }
    const contentType = getContentType(req);
    const out = this.inDialog(connId, peer.id, req.method, {
      body: req.body.length > 0 ? req.body : undefined,
      contentType: req.body.length > 0 ? contentType : undefined,
    });
    if (!out) {
      tx.respond(createResponse(req, 500, 'Cannot reach the other party'));
      return;
    }
    this.ctx.transactions.sendRequest(out.request, out.destination, {
      onResponse: (res) => {
        if (res.status < 200) return;
        const current = this.ctx.store.call(connId)?.legs.find((l) => l.id === peer.id);
        if (current?.dialog)
          this.updateLeg(connId, peer.id, { dialog: onInDialogResponse(current.dialog, out.request, res) });
        if (req.method === 'INVITE' && res.status < 300)
          this.sendAck(current?.dialog ?? out.state, getCSeq(out.request).seq);
        const answer = createResponse(req, res.status, res.reason, {
          body: res.body.length > 0 ? res.body : undefined,
          contentType: res.body.length > 0 ? getContentType(res) : undefined,
          headers: [this.contactHeader()],
        });
        tx.respond(answer);
        if (req.method === 'INVITE' && res.status < 300) this.retransmit(connId, fromLegId, answer, inbound);
      },
      onTimeout: () => tx.respond(createResponse(req, 408, 'The other party did not answer')),
      onTransportError: () => tx.respond(createResponse(req, 503, 'The other party is unreachable')),
    });
  }

  /** Builds a request in a leg's dialog and commits the dialog's new local CSeq. */
  private inDialog(
    connId: ConnID,
    legId: string,
    method: string,
    extra: { body?: Uint8Array; contentType?: string },
  ): ReturnType<typeof buildInDialogRequest> | undefined {
    const leg = this.ctx.store.call(connId)?.legs.find((l) => l.id === legId);
    if (!leg?.dialog) return undefined;
    const { host, port } = this.ctx.local;
    const out = buildInDialogRequest(leg.dialog, method, {
      branch: this.ctx.transactions.newBranch(),
      viaHost: host,
      viaPort: port,
      ...(extra.body ? { body: extra.body, contentType: extra.contentType ?? 'application/sdp' } : {}),
      headers: [{ name: 'Allow', value: ALLOW }],
    });
    if (method !== 'ACK' && method !== 'CANCEL') this.updateLeg(connId, legId, { dialog: out.state });
    return out;
  }

  /** The ACK of a 2xx; `body` is the SDP answer when the 2xx carried the offer (RFC 3264 §4, 3725). */
  private sendAck(dialog: DialogState, inviteSeq: number, body?: string): void {
    if (!this.ctx.gate.mayAct()) return;
    const { host, port } = this.ctx.local;
    const ack = buildAck(dialog, inviteSeq, {
      branch: this.ctx.transactions.newBranch(),
      viaHost: host,
      viaPort: port,
      ...(body ? { body: Buffer.from(body, 'latin1'), contentType: 'application/sdp' } : {}),
    });
    this.ctx.sender.sendRequest(ack.request, ack.destination);
  }

  // ---------------------------------------------------------------------------------------------------------
  // The caller's leg

  /**
   * Sends a provisional or final response to the caller's INVITE, creating or confirming the caller-side
   * dialog. `from` supplies the body (SDP) when the response carries one.
   */
  private answerCaller(connId: ConnID, status: number, reason: string | undefined, from?: SipResponse): void {
    const call = this.ctx.store.call(connId);
    const leg = call?.legs.find((l) => l.id === 'a');
    if (!call || !leg || leg.state === 'confirmed' || leg.state === 'ended' || leg.initiatedByServer) return;
    const invite = this.callerInvite(call);
    if (!invite) return;
    const withTag = status > 100;
    const res = createResponse(invite, status, reason, {
      toTag: withTag ? leg.localTag : undefined,
      headers: withTag ? [this.contactHeader(), { name: 'Allow', value: ALLOW }] : [],
      body: from && from.body.length > 0 ? from.body : undefined,
      contentType: from && from.body.length > 0 ? getContentType(from) : undefined,
    });
    if (status > 100 && status < 300) {
      let dialog =
        leg.dialog ??
        dialogFromUasRequest(invite, {
          localTag: leg.localTag,
          localContact: this.contactUri(),
          state: 'early',
          transport: this.ctx.local.transport,
        });
      if (status >= 200) dialog = confirm(dialog);
      this.updateLeg(connId, 'a', { dialog, state: status >= 200 ? 'confirmed' : 'early' });
    }
    if (!this.ctx.gate.mayAct()) return;
    const rt = this.runtimeOf(connId);
    const inbound = rt.aInbound ?? this.inboundOf(invite);
    // After a takeover the INVITE's server transaction was in the other process: answer it statelessly, by
    // its Via (§18.2.2), from the INVITE kept in the store.
    if (rt.aTx) rt.aTx.respond(res);
    else this.ctx.sender.sendResponse(res, inbound);
    if (status >= 200 && status < 300) this.retransmit(connId, 'a', res, inbound);
  }

  /** Where a response to `req` goes when its transaction is gone: back the way its Via says. */
  private inboundOf(req: SipRequest): Inbound {
    const via = getTopVia(req);
    const host =
      typeof via.params.received === 'string' ? via.params.received : via.host.replace(/^\[|\]$/g, '');
    const rport = via.params.rport;
    const port = typeof rport === 'string' && rport !== '' ? Number(rport) : (via.port ?? 5060);
    return {
      transport: via.transport === 'TCP' ? 'TCP' : 'UDP',
      source: { host, port },
      local: { host: this.ctx.local.host, port: this.ctx.local.port },
    };
  }

  /** §13.3.1.4 for a 2xx we sent on a leg; with no ACK in 64*T1 the call is ended. */
  private retransmit(connId: ConnID, legId: string, res: SipResponse, inbound: Inbound): void {
    const rt = this.runtimeOf(connId);
    rt.retransmitters.get(legId)?.stop();
    rt.retransmitters.set(
      legId,
      new TwoXxRetransmitter(
        this.ctx.clock,
        this.ctx.sender,
        res,
        inbound,
        this.ctx.transactions.timers,
        () => {
          rt.retransmitters.delete(legId);
          this.release(connId, `no ACK from leg ${legId}`);
        },
      ),
    );
  }

  private callerInvite(call: Readonly<Call>): SipRequest | undefined {
    const rt = this.runtime.get(call.connId);
    if (rt?.aTx) return rt.aTx.request;
    const text = call.legs.find((l) => l.id === 'a')?.pendingInvite;
    return text ? parseStored(text) : undefined;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Ending a call

  /**
   * Ends a call: an unanswered caller gets `toCaller`; callee legs still ringing are cancelled; confirmed legs
   * other than `byeFrom` (the leg that sent BYE) get a BYE; every party is released (EventReleased with
   * `callState`, by default from the caller's status) and the call leaves the store.
   */
  private release(
    connId: ConnID,
    cause: string,
    toCaller?: { status: number; reason: string },
    byeFrom?: string,
    callState?: CtiCallState,
  ): void {
    const call = this.ctx.store.call(connId);
    if (!call) return;
    const rt = this.runtimeOf(connId);
    const state = callState ?? (toCaller ? callStateOfStatus(toCaller.status) : 'Ok');
    const events: CallEvent[] = [];
    for (const p of call.parties) {
      if (p.state === 'Released') continue;
      const e = this.events.eventOf(call, 'Released', p.dn, { callState: state, cause });
      if (e) events.push(e);
    }
    const aLeg = call.legs.find((l) => l.id === 'a');
    if (aLeg && aLeg.state !== 'confirmed' && aLeg.state !== 'ended' && toCaller && this.ctx.gate.mayAct()) {
      const invite = this.callerInvite(call);
      if (invite) {
        const res = createResponse(invite, toCaller.status, toCaller.reason, { toTag: aLeg.localTag });
        if (rt.aTx) rt.aTx.respond(res);
        else this.ctx.sender.sendResponse(res, this.inboundOf(invite));
      }
    }
    for (const leg of call.legs) {
      if (leg.id === byeFrom || leg.state === 'ended') continue;
      if (leg.initiatedByServer && leg.state === 'confirmed' && leg.sentInvite && leg.dialog) {
        // A third-party call's origin phone answered and waits for our ACK, which must carry an answer to
        // its offer (RFC 3264): one that rejects the media, then the BYE below.
        const invite = parseStored(leg.sentInvite.text);
        this.sendAck(
          leg.dialog,
          invite ? getCSeq(invite).seq : 1,
          leg.remoteSdp ? rejectingAnswer(leg.remoteSdp) : undefined,
        );
      }
      if (
        (leg.side === 'callee' || leg.initiatedByServer) &&
        (leg.state === 'trying' || leg.state === 'early')
      ) {
        const tx = rt.inviteTx.get(leg.id);
        if (tx && this.ctx.gate.mayAct()) this.ctx.transactions.cancel(tx);
        else if (leg.sentInvite && this.ctx.gate.mayAct()) {
          // Taken over while it rang: the INVITE's transaction is gone, so the CANCEL is built from the INVITE
          // as sent (§9.1: same Request-URI, Call-ID, From, To, CSeq number and branch).
          const invite = parseStored(leg.sentInvite.text);
          if (invite) {
            this.ctx.transactions.sendRequest(
              createCancel(invite),
              leg.sentInvite.destination,
              IGNORE_RESPONSES,
            );
          }
        }
        if (this.ctx.dn(leg.dn)?.type === 'Trunk') this.deps.hooks?.trunkCallEnded?.(leg.dn);
      } else if (leg.state === 'confirmed' && leg.dialog) {
        const out = this.inDialog(connId, leg.id, 'BYE', {});
        if (out && this.ctx.gate.mayAct()) {
          this.ctx.transactions.sendRequest(out.request, out.destination, IGNORE_RESPONSES);
        }
        if (leg.side === 'callee' && this.ctx.dn(leg.dn)?.type === 'Trunk')
          this.deps.hooks?.trunkCallEnded?.(leg.dn);
      }
    }
    if (call.callType === 'Inbound') this.deps.hooks?.trunkCallEnded?.(call.origin);
    for (const p of this.ctx.store.call(connId)!.parties) {
      if (p.state !== 'Released')
        this.commit({ type: 'PartyStateChanged', connId, dn: p.dn, state: 'Released' });
    }
    const final = this.ctx.store.call(connId)!;
    this.commit({ type: 'CallReleased', connId, cause });
    this.ctx.logger.event('10-40004', { connId, reason: cause });
    this.deps.hooks?.callReleased?.(final, cause);
    for (const e of events) this.events.deliver(e);
    if (rt.deadlineTimer !== undefined) this.ctx.clock.clearTimer(rt.deadlineTimer);
    for (const r of rt.retransmitters.values()) r.stop();
    // The caller's 2xx must still reach it if the call ended before its ACK: keep nothing else.
    this.runtime.delete(connId);
  }

  /**
   * A 2xx for a leg we no longer want (the call was cancelled or released meanwhile): ACK it and hang up, so
   * the far end does not stay in a call nobody is on (§15). The response itself holds what the dialog needs.
   */
  private ackAndByeOrphan(res: SipResponse): void {
    const contact = res.headers.find((h) => h.name === 'Contact')?.value;
    const target = contact && parseUri(/<([^>]+)>/.exec(contact)?.[1] ?? contact);
    if (!getTo(res).params.tag || !target) return;
    const echo = createRequest({
      method: 'INVITE',
      uri: target,
      headers: res.headers.filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name)),
    });
    let dialog: DialogState;
    try {
      dialog = dialogFromUacResponse(echo, res);
    } catch {
      return; // not a usable dialog: nothing to hang up
    }
    this.sendAck(dialog, getCSeq(res).seq);
    const { host, port } = this.ctx.local;
    const bye = buildInDialogRequest(dialog, 'BYE', {
      branch: this.ctx.transactions.newBranch(),
      viaHost: host,
      viaPort: port,
    });
    this.ctx.transactions.sendRequest(bye.request, bye.destination, IGNORE_RESPONSES);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Deadlines (timers as data, armed only by the primary)

  private setDeadline(connId: ConnID, deadline: Deadline | null): void {
    const current = this.ctx.store.call(connId)?.deadline ?? null;
    if (current === null && deadline === null) return;
    this.commit({ type: 'CallDeadlineSet', connId, deadline });
    this.armDeadline(connId);
  }

  private armDeadline(connId: ConnID): void {
    const call = this.ctx.store.call(connId);
    const rt = this.runtimeOf(connId);
    if (rt.deadlineTimer !== undefined) this.ctx.clock.clearTimer(rt.deadlineTimer);
    rt.deadlineTimer = undefined;
    if (!call?.deadline || !this.ctx.gate.mayAct()) return;
    const { kind, at } = call.deadline;
    rt.deadlineTimer = this.ctx.clock.setTimer(Math.max(0, at - this.ctx.clock.now()), () => {
      rt.deadlineTimer = undefined;
      if (this.ctx.gate.mayAct()) this.onDeadline(connId, kind);
    });
  }

  private onDeadline(connId: ConnID, kind: Deadline['kind']): void {
    const call = this.ctx.store.call(connId);
    if (!call || call.deadline?.kind !== kind) return;
    if (kind === 'no-answer') {
      this.release(connId, 'no answer', { status: 480, reason: 'No answer' });
      return;
    }
    const rp = call.parties.find((p) => p.state === 'Queued');
    const defaultDn = rp ? this.ctx.dn(rp.dn)?.options.defaultDn : undefined;
    // (A call parked by a single-step transfer waited from the transfer, not from its creation.)
    const seconds =
      (rp ? this.ctx.dn(rp.dn)?.options.routerTimeout : undefined) ??
      this.ctx.app().options.tserver.routerTimeout;
    if (!defaultDn) {
      this.ctx.logger.event('10-40006', { connId, dn: rp?.dn ?? '', seconds, outcome: 'rejected with 480' });
      this.release(connId, 'router-timeout with no default-dn', { status: 480, reason: 'No route' });
      return;
    }
    this.ctx.logger.event('10-40006', {
      connId,
      dn: rp?.dn ?? '',
      seconds,
      outcome: `default-dn ${defaultDn}`,
    });
    const routed = this.routeParked(connId, defaultDn);
    if (!routed.ok) {
      this.release(connId, `default-dn ${defaultDn}: ${routed.message}`, { status: 480, reason: 'No route' });
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Third-party call control (SPEC S3): the CallControl interface of the CTI server, in call-control.ts.

  /** RequestMakeCall (RFC 3725 §4.1 flow IV: the origin phone ACKed on hold, re-INVITEd on the answer). */
  makeCall(
    originDn: string,
    destination: string,
    userData: Record<string, string> = {},
  ): CallControlResult<{ connId: ConnID }> {
    return this.control.makeCall(originDn, destination, userData);
  }

  /** RequestAnswerCall (NOTIFY Event: talk). */
  answerCall(connId: ConnID, dn: string): CallControlResult {
    return this.control.answerCall(connId, dn);
  }

  /** RequestReleaseCall. */
  releaseCall(connId: ConnID, dn: string): CallControlResult {
    return this.control.releaseCall(connId, dn);
  }

  /** RequestHoldCall. */
  holdCall(connId: ConnID, dn: string): CallControlResult {
    return this.control.holdCall(connId, dn);
  }

  /** RequestRetrieveCall. */
  retrieveCall(connId: ConnID, dn: string): CallControlResult {
    return this.control.retrieveCall(connId, dn);
  }

  /** RequestInitiateTransfer: holds the call and makes a consultation call. */
  initiateTransfer(
    connId: ConnID,
    dn: string,
    destination: string,
    userData: Record<string, string> = {},
  ): CallControlResult<{ connId: ConnID }> {
    return this.control.initiateTransfer(connId, dn, destination, userData);
  }

  /** RequestCompleteTransfer. */
  completeTransfer(heldConnId: ConnID, consultConnId: ConnID, dn: string): CallControlResult {
    return this.control.completeTransfer(heldConnId, consultConnId, dn);
  }

  /** RequestSingleStepTransfer. */
  singleStepTransfer(connId: ConnID, dn: string, destination: string): CallControlResult {
    return this.control.singleStepTransfer(connId, dn, destination);
  }

  /** RequestAttachUserData / RequestUpdateUserData. */
  updateUserData(connId: ConnID, data: Record<string, string>, mode: 'attach' | 'update'): CallControlResult {
    return this.control.updateUserData(connId, data, mode);
  }

  /** The calls `dn` takes part in, with its party state and the other party (RequestQueryAddress). */
  callsOf(dn: string): DnCallView[] {
    return this.control.callsOf(dn);
  }

  /** The narrow view of the core that call control works through. */
  private callCore(): CallCore {
    return {
      inDialog: (connId, legId, method, extra) => this.inDialog(connId, legId, method, extra),
      updateLeg: (connId, legId, changes) => this.updateLeg(connId, legId, changes),
      sendAck: (dialog, inviteSeq, body) => this.sendAck(dialog, inviteSeq, body),
      runtimeOf: (connId) => this.runtimeOf(connId),
      peekRuntime: (connId) => this.runtime.get(connId),
      commit: (record) => this.commit(record),
      setPartyState: (connId, dn, state) => this.setPartyState(connId, dn, state),
      setDeadline: (connId, deadline) => this.setDeadline(connId, deadline),
      peerOf: (call, legId) => this.peerOf(call, legId),
      release: (connId, cause, toCaller, byeFrom, callState) =>
        this.release(connId, cause, toCaller, byeFrom, callState),
      route: (connId, target) => this.route(connId, target),
      resolve: (dialed, origin) =>
        resolveTarget(this.ctx.config(), dialed, origin, (dn) => this.deps.isInService(dn), this.rotation++),
      reachDn: (dn) => this.reachDn(dn),
      ackAndByeOrphan: (res) => this.ackAndByeOrphan(res),
      contactHeader: () => this.contactHeader(),
      callCreated: (call) => this.deps.hooks?.callCreated?.(call),
    };
  }

  private isTrunk(dn: string): boolean {
    return this.ctx.dn(dn)?.type === 'Trunk';
  }

  // ---------------------------------------------------------------------------------------------------------
  // Helpers

  /**
   * Every change of a call goes through here, and only a primary makes changes: a server that was just
   * demoted still hears the last callbacks of its transactions (a timeout, a transport error on its closed
   * port), and acting on them would make its copy differ from the new primary's.
   */
  private commit(record: StoreRecord): void {
    if (!this.ctx.gate.mayAct()) return;
    this.ctx.store.commit(record);
  }

  private updateLeg(connId: ConnID, legId: string, changes: LegChanges): void {
    this.commit({ type: 'LegUpdated', connId, legId, changes });
  }

  private addParty(connId: ConnID, dn: string, state: PartyState, number?: string): void {
    const party: Party = { dn, role: 'Destination', state };
    if (number !== undefined && number !== dn) party.number = number;
    this.commit({ type: 'PartyAdded', connId, party });
  }

  private setPartyState(connId: ConnID, dn: string, state: PartyState): void {
    const parties = this.ctx.store.call(connId)?.parties ?? [];
    let party: Readonly<Party> | undefined;
    for (let i = parties.length - 1; i >= 0 && party === undefined; i--)
      if (parties[i]!.dn === dn) party = parties[i];
    if (party && party.state !== state && party.state !== 'Released') {
      this.commit({ type: 'PartyStateChanged', connId, dn, state });
    }
  }

  /**
   * The leg bridged with `legId`: the caller's leg for a callee leg, the latest live callee leg for the
   * caller's. After a transfer took the caller's leg out, a callee leg's peer is the other live leg.
   */
  private peerOf(call: Readonly<Call>, legId: string): Readonly<Leg> | undefined {
    if (legId !== 'a') {
      const a = call.legs.find((l) => l.id === 'a');
      if (a && a.state !== 'ended') return a;
      for (let i = call.legs.length - 1; i >= 0; i--) {
        const l = call.legs[i]!;
        if (l.id !== legId && l.state !== 'ended') return l;
      }
      return a;
    }
    for (let i = call.legs.length - 1; i >= 0; i--) {
      const l = call.legs[i]!;
      if (l.side === 'callee' && l.state !== 'ended') return l;
    }
    return undefined;
  }

  private runtimeOf(connId: ConnID): CallRuntime {
    let rt = this.runtime.get(connId);
    if (!rt) {
      rt = { retransmitters: new Map(), inviteTx: new Map(), trunksLeft: [], acks: new Map() };
      this.runtime.set(connId, rt);
    }
    return rt;
  }

  private legOf(sipCallId: string): { connId: ConnID; legId: string } | undefined {
    return this.byCallId.get(sipCallId);
  }

  private index(r: StoreRecord): void {
    switch (r.type) {
      case 'CallCreated':
        for (const leg of r.call.legs) this.indexLeg(r.call.connId, leg.id, leg.callId);
        return;
      case 'LegAdded':
        this.indexLeg(r.connId, r.leg.id, r.leg.callId);
        return;
      case 'CallReleased': {
        const callIds = this.callIdsOf.get(r.connId);
        if (!callIds) return;
        this.callIdsOf.delete(r.connId);
        for (const k of callIds) if (this.byCallId.get(k)?.connId === r.connId) this.byCallId.delete(k);
        return;
      }
      default:
    }
  }

  private indexLeg(connId: ConnID, legId: string, callId: string): void {
    this.byCallId.set(callId, { connId, legId });
    const callIds = this.callIdsOf.get(connId);
    if (callIds) callIds.push(callId);
    else this.callIdsOf.set(connId, [callId]);
  }

  /** Who calls: a Trunk by its source address (trusted, S2.7), else the DN in the From URI. */
  private originOf(req: SipRequest, inbound: Inbound): Origin | undefined {
    const config = this.ctx.config();
    const trunk = trunkAt(config, inbound.source.host, inbound.source.port);
    if (trunk) return { dn: trunk, callType: 'Inbound' };
    const from = getFrom(req).uri;
    const user = 'user' in from ? from.user : 'number' in from ? from.number : undefined;
    const dn = user ? config.dns[user] : undefined;
    if (dn && (dn.type === 'Extension' || dn.type === 'ACD Position'))
      return { dn: dn.number, callType: 'Internal' };
    return undefined;
  }

  private contactUri(): string {
    const { host, port, transport } = this.ctx.local;
    const shown = host.includes(':') ? `[${host}]` : host;
    return `sip:duet@${shown}:${port}${transport === 'TCP' ? ';transport=tcp' : ''}`;
  }

  private contactHeader(): HeaderField {
    return { name: 'Contact', value: `<${this.contactUri()}>` };
  }

  /** Where a DN's phone is: its registered contact, else its fixed `contact` option. */
  private reachDn(dn: string): { uri: string; destination: Destination } | undefined {
    const contact = this.deps.lookupContacts(dn)[0];
    const fixed = this.ctx.dn(dn)?.options.contact;
    return contact ? reachOf(contact) : fixed ? contactTarget(fixed, dn) : undefined;
  }
}

/**
 * Where to send a request for a registered contact: its Contact URI (RFC 3261 §16.5), except when the phone is
 * behind a NAT (its Contact names a private address other than the one the REGISTER came from): then the
 * REGISTER's source address, the only one that reaches it.
 */
export function reachOf(contact: Readonly<Contact>): { uri: string; destination: Destination } | undefined {
  const uri = parseUri(contact.uri);
  if (!uri || (uri.scheme !== 'sip' && uri.scheme !== 'sips')) return undefined;
  let destination: Destination;
  try {
    destination = nextHopOf(uri, contact.source.transport);
  } catch {
    return undefined;
  }
  const natted = isPrivateAddress(destination.host) && destination.host !== contact.source.host;
  return { uri: contact.uri, destination: natted ? { ...contact.source } : destination };
}

function isPrivateAddress(host: string): boolean {
  return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.|169\.254\.|f[cd][0-9a-f]{2}:)/i.test(
    host,
  );
}

function dialedOf(req: SipRequest): string | undefined {
  const uri = req.uri;
  if ('user' in uri && uri.user) return uri.user.replace(/[-.() ]/g, '');
  if ('number' in uri) return uri.number.replace(/[-.() ]/g, '');
  return undefined;
}

/** The caller's number of an INVITE: the From URI's user part (an inbound call's ANI). */
function callerNumberOf(req: SipRequest): string | undefined {
  const from = getFrom(req).uri;
  return 'user' in from && from.user ? from.user : 'number' in from ? from.number : undefined;
}
