/**
 * CTI server tests on the simulator: a server node with the CTI core on its TCP port, raw clients that speak
 * the frames by hand (so that they can also speak them wrong), and a fake CallControl that records requests
 * and emits call events the way the B2BUA does.
 */
import assert from 'node:assert/strict';
import type { Config } from '../../../src/config/config.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { HaGate } from '../../../src/ha/gate.ts';
import { createLogger, type Logger } from '../../../src/log/logger.ts';
import { Store } from '../../../src/model/store/store.ts';
import { encodeFrame, parseFrameBody, RawFrameDecoder } from '../../../src/runtime/framing/frame-codec.ts';
import type { Address, TcpConnection } from '../../../src/runtime/net.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import type { Simulator } from '../../../src/runtime/sim/simulator.ts';
import type { SimTcpConnection } from '../../../src/runtime/sim/tcp-connection.ts';
import type {
  CallControlResult,
  CallEvent,
  RequestFailure,
  RequestFailureListener,
} from '../../../src/server/b2bua/call-events.ts';
import type { CallControl, DnCall } from '../../../src/server/cti/call-control.ts';
import { type CtiService, startCtiService } from '../../../src/server/cti/service.ts';

export const SERVER_HOST = '192.0.2.1';
export const CTI_PORT = 3000;

export const CTI_YAML = `
  Desktop1: { type: cti-client, password: desk-pw }
  Desktop2: { type: cti-client, password: desk-pw }
  Router1: { type: cti-client }
`;

