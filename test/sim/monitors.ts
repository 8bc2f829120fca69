/**
 * An HA pair on the simulator driven by the real PairController (the SCS's decision machine), for the
 * monitors of SPEC S5 (sip-pass-check, switchover-on-trunks-oos): each server's status goes to the
 * controller every 250 ms, as its LCA relays it; the controller's set-mode commands move the role (and the
 * VIP, as the VIP scripts would). Only what the monitors need: no LCA processes, no SCS links.
 */
import assert from 'node:assert/strict';
import type { Config } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { AppReport } from '../../src/mgmt/protocol.ts';
import {
  type PairCommand,
  PairController,
  pairControllerOptions,
} from '../../src/mgmt/scs/pair-controller.ts';
import type { SimNode } from '../../src/runtime/sim/node.ts';
import type { Simulator } from '../../src/runtime/sim/simulator.ts';
import { HOST_A, HOST_B, member, type PairMember, VIP } from './pair.ts';

export function monitoredPairConfig(tserver: string, dns: string): Config {
  const text = `
hosts:
  A: { address: ${HOST_A} }
  B: { address: ${HOST_B} }
applications:
  SIP_A:
    type: sip-server
    host: A
    options:
      TServer: { sip-address: ${VIP}, sip-port: 5060, http-port: 8080, ha-port: 7001, ${tserver} }
      backup-sync: { protocol: addp, addp-timeout: 0.5, addp-remote-timeout: 0.5 }
  SIP_B:
    type: sip-server
    host: B
    options:
      TServer: { sip-address: ${VIP}, sip-port: 5060, http-port: 8080, ha-port: 7001, ${tserver} }
      backup-sync: { protocol: addp, addp-timeout: 0.5, addp-remote-timeout: 0.5 }
ha-pairs:
  PAIR: { primary: SIP_A, backup: SIP_B, redundancy-type: hot-standby }
scs: { host: A, link-secret: simulated-pair-secret-0123456789 }
dns:
  "1001": { type: Extension }
${dns}
`;
  const r = loadConfig(text, 'monitors.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

export interface ControlledPair {
  a: PairMember;
  b: PairMember;
  controller: PairController;
  /** Each change of the server with the gate Primary: when, and which. */
  primaries: { at: number; app: string }[];
  /** The controller's events (10-20008 switchover/failover, ...). */
  scsEvents: { id: string; params: Record<string, unknown> }[];
  primary(): PairMember | undefined;
}

export function controlledPair(sim: Simulator, config: Config): ControlledPair {
  const nodeA = sim.addNode('SIP_A', [HOST_A]);
  const nodeB = sim.addNode('SIP_B', [HOST_B]);
  const a = member(nodeA, 'SIP_A', 'SIP_B', config);
  const b = member(nodeB, 'SIP_B', 'SIP_A', config);
  const members: Record<string, PairMember> = { SIP_A: a, SIP_B: b };
  const controller = new PairController({ ...pairControllerOptions(config, 'PAIR'), startGraceMs: 1000 });
  const cp: ControlledPair = {
    a,
    b,
    controller,
    primaries: [],
    scsEvents: [],
    primary: () => [a, b].find((m) => m.gate.role === 'Primary'),
  };
  const nodes: SimNode[] = [nodeA, nodeB];
  const report = (m: PairMember): AppReport => {
    const s = m.server.status();
    return {
      app: m.app,
      process: 'running',
      pid: m.app === 'SIP_A' ? 1 : 2,
      lastExit: null,
      status: s.status === 'Initializing' ? 'Running' : s.status,
      mode: m.gate.role,
      readiness: {
        haLink: s.haLink,
        callsPendingSync: s.callsPendingSync,
        readyForSwitchover: s.readyForSwitchover,
        readyForUpgrade: s.readyForUpgrade,
        calls: s.calls,
      },
    };
  };
  const run = (c: PairCommand): void => {
    if (c.type !== 'set-mode') return;
    const m = members[c.app]!;
    if (c.mode === 'Primary') {
      // The VIP leaves the other host before it comes up here (the VIP scripts' order, S4.5).
      for (const n of nodes) if (n !== m.node && n.hasHost(VIP)) n.removeHost(VIP);
      if (!m.node.hasHost(VIP)) m.node.addHost(VIP);
      m.gate.set('Primary');
    } else if (c.mode === 'Backup') {
      m.gate.set('Backup');
    }
  };
  const apply = (out: { commands: PairCommand[]; events: { id: string; params: unknown }[] }): void => {
    for (const e of out.events) cp.scsEvents.push({ id: e.id, params: e.params as Record<string, unknown> });
    for (const c of out.commands) run(c);
  };
  let last: string | undefined;
  const note = (): void => {
    const p = cp.primary()?.app;
    if (p !== undefined && p !== last) cp.primaries.push({ at: sim.now, app: p });
    last = p;
  };
  apply(controller.hostUp('A', [report(a)], sim.now));
  apply(controller.hostUp('B', [report(b)], sim.now));
  const loop = (): void => {
    apply(controller.appReport(report(a), sim.now));
    apply(controller.appReport(report(b), sim.now));
    apply(controller.tick(sim.now));
    note();
    sim.schedule(250, loop);
  };
  loop();
  return cp;
}
