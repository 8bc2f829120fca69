/**
 * A phone for the call-control simulation tests, on the sip/ layer and its dialog functions: it registers as
 * a DN; takes INVITEs with SDP (answers) and without (offers in its 2xx, takes the answer from the ACK), and
 * answers at once when the INVITE carries the auto-answer hint (Call-Info answer-after=0) or on an
 * out-of-dialog NOTIFY Event: talk; answers re-INVITEs (hold, retrieve, offerless); places calls and hangs
 * up. Like a real phone it hangs up (BYE) a call whose 2xx got no ACK within 64*T1 (RFC 3261 §13.3.1.4). Every
 * request it receives is written to `log` ("INVITE nosdp auto", "reINVITE hold", "ACK sdp", ...).
 */

import type { SimNode } from '../../src/runtime/sim/node.ts';
import { isHoldSdp } from '../../src/server/b2bua/sdp.ts';
import { dialogFromUacResponse, dialogFromUasRequest } from '../../src/sip/dialog/create.ts';
import { buildAck, buildInDialogRequest } from '../../src/sip/dialog/request.ts';
import type { DialogState } from '../../src/sip/dialog/state.ts';
import { confirm, onInDialogRequest } from '../../src/sip/dialog/update.ts';
import { createResponse } from '../../src/sip/message/build.ts';
import { getCallId, getCSeq, getHeader, getTo } from '../../src/sip/message/headers.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message/types.ts';
import type { InviteServerTransaction } from '../../src/sip/transaction/invite-server.ts';
import { type ServerTransaction, TransactionLayer } from '../../src/sip/transaction/layer.ts';
import { SipTransport } from '../../src/sip/transport/transport.ts';
import type { Destination, Inbound } from '../../src/sip/transport/types.ts';
import { TwoXxRetransmitter } from '../../src/sip/ua/two-xx-retransmitter.ts';
import { PhoneMessages } from './phone-messages.ts';

export interface PhoneSession {
  callId: string;
  direction: 'in' | 'out';
  state: 'ringing' | 'answered' | 'confirmed' | 'ended';
  dialog: DialogState | null;
  /** The last SDP the server sent us (offer or answer). */
  remoteSdp: string | null;
  /** Every SDP the server sent in this session (INVITE, ACK, re-INVITE bodies), in order. */
  sdps: string[];
  /** The server's last SDP put us on hold (sendonly / inactive / 0.0.0.0). */
  held: boolean;
  invite?: SipRequest;
  tx?: InviteServerTransaction;
  inbound?: Inbound;
  retransmit?: TwoXxRetransmitter | null;
}

const IGNORE = { onResponse() {}, onTimeout() {}, onTransportError() {} };

export class CtiPhone {
  readonly layer: TransactionLayer;
  readonly log: string[] = [];
  readonly sessions = new Map<string, PhoneSession>();
  private readonly transport: SipTransport;
  private readonly messages: PhoneMessages;
  private readonly host: string;
  private sdpVersion = 1;
  /** The RTP port in this phone's SDP (opts.newMediaOnReinvite moves it at each re-INVITE). */
  private mediaPort = 4000;

  constructor(
    private readonly node: SimNode,
    readonly dn: string,
    private readonly server: Destination,
    /**
     * answerAfterMs: answer delay for INVITEs without the auto-answer hint (Infinity: only on NOTIFY talk);
     * rejectWith: the final status of every INVITE; reinviteStatus: the final status of every re-INVITE
     * (default 200); newMediaOnReinvite: each re-INVITE is answered with a new RTP port.
     */
    private readonly opts: {
      answerAfterMs?: number;
      rejectWith?: number;
      reinviteStatus?: number;
      newMediaOnReinvite?: boolean;
    } = {},
  ) {
    this.host = node.hosts[0]!;
    this.transport = new SipTransport({
      net: node.net,
      clock: node.clock,
      host: this.host,
      port: 5060,
      protocols: ['UDP'],
      onMessage: (msg, inbound) => this.layer.receive(msg, inbound),
    });
    this.transport.listen(() => {});
    this.messages = new PhoneMessages(dn, this.host, server, () => this.layer.newBranch());
    this.layer = new TransactionLayer({
      clock: node.clock,
      random: node.random,
      sender: this.transport,
      onRequest: (req, tx, inbound) => this.onRequest(req, tx, inbound),
      onStrayResponse: (res) => {
        const s = this.sessions.get(getCallId(res));
        if (s?.dialog && res.status >= 200 && res.status < 300 && getCSeq(res).method === 'INVITE') {
          this.sendAck(s.dialog, getCSeq(res).seq);
        }
      },
    });
  }

  register(expires = 300): void {
    this.layer.sendRequest(
      this.messages.register(`reg-${this.node.random.hex(8)}`, expires),
      this.server,
      IGNORE,
    );
  }

