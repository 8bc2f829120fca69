/**
 * An HA pair on the simulator: two SIP Servers on hosts A and B sharing a Virtual IP as their sip-address,
 * each with its HA node, and the role set by the test (the SCS's job in production). Phones reach the VIP.
 */
import assert from 'node:assert/strict';
import type { Config } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/load.ts';
import { HaGate } from '../../src/ha/gate.ts';
import { HaNode } from '../../src/ha/ha-node.ts';
import { createLogger, type Logger } from '../../src/log/logger.ts';
import type { SimNode } from '../../src/runtime/sim/node.ts';
import type { Simulator } from '../../src/runtime/sim/simulator.ts';
import { SipServer } from '../../src/server/sip-server.ts';

export const VIP = '192.0.2.100';
export const HOST_A = '192.0.2.1';
export const HOST_B = '192.0.2.2';

export function pairConfig(redundancy: 'hot-standby' | 'warm-standby', extraDns = ''): Config {
  const text = `
hosts:
  A: { address: ${HOST_A} }
  B: { address: ${HOST_B} }
applications:
  SIP_A:
    type: sip-server
    host: A
    options:
      TServer: { sip-address: ${VIP}, sip-port: 5060, http-port: 8080, ha-port: 7001, ha-max-calls-sync-at-once: 500, no-answer-timeout: 30 }
      backup-sync: { protocol: addp, addp-timeout: 0.5, addp-remote-timeout: 0.5 }
  SIP_B:
    type: sip-server
    host: B
    options:
      TServer: { sip-address: ${VIP}, sip-port: 5060, http-port: 8080, ha-port: 7001, ha-max-calls-sync-at-once: 500, no-answer-timeout: 30 }
      backup-sync: { protocol: addp, addp-timeout: 0.5, addp-remote-timeout: 0.5 }
ha-pairs:
  PAIR: { primary: SIP_A, backup: SIP_B, redundancy-type: ${redundancy} }
scs: { host: A, link-secret: simulated-pair-secret-0123456789 }
dns:
  "1001": { type: Extension }
  "1002": { type: Extension }
  "1003": { type: Extension }
  "1004": { type: Extension }
  "5000": { type: Routing Point, options: { default-dn: "1002", router-timeout: 8 } }
${extraDns}
`;
  const r = loadConfig(text, 'pair.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

export interface PairMember {
  app: string;
  node: SimNode;
  gate: HaGate;
  server: SipServer;
  ha: HaNode;
  events: { event: string; params: Record<string, unknown> }[];
}

function quietLogger(app: string, into: PairMember['events']): Logger {
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

/** Builds (or rebuilds, after a crash and restart) one server of the pair on its node, as Backup. */
export function member(node: SimNode, app: string, peer: string, config: Config): PairMember {
  const events: PairMember['events'] = [];
  const logger = quietLogger(app, events);
  const gate = new HaGate('Backup');
  const server = new SipServer({
    clock: node.clock,
    random: node.random,
    net: node.net,
    config,
    app,
    logger,
    gate,
  });
  const pair = config.haPairs.PAIR!;
  const ha = new HaNode({
    net: node.net,
    clock: node.clock,
    random: node.random,
    store: server.store,
    gate,
    config: () => config,
    app,
    peer,
    redundancy: pair.redundancyType,
    logger,
  });
  server.setHaStatus(() => ha.readiness());
  server.start(() => {});
  ha.start();
  return { app, node, gate, server, ha, events };
}

export interface SimPair {
  config: Config;
  a: PairMember;
  b: PairMember;
  nodeA: SimNode;
  nodeB: SimNode;
  /** Makes `m` the primary: the VIP moves to its host, then its gate opens (the VIP scripts' order, S4.5). */
  promote(m: PairMember): void;
}

export function buildPair(
  sim: Simulator,
  redundancy: 'hot-standby' | 'warm-standby' = 'hot-standby',
): SimPair {
  const config = pairConfig(redundancy);
  const nodeA = sim.addNode('SIP_A', [HOST_A]);
  const nodeB = sim.addNode('SIP_B', [HOST_B]);
  const a = member(nodeA, 'SIP_A', 'SIP_B', config);
  const b = member(nodeB, 'SIP_B', 'SIP_A', config);
  const pair: SimPair = {
    config,
    a,
    b,
    nodeA,
    nodeB,
    promote(m) {
      // The VIP leaves the other host (dead or alive) before it comes up here: never on two hosts at once.
      for (const n of [nodeA, nodeB]) if (n !== m.node && n.hasHost(VIP)) n.removeHost(VIP);
      if (!m.node.hasHost(VIP)) m.node.addHost(VIP);
      m.gate.set('Primary');
    },
  };
  return pair;
}
