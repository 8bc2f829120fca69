/**
 * Test doubles for the transaction layer: a manual clock (virtual time that moves only when told), a sender
 * that records every message with the virtual time it was sent, and message builders.
 */
import type { Clock, TimerHandle } from '../../../src/runtime/clock.ts';
import { type NetError, netError } from '../../../src/runtime/net.ts';
import { createResponse, parseMessage, serializeMessage } from '../../../src/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../src/sip/message/types.ts';
import { resolveTimers, type TimerConfig } from '../../../src/sip/transaction/timers.ts';
import type { ClientHandlers, TransactionContext } from '../../../src/sip/transaction/types.ts';
import type { Destination, Inbound, SipSender, TransportProtocol } from '../../../src/sip/transport/types.ts';

interface PendingTimer {
  handle: TimerHandle;
  due: number;
  seq: number;
  fn: () => void;
}

/** Virtual time: timers fire only inside advance(), in due order, ties in the order they were set. */
export class ManualClock implements Clock {
  private time: number;
  private nextHandle = 1;
  private seq = 0;
  private readonly timers = new Map<TimerHandle, PendingTimer>();

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    if (!(delayMs >= 0)) throw new RangeError(`negative or NaN delay ${delayMs}`);
    const handle = this.nextHandle++;
    this.timers.set(handle, { handle, due: this.time + delayMs, seq: this.seq++, fn });
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  /** Moves time forward by ms, firing every timer due on the way (and those they set, if due). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: PendingTimer | undefined;
      for (const t of this.timers.values()) {
        if (t.due > end) continue;
        if (next === undefined || t.due < next.due || (t.due === next.due && t.seq < next.seq)) next = t;
      }
      if (next === undefined) break;
      this.timers.delete(next.handle);
      this.time = next.due;
      next.fn();
    }
    this.time = end;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}

export interface SentRecord {
  at: number;
  message: SipRequest | SipResponse;
  dest?: Destination;
  inbound?: Inbound;
  onError?: (err: NetError) => void;
}

/** Records what the transactions send; a test makes a send fail by calling fail(record). */
export class RecordingSender implements SipSender {
  readonly sent: SentRecord[] = [];

  constructor(private readonly clock: Clock) {}

  sendRequest(req: SipRequest, dest: Destination, onError?: (err: NetError) => void): void {
    this.sent.push({ at: this.clock.now(), message: req, dest, onError });
  }

  sendResponse(res: SipResponse, inbound: Inbound, onError?: (err: NetError) => void): void {
    this.sent.push({ at: this.clock.now(), message: res, inbound, onError });
  }

  requests(method?: string): SentRecord[] {
    return this.sent.filter(
      (r) => r.message.kind === 'request' && (method === undefined || r.message.method === method),
    );
  }

  responses(status?: number): SentRecord[] {
    return this.sent.filter(
      (r) => r.message.kind === 'response' && (status === undefined || r.message.status === status),
    );
  }

  /** Send times relative to `origin`. */
  timesOf(records: SentRecord[], origin: number): number[] {
    return records.map((r) => r.at - origin);
  }

