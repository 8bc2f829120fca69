/**
 * A minimal user agent server on the sip/ layer: it answers OPTIONS, takes INVITE dialogs (180 then 200 with
 * an SDP answer), ends them on BYE, honours CANCEL, and refuses the rest. It is the "real peer" target of the
 * foundation's sipp test and a building block for test phones; a server's call logic lives above sip/.
 *
 * As a UAS core it owns the 2xx retransmissions of RFC 3261 §13.3.1.4 (TwoXxRetransmitter).
 */
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { Random } from '../../runtime/random.ts';
import { createResponse } from '../message/build.ts';
import { getCallId, getCSeq, getFrom, getTo } from '../message/headers.ts';
import type { SipRequest } from '../message/types.ts';
import type { InviteServerTransaction } from '../transaction/invite-server.ts';
import type { ServerTransaction } from '../transaction/layer.ts';
import { TransactionLayer } from '../transaction/layer.ts';
import type { Inbound, SipSender } from '../transport/types.ts';
import { TwoXxRetransmitter } from './two-xx-retransmitter.ts';

export interface UasOptions {
  clock: Clock;
  random: Random;
  sender: SipSender;
  /** Contact to put in 2xx (`sip:uas@127.0.0.1:5060`). */
  contact: string;
  /** Delay between 180 Ringing and 200 OK. Default 0. */
  answerAfterMs?: number;
  /** Status to answer INVITEs with instead of 200 (e.g. 486). */
  rejectInviteWith?: number;
  timers?: { T1?: number; T2?: number; T4?: number };
  onEvent?(event: UasEvent): void;
}

export type UasEvent =
  | { kind: 'options'; callId: string }
  | { kind: 'invite'; callId: string }
  | { kind: 'answered'; callId: string }
  | { kind: 'confirmed'; callId: string }
  | { kind: 'ack-timeout'; callId: string }
  | { kind: 'cancelled'; callId: string }
  | { kind: 'bye'; callId: string };

interface Session {
  callId: string;
  localTag: string;
  remoteTag: string;
  state: 'ringing' | 'answered' | 'confirmed';
  invite: InviteServerTransaction;
  answerTimer: TimerHandle | null;
  retransmit: TwoXxRetransmitter | null;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS';

export class SimpleUas {
  readonly layer: TransactionLayer;
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly opts: UasOptions) {
    this.layer = new TransactionLayer({
      clock: opts.clock,
      random: opts.random,
      sender: opts.sender,
      timers: opts.timers,
      onRequest: (req, tx, inbound) => this.onRequest(req, tx, inbound),
    });
  }

  /** Dialogs in progress. */
  get activeSessions(): number {
    return this.sessions.size;
  }

  /** Stops every timer (the UA is being shut down). */
  close(): void {
    for (const s of this.sessions.values()) this.stopTimers(s);
    this.sessions.clear();
  }

  private onRequest(req: SipRequest, tx: ServerTransaction | null, inbound: Inbound): void {
    const callId = getCallId(req);
    if (req.method === 'ACK') {
      // An ACK for a 2xx has no transaction (§17.2.3 / RFC 6026): it confirms the dialog.
      const s = this.sessions.get(callId);
      if (s && s.state === 'answered' && getCSeq(req).seq === getCSeq(s.invite.request).seq) {
        s.state = 'confirmed';
        this.stopTimers(s);
        this.opts.onEvent?.({ kind: 'confirmed', callId });
      }
      return;
    }
    if (!tx) return;
    switch (req.method) {
      case 'OPTIONS':
        tx.respond(
          createResponse(req, 200, undefined, {
            toTag: this.opts.random.hex(10),
            headers: [
              { name: 'Allow', value: ALLOW },
              { name: 'Accept', value: 'application/sdp' },
            ],
          }),
        );
        this.opts.onEvent?.({ kind: 'options', callId });
        return;
      case 'INVITE':
        this.onInvite(req, tx as InviteServerTransaction, inbound);
        return;
      case 'CANCEL':
        this.onCancel(req, tx);
        return;
      case 'BYE':
        this.onBye(req, tx);
        return;
      default:
        tx.respond(createResponse(req, 405, undefined, { headers: [{ name: 'Allow', value: ALLOW }] }));
    }
  }

