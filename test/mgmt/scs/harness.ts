/**
 * The SCS on the simulator: the real Scs on its own node, and one fake LCA per host made from a real 'scs'
 * link server. A fake LCA can play its servers (start-app starts a process that becomes Running, set-mode is
 * obeyed and reported, stop-app ends it), so whole failover sequences run on virtual time.
 */
import { stringify } from 'yaml';
import type { Config } from '../../../src/config/config.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { type LinkListener, listenLinks } from '../../../src/ha/link/link.ts';
import type { Link, LinkMessage } from '../../../src/ha/link/types.ts';
import { createLogger } from '../../../src/log/logger.ts';
import type { AppReport, ExecutionMode, Readiness, ScsToLca } from '../../../src/mgmt/protocol.ts';
import { Scs } from '../../../src/mgmt/scs/scs.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';

export const SECRET = 'scs-test-secret-0123456789';

// biome-ignore lint/suspicious/noExplicitAny: tests change arbitrary paths of the raw document.
export type Raw = any;

export function rawEnvironment(): Raw {
  return {
    hosts: {
      h1: { address: '10.0.0.1' },
      h2: { address: '10.0.0.2' },
      hs: { address: '10.0.0.9' },
    },
    applications: {
      SIP_A: { type: 'sip-server', host: 'h1', options: { TServer: {} } },
      SIP_B: { type: 'sip-server', host: 'h2', options: { TServer: {} } },
    },
    'ha-pairs': { PAIR: { primary: 'SIP_A', backup: 'SIP_B' } },
    scs: { host: 'hs', 'link-secret': SECRET, token: 'operator-token-0123456789' },
  };
}

