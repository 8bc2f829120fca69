/**
 * A small UAC for simulation tests, on the sip/ layer: OPTIONS pings and INVITE dialogs (INVITE, ACK for the
 * 2xx — re-sent for every 2xx retransmission, §13.2.2.4 —, BYE). It records how each attempt ended.
 */
import type { Clock } from '../../src/runtime/clock.ts';
import type { Random } from '../../src/runtime/random.ts';
import { createRequest } from '../../src/sip/message/build.ts';
import { getContacts, getCSeq, getTo } from '../../src/sip/message/headers.ts';
import type { HeaderField, SipRequest, SipResponse, Uri } from '../../src/sip/message/types.ts';
import { parseUri } from '../../src/sip/message/uri.ts';
import { TransactionLayer } from '../../src/sip/transaction/layer.ts';
import type { Destination, SipSender } from '../../src/sip/transport/types.ts';

export type Outcome = 'ok' | 'timeout' | 'transport-error' | `status-${number}`;

export class TestUac {
  readonly layer: TransactionLayer;
  readonly results: { kind: string; callId: string; outcome: Outcome }[] = [];
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly sender: SipSender,
    private readonly local: { host: string; port: number },
    private readonly target: Destination,
    onLog: (line: string) => void = () => {},
  ) {
    this.layer = new TransactionLayer({
      clock,
      random,
      sender,
      onRequest: () => {},
      onStrayResponse: (res) => {
        // A 2xx retransmitted after the client transaction ended: the TU re-ACKs it (§13.2.2.4).
        const call = this.calls.get(res.headers.find((h) => h.name === 'Call-ID')?.value ?? '');
        if (call && res.status >= 200 && res.status < 300) this.sendAck(call, res);
      },
    });
    this.log = onLog;
  }

  private readonly log: (line: string) => void;
  private readonly calls = new Map<string, { invite: SipRequest; acks: number }>();

  private base(method: string, callId: string, toTag?: string, seq = ++this.seq): HeaderField[] {
    const { host, port } = this.local;
    return [
      {
        name: 'Via',
        value: `SIP/2.0/${this.target.transport} ${host}:${port};branch=${this.layer.newBranch()};rport`,
      },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<sip:uac@${host}>;tag=${callId}-f` },
      { name: 'To', value: `<sip:uas@${this.target.host}>${toTag ? `;tag=${toTag}` : ''}` },
      { name: 'Call-ID', value: callId },
      { name: 'CSeq', value: `${seq} ${method}` },
      { name: 'Contact', value: `<sip:uac@${host}:${port}>` },
    ];
  }

  private uri(): Uri {
    return parseUri(`sip:uas@${this.target.host}:${this.target.port}`)!;
  }

  options(): void {
    const callId = `opt-${this.random.hex(8)}`;
    const req = createRequest({ method: 'OPTIONS', uri: this.uri(), headers: this.base('OPTIONS', callId) });
    this.layer.sendRequest(req, this.target, {
      onResponse: (res) => {
        if (res.status >= 200)
          this.done('options', callId, res.status === 200 ? 'ok' : `status-${res.status}`);
      },
      onTimeout: () => this.done('options', callId, 'timeout'),
      onTransportError: () => this.done('options', callId, 'transport-error'),
    });
  }

  /** INVITE; on 2xx ACK it and, after holdMs, BYE. The outcome is the BYE's. */
  call(holdMs: number): void {
    const callId = `call-${this.random.hex(8)}`;
    const invite = createRequest({ method: 'INVITE', uri: this.uri(), headers: this.base('INVITE', callId) });
    this.calls.set(callId, { invite, acks: 0 });
    let answered = false;
    this.layer.sendRequest(invite, this.target, {
      onResponse: (res) => {
        if (res.status < 200) return;
        if (res.status >= 300) {
          this.done('call', callId, `status-${res.status}`);
          return;
        }
        this.sendAck(this.calls.get(callId)!, res);
        if (answered) return;
        answered = true;
        this.clock.setTimer(holdMs, () => this.bye(callId, res));
      },
      onTimeout: () => this.done('call', callId, 'timeout'),
      onTransportError: () => this.done('call', callId, 'transport-error'),
    });
  }

  private sendAck(call: { invite: SipRequest; acks: number }, ok: SipResponse): void {
    call.acks++;
    const callId = call.invite.headers.find((h) => h.name === 'Call-ID')!.value;
    // The ACK of a 2xx is a new transaction-less request with the INVITE's CSeq number (§13.2.2.4).
    const headers = this.base('ACK', callId, getTo(ok).params.tag ?? undefined, getCSeq(call.invite).seq);
    const contacts = getContacts(ok);
    const uri = contacts !== '*' && contacts[0] ? contacts[0].uri : this.uri();
    const ack = createRequest({ method: 'ACK', uri, headers });
    this.sender.sendRequest(ack, this.target);
    this.log(`ack ${callId} #${call.acks}`);
  }

  private bye(callId: string, ok: SipResponse): void {
    const req = createRequest({
      method: 'BYE',
      uri: this.uri(),
      headers: this.base('BYE', callId, getTo(ok).params.tag ?? undefined),
    });
    this.layer.sendRequest(req, this.target, {
      onResponse: (res) => {
        if (res.status >= 200) this.done('call', callId, res.status === 200 ? 'ok' : `status-${res.status}`);
      },
      onTimeout: () => this.done('call', callId, 'timeout'),
      onTransportError: () => this.done('call', callId, 'transport-error'),
    });
  }

  private done(kind: string, callId: string, outcome: Outcome): void {
    this.results.push({ kind, callId, outcome });
    this.log(`${kind} ${callId} ${outcome}`);
  }
}
