/**
 * The whole HA system in one Simulator (SPEC S10.1), run from a seed with faults, and checked by invariants.
 *
 * Model (the choices the brief left open, and why they keep the model honest):
 * - A host is ONE SimNode with ONE address (A 192.0.2.1, B 192.0.2.2, S 192.0.2.3), as a real machine is:
 *   the HA link, the LCA link and the SCS all address the host by the `address` of the config. The
 *   processes on a host (its LCA, its SIP Server) are SimProcesses (process.ts) on that node: each has its own
 *   timers and sockets and dies alone (kill -9), and the kernel closes its sockets; the host and its other
 *   processes live on. A server started by an LCA survives that LCA's death (an orphan, as a child of a
 *   killed parent on Linux) and registers with the next LCA.
 * - The Virtual IP 192.0.2.100 is the servers' sip-address. It is an address of a host node, moved the way
 *   `control-vip-scripts` would: a server told Primary brings the VIP up on its host (taking it from the
 *   other host, as a gratuitous ARP does) BEFORE its gate opens the SIP port; a server told Backup closes the
 *   port, then takes the VIP down on its host. A killed server leaves the VIP on its host until the new
 *   primary takes it. Phones only know the VIP.
 * - Each server process is wired like src/cli/server.ts: SipServer + HaGate + HaNode + LcaAppClient (status
 *   report on every mode change, on connect and every second), contacts persisted per host (the host's
 *   "disk" is a MemoryContactPersistence that outlives the process), restored at start.
 * - ProcessControl of an LCA: start() creates a server process on the LCA's host; kill('SIGKILL') is kill -9;
 *   kill('SIGTERM') and the SCS's stop are a clean stop (HA node, LCA client and server stopped) followed by
 *   the exit. Exits reach only the LCA process that started the server, and only while it lives.
 *
 * Invariants:
 * (1) after EVERY simulator event: never two live servers with the gate Primary and the SIP port open while
 *     they can see each other or the SCS (S8.3). "Can reach the SCS": the SCS process is alive, the server's
 *     LCA client is connected to a live LCA, and that LCA has an SCS link. Read strictly where the system can
 *     know: the moment a second primary opens its port, it is a violation if both reach the SCS or the two
 *     were linked over HA just before (the SCS or the takeover handshake should have prevented it). Otherwise
 *     one of them is cut from the SCS (its LCA died) and was not linked to its peer: it cannot have been
 *     told, and the spec asks nothing of a server that sees neither its peer nor the SCS (during an HA
 *     partition it is excused). Once it can see its peer (no partition) or regains the SCS, the pair must be
 *     back to one primary within CONVERGE_MS (the primary's probe of its peer, SPEC S5 "SCS connection
 *     monitoring", or the SCS demoting it). The earlier reading, "while EITHER can reach the SCS", failed a
 *     server that had no way to know (chaos seed 113: HA partition, then the primary's LCA dies; the SCS
 *     promotes the backup before the healed link is back): no design can meet it with
 *     disconnect-switchover-timeout 0, whereas S8.3 also states the goal as "when a partition heals, exactly
 *     one primary remains".
 * (2) every 250 ms of virtual time, at quiet moments: the backup's store snapshot equals the primary's.
 *     Quiet: one live Primary and one live Backup, the backup's link established and synced (readiness 1,
 *     nothing pending), the primary's link established, no record committed on the primary for 300 ms (so
 *     none in flight on a link of at most 10 ms delay), no partition now and none healed in the last 3 s.
 * (3) at the end: every call that was established (both phones confirmed it) and synced (the backup held it
 *     established) when its primary died ends with its caller's BYE answered 200 and the callee's BYE
 *     received. A call is excused when at a later death it was not synced, or both servers were down.
 * (4) at the end: the pair recovered (one Primary with the VIP and the port open, one synced Backup), and a
 *     call placed after the last fault completed (liveness).
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../../../src/config/config.ts';
import { HaGate } from '../../../src/ha/gate.ts';
import { HaNode } from '../../../src/ha/ha-node.ts';
import { createLogger, type Logger } from '../../../src/log/logger.ts';
import { LcaAppClient } from '../../../src/mgmt/lca/app-client.ts';
import {
  type KillSignal,
  Lca,
  type ProcessControl,
  type ProcessHandle,
  type ScriptRunner,
} from '../../../src/mgmt/lca/lca.ts';
import { Scs } from '../../../src/mgmt/scs/scs.ts';
import type { SeededRandom } from '../../../src/runtime/random.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import { attachPersistence, restoreContacts } from '../../../src/server/registrar/attach-persistence.ts';
import { MemoryContactPersistence } from '../../../src/server/registrar/persistence.ts';
import { SipServer } from '../../../src/server/sip-server.ts';
import { HOST_A, HOST_B, HOST_S, phoneAddress, phoneDn, SECRET, VIP, worldConfig } from './config.ts';
import { WorldPhone } from './phone.ts';
import { SimProcess } from './process.ts';

export type FaultKind =
  | 'kill-primary'
  | 'kill-backup'
  | 'partition-ha'
  | 'crash-scs'
  | 'crash-lca-primary'
  | 'crash-lca-backup'
  | 'sip-loss';

/** Every fault kind. The LCA crashes name the host by the role its server has when the fault strikes. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'kill-primary',
  'kill-backup',
  'partition-ha',
  'crash-scs',
  'crash-lca-primary',
  'crash-lca-backup',
  'sip-loss',
];

export interface PlannedFault {
  /** Virtual ms after the start. */
  at: number;
  kind: FaultKind;
  /** How long the partition, the loss or the process's absence lasts (kills: the SCS restarts them). */
  durationMs: number;
  /** sip-loss: the probability of losing each datagram to or from the VIP. */
  loss?: number;
}