export function configOf(raw: Raw): Config {
  const r = loadConfig(stringify(raw), 'env.yaml');
  if (!r.ok) throw new Error(`test config refused: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.config;
}

export const readyReadiness: Readiness = {
  haLink: 'established',
  callsPendingSync: 0,
  readyForSwitchover: 1,
  readyForUpgrade: 0,
  calls: 0,
};

/** A host's LCA as the SCS sees it: a link server that reports apps and (optionally) plays the servers. */
export class FakeLca {
  readonly node: SimNode;
  readonly received: ScsToLca[] = [];
  readonly apps = new Map<string, AppReport>();
  /** Play the servers: obey start-app, set-mode and stop-app. */
  auto = true;
  /** How a run-script is answered: a script-result with this exit code after 100 ms, or not at all. */
  scriptExit: number | 'ignore' = 'ignore';
  listener: LinkListener | null = null;
  private links = new Set<Link>();
  private nextPid = 1000;

  constructor(
    private readonly sim: Simulator,
    readonly host: string,
    readonly address: string,
    appNames: string[],
    private readonly secret = SECRET,
    /** What it calls itself in its 'host' message. */
    private readonly claimedHost = host,
  ) {
    this.node = sim.addNode(`lca-${host}`, [address]);
    for (const app of appNames) {
      this.apps.set(app, {
        app,
        process: 'not-started',
        pid: null,
        lastExit: null,
        status: null,
        mode: null,
        readiness: null,
      });
    }
    this.listen();
  }

  listen(): void {
    this.listener = listenLinks(
      this.node.net,
      this.node.clock,
      this.node.random,
      { host: this.address, port: 4999 },
      { secret: this.secret, name: this.host, protocol: 'scs', addp: { timeout: 2, remoteTimeout: 2 } },
      {
        onOpen: (link) => {
          this.links.add(link);
          link.send({ type: 'host', host: this.claimedHost, apps: [...this.apps.values()] });
        },
        onMessage: (_link, msg) => this.command(msg as unknown as ScsToLca),
        onClose: (link) => {
          this.links.delete(link);
        },
      },
    );
  }

  get connected(): boolean {
    return this.links.size > 0;
  }

  /** Sends anything to the SCS (bad input tests). */
  sendRaw(msg: LinkMessage): void {
    for (const l of this.links) l.send(msg);
  }

  /** Relays a log event of one of its servers, as the LCA does (alarm conditions at the SCS). */
  logEvent(app: string, id: string, params: Record<string, unknown> = {}): void {
    this.sendRaw({ type: 'log-event', app, id, params, time: this.node.clock.now() });
  }

  /** Changes an app's report and relays it, as the LCA does on every change. */
  update(app: string, change: Partial<AppReport>): void {
    const r = { ...this.apps.get(app)!, ...change };
    this.apps.set(app, r);
    this.sim.record(`${this.host} report ${app} ${r.process} ${r.status} ${r.mode}`);
    this.sendRaw({ type: 'app', report: r });
  }

  /** The server process dies (kill -9): the LCA sees the exit at once. */
  kill(app: string): void {
    this.update(app, {
      process: 'exited',
      pid: null,
      status: null,
      mode: null,
      readiness: null,
      lastExit: 'signal SIGKILL',
    });
  }

  /** The process restarts, for a new node after a crash of the LCA node. */
  restartNode(): void {
    this.node.restart();
    this.links.clear();
    this.listen();
  }

  commands(type?: ScsToLca['type']): ScsToLca[] {
    return type ? this.received.filter((c) => c.type === type) : [...this.received];
  }

  private command(c: ScsToLca): void {
    this.received.push(c);
    this.sim.record(`${this.host} got ${c.type} ${'app' in c ? c.app : ''} ${'mode' in c ? c.mode : ''}`);
    if (!this.auto) return;
    const clock = this.node.clock;
    switch (c.type) {
      case 'start-app': {
        const cur = this.apps.get(c.app);
        if (!cur || cur.process === 'running') return;
        const pid = this.nextPid++;
        clock.setTimer(200, () =>
          this.update(c.app, {
            process: 'running',
            pid,
            status: 'Initializing',
            mode: c.mode,
            readiness: null,
          }),
        );
        clock.setTimer(700, () => {
          if (this.apps.get(c.app)?.pid === pid) {
            this.update(c.app, { status: 'Running', readiness: readyReadiness });
          }
        });
        return;
      }
      case 'set-mode':
        clock.setTimer(50, () => {
          if (this.apps.get(c.app)?.process === 'running')
            this.update(c.app, { mode: c.mode as ExecutionMode });
        });
        return;
      case 'stop-app':
        clock.setTimer(100, () =>
          this.update(c.app, { process: 'exited', pid: null, status: null, mode: null }),
        );
        return;
      case 'run-script': {
        const exit = this.scriptExit;
        if (exit === 'ignore') return;
        clock.setTimer(100, () =>
          this.sendRaw({
            type: 'script-result',
            requestId: c.requestId,
            script: c.script,
            exitCode: exit,
            timedOut: false,
            output: exit === 0 ? 'done' : 'failed on purpose',
          }),
        );
        return;
      }
    }
  }
}

export interface LogLine {
  event?: string;
  msg: string;
  params?: Record<string, unknown>;
}

export interface ScsRig {
  sim: Simulator;
  config: Config;
  scsNode: SimNode;
  scs: Scs;
  lcas: Record<string, FakeLca>;
  lines: LogLine[];
  events(id: string): LogLine[];
  mode(app: string): ExecutionMode | null;
}

export function scsRig(
  options: {
    seed?: number | string;
    raw?: Raw;
    lcaSecret?: string;
    startGraceMs?: number;
    start?: boolean;
  } = {},
): ScsRig {
  const sim = new Simulator({ seed: options.seed ?? 'scs' });
  const config = configOf(options.raw ?? rawEnvironment());
  const lcas: Record<string, FakeLca> = {};
  for (const [name, host] of Object.entries(config.hosts)) {
    if (name === config.scs.host) continue;
    const apps = Object.values(config.applications)
      .filter((a) => a.type === 'sip-server' && a.host === name)
      .map((a) => a.name);
    lcas[name] = new FakeLca(sim, name, host.address, apps, options.lcaSecret ?? SECRET);
  }
  const scsAddress = config.hosts[config.scs.host]!.address;
  const scsNode = sim.addNode('scs', [scsAddress]);
  const lines: LogLine[] = [];
  const logger = createLogger({
    app: 'SCS',
    level: 'all',
    clock: scsNode.clock,
    destination: { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  });
  const scs = new Scs({
    net: scsNode.net,
    clock: scsNode.clock,
    random: scsNode.random,
    config,
    logger,
    secret: config.scs.linkSecret ?? 'duet-insecure-default',
    controller: { startGraceMs: options.startGraceMs ?? 3000 },
  });
  if (options.start !== false) scs.start();
  return {
    sim,
    config,
    scsNode,
    scs,
    lcas,
    lines,
    events: (id) => lines.filter((l) => l.event === id),
    mode: (app) => {
      for (const l of Object.values(lcas)) {
        const r = l.apps.get(app);
        if (r) return r.process === 'running' ? r.mode : null;
      }
      return null;
    },
  };
}
