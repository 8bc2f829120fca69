/**
 * An LCA on the simulator: a host with its LCA, fake process control and script runner, a fake SCS made from
 * a real 'scs' link, and server processes made from real 'lca-app' links (raw, or the real LcaAppClient).
 * Every log line is captured and parsed.
 */
import { stringify } from 'yaml';
import type { Config, ScriptApp } from '../../../src/config/config.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { connectLink } from '../../../src/ha/link/link.ts';
import type { CloseReason, Link, LinkMessage } from '../../../src/ha/link/types.ts';
import { createLogger } from '../../../src/log/logger.ts';
import {
  type KillSignal,
  Lca,
  type ProcessControl,
  type ProcessHandle,
  type ScriptResult,
  type ScriptRunner,
} from '../../../src/mgmt/lca/lca.ts';
import type { AppReport, ScsToLca } from '../../../src/mgmt/protocol.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';

export const LCA_HOST = '10.0.0.1';
export const LCA_PORT = 4999;
export const SECRET = 'a-secret-of-sixteen-chars';

// biome-ignore lint/suspicious/noExplicitAny: tests change arbitrary paths of the raw document.
export type Raw = any;

export function rawEnvironment(): Raw {
  return {
    hosts: {
      h1: { address: LCA_HOST, 'lca-port': LCA_PORT },
      h2: { address: '10.0.0.2' },
    },
    applications: {
      SIP_A: { type: 'sip-server', host: 'h1', options: { TServer: { 'ha-port': 7001 } } },
      SIP_B: {
        type: 'sip-server',
        host: 'h1',
        options: { TServer: { 'ha-port': 7002, 'http-port': 8082, 'cti-port': 3002 } },
      },
      SIP_C: { type: 'sip-server', host: 'h2', options: { TServer: {} } },
      VIP_UP: { type: 'script', host: 'h1', command: '/usr/sbin/ip', args: ['addr', 'add'], timeout: 5 },
      VIP_ANY: { type: 'script', command: '/usr/sbin/ip', args: ['addr', 'del'] },
      OTHER_HOST: { type: 'script', host: 'h2', command: '/bin/true' },
    },
    'ha-pairs': { PAIR: { primary: 'SIP_A', backup: 'SIP_B' } },
    scs: { host: 'h1', 'link-secret': SECRET },
  };
}