export interface WorldOptions {
  seed: number;
  phones?: number;
  /** Phones place calls during this many virtual ms from their start. Default 45000. */
  callsForMs?: number;
  /** The faults; default: drawn from the seed (planFaults) among `kinds`. */
  faults?: PlannedFault[];
  /** The fault kinds the seed draws from. Default: all (FAULT_KINDS). */
  kinds?: readonly FaultKind[];
  /** Every sim.log line as it is written. */
  onLog?: (line: string) => void;
  /** Every log line of the servers, LCAs and SCS (JSON) as it is written. */
  onAppLog?: (line: string) => void;
  /** Called once the LCAs and the SCS are started, before the first event (tests schedule sabotage here). */
  onStart?: (world: World) => void;
}

export interface WorldStats {
  virtualMs: number;
  eventsRun: number;
  callsPlaced: number;
  callsAnswered: number;
  callsCompleted: number;
  /** Established calls that did not end with a completed BYE on both legs, for any reason (information). */
  callsNotCompleted: number;
  /** Calls protected by invariant 3 (established and synced when their primary died). */
  callsThroughFailover: number;
  /** Of those, excused by a double failure (not synced at a later death, or both servers down). */
  callsExcused: number;
  serverDeaths: number;
  failovers: number;
  snapshotChecks: number;
}

export interface WorldResult {
  seed: number;
  ok: boolean;
  violations: string[];
  faults: PlannedFault[];
  stats: WorldStats;
  /** sha256 of sim.log: the same seed gives the same hash. */
  logHash: string;
  log: readonly string[];
  /** The last server/LCA/SCS log lines (JSON), for a failing seed. */
  appLog: readonly string[];
}

const START_PHONES_MS = 3000;
const CHECK_STORES_EVERY_MS = 250;
const QUIET_AFTER_RECORD_MS = 300;
const QUIET_AFTER_HEAL_MS = 3000;
const APP_LOG_KEEP = 400;
/**
 * Invariant 1: how long two primaries may last once they can see each other (HA path healed) or a cut one
 * regained the SCS: the probe period (2 s, src/ha/ha-node.ts) or an LCA re-registration (1 s) plus the SCS's
 * reconnect (1 s), with margin.
 */
const CONVERGE_MS = 5000;

/** The faults of a seed: 1 to 3, one after the other, each after the previous one settled (or not quite). */
export function planFaults(
  random: SeededRandom,
  callsForMs: number,
  kinds: readonly FaultKind[] = FAULT_KINDS,
): PlannedFault[] {
  const faults: PlannedFault[] = [];
  const count = 1 + random.int(3);
  let t = 10_000 + random.int(4000);
  const last = START_PHONES_MS + callsForMs - 15_000;
  for (let i = 0; i < count && t < last; i++) {
    const kind = kinds[random.int(kinds.length)]!;
    const f: PlannedFault = { at: t, kind, durationMs: 0 };
    switch (kind) {
      case 'kill-primary':
      case 'kill-backup':
        f.durationMs = 0;
        break;
      case 'partition-ha':
        f.durationMs = 500 + random.int(7500);
        break;
      case 'crash-scs':
        f.durationMs = 500 + random.int(9500);
        break;
      case 'crash-lca-primary':
      case 'crash-lca-backup':
        f.durationMs = 500 + random.int(4500);
        break;
      case 'sip-loss':
        f.durationMs = 2000 + random.int(13_000);
        f.loss = (1 + random.int(5)) / 100;
        break;
    }
    faults.push(f);
    // The next fault: mostly after this one settled (failover, restart, resync), sometimes on top of it.
    t += f.durationMs + (random.int(4) === 0 ? random.int(3000) : 6000 + random.int(8000));
  }
  return faults;
}

