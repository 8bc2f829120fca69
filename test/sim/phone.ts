/**
 * A phone for simulation tests, on the sip/ layer: it registers as a DN, answers calls (SimpleUas) and places
 * calls through the server (INVITE, ACK of the 2xx, BYE after a hold time).
 */
import type { SimNode } from '../../src/runtime/sim/node.ts';
import { createRequest } from '../../src/sip/message/build.ts';
import { getCallId, getContacts, getCSeq, getTo } from '../../src/sip/message/headers.ts';
import type { HeaderField, SipResponse } from '../../src/sip/message/types.ts';
import { parseUri } from '../../src/sip/message/uri.ts';
import { TransactionLayer } from '../../src/sip/transaction/layer.ts';
import { SipTransport } from '../../src/sip/transport/transport.ts';
import type { Destination } from '../../src/sip/transport/types.ts';
import { SimpleUas } from '../../src/sip/ua/uas.ts';

export interface CallResult {
  dialed: string;
  outcome: 'completed' | `failed-${number}` | 'timeout';
}

export class SimPhone {
  readonly uas: SimpleUas;
  readonly uac: TransactionLayer;
  readonly results: CallResult[] = [];
  private readonly transport: SipTransport;
  private seq = 1;

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

  private headers(
    method: string,
    callId: string,
    to: string,
    toTag?: string,
    seq = this.seq++,
  ): HeaderField[] {
    const host = this.node.hosts[0]!;
    return [
      { name: 'Via', value: `SIP/2.0/UDP ${host}:5060;branch=${this.uac.newBranch()};rport` },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<sip:${this.dn}@${host}>;tag=${callId.slice(0, 8)}` },
      { name: 'To', value: `<sip:${to}@${this.server.host}>${toTag ? `;tag=${toTag}` : ''}` },
      { name: 'Call-ID', value: callId },
      { name: 'CSeq', value: `${seq} ${method}` },
      { name: 'Contact', value: `<sip:${this.dn}@${host}:5060>` },
    ];
  }

  register(expires = 300): void {
    const callId = `reg-${this.node.random.hex(8)}`;
    const req = createRequest({
      method: 'REGISTER',
      uri: parseUri(`sip:${this.server.host}`)!,
      headers: [...this.headers('REGISTER', callId, this.dn), { name: 'Expires', value: String(expires) }],
    });
    this.uac.sendRequest(req, this.server, { onResponse() {}, onTimeout() {}, onTransportError() {} });
  }

  /** Calls `dialed`; once answered, hangs up after holdMs. */
  call(dialed: string, holdMs: number): void {
    const callId = `call-${this.node.random.hex(10)}`;
    const sdp = Buffer.from(
      `v=0\r\no=p 1 1 IN IP4 ${this.node.hosts[0]}\r\ns=-\r\nc=IN IP4 ${this.node.hosts[0]}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n`,
    );
    const invite = createRequest({
      method: 'INVITE',
      uri: parseUri(`sip:${dialed}@${this.server.host}`)!,
      headers: [
        ...this.headers('INVITE', callId, dialed),
        { name: 'Content-Type', value: 'application/sdp' },
      ],
      body: sdp,
    });
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
    const contacts = getContacts(ok);
    const target = contacts !== '*' && contacts[0] ? contacts[0].uri : parseUri(`sip:${this.server.host}`)!;
    const to = getTo(ok);
    const toUser = 'user' in to.uri ? (to.uri.user ?? '') : '';
    const ack = createRequest({
      method: 'ACK',
      uri: target,
      headers: this.headers('ACK', getCallId(ok), toUser, to.params.tag ?? undefined, getCSeq(ok).seq),
    });
    this.transport.sendRequest(ack, this.server);
  }

  private bye(dialed: string, ok: SipResponse): void {
    const contacts = getContacts(ok);
    const target = contacts !== '*' && contacts[0] ? contacts[0].uri : parseUri(`sip:${this.server.host}`)!;
    const bye = createRequest({
      method: 'BYE',
      uri: target,
      headers: this.headers('BYE', getCallId(ok), dialed, getTo(ok).params.tag ?? undefined),
    });
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