  private onInvite(req: SipRequest, tx: InviteServerTransaction, inbound: Inbound): void {
    const callId = getCallId(req);
    if (getTo(req).params.tag) {
      // A re-INVITE: this UAS does not renegotiate, but must not break the dialog (§14.2).
      const known = this.sessions.get(callId);
      tx.respond(createResponse(req, known ? 488 : 481));
      return;
    }
    const localTag = this.opts.random.hex(10);
    const reject = this.opts.rejectInviteWith;
    if (reject !== undefined) {
      tx.respond(createResponse(req, reject, undefined, { toTag: localTag }));
      return;
    }
    const s: Session = {
      callId,
      localTag,
      remoteTag: getFrom(req).params.tag ?? '',
      state: 'ringing',
      invite: tx,
      answerTimer: null,
      retransmit: null,
    };
    this.sessions.set(callId, s);
    this.opts.onEvent?.({ kind: 'invite', callId });
    tx.respond(createResponse(req, 180, undefined, { toTag: localTag, headers: [this.contactHeader()] }));
    const answer = (): void => {
      s.answerTimer = null;
      const ok = createResponse(req, 200, undefined, {
        toTag: localTag,
        headers: [this.contactHeader(), { name: 'Allow', value: ALLOW }],
        body: answerSdp(this.opts.contact),
        contentType: 'application/sdp',
      });
      if (!tx.respond(ok)) return;
      s.state = 'answered';
      this.opts.onEvent?.({ kind: 'answered', callId });
      s.retransmit = new TwoXxRetransmitter(
        this.opts.clock,
        this.opts.sender,
        ok,
        inbound,
        this.layer.timers,
        () => {
          s.retransmit = null;
          this.sessions.delete(s.callId);
          this.opts.onEvent?.({ kind: 'ack-timeout', callId: s.callId });
        },
      );
    };
    const delay = this.opts.answerAfterMs ?? 0;
    if (delay > 0) s.answerTimer = this.opts.clock.setTimer(delay, answer);
    else answer();
  }

  private onCancel(cancel: SipRequest, tx: ServerTransaction): void {
    const invite = this.layer.findInviteForCancel(cancel);
    if (!invite) {
      tx.respond(createResponse(cancel, 481));
      return;
    }
    tx.respond(createResponse(cancel, 200));
    const s = this.sessions.get(getCallId(cancel));
    if (s && s.state === 'ringing') {
      this.stopTimers(s);
      this.sessions.delete(s.callId);
      invite.respond(createResponse(invite.request, 487, undefined, { toTag: s.localTag }));
      this.opts.onEvent?.({ kind: 'cancelled', callId: s.callId });
    }
  }

  private onBye(req: SipRequest, tx: ServerTransaction): void {
    const callId = getCallId(req);
    const s = this.sessions.get(callId);
    if (!s || getTo(req).params.tag !== s.localTag) {
      tx.respond(createResponse(req, 481));
      return;
    }
    this.stopTimers(s);
    this.sessions.delete(callId);
    tx.respond(createResponse(req, 200));
    this.opts.onEvent?.({ kind: 'bye', callId });
  }

  private stopTimers(s: Session): void {
    if (s.answerTimer !== null) this.opts.clock.clearTimer(s.answerTimer);
    s.retransmit?.stop();
    s.answerTimer = null;
    s.retransmit = null;
  }

  private contactHeader(): { name: string; value: string } {
    return { name: 'Contact', value: `<${this.opts.contact}>` };
  }
}

/** A fixed audio answer (media is out of scope for this UA; sipp does not check it). */
function answerSdp(contact: string): Uint8Array {
  const host = /@([^:;>]+)/.exec(contact)?.[1] ?? '127.0.0.1';
  const ip = host.replace(/^\[|\]$/g, '');
  const family = ip.includes(':') ? 'IP6' : 'IP4';
  return Buffer.from(
    `v=0\r\no=duet 1 1 IN ${family} ${ip}\r\ns=-\r\nc=IN ${family} ${ip}\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`,
  );
}