export function describeFault(f: PlannedFault): string {
  const extra = f.kind === 'sip-loss' ? ` loss ${f.loss}` : '';
  const dur = f.durationMs > 0 ? ` for ${f.durationMs} ms` : '';
  return `+${f.at}ms ${f.kind}${extra}${dur}`;
}

// ---- processes -----------------------------------------------------------------------------------------------

export interface WorldHost {
  name: 'A' | 'B' | 'S';
  address: string;
  node: SimNode;
  persistence: MemoryContactPersistence;
  lcaProc: SimProcess | null;
  lca: Lca | null;
  lcaIncarnations: number;
}

/** One SIP Server process (one incarnation of SIP_A or SIP_B). */
export class ServerProcess implements ProcessHandle {
  readonly gate = new HaGate('Backup');
  server!: SipServer;
  ha!: HaNode;
  client!: LcaAppClient;
  lastRecordAt = 0;
  private exitCallbacks: Array<(code: number | null, signal: string | null) => void> = [];
  private ended = false;
  private stopping = false;

  constructor(
    private readonly world: World,
    readonly app: string,
    readonly host: WorldHost,
    readonly proc: SimProcess,
    readonly pid: number,
    private readonly startedBy: SimProcess,
  ) {}

  get alive(): boolean {
    return !this.ended && this.proc.alive;
  }

  onExit(cb: (code: number | null, signal: string | null) => void): void {
    // The LCA that started it hears of its exit, if that LCA process is still alive.
    this.exitCallbacks.push(this.startedBy.guard(cb));
  }

  kill(signal: KillSignal): void {
    if (signal === 'SIGKILL') this.die(null, 'SIGKILL', 'SIGKILL');
    else this.stop('SIGTERM');
  }

  /** A clean stop (SIGTERM, or the SCS's stop): the server closes what it holds, then the process exits. */
  stop(reason: string, code = 0): void {
    if (!this.alive || this.stopping) return;
    this.stopping = true;
    this.world.sim.record(`${this.app}#${this.pid} stopping: ${reason}`);
    this.ha.stop();
    this.client.close();
    this.server.stop();
    this.proc.clock.setTimer(20, () => this.die(code, null, `stopped (${reason})`));
  }

  /** The process ends now (kill -9 or the end of a clean stop). */
  die(code: number | null, signal: string | null, why: string): void {
    if (this.ended) return;
    this.world.beforeServerDeath(this, why);
    this.ended = true;
    this.proc.kill();
    const cbs = this.exitCallbacks;
    this.exitCallbacks = [];
    this.world.sim.schedule(1, () => {
      for (const cb of cbs) cb(code, signal);
    });
  }
}

const noScripts: ScriptRunner = {
  run(_script, _timeoutMs, cb) {
    cb({ exitCode: 0, timedOut: false, output: '' });
  },
};

// ---- the world -------------------------------------------------------------------------------------------------

export class World {
  readonly sim: Simulator;
  readonly config: Config;
  readonly hosts: Record<'A' | 'B' | 'S', WorldHost>;
  readonly servers: ServerProcess[] = [];
  readonly phones: WorldPhone[] = [];
  readonly faults: PlannedFault[];
  readonly violations: string[] = [];
  readonly appLog: string[] = [];
  scsProc: SimProcess | null = null;
  scs: Scs | null = null;
  private scsIncarnations = 0;
  private nextPid = 4000;
  private readonly callsForMs: number;
  private partitioned = false;
  private lastHealAt = -Infinity;
  /** Invariant 1: since when two primaries have their ports open; per server, whether it reached the SCS. */
  private conflictSince: number | null = null;
  private linkedBefore = false;
  private readonly reached = new Map<ServerProcess, boolean>();
  private readonly scsRegainedAt = new Map<ServerProcess, number>();
  private lastFaultEndAt = 0;
  /** Caller Call-ID → what invariant 3 follows. */
  private readonly protectedCalls = new Map<
    string,
    { connId: string; calleeCallIds: string[]; since: number; excused: string | null }
  >();
  private readonly stats: WorldStats = {
    virtualMs: 0,
    eventsRun: 0,
    callsPlaced: 0,
    callsAnswered: 0,
    callsCompleted: 0,
    callsNotCompleted: 0,
    callsThroughFailover: 0,
    callsExcused: 0,
    serverDeaths: 0,
    failovers: 0,
    snapshotChecks: 0,
  };