  /** Where this phone receives media now: "address port", as mediaOf() reads an SDP. */
  get media(): string {
    return `${this.host} ${this.mediaPort}`;
  }

  /** Sessions in a call now (answered or confirmed). */
  get activeCalls(): PhoneSession[] {
    return [...this.sessions.values()].filter((s) => s.state === 'answered' || s.state === 'confirmed');
  }

  /** Places a call to `dialed` (INVITE with SDP), ACKs its 2xx. */
  call(dialed: string): string {
    const callId = `call-${this.node.random.hex(10)}`;
    const invite = this.messages.invite(dialed, callId);
    const s: PhoneSession = {
      callId,
      direction: 'out',
      state: 'ringing',
      dialog: null,
      remoteSdp: null,
      sdps: [],
      held: false,
    };
    this.sessions.set(callId, s);
    this.layer.sendRequest(invite, this.server, {
      onResponse: (res) => {
        if (res.status < 200) return;
        if (res.status >= 300) {
          s.state = 'ended';
          this.log.push(`final ${res.status}`);
          return;
        }
        if (!s.dialog) {
          s.dialog = dialogFromUacResponse(invite, res);
          s.remoteSdp = bodyOf(res);
          if (s.remoteSdp) s.sdps.push(s.remoteSdp);
          s.state = 'confirmed';
        }
        this.sendAck(s.dialog, getCSeq(res).seq);
      },
      onTimeout: () => {
        s.state = 'ended';
      },
      onTransportError: () => {
        s.state = 'ended';
      },
    });
    return callId;
  }

  /** BYE on the given (or the only active) session. */
  hangup(callId?: string): void {
    const s = callId ? this.sessions.get(callId) : this.activeCalls[0];
    if (!s?.dialog) throw new Error(`${this.dn}: no call to hang up`);
    const out = buildInDialogRequest(s.dialog, 'BYE', {
      branch: this.layer.newBranch(),
      viaHost: this.host,
      viaPort: 5060,
    });
    s.dialog = out.state;
    s.state = 'ended';
    this.stop(s);
    this.layer.sendRequest(out.request, out.destination, IGNORE);
  }

  private onRequest(req: SipRequest, tx: ServerTransaction | null, inbound: Inbound): void {
    const callId = getCallId(req);
    const s = this.sessions.get(callId);
    if (req.method === 'ACK') {
      if (!s) return;
      const sdp = bodyOf(req);
      this.log.push(`ACK${sdp ? ' sdp' : ''}`);
      if (sdp) {
        s.remoteSdp = sdp;
        s.sdps.push(sdp);
      }
      this.stop(s);
      if (s.state === 'answered') s.state = 'confirmed';
      return;
    }
    if (!tx) return;
    switch (req.method) {
      case 'INVITE':
        if (getTo(req).params.tag) this.onReinvite(req, tx as InviteServerTransaction, inbound, s);
        else this.onInvite(req, tx as InviteServerTransaction, inbound);
        return;
      case 'BYE': {
        this.log.push('BYE');
        tx.respond(createResponse(req, s ? 200 : 481));
        if (s) {
          s.state = 'ended';
          this.stop(s);
        }
        return;
      }
      case 'CANCEL': {
        this.log.push('CANCEL');
        tx.respond(createResponse(req, 200));
        if (s?.state === 'ringing' && s.tx) {
          s.tx.respond(createResponse(s.tx.request, 487, undefined, { toTag: s.dialog?.id.localTag }));
          s.state = 'ended';
        }
        return;
      }
      case 'NOTIFY': {
        const event = getHeader(req, 'Event') ?? '';
        this.log.push(`NOTIFY ${event}`);
        tx.respond(createResponse(req, 200, undefined, { toTag: this.node.random.hex(8) }));
        if (event.trim().toLowerCase() === 'talk') {
          for (const r of this.sessions.values())
            if (r.state === 'ringing' && r.direction === 'in') this.answer(r);
        }
        return;
      }
      default:
        tx.respond(createResponse(req, 405));
    }
  }