export function ctiConfig(): Config {
  const text = `
hosts:
  A: { address: ${SERVER_HOST} }
applications:
  SIP_A:
    type: sip-server
    host: A
    options:
      TServer: { sip-port: 5060, cti-port: ${CTI_PORT} }
${CTI_YAML}
dns:
  "1001": { type: Extension }
  "1002": { type: Extension }
  "1003": { type: Extension }
  "5000": { type: Routing Point }
agents:
  agent1: { password: a1pw }
  agent2: {}
  agent3: {}
`;
  const r = loadConfig(text, 'cti.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

export interface LoggedEvent {
  event: string;
  params: Record<string, unknown>;
}

export function recordingLogger(app: string, into: LoggedEvent[]): Logger {
  return createLogger({
    app,
    level: 'all',
    destination: {
      write(line: string) {
        const e = JSON.parse(line) as { event?: string; params?: Record<string, unknown> };
        if (e.event) into.push({ event: e.event, params: e.params ?? {} });
      },
    },
  });
}

/** A CallControl that records what it is asked and answers as told; emit() plays the B2BUA's call events. */
export class FakeCalls implements CallControl {
  readonly requests: { method: string; args: unknown[] }[] = [];
  /** The next answer of every method (default ok). */
  next: CallControlResult<{ connId?: string }> | undefined;
  /** Events to emit synchronously from inside the next method call. */
  during: CallEvent[] = [];
  /** Failures to report synchronously from inside the next method call (after `during`). */
  failingDuring: RequestFailure[] = [];
  calls = new Map<string, DnCall[]>();
  emit: (e: CallEvent) => void = () => {};
  private seq = 0;
  private readonly failureListeners = new Set<RequestFailureListener>();

  onRequestFailed(listener: RequestFailureListener): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** Plays the B2BUA reporting that an accepted request failed in SIP. */
  fail(f: RequestFailure): void {
    for (const l of this.failureListeners) l(f);
  }

  private answer(method: string, args: unknown[], newCall = false): CallControlResult<{ connId: string }> {
    this.requests.push({ method, args });
    const r = this.next ?? { ok: true };
    this.next = undefined;
    for (const e of this.during.splice(0)) this.emit(e);
    for (const f of this.failingDuring.splice(0)) this.fail(f);
    if (!r.ok) return r;
    return {
      ok: true,
      connId: r.connId ?? (newCall ? `c0ffee00000000${String(++this.seq).padStart(2, '0')}` : ''),
    };
  }

  makeCall(...args: [string, string, Record<string, string>]) {
    return this.answer('makeCall', args, true);
  }
  answerCall(...args: [string, string]) {
    return this.answer('answerCall', args);
  }
  releaseCall(...args: [string, string]) {
    return this.answer('releaseCall', args);
  }
  holdCall(...args: [string, string]) {
    return this.answer('holdCall', args);
  }
  retrieveCall(...args: [string, string]) {
    return this.answer('retrieveCall', args);
  }
  initiateTransfer(...args: [string, string, string, Record<string, string>]) {
    return this.answer('initiateTransfer', args, true);
  }
  completeTransfer(...args: [string, string, string]) {
    return this.answer('completeTransfer', args);
  }
  singleStepTransfer(...args: [string, string, string]) {
    return this.answer('singleStepTransfer', args);
  }
  updateUserData(...args: [string, Record<string, string>, 'attach' | 'update']) {
    return this.answer('updateUserData', args);
  }
  routeParked(...args: [string, string, string?]) {
    return this.answer('routeParked', args);
  }
  callsOf(dn: string): DnCall[] {
    return this.calls.get(dn) ?? [];
  }
}

export function callEvent(
  type: CallEvent['type'],
  thisDn: string,
  connId: string,
  more: Partial<CallEvent> = {},
): CallEvent {
  return {
    type,
    connId,
    thisDn,
    otherDn: '1002',
    callType: 'Internal',
    callState: 'Ok',
    userData: {},
    ...more,
  };
}

export interface CtiNode {
  node: SimNode;
  gate: HaGate;
  store: Store;
  calls: FakeCalls;
  cti: CtiService;
  log: LoggedEvent[];
  address: Address;
}

/** One server node with the CTI service; the gate starts as given (Primary by default). */
export function ctiNode(
  sim: Simulator,
  role: 'Primary' | 'Backup' = 'Primary',
  config = ctiConfig(),
): CtiNode {
  const node = sim.addNode('SIP_A', [SERVER_HOST]);
  const gate = new HaGate(role);
  const store = new Store();
  const calls = new FakeCalls();
  const log: LoggedEvent[] = [];
  const cti = startCtiService({
    net: node.net,
    clock: node.clock,
    config: () => config,
    app: 'SIP_A',
    logger: recordingLogger('SIP_A', log),
    store,
    gate,
    calls,
    webSocket: false,
  });
  calls.emit = (e) => cti.server.onCallEvent(e);
  sim.runFor(10);
  return { node, gate, store, calls, cti, log, address: { host: SERVER_HOST, port: CTI_PORT } };
}

export type Msg = Record<string, unknown> & { message: string };

/** A CTI client that writes frames by hand and keeps every message it receives. */
export class RawClient {
  readonly received: Msg[] = [];
  closed = false;
  /** Answers the server's ADDP polls (on by default; a dead client turns it off). */
  answerPolls = true;
  private readonly conn: TcpConnection;
  private readonly decoder = new RawFrameDecoder();
  private nextRef = 1;

  constructor(node: SimNode, server: Address) {
    this.conn = node.net.connectTcp(server, {
      onData: (data) => {
        this.decoder.push(data);
        for (let body = this.decoder.nextBody(); body !== undefined; body = this.decoder.nextBody()) {
          const parsed = parseFrameBody(body);
          assert.ok(parsed.ok, 'the server sends JSON');
          const msg = parsed.value as Msg;
          if (msg.message === 'AddpPoll') {
            if (this.answerPolls) this.send({ message: 'AddpAnswer' });
            continue;
          }
          this.received.push(msg);
        }
      },
      onClose: () => {
        this.closed = true;
      },
    });
  }

  send(msg: object): void {
    if (!this.closed) this.conn.write(encodeFrame(msg));
  }

  /** Sends a request with the next ReferenceID; returns it. */
  request(message: string, fields: Record<string, unknown> = {}): number {
    const ref = this.nextRef++;
    this.send({ message, ReferenceID: ref, ...fields });
    return ref;
  }

  write(bytes: Uint8Array): void {
    this.conn.write(bytes);
  }

  close(): void {
    this.conn.close();
  }

  /** The client's application stops reading (a hung desktop): what the server sends waits, unread. */
  pauseReading(): void {
    (this.conn as SimTcpConnection).pauseReading();
  }

  resumeReading(): void {
    (this.conn as SimTcpConnection).resumeReading();
  }

  /** "host:port" of the client, as the server sees it. */
  address(): string {
    const l = this.conn.local();
    return l ? `${l.host}:${l.port}` : '?';
  }

  /** Returns and forgets what arrived so far. */
  take(): Msg[] {
    return this.received.splice(0);
  }

  /** The names of what arrived so far (forgotten). */
  names(): string[] {
    return this.take().map((m) => m.message);
  }
}

let clientHosts = 0;

/** A client on its own node, registered as `app` (the session answers are consumed). */
export function client(
  sim: Simulator,
  server: CtiNode,
  app = 'Desktop1',
  password: string | null = 'desk-pw',
  extra: Record<string, unknown> = {},
): RawClient {
  const n = ++clientHosts;
  const node = sim.addNode(`client${n}`, [`198.51.100.${n % 250}`]);
  const c = new RawClient(node, server.address);
  c.request('RequestRegisterClient', {
    ApplicationName: app,
    ...(password === null ? {} : { Password: password }),
    ...extra,
  });
  sim.runFor(50);
  return c;
}

/** Registers DNs on a client and drops the EventRegistered answers. */
export function registerDns(sim: Simulator, c: RawClient, ...dns: string[]): void {
  for (const dn of dns) c.request('RequestRegisterAddress', { ThisDN: dn });
  sim.runFor(50);
  const got = c.take();
  assert.deepEqual(
    got.map((m) => m.message),
    dns.map(() => 'EventRegistered'),
    JSON.stringify(got),
  );
}