  constructor(readonly options: WorldOptions) {
    this.sim = new Simulator({ seed: options.seed, onLog: options.onLog });
    this.sim.network.setDefaultFaults({ delayMs: [1, 10] });
    const phones = options.phones ?? 6;
    this.callsForMs = options.callsForMs ?? 45_000;
    this.config = worldConfig(phones);
    this.faults =
      options.faults ?? planFaults(this.sim.deriveRandom('faults'), this.callsForMs, options.kinds);
    const host = (name: 'A' | 'B' | 'S', address: string): WorldHost => ({
      name,
      address,
      node: this.sim.addNode(`host-${name}`, [address]),
      persistence: new MemoryContactPersistence(),
      lcaProc: null,
      lca: null,
      lcaIncarnations: 0,
    });
    this.hosts = { A: host('A', HOST_A), B: host('B', HOST_B), S: host('S', HOST_S) };
    const dns = Array.from({ length: phones }, (_, i) => phoneDn(i));
    const target = { transport: 'UDP' as const, host: VIP, port: 5060 };
    const pr = this.sim.deriveRandom('phones');
    for (let i = 0; i < phones; i++) {
      const dn = dns[i]!;
      const node = this.sim.addNode(`phone-${dn}`, [phoneAddress(i)]);
      this.phones.push(
        new WorldPhone(node, dn, target, {
          answerAfterMs: 100 + pr.int(1500),
          peers: dns.filter((d) => d !== dn),
          holdMs: [2000, 15_000],
          idleMs: [200, 3000],
          registerEveryMs: 100_000,
        }),
      );
    }
  }

  // ---- processes ---------------------------------------------------------------------------------------------

  private logger(app: string, clock: SimProcess['clock']): Logger {
    return createLogger({
      app,
      level: 'standard',
      clock,
      destination: {
        write: (line: string) => {
          this.options.onAppLog?.(line.trimEnd());
          this.appLog.push(line.trimEnd());
          if (this.appLog.length > APP_LOG_KEEP) this.appLog.splice(0, this.appLog.length - APP_LOG_KEEP);
        },
      },
    });
  }

  startLca(name: 'A' | 'B' | 'S'): void {
    const h = this.hosts[name];
    const proc = new SimProcess(this.sim, h.node, `LCA_${name}`, ++h.lcaIncarnations);
    h.lcaProc = proc;
    const processes: ProcessControl = { start: (app) => this.startServer(h, app, proc) };
    h.lca = new Lca({
      net: proc.net,
      clock: proc.clock,
      random: proc.random,
      config: this.config,
      host: name,
      logger: this.logger(`LCA_${name}`, proc.clock),
      processes,
      scripts: noScripts,
    });
  }

  crashLca(name: 'A' | 'B'): void {
    this.hosts[name].lcaProc?.kill();
  }

  startScs(): void {
    const node = this.hosts.S.node;
    const proc = new SimProcess(this.sim, node, 'SCS', ++this.scsIncarnations);
    this.scsProc = proc;
    this.scs = new Scs({
      net: proc.net,
      clock: proc.clock,
      random: proc.random,
      config: this.config,
      logger: this.logger('SCS', proc.clock),
      secret: SECRET,
    });
    this.scs.start();
  }

  crashScs(): void {
    this.scsProc?.kill();
  }

