/**
 * A SIP Server's ServerContext on the simulator, and a fake trunk: enough of a server for the services of
 * src/server to run against the simulated network with a virtual clock, and to read what they committed
 * and logged.
 */
import assert from 'node:assert/strict';
import type { Config, Dn, SipServerApp } from '../../../src/config/config.ts';
import type { Logger } from '../../../src/log/logger.ts';
import { createLogger } from '../../../src/log/logger.ts';
import type { StoreRecord } from '../../../src/model/store/records.ts';
import { Store } from '../../../src/model/store/store.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import type { ServerContext } from '../../../src/server/context.ts';
import type { Role, RoleGate } from '../../../src/server/role-gate.ts';
import { createResponse } from '../../../src/sip/message/build.ts';
import { getTopVia } from '../../../src/sip/message/headers.ts';
import { TransactionLayer } from '../../../src/sip/transaction/layer.ts';
import { SipTransport } from '../../../src/sip/transport/transport.ts';
import type { SipSender } from '../../../src/sip/transport/types.ts';
import { baseEnvironment, load, type Raw } from '../../config/environment.ts';

/** A gate a test flips by hand. */
export class TestGate implements RoleGate {
  role: Role = 'Primary';
  private readonly listeners = new Set<(role: Role) => void>();

  mayAct(): boolean {
    return this.role === 'Primary';
  }

  set(role: Role): void {
    this.role = role;
    for (const l of this.listeners) l(role);
  }

  onChange(listener: (role: Role) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The base test environment with `dns` replaced. */
export function configWith(dns: Raw): Config {
  const raw = baseEnvironment();
  raw.dns = dns;
  const r = load(raw);
  if (!r.ok) throw new Error(`test config refused: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.config;
}

export interface LoggedEvent {
  event: string;
  params: Record<string, unknown>;
  time: string;
}

export interface ServerHarness {
  sim: Simulator;
  node: SimNode;
  ctx: ServerContext;
  gate: TestGate;
  store: Store;
  records: StoreRecord[];
  events(): LoggedEvent[];
  setConfig(config: Config): void;
  /** OPTIONS requests that left the server (to any destination), retransmissions not counted. */
  sentOptions: { at: number; host: string; port: number }[];
}

export const SERVER_HOST = '192.0.2.1';

export function serverHarness(config: Config, seed = 1, sim = new Simulator({ seed })): ServerHarness {
  const node = sim.addNode('server', [SERVER_HOST]);
  let current = config;
  const lines: string[] = [];
  const logger: Logger = createLogger({
    app: 'SIP_A',
    level: 'all',
    clock: node.clock,
    destination: { write: (s) => lines.push(s) },
  });
  const store = new Store();
  const records: StoreRecord[] = [];
  store.onRecord((r) => records.push(r));
  const gate = new TestGate();
  const sentOptions: ServerHarness['sentOptions'] = [];
  const branches = new Set<string>();

  let layer: TransactionLayer | undefined;
  const transport = new SipTransport({
    net: node.net,
    clock: node.clock,
    host: SERVER_HOST,
    port: 5060,
    protocols: ['UDP'],
    onMessage: (msg, inbound) => layer?.receive(msg, inbound),
  });
  transport.listen((err) => assert.equal(err, undefined));
  const sender: SipSender = {
    sendRequest(req, dest, onError) {
      // A probe once, not its UDP retransmissions (same branch).
      const branch = getTopVia(req).params.branch ?? '';
      if (req.method === 'OPTIONS' && !branches.has(branch)) {
        branches.add(branch);
        sentOptions.push({ at: node.clock.now(), host: dest.host, port: dest.port });
      }
      transport.sendRequest(req, dest, onError);
    },
    sendResponse: (res, inbound, onError) => transport.sendResponse(res, inbound, onError),
  };
  layer = new TransactionLayer({ clock: node.clock, random: node.random, sender, onRequest: () => {} });

  const ctx: ServerContext = {
    clock: node.clock,
    random: node.random,
    store,
    gate,
    logger,
    config: () => current,
    app: () => current.applications.SIP_A as SipServerApp,
    dn: (n: string): Dn | undefined => current.dns[n],
    transactions: layer,
    sender,
    local: { host: SERVER_HOST, port: 5060, transport: 'UDP' },
  };
  return {
    sim,
    node,
    ctx,
    gate,
    store,
    records,
    sentOptions,
    setConfig: (c) => {
      current = c;
    },
    events: () =>
      lines
        .flatMap((chunk) => chunk.split('\n').filter(Boolean))
        .map((l) => JSON.parse(l) as LoggedEvent & { event?: string })
        .filter((l) => l.event !== undefined),
  };
}

/** `answer` with `every: n` answers only every n-th OPTIONS (1st, n+1th, ...) and ignores the others. */
export type TrunkMode = { kind: 'answer'; status: number; every?: number } | { kind: 'silent' };

/** A device on its own simulated host that answers OPTIONS with a chosen status, or not at all. */
export class FakeTrunk {
  mode: TrunkMode = { kind: 'answer', status: 200 };
  /** OPTIONS received (retransmissions absorbed by the server transaction are not counted). */
  received = 0;
  readonly layer: TransactionLayer;

  constructor(sim: Simulator, name: string, host: string, port = 5060) {
    const node = sim.addNode(name, [host]);
    let layer: TransactionLayer | undefined;
    const transport = new SipTransport({
      net: node.net,
      clock: node.clock,
      host,
      port,
      protocols: ['UDP'],
      onMessage: (msg, inbound) => layer?.receive(msg, inbound),
    });
    transport.listen((err) => assert.equal(err, undefined));
    layer = new TransactionLayer({
      clock: node.clock,
      random: node.random,
      sender: transport,
      onRequest: (req, tx) => {
        if (req.method !== 'OPTIONS' || tx === null) return;
        this.received++;
        if (this.mode.kind === 'answer' && (this.received - 1) % (this.mode.every ?? 1) === 0)
          tx.respond(createResponse(req, this.mode.status, undefined, { toTag: 'trk' }));
      },
    });
    this.layer = layer;
  }
}