export function configOf(raw: Raw): Config {
  const r = loadConfig(stringify(raw), 'env.yaml');
  if (!r.ok) throw new Error(`test config refused: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.config;
}

export class FakeProcess implements ProcessHandle {
  readonly kills: KillSignal[] = [];
  private readonly callbacks: Array<(code: number | null, signal: string | null) => void> = [];
  exited = false;

  constructor(
    readonly app: string,
    readonly pid: number,
    /** When set, a signal ends the process after this many ms (as a well-behaved server does). */
    private readonly obey: { sim: Simulator; ms: number } | undefined,
  ) {}

  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.callbacks.push(cb);
  }

  kill(signal: KillSignal): void {
    this.kills.push(signal);
    if (this.obey && !this.exited) {
      const { sim, ms } = this.obey;
      sim.schedule(signal === 'SIGKILL' ? 0 : ms, () => this.exit(null, signal));
    }
  }

  /** The process ends (call from inside a simulator event or between runs). */
  exit(code: number | null, signal: string | null = null): void {
    if (this.exited) return;
    this.exited = true;
    for (const cb of this.callbacks) cb(code, signal);
  }
}

export class FakeProcesses implements ProcessControl {
  readonly started: FakeProcess[] = [];
  failWith: string | undefined;
  /** SIGTERM handling of new processes: exit after this many ms, or ignore SIGTERM (undefined). */
  termExitMs: number | undefined = 100;
  private nextPid = 1000;

  constructor(private readonly sim: Simulator) {}

  start(app: string): ProcessHandle {
    if (this.failWith !== undefined) throw new Error(this.failWith);
    const p = new FakeProcess(
      app,
      this.nextPid++,
      this.termExitMs === undefined ? undefined : { sim: this.sim, ms: this.termExitMs },
    );
    this.started.push(p);
    return p;
  }

  last(app: string): FakeProcess | undefined {
    return this.started.filter((p) => p.app === app).at(-1);
  }
}

export class FakeScripts implements ScriptRunner {
  readonly runs: Array<{ script: ScriptApp; timeoutMs: number; done: (r: ScriptResult) => void }> = [];

  run(script: ScriptApp, timeoutMs: number, cb: (result: ScriptResult) => void): void {
    this.runs.push({ script, timeoutMs, done: cb });
  }
}

export interface LoggedEvent {
  event: string;
  params: Record<string, unknown>;
  msg: string;
}

/** A peer at the end of one link: what it received, and whether/why it closed. */
export interface PeerEnd {
  link: Link | undefined;
  received: LinkMessage[];
  failed: CloseReason | undefined;
  closed: CloseReason | undefined;
  send(msg: LinkMessage): void;
}

export class Bench {
  readonly sim: Simulator;
  readonly lcaNode: SimNode;
  readonly processes: FakeProcesses;
  readonly scripts = new FakeScripts();
  readonly lines: string[] = [];
  lca: Lca;
  private readonly stopGraceMs: number | undefined;
  private readonly startHoldMs: number;
  config: Config;
  private nodes = 0;

  /** startHoldMs: the LCA's start-app hold after its start; 0 here unless a test is about it. */
  constructor(options: { raw?: Raw; seed?: number; stopGraceMs?: number; startHoldMs?: number } = {}) {
    this.sim = new Simulator({ seed: options.seed ?? 1 });
    this.lcaNode = this.sim.addNode('lca', [LCA_HOST]);
    this.processes = new FakeProcesses(this.sim);
    this.config = configOf(options.raw ?? rawEnvironment());
    this.stopGraceMs = options.stopGraceMs;
    this.startHoldMs = options.startHoldMs ?? 0;
    this.lca = this.startLca();
    this.sim.runFor(10);
  }

  /** A (new) LCA process on the LCA node (after a crash: restart the node first). */
  startLca(): Lca {
    const logger = createLogger({
      app: 'LCA_h1',
      level: 'all',
      clock: this.lcaNode.clock,
      destination: { write: (s) => this.lines.push(s) },
    });
    return new Lca({
      net: this.lcaNode.net,
      clock: this.lcaNode.clock,
      random: this.lcaNode.random,
      config: this.config,
      host: 'h1',
      logger,
      processes: this.processes,
      scripts: this.scripts,
      ...(this.stopGraceMs === undefined ? {} : { stopGraceMs: this.stopGraceMs }),
      startHoldMs: this.startHoldMs,
    });
  }

  events(id?: string): LoggedEvent[] {
    return this.lines
      .map((l) => JSON.parse(l) as { event?: string; params?: Record<string, unknown>; msg: string })
      .filter((l) => l.event !== undefined && (id === undefined || l.event === id))
      .map((l) => ({ event: l.event!, params: l.params ?? {}, msg: l.msg }));
  }

  /** A new simulated process with its own address. */
  node(name: string): SimNode {
    this.nodes++;
    return this.sim.addNode(name, [`10.0.1.${this.nodes}`]);
  }

  /** Opens a link to the LCA from a new node; runs until it is open or failed. */
  peer(name: string, protocol: 'scs' | 'lca-app', secret = SECRET, node?: SimNode): PeerEnd {
    const n = node ?? this.node(name);
    const end: PeerEnd = {
      link: undefined,
      received: [],
      failed: undefined,
      closed: undefined,
      send(msg) {
        end.link?.send(msg);
      },
    };
    connectLink(
      n.net,
      n.clock,
      n.random,
      { host: LCA_HOST, port: LCA_PORT },
      { secret, name, protocol },
      {
        onOpen: (link) => {
          end.link = link;
        },
        onFailed: (reason) => {
          end.failed = reason;
        },
        onMessage: (_link, msg) => {
          end.received.push(msg);
        },
        onClose: (_link, reason) => {
          end.closed = reason;
        },
      },
    );
    this.sim.runUntil(() => end.link !== undefined || end.failed !== undefined, { timeoutMs: 10_000 });
    return end;
  }

  scs(name = 'SCS'): PeerEnd {
    const end = this.peer(name, 'scs');
    if (!end.link) throw new Error(`SCS link did not open: ${JSON.stringify(end.failed)}`);
    this.settle();
    return end;
  }

  command(scs: PeerEnd, msg: ScsToLca): void {
    scs.send(msg as unknown as LinkMessage);
    this.settle();
  }

  /** Lets messages in flight arrive (links take a few ms each way). */
  settle(ms = 50): void {
    this.sim.runFor(ms);
  }
}

/** The `app` reports an SCS received for one application, in order. */
export function reportsOf(scs: PeerEnd, app: string): AppReport[] {
  return scs.received.flatMap((m) =>
    m.type === 'app' && (m.report as AppReport).app === app ? [m.report as AppReport] : [],
  );
}

export function lastReport(scs: PeerEnd, app: string): AppReport | undefined {
  return reportsOf(scs, app).at(-1);
}

export const READY = {
  haLink: 'established',
  callsPendingSync: 0,
  readyForSwitchover: 1,
  readyForUpgrade: 0,
  calls: 3,
} as const;