  /** The LCA's ProcessControl.start: a new server process on the LCA's host, wired like cli/server.ts. */
  private startServer(h: WorldHost, app: string, lcaProc: SimProcess): ServerProcess {
    const pid = this.nextPid++;
    const proc = new SimProcess(this.sim, h.node, app, pid);
    const sp = new ServerProcess(this, app, h, proc, pid, lcaProc);
    this.servers.push(sp);
    this.sim.record(`${app}#${pid} started on host ${h.name}`);
    const config = this.config;
    const logger = this.logger(app, proc.clock);
    const gate = sp.gate;
    const server = new SipServer({
      clock: proc.clock,
      random: proc.random,
      net: proc.net,
      config,
      app,
      logger,
      gate,
    });
    sp.server = server;
    restoreContacts(server.store, h.persistence, proc.clock.now(), { logger });
    attachPersistence(server.store, h.persistence, { logger });
    server.store.onRecord(() => {
      sp.lastRecordAt = this.sim.now;
    });
    server.start(() => {});
    const peer = app === 'SIP_A' ? 'SIP_B' : 'SIP_A';
    const ha = new HaNode({
      net: proc.net,
      clock: proc.clock,
      random: proc.random,
      store: server.store,
      gate,
      config: () => config,
      app,
      peer,
      redundancy: 'hot-standby',
      logger,
      // As src/cli/server.ts: the old primary steps down when its backup takes over over the HA link.
      onPeerTakeover: () => {
        gate.set('Backup');
        this.vipDown(h);
        this.sim.record(`${app}#${pid} Primary -> Backup: the backup took over`);
        report();
      },
      reachesScs: () => sp.client.connected,
      onStepDown: (reason) => {
        gate.set('Backup');
        this.vipDown(h);
        this.sim.record(`${app}#${pid} Primary -> Backup: ${reason}`);
        report();
      },
      // As src/cli/server.ts: a process that cannot bind its ha-port (a duplicate) exits with an error.
      onListenError: (err) => sp.stop(`cannot bind the HA port: ${err.message}`, 1),
    });
    sp.ha = ha;
    ha.start();
    server.setHaStatus(() => ha.readiness());
    const report = (): void => {
      const s = server.status();
      sp.client.report(s.status === 'Stopped' ? 'Stopped' : 'Running', gate.role, {
        haLink: s.haLink,
        callsPendingSync: s.callsPendingSync,
        readyForSwitchover: s.readyForSwitchover,
        readyForUpgrade: s.readyForUpgrade,
        calls: s.calls,
      });
    };
    sp.client = new LcaAppClient(
      proc.net,
      proc.clock,
      proc.random,
      { lca: { host: h.address, port: 4999 }, app, secret: SECRET, pid },
      {
        onSetMode: (mode, reason) => {
          if (mode === 'Exiting') {
            sp.stop(`set to Exiting: ${reason}`);
            return;
          }
          const from = gate.role;
          const apply = (): void => {
            if (!sp.alive) return;
            if (mode === 'Primary') {
              this.vipUp(h);
              gate.set('Primary');
            } else {
              gate.set('Backup');
              this.vipDown(h);
            }
            if (from !== mode) {
              this.sim.record(`${app}#${pid} ${from} -> ${mode}: ${reason}`);
              logger.event('10-20001', { app, from, to: mode, reason });
              if (mode === 'Primary') this.stats.failovers++;
            }
            report();
          };
          if (mode === 'Primary' && from === 'Backup') ha.takeover(apply);
          else apply();
        },
        onStop: (reason) => sp.stop(reason),
        onConnected: report,
      },
    );
    const tick = (): void => {
      report();
      proc.clock.setTimer(1000, tick);
    };
    tick();
    return sp;
  }

  /** Test hook: starts another process of `app` on host h, as an LCA without its start hold would. */
  startDuplicate(h: WorldHost, app: string): ServerProcess {
    if (!h.lcaProc) throw new Error(`host ${h.name} has no LCA`);
    return this.startServer(h, app, h.lcaProc);
  }

  /** The VIP up script on host h: the address leaves the other host (gratuitous ARP) and comes up here. */
  vipUp(h: WorldHost): void {
    for (const other of [this.hosts.A, this.hosts.B]) {
      if (other !== h && other.node.hasHost(VIP)) other.node.removeHost(VIP);
    }
    if (!h.node.hasHost(VIP)) h.node.addHost(VIP);
  }

  private vipDown(h: WorldHost): void {
    if (h.node.hasHost(VIP)) h.node.removeHost(VIP);
  }

  liveServers(): ServerProcess[] {
    return this.servers.filter((s) => s.alive);
  }

  // ---- faults ----------------------------------------------------------------------------------------------

  private scheduleFault(f: PlannedFault): void {
    const at = this.sim.startTime + f.at;
    this.sim.at(at, () => this.inject(f));
    this.lastFaultEndAt = Math.max(this.lastFaultEndAt, at + f.durationMs);
  }

