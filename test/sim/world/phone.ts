/**
 * A busy phone for the HA world: it registers (and re-registers), answers every call after a fixed delay, and
 * places calls one after another to random other phones with random hold times, until told to stop. Unlike
 * test/sim/phone.ts it keeps every call by Call-ID, on both sides: what the caller saw (answered, its BYE
 * answered 200) and what the callee saw (confirmed, BYE received), so that the invariants can follow one
 * call across a failover.
 */
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import { getCSeq } from '../../../src/sip/message/headers.ts';
import type { SipResponse } from '../../../src/sip/message/types.ts';
import { TransactionLayer } from '../../../src/sip/transaction/layer.ts';
import { SipTransport } from '../../../src/sip/transport/transport.ts';
import type { Destination } from '../../../src/sip/transport/types.ts';
import { SimpleUas } from '../../../src/sip/ua/uas.ts';
import { PhoneMessages } from '../phone-messages.ts';

export type Outcome =
  | 'pending'
  | 'completed'
  | `failed-${number}`
  | 'timeout'
  | `bye-failed-${number}`
  | 'bye-timeout';

/** A call this phone placed (its caller leg). */
export interface PlacedCall {
  callId: string;
  from: string;
  dialed: string;
  startedAt: number;
  answeredAt: number | null;
  byeSentAt: number | null;
  endedAt: number | null;
  outcome: Outcome;
}

/** A call this phone answered (its callee leg). */
export interface AnsweredCall {
  callId: string;
  confirmedAt: number | null;
  byeAt: number | null;
}

export interface WorldPhoneOptions {
  answerAfterMs: number;
  /** The DNs this phone may call. */
  peers: readonly string[];
  holdMs: readonly [number, number];
  idleMs: readonly [number, number];
  registerEveryMs: number;
}

export class WorldPhone {
  readonly placed = new Map<string, PlacedCall>();
  readonly answered = new Map<string, AnsweredCall>();
  readonly uas: SimpleUas;
  private readonly uac: TransactionLayer;
  private readonly transport: SipTransport;
  private readonly host: string;
  private readonly messages: PhoneMessages;
  private stopCallsAt = 0;

  constructor(
    private readonly node: SimNode,
    readonly dn: string,
    private readonly server: Destination,
    private readonly opts: WorldPhoneOptions,
  ) {
    this.host = node.hosts[0]!;
    this.messages = new PhoneMessages(dn, this.host, server, () => this.uac.newBranch());
    this.transport = new SipTransport({
      net: node.net,
      clock: node.clock,
      host: this.host,
      port: 5060,
      protocols: ['UDP'],
      onMessage: (msg, inbound) => {
        if (msg.kind === 'response') this.uac.receive(msg, inbound);
        else this.uas.layer.receive(msg, inbound);
      },
    });
    this.transport.listen(() => {});
    this.uas = new SimpleUas({
      clock: node.clock,
      random: node.random,
      sender: this.transport,
      contact: `sip:${dn}@${this.host}:5060`,
      answerAfterMs: opts.answerAfterMs,
      onEvent: (e) => {
        const now = node.clock.now();
        let a = this.answered.get(e.callId);
        if (e.kind === 'invite' && !a) {
          a = { callId: e.callId, confirmedAt: null, byeAt: null };
          this.answered.set(e.callId, a);
        }
        if (!a) return;
        if (e.kind === 'confirmed' && a.confirmedAt === null) a.confirmedAt = now;
        if (e.kind === 'bye' && a.byeAt === null) a.byeAt = now;
      },
    });
    this.uac = new TransactionLayer({
      clock: node.clock,
      random: node.random,
      sender: this.transport,
      onRequest: () => {},
      onStrayResponse: (res) => {
        if (res.status >= 200 && res.status < 300 && getCSeq(res).method === 'INVITE') this.ack(res);
      },
    });
  }

  /** Registers now and periodically; places calls until `stopCallsAt` (virtual epoch ms). */
  start(stopCallsAt: number): void {
    this.stopCallsAt = stopCallsAt;
    const reg = (): void => {
      this.register();
      if (this.node.clock.now() < stopCallsAt) this.node.clock.setTimer(this.opts.registerEveryMs, reg);
    };
    reg();
    this.next();
  }

  /** Calls placed and not finished (no final outcome yet). */
  get inProgress(): number {
    let n = 0;
    for (const c of this.placed.values()) if (c.outcome === 'pending') n++;
    return n;
  }

  private next(): void {
    const [lo, hi] = this.opts.idleMs;
    this.node.clock.setTimer(lo + this.node.random.int(hi - lo + 1), () => {
      if (this.node.clock.now() >= this.stopCallsAt) return;
      const peers = this.opts.peers;
      const dialed = peers[this.node.random.int(peers.length)]!;
      const [h0, h1] = this.opts.holdMs;
      this.call(dialed, h0 + this.node.random.int(h1 - h0 + 1));
    });
  }

  private finish(c: PlacedCall, outcome: Outcome): void {
    if (c.outcome !== 'pending') return;
    c.outcome = outcome;
    c.endedAt = this.node.clock.now();
    this.next();
  }

  register(expires = 300): void {
    const req = this.messages.register(`reg-${this.dn}-${this.node.random.hex(8)}`, expires);
    this.uac.sendRequest(req, this.server, { onResponse() {}, onTimeout() {}, onTransportError() {} });
  }

  private call(dialed: string, holdMs: number): void {
    const callId = `call-${this.dn}-${this.node.random.hex(10)}`;
    const c: PlacedCall = {
      callId,
      from: this.dn,
      dialed,
      startedAt: this.node.clock.now(),
      answeredAt: null,
      byeSentAt: null,
      endedAt: null,
      outcome: 'pending',
    };
    this.placed.set(callId, c);
    const invite = this.messages.invite(dialed, callId);
    this.uac.sendRequest(invite, this.server, {
      onResponse: (res) => {
        if (res.status < 200) return;
        if (res.status >= 300) {
          this.finish(c, `failed-${res.status}`);
          return;
        }
        this.ack(res);
        if (c.answeredAt !== null) return;
        c.answeredAt = this.node.clock.now();
        this.node.clock.setTimer(holdMs, () => this.bye(c, res));
      },
      onTimeout: () => {
        if (c.answeredAt === null) this.finish(c, 'timeout');
      },
      onTransportError: () => {
        if (c.answeredAt === null) this.finish(c, 'timeout');
      },
    });
  }

  private ack(ok: SipResponse): void {
    this.transport.sendRequest(this.messages.ack(ok), this.server);
  }

  private bye(c: PlacedCall, ok: SipResponse): void {
    const bye = this.messages.bye(ok, c.dialed);
    c.byeSentAt = this.node.clock.now();
    this.uac.sendRequest(bye, this.server, {
      onResponse: (res) => {
        if (res.status >= 200) this.finish(c, res.status === 200 ? 'completed' : `bye-failed-${res.status}`);
      },
      onTimeout: () => this.finish(c, 'bye-timeout'),
      onTransportError: () => this.finish(c, 'bye-timeout'),
    });
  }
}
