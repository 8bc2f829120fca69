/**
 * A phone for simulation tests, on the sip/ layer: it registers as a DN, answers calls (SimpleUas) and places
 * calls through the server (INVITE, ACK of the 2xx, BYE after a hold time).
 */
import type { SimNode } from '../../src/runtime/sim/node.ts';
import { getCSeq } from '../../src/sip/message/headers.ts';
import type { SipResponse } from '../../src/sip/message/types.ts';
import { TransactionLayer } from '../../src/sip/transaction/layer.ts';
import { SipTransport } from '../../src/sip/transport/transport.ts';
import type { Destination } from '../../src/sip/transport/types.ts';
import { SimpleUas } from '../../src/sip/ua/uas.ts';
import { PhoneMessages } from './phone-messages.ts';

export interface CallResult {
  dialed: string;
  outcome: 'completed' | `failed-${number}` | 'timeout';
}

export class SimPhone {
  readonly uas: SimpleUas;
  readonly uac: TransactionLayer;
  readonly results: CallResult[] = [];
  private readonly transport: SipTransport;
  private readonly messages: PhoneMessages;

  constructor(
    private readonly node: SimNode,
    readonly dn: string,
    private readonly server: Destination,
    opts: { answerAfterMs?: number; rejectWith?: number } = {},
  ) {
    const host = node.hosts[0]!;
    this.transport = new SipTransport({
      net: node.net,
      clock: node.clock,
      host,
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
      contact: `sip:${dn}@${host}:5060`,
      answerAfterMs: opts.answerAfterMs ?? 200,
      rejectInviteWith: opts.rejectWith,
    });
    this.messages = new PhoneMessages(dn, host, server, () => this.uac.newBranch());
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

  register(expires = 300): void {
    const req = this.messages.register(`reg-${this.node.random.hex(8)}`, expires);
    this.uac.sendRequest(req, this.server, { onResponse() {}, onTimeout() {}, onTransportError() {} });
  }

  /** Calls `dialed`; once answered, hangs up after holdMs. */
  call(dialed: string, holdMs: number): void {
    const invite = this.messages.invite(dialed, `call-${this.node.random.hex(10)}`);
    let answered = false;
    this.uac.sendRequest(invite, this.server, {
      onResponse: (res) => {
        if (res.status < 200) return;
        if (res.status >= 300) {
          this.results.push({ dialed, outcome: `failed-${res.status}` });
          return;
        }
        this.ack(res);
        if (answered) return;
        answered = true;
        this.node.clock.setTimer(holdMs, () => this.bye(dialed, res));
      },
      onTimeout: () => this.results.push({ dialed, outcome: 'timeout' }),
      onTransportError: () => this.results.push({ dialed, outcome: 'timeout' }),
    });
  }

  private ack(ok: SipResponse): void {
    this.transport.sendRequest(this.messages.ack(ok), this.server);
  }

  private bye(dialed: string, ok: SipResponse): void {
    const bye = this.messages.bye(ok, dialed);
    this.uac.sendRequest(bye, this.server, {
      onResponse: (res) => {
        if (res.status >= 200)
          this.results.push({ dialed, outcome: res.status === 200 ? 'completed' : `failed-${res.status}` });
      },
      onTimeout: () => this.results.push({ dialed, outcome: 'timeout' }),
      onTransportError: () => this.results.push({ dialed, outcome: 'timeout' }),
    });
  }
}