  private inject(f: PlannedFault): void {
    this.sim.record(`FAULT ${describeFault(f)}`);
    const net = this.sim.network;
    switch (f.kind) {
      case 'kill-primary':
      case 'kill-backup': {
        const role = f.kind === 'kill-primary' ? 'Primary' : 'Backup';
        const victim = this.liveServers().find((s) => s.gate.role === role);
        if (!victim) {
          this.sim.record(`FAULT no live ${role} to kill`);
          return;
        }
        victim.die(null, 'SIGKILL', `fault ${f.kind}`);
        return;
      }
      case 'partition-ha':
        net.partition([HOST_A], [HOST_B]);
        this.partitioned = true;
        this.sim.schedule(f.durationMs, () => {
          net.heal();
          this.partitioned = false;
          this.lastHealAt = this.sim.now;
        });
        return;
      case 'crash-scs':
        this.crashScs();
        this.sim.schedule(f.durationMs, () => this.startScs());
        return;
      case 'crash-lca-primary':
      case 'crash-lca-backup': {
        const role = f.kind === 'crash-lca-primary' ? 'Primary' : 'Backup';
        const server = this.liveServers().find((s) => s.gate.role === role);
        const name = server ? (server.host.name as 'A' | 'B') : role === 'Primary' ? 'A' : 'B';
        this.sim.record(
          `FAULT the LCA of host ${name} (${server ? `${server.app}, ${role}` : `no live ${role}`})`,
        );
        this.crashLca(name);
        this.sim.schedule(f.durationMs, () => this.startLca(name));
        return;
      }
      case 'sip-loss':
        net.setFaults({ to: VIP }, { loss: f.loss ?? 0.02 });
        net.setFaults({ from: VIP }, { loss: f.loss ?? 0.02 });
        this.sim.schedule(f.durationMs, () => {
          net.clearFaults({ to: VIP });
          net.clearFaults({ from: VIP });
        });
        return;
    }
  }

  // ---- invariants ------------------------------------------------------------------------------------------

  private violation(text: string): void {
    const line = `[+${this.sim.now - this.sim.startTime}ms] ${text}`;
    this.violations.push(line);
    this.sim.record(`VIOLATION ${text}`);
  }

  private reachesScs(s: ServerProcess): boolean {
    const lca = s.host.lca;
    return (
      this.scsProc?.alive === true &&
      s.host.lcaProc?.alive === true &&
      lca !== null &&
      lca.scsCount > 0 &&
      s.client.connected
    );
  }

  /** Invariant 1, after every event (see the header for the reading of S8.3). */
  private checkSplitBrain(): void {
    const now = this.sim.now;
    for (const s of this.servers) {
      if (!s.alive) continue;
      const r = this.reachesScs(s);
      if (r && this.reached.get(s) !== true) this.scsRegainedAt.set(s, now);
      this.reached.set(s, r);
    }
    const open = this.servers.filter(
      (s) => s.alive && s.gate.role === 'Primary' && s.server.status().sipListener.open,
    );
    const linked = this.liveServers().some((s) => s.ha.readiness().haLink === 'established');
    const wasLinked = this.linkedBefore;
    this.linkedBefore = linked;
    if (open.length < 2) {
      this.conflictSince = null;
      return;
    }
    const both = open.slice(0, 2);
    const describe = (): string =>
      both.map((x) => `${x.app}#${x.pid} Primary, port open, reaches SCS ${this.reachesScs(x)}`).join('; ');
    if (this.conflictSince === null) {
      this.conflictSince = now;
      // Could see each other (linked a moment ago) or both seen by the SCS: nothing excuses it, not even briefly.
      if (wasLinked || both.every((x) => this.reachesScs(x))) {
        this.violation(`(1) split brain: ${describe()}${wasLinked ? '; they were linked' : ''}`);
      }
      return;
    }
    // One of them is cut from the SCS. While it also cannot see its peer (HA partition) it sees neither.
    if (this.partitioned) return;
    const since = Math.max(
      this.conflictSince,
      this.lastHealAt,
      ...both.map((x) => this.scsRegainedAt.get(x) ?? -Infinity),
    );
    if (now - since > CONVERGE_MS) {
      this.violation(
        `(1) split brain for ${now - since} ms after the two could see each other or the SCS: ${describe()}`,
      );
    }
  }

  /** Invariant 2, at quiet moments. */
  private checkStores(): void {
    const live = this.liveServers();
    const primaries = live.filter((s) => s.gate.role === 'Primary');
    const backups = live.filter((s) => s.gate.role === 'Backup');
    if (primaries.length !== 1 || backups.length !== 1) return;
    const p = primaries[0]!;
    const b = backups[0]!;
    if (p.app === b.app) return;
    if (this.partitioned || this.sim.now - this.lastHealAt < QUIET_AFTER_HEAL_MS) return;
    if (this.sim.now - p.lastRecordAt < QUIET_AFTER_RECORD_MS) return;
    const rb = b.ha.readiness();
    const rp = p.ha.readiness();
    if (rb.haLink !== 'established' || rb.readyForSwitchover !== 1 || rb.callsPendingSync !== 0) return;
    if (rp.haLink !== 'established') return;
    this.stats.snapshotChecks++;
    const sp = p.server.store.snapshot();
    const sb = b.server.store.snapshot();
    if (!isDeepStrictEqual(sp, sb)) {
      this.violation(
        `(2) backup ${b.app}#${b.pid} (synced) differs from primary ${p.app}#${p.pid}: ${diffSummary(sp, sb)}`,
      );
    }
  }