  /** Reports a transport failure for one recorded send, as the transport would, later. */
  fail(record: SentRecord, code = 'ECONNREFUSED'): NetError {
    const err = netError(code, `connect ${code}`);
    if (record.onError === undefined) throw new Error('that send was recorded without an onError');
    record.onError(err);
    return err;
  }
}

export function parse(text: string): SipRequest | SipResponse {
  const result = parseMessage(new TextEncoder().encode(text.replace(/\r?\n/g, '\r\n')));
  if (!result.ok) throw new Error(`test message does not parse: ${result.error.reason}`);
  return result.message;
}

export function parseRequest(text: string): SipRequest {
  const msg = parse(text);
  if (msg.kind !== 'request') throw new Error('expected a request');
  return msg;
}

export interface RequestSpec {
  method?: string;
  branch?: string | null;
  transport?: TransportProtocol;
  sentBy?: string;
  uri?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  fromTag?: string;
  toTag?: string;
  routes?: string[];
  timestamp?: string;
}

/** A request as a UA would send it; `branch: null` leaves the Via without one (RFC 2543). */
export function request(spec: RequestSpec = {}): SipRequest {
  const method = spec.method ?? 'INVITE';
  const transport = spec.transport ?? 'UDP';
  const branch = spec.branch === undefined ? 'z9hG4bK776asdhds' : spec.branch;
  const via = `SIP/2.0/${transport} ${spec.sentBy ?? 'pc33.atlanta.com:5060'}${branch === null ? '' : `;branch=${branch}`}`;
  const lines = [
    `${method} ${spec.uri ?? 'sip:bob@biloxi.com'} SIP/2.0`,
    `Via: ${via}`,
    ...(spec.routes ?? []).map((r) => `Route: ${r}`),
    'Max-Forwards: 70',
    `To: Bob <sip:bob@biloxi.com>${spec.toTag === undefined ? '' : `;tag=${spec.toTag}`}`,
    `From: Alice <sip:alice@atlanta.com>;tag=${spec.fromTag ?? '1928301774'}`,
    `Call-ID: ${spec.callId ?? 'a84b4c76e66710@pc33.atlanta.com'}`,
    `CSeq: ${spec.cseq ?? 314159} ${spec.cseqMethod ?? method}`,
    'Contact: <sip:alice@pc33.atlanta.com>',
    ...(spec.timestamp === undefined ? [] : [`Timestamp: ${spec.timestamp}`]),
    'Content-Length: 0',
    '',
    '',
  ];
  return parseRequest(lines.join('\n'));
}

export function response(req: SipRequest, status: number, toTag?: string): SipResponse {
  return createResponse(req, status, undefined, toTag === undefined ? {} : { toTag });
}

export function inbound(transport: TransportProtocol = 'UDP'): Inbound {
  return {
    transport,
    source: { host: '192.0.2.10', port: 5060 },
    local: { host: '192.0.2.1', port: 5060 },
    ...(transport === 'UDP' ? {} : { connectionId: 7 }),
  };
}

export function destination(transport: TransportProtocol = 'UDP'): Destination {
  return { transport, host: '192.0.2.20', port: 5060 };
}

/** Client handlers that record what the TU hears, in order. */
export class TuRecorder implements ClientHandlers {
  readonly events: string[] = [];
  readonly responses: SipResponse[] = [];
  readonly errors: NetError[] = [];

  onResponse(res: SipResponse): void {
    this.responses.push(res);
    this.events.push(`response ${res.status}`);
  }

  onTimeout(): void {
    this.events.push('timeout');
  }

  onTransportError(err: NetError): void {
    this.errors.push(err);
    this.events.push(`transport-error ${err.code}`);
  }

  onTerminated(): void {
    this.events.push('terminated');
  }
}

/** A clock, a recording sender and the context machines run in, with default or given timers. */
export function rig(timers: Partial<TimerConfig> = {}): {
  clock: ManualClock;
  sender: RecordingSender;
  context: TransactionContext;
  t0: number;
} {
  const clock = new ManualClock();
  const sender = new RecordingSender(clock);
  return { clock, sender, context: { clock, sender, timers: resolveTimers(timers) }, t0: clock.now() };
}

/**
 * A sender that also delivers: every message is serialized, parsed again (so what the layer built is what a
 * peer would read) and handed to `peer` after `latencyMs` of virtual time, unless `drop` says it is lost.
 */
export class WireSender extends RecordingSender {
  peer: { receive(msg: SipRequest | SipResponse, inbound: Inbound): unknown } | undefined;
  drop: (msg: SipRequest | SipResponse) => boolean = () => false;

  constructor(
    private readonly wireClock: ManualClock,
    private readonly latencyMs = 10,
  ) {
    super(wireClock);
  }

  override sendRequest(req: SipRequest, dest: Destination, onError?: (err: NetError) => void): void {
    super.sendRequest(req, dest, onError);
    this.deliver(req, dest.transport);
  }

  override sendResponse(res: SipResponse, from: Inbound, onError?: (err: NetError) => void): void {
    super.sendResponse(res, from, onError);
    this.deliver(res, from.transport);
  }

  private deliver(msg: SipRequest | SipResponse, transport: TransportProtocol): void {
    if (this.drop(msg)) return;
    const copy = parse(new TextDecoder().decode(serializeMessage(msg)));
    this.wireClock.setTimer(this.latencyMs, () => this.peer?.receive(copy, inbound(transport)));
  }
}