  private onInvite(req: SipRequest, tx: InviteServerTransaction, inbound: Inbound): void {
    const callId = getCallId(req);
    const auto = /answer-after=0/.test(getHeader(req, 'Call-Info') ?? '');
    this.log.push(`INVITE ${bodyOf(req) ? 'sdp' : 'nosdp'}${auto ? ' auto' : ''}`);
    const localTag = this.node.random.hex(8);
    if (this.opts.rejectWith) {
      tx.respond(createResponse(req, this.opts.rejectWith, undefined, { toTag: localTag }));
      return;
    }
    const dialog = dialogFromUasRequest(req, {
      localTag,
      localContact: `<sip:${this.dn}@${this.host}:5060>`,
      state: 'early',
    });
    const s: PhoneSession = {
      callId,
      direction: 'in',
      state: 'ringing',
      dialog,
      remoteSdp: bodyOf(req),
      sdps: bodyOf(req) ? [bodyOf(req)!] : [],
      held: false,
      invite: req,
      tx,
      inbound,
    };
    this.sessions.set(callId, s);
    tx.respond(createResponse(req, 180, undefined, { toTag: localTag, headers: [this.contact()] }));
    const delay = auto ? 0 : (this.opts.answerAfterMs ?? 200);
    if (Number.isFinite(delay)) this.node.clock.setTimer(delay, () => this.answer(s));
  }

  private answer(s: PhoneSession): void {
    if (s.state !== 'ringing' || !s.invite || !s.tx || !s.dialog || !s.inbound) return;
    const offer = s.remoteSdp;
    const ok = createResponse(s.invite, 200, undefined, {
      toTag: s.dialog.id.localTag,
      headers: [this.contact()],
      body: Buffer.from(this.sdp(offer && isHoldSdp(offer) ? 'recvonly' : 'sendrecv')),
      contentType: 'application/sdp',
    });
    s.tx.respond(ok);
    s.dialog = confirm(s.dialog);
    s.state = 'answered';
    this.retransmit(s, ok, s.inbound);
  }

  private onReinvite(req: SipRequest, tx: InviteServerTransaction, inbound: Inbound, s?: PhoneSession): void {
    if (!s?.dialog || s.state === 'ended') {
      tx.respond(createResponse(req, 481));
      return;
    }
    const checked = onInDialogRequest(s.dialog, req);
    if ('reject' in checked) {
      tx.respond(createResponse(req, checked.reject, checked.reason));
      return;
    }
    s.dialog = checked.state;
    const offer = bodyOf(req);
    if (offer) {
      s.remoteSdp = offer;
      s.sdps.push(offer);
      s.held = isHoldSdp(offer);
    }
    this.log.push(`reINVITE ${offer ? (s.held ? 'hold' : 'active') : 'nosdp'}`);
    if (this.opts.reinviteStatus && this.opts.reinviteStatus >= 300) {
      tx.respond(createResponse(req, this.opts.reinviteStatus));
      return;
    }
    if (this.opts.newMediaOnReinvite) this.mediaPort += 2;
    const ok = createResponse(req, 200, undefined, {
      headers: [this.contact()],
      body: Buffer.from(this.sdp(offer && s.held ? 'recvonly' : 'sendrecv')),
      contentType: 'application/sdp',
    });
    tx.respond(ok);
    this.retransmit(s, ok, inbound);
  }

  private retransmit(s: PhoneSession, ok: SipResponse, inbound: Inbound): void {
    this.stop(s);
    s.retransmit = new TwoXxRetransmitter(
      this.node.clock,
      this.transport,
      ok,
      inbound,
      this.layer.timers,
      () => {
        // No ACK in 64*T1: the dialog is confirmed but the session ends (RFC 3261 §13.3.1.4).
        s.retransmit = null;
        this.log.push('ack-timeout');
        if (s.state !== 'ended' && s.dialog) this.hangup(s.callId);
      },
    );
  }

  private stop(s: PhoneSession): void {
    s.retransmit?.stop();
    s.retransmit = null;
  }

  private sendAck(dialog: DialogState, seq: number): void {
    const ack = buildAck(dialog, seq, { branch: this.layer.newBranch(), viaHost: this.host, viaPort: 5060 });
    this.transport.sendRequest(ack.request, ack.destination);
  }

  private sdp(direction: 'sendrecv' | 'recvonly'): string {
    const v = this.sdpVersion++;
    return (
      `v=0\r\no=${this.dn} 1 ${v} IN IP4 ${this.host}\r\ns=-\r\nc=IN IP4 ${this.host}\r\nt=0 0\r\n` +
      `m=audio ${this.mediaPort} RTP/AVP 0\r\na=${direction}\r\n`
    );
  }

  private contact(): { name: string; value: string } {
    return { name: 'Contact', value: `<sip:${this.dn}@${this.host}:5060>` };
  }
}

function bodyOf(msg: SipRequest | SipResponse): string | null {
  return msg.body.length > 0 ? Buffer.from(msg.body).toString('latin1') : null;
}

/** Where an SDP sends media: "address port" of its first m-line (session- or media-level c=). */
export function mediaOf(sdp: string | null | undefined): string {
  const address = /^c=IN IP[46] (\S+)/m.exec(sdp ?? '')?.[1];
  const port = /^m=\S+ (\d+)/m.exec(sdp ?? '')?.[1];
  return `${address} ${port}`;
}