  /** Invariant 3 bookkeeping: a server process is about to die. */
  beforeServerDeath(x: ServerProcess, why: string): void {
    this.stats.serverDeaths++;
    this.sim.record(`${x.app}#${x.pid} dies (${x.gate.role}): ${why}`);
    const peerAlive = this.liveServers().filter((s) => s !== x && s.app !== x.app);
    if (x.gate.role !== 'Primary') {
      if (!peerAlive.some((s) => s.gate.role === 'Primary')) this.excuseAll('both servers down');
      return;
    }
    const y = peerAlive.find((s) => s.gate.role === 'Backup');
    const r = y?.ha.readiness();
    const synced = y !== undefined && r?.haLink === 'established' && r.readyForSwitchover === 1;
    for (const call of x.server.store.calls()) {
      if (call.state !== 'established') continue;
      const callerLeg = call.legs.find((l) => l.side === 'caller');
      if (!callerLeg) continue;
      const placed = this.placedCall(callerLeg.callId);
      const calleeIds = call.legs
        .filter((l) => l.side === 'callee' && l.state === 'confirmed')
        .map((l) => l.callId);
      const callee = calleeIds.map((id) => this.answeredCall(id));
      const established =
        placed !== undefined &&
        placed.answeredAt !== null &&
        placed.outcome === 'pending' &&
        callee.length > 0 &&
        callee.every((a) => a !== undefined && a.confirmedAt !== null && a.byeAt === null);
      if (!established) continue;
      const onBackup = synced ? y.server.store.call(call.connId) : undefined;
      const existing = this.protectedCalls.get(callerLeg.callId);
      if (onBackup?.state === 'established') {
        if (!existing) {
          this.protectedCalls.set(callerLeg.callId, {
            connId: call.connId,
            calleeCallIds: calleeIds,
            since: this.sim.now,
            excused: null,
          });
        }
      } else if (existing && existing.excused === null) {
        existing.excused = `not synced to the backup when ${x.app}#${x.pid} died (${why})`;
      }
    }
  }

  private excuseAll(reason: string): void {
    for (const p of this.protectedCalls.values()) if (p.excused === null) p.excused = reason;
  }

  private placedCall(callId: string) {
    for (const ph of this.phones) {
      const c = ph.placed.get(callId);
      if (c) return c;
    }
    return undefined;
  }

  private answeredCall(callId: string) {
    for (const ph of this.phones) {
      const c = ph.answered.get(callId);
      if (c) return c;
    }
    return undefined;
  }

  private checkCallsAtEnd(): void {
    for (const [callId, p] of this.protectedCalls) {
      if (p.excused !== null) {
        this.stats.callsExcused++;
        continue;
      }
      const placed = this.placedCall(callId);
      const missing: string[] = [];
      if (placed?.outcome !== 'completed') missing.push(`caller outcome ${placed?.outcome ?? 'unknown'}`);
      for (const id of p.calleeCallIds) {
        if (this.answeredCall(id)?.byeAt == null) missing.push(`callee leg ${id} got no BYE`);
      }
      if (missing.length > 0) {
        this.violation(
          `(3) call ${p.connId} (${callId}) established and synced at failover was lost: ${missing.join(', ')}`,
        );
      }
    }
  }

  private healthy(): string | null {
    const live = this.liveServers();
    const primaries = live.filter((s) => s.gate.role === 'Primary');
    if (primaries.length !== 1) return `${primaries.length} live primaries`;
    const p = primaries[0]!;
    if (!p.server.status().sipListener.open) return `${p.app} is Primary without its SIP port`;
    if (!p.host.node.hasHost(VIP)) return `${p.app} is Primary but the VIP is not on host ${p.host.name}`;
    const b = live.find((s) => s.app !== p.app && s.gate.role === 'Backup');
    if (!b) return 'no live Backup';
    const r = b.ha.readiness();
    if (r.haLink !== 'established' || r.readyForSwitchover !== 1)
      return `backup ${b.app} not synced (${r.haLink})`;
    return null;
  }

  // ---- running -----------------------------------------------------------------------------------------------

  /** Runs `ms` of virtual time, checking invariant 1 after every event; stops early on a violation. */
  private runChecked(ms: number, until?: () => boolean): boolean {
    return this.sim.runUntil(
      () => {
        this.checkSplitBrain();
        return this.violations.length > 0 || (until?.() ?? false);
      },
      { timeoutMs: ms },
    );
  }

  run(): WorldResult {
    const sim = this.sim;
    this.sim.record(
      `world seed ${this.options.seed}; faults: ${this.faults.map(describeFault).join(', ') || 'none'}`,
    );
    this.startLca('A');
    this.startLca('B');
    this.startLca('S');
    this.startScs();
    for (const f of this.faults) this.scheduleFault(f);
    this.options.onStart?.(this);
    const stopCallsAt = sim.startTime + START_PHONES_MS + this.callsForMs;
    sim.at(sim.startTime + START_PHONES_MS, () => {
      for (const ph of this.phones) ph.start(stopCallsAt);
    });
    const checkStores = (): void => {
      this.checkStores();
      sim.clock.setTimer(CHECK_STORES_EVERY_MS, checkStores);
    };
    sim.clock.setTimer(CHECK_STORES_EVERY_MS, checkStores);

    this.runChecked(START_PHONES_MS + this.callsForMs);
    // Drain: every placed call gets its outcome (a BYE transaction lasts at most 32 s).
    if (this.violations.length === 0) {
      this.runChecked(70_000, () => this.phones.every((p) => p.inProgress === 0));
    }
    if (this.violations.length === 0) {
      if (!this.runChecked(40_000, () => this.healthy() === null)) {
        if (this.violations.length === 0) this.violation(`(4) the pair did not recover: ${this.healthy()}`);
      }
    }
    if (this.violations.length === 0) this.checkCallsAtEnd();
    if (this.violations.length === 0) {
      const settled = this.lastFaultEndAt + 10_000;
      const after = this.phones.flatMap((p) => [...p.placed.values()]).filter((c) => c.startedAt >= settled);
      if (after.length > 0 && !after.some((c) => c.outcome === 'completed')) {
        this.violation(`(4) none of the ${after.length} calls placed after the faults settled completed`);
      }
    }
    return this.result();
  }

  private result(): WorldResult {
    const st = this.stats;
    st.virtualMs = this.sim.now - this.sim.startTime;
    st.eventsRun = this.sim.eventsRun;
    st.callsThroughFailover = this.protectedCalls.size;
    for (const ph of this.phones) {
      for (const c of ph.placed.values()) {
        st.callsPlaced++;
        if (c.answeredAt !== null) st.callsAnswered++;
        if (c.outcome === 'completed') st.callsCompleted++;
        else if (c.answeredAt !== null) st.callsNotCompleted++;
      }
    }
    const hash = createHash('sha256');
    for (const line of this.sim.log) hash.update(line).update('\n');
    return {
      seed: this.options.seed,
      ok: this.violations.length === 0,
      violations: [...this.violations],
      faults: this.faults,
      stats: { ...st },
      logHash: hash.digest('hex'),
      log: this.sim.log,
      appLog: [...this.appLog],
    };
  }
}

function diffSummary(
  a: ReturnType<SipServer['store']['snapshot']>,
  b: ReturnType<SipServer['store']['snapshot']>,
): string {
  const parts: string[] = [];
  for (const key of ['calls', 'contacts', 'devices', 'agents'] as const) {
    const x = a[key] as unknown[];
    const y = b[key] as unknown[];
    if (isDeepStrictEqual(x, y)) continue;
    const sx = new Set(x.map((v) => JSON.stringify(v)));
    const sy = new Set(y.map((v) => JSON.stringify(v)));
    const onlyP = [...sx].filter((v) => !sy.has(v));
    const onlyB = [...sy].filter((v) => !sx.has(v));
    parts.push(
      `${key}: primary ${x.length}, backup ${y.length}; only on primary ${onlyP.slice(0, 2).join(' ')}; only on backup ${onlyB.slice(0, 2).join(' ')}`,
    );
  }
  return parts.join(' | ').slice(0, 3000);
}

/** Runs one seed. */
export function runWorld(options: WorldOptions): WorldResult {
  return new World(options).run();
}

export function replayCommand(seed: number): string {
  return `node --import tsx test/sim/run-seeds.ts --seeds 1 --from ${seed} --verbose`;
}
