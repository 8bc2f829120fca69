/**
 * The Local Control Agent (SPEC S1, S4.5, S6.1, S8.4): one per host, on the host's `lca-port`.
 *
 * - The SIP Servers of the host connect to it ('lca-app' links), register, and report status, mode and
 *   readiness; it relays every change to the connected SCS(s) ('scs' links) as `app` reports, and their log
 *   events as `log-event`s (for alarm conditions).
 * - On the SCS's command it starts and stops server processes and forwards mode changes.
 * - It notices a server's death at once, by whichever comes first of the child's exit and its link closing,
 *   and reports the process `exited`.
 * - It runs only the script applications configured for this host (S6.1: "no request can make an LCA run
 *   anything else"), with their timeout.
 *
 * Deterministic core: everything runs on the injected Net/Clock/Random; process spawning and script running
 * are behind ProcessControl and ScriptRunner (node-processes.ts on a real machine, fakes in tests).
 */
import type { Config, ScriptApp, SipServerApp } from '../../config/config.ts';
import { describeReason, type LinkListener, listenLinks } from '../../ha/link/link.ts';
import type { AddpOptions, CloseReason, Link, LinkMessage } from '../../ha/link/types.ts';
import type { Logger } from '../../log/logger.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import { type Address, formatAddress, type Net } from '../../runtime/net.ts';
import type { Random } from '../../runtime/random.ts';
import type {
  AppReport,
  AppStatus,
  ExecutionMode,
  LcaToScs,
  LcaToServer,
  Readiness,
  ScriptOutcome,
} from '../protocol.ts';
import { linkSecretOf } from './secret.ts';

// ---- what the LCA needs from the machine ------------------------------------------------------------------

export type KillSignal = 'SIGTERM' | 'SIGKILL';

/** A server process started by the LCA. */
export interface ProcessHandle {
  readonly pid: number;
  /** Called once when the process has ended (code, or the signal that ended it). */
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  kill(signal: KillSignal): void;
}

/** Starts `duet server --app NAME` processes (node-processes.ts). May throw when the process cannot start. */
export interface ProcessControl {
  start(app: string): ProcessHandle;
}

export interface ScriptResult {
  /** null when the script did not exit by itself (killed on timeout, or could not be started). */
  exitCode: number | null;
  timedOut: boolean;
  /** stdout and stderr, bounded. */
  output: string;
}

/** Runs a configured script application (its command and args, no shell), killing it after timeoutMs. */
export interface ScriptRunner {
  run(script: ScriptApp, timeoutMs: number, cb: (result: ScriptResult) => void): void;
}

// ---- options ------------------------------------------------------------------------------------------------

export interface LcaOptions {
  net: Net;
  clock: Clock;
  random: Random;
  config: Config;
  /** The host this LCA runs on (a key of config.hosts). */
  host: string;
  logger: Logger;
  processes: ProcessControl;
  scripts: ScriptRunner;
  /** Where to listen; default the host's `address` and `lca-port`. */
  listen?: Address;
  /** ADDP on the LCA's links. Default 2 s both ways: a hung server or a silent SCS is noticed in ~4 s. */
  addp?: AddpOptions;
  /** SIGTERM → SIGKILL grace period of stop-app, ms. Default 10000. */
  stopGraceMs?: number;
  /**
   * After the LCA starts, a start-app of an application that has not registered waits this long, ms (default
   * 3000): a server that outlived the previous LCA retries its registration every second (app-client.ts), and
   * must not get a duplicate started next to it. 0 = off.
   */
  startHoldMs?: number;
  /** Told once the listener is open, or could not be opened. */
  onListening?: (err?: Error) => void;
}

export const DEFAULT_STOP_GRACE_MS = 10_000;
export const DEFAULT_START_HOLD_MS = 3000;
const DEFAULT_ADDP: AddpOptions = { timeout: 2, remoteTimeout: 2 };
const MODES: readonly ExecutionMode[] = ['Primary', 'Backup', 'Exiting'];
const STATUSES: readonly AppStatus[] = [
  'Initializing',
  'Running',
  'ServiceUnavailable',
  'Stopping',
  'Stopped',
];

/** What the LCA knows of one sip-server application of its host. */
interface AppState {
  name: string;
  process: AppReport['process'];
  pid: number | null;
  lastExit: string | null;
  status: AppStatus | null;
  mode: ExecutionMode | null;
  readiness: Readiness | null;
  /** The process this LCA started (undefined for one started by someone else, or none). */
  handle: ProcessHandle | undefined;
  /** The registered server link. */
  link: Link | undefined;
  /** A mode the SCS gave while the server was not connected: sent when it registers. */
  pendingMode: { mode: ExecutionMode; reason: string } | undefined;
  /** stop-app (or shutdown) was asked: the exit is expected. */
  stopping: boolean;
  /** start-app came while the previous process was still dying: started when it has exited. */
  pendingStart: { mode: ExecutionMode | null } | undefined;
  killTimer: TimerHandle | undefined;
  /** A start-app held in the first startHoldMs of this LCA (an orphaned server may still register). */
  heldStart: TimerHandle | undefined;
}

/** Per accepted server link: which app it registered as (undefined until its `register`). */
interface ServerLinkState {
  app: string | undefined;
}

export class Lca {
  readonly host: string;
  private config: Config;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly processes: ProcessControl;
  private readonly scripts: ScriptRunner;
  private readonly stopGraceMs: number;
  private readonly startHoldUntil: number;
  private readonly apps = new Map<string, AppState>();
  private readonly scsLinks = new Set<Link>();
  private readonly serverLinks = new Map<Link, ServerLinkState>();
  /** Scripts of other hosts asked for by a server of this host, relayed through the SCS (SPEC S6.1). */
  private readonly relays = new Map<string, { link: Link; requestId: string; script: string }>();
  private relaySeq = 0;
  private readonly listener: LinkListener;
  private closed = false;
  private onShutdown: (() => void) | undefined;

  constructor(options: LcaOptions) {
    const { net, clock, random, config, host, logger } = options;
    this.clock = clock;
    this.config = config;
    this.host = host;
    this.logger = logger;
    this.processes = options.processes;
    this.scripts = options.scripts;
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    this.startHoldUntil = clock.now() + (options.startHoldMs ?? DEFAULT_START_HOLD_MS);
    const hostEntry = config.hosts[host];
    if (hostEntry === undefined) {
      const known = Object.keys(config.hosts).join(', ') || 'none';
      throw new Error(`LCA: "${host}" is not a host of ${config.file} (hosts: ${known})`);
    }
    for (const app of this.ownServers()) this.apps.set(app.name, newAppState(app.name));

    const { secret, insecure } = linkSecretOf(config);
    if (insecure) logger.event('10-61010', { file: config.file, component: `LCA of host ${host}` });
    const local = options.listen ?? { host: hostEntry.address, port: hostEntry.lcaPort };
    this.listener = listenLinks(
      net,
      clock,
      random,
      local,
      {
        secret,
        name: `lca@${host}`,
        protocol: 'lca-app',
        acceptProtocols: ['lca-app', 'scs'],
        addp: options.addp ?? DEFAULT_ADDP,
      },
      {
        onListening: () => {
          logger.event('10-61001', { host, address: formatAddress(local) });
          options.onListening?.();
        },
        onError: (err) => {
          logger.event('10-61002', { host, address: formatAddress(local), reason: err.message });
          options.onListening?.(err);
        },
        onRefused: (remote, detail) => {
          logger.event('10-60008', {
            action: 'LCA link',
            source: formatAddress(remote),
            reason: detail,
          });
        },
        onOpen: (link) => this.linkOpened(link),
        onMessage: (link, msg) => this.linkMessage(link, msg),
        onClose: (link, reason) => this.linkClosed(link, reason),
      },
    );
  }

  /** What the LCA knows of every sip-server application of its host, as the SCS sees it. */
  reports(): AppReport[] {
    return [...this.apps.values()].map(reportOf);
  }

  report(app: string): AppReport | undefined {
    const s = this.apps.get(app);
    return s && reportOf(s);
  }

  /** Number of SCS links open now. */
  get scsCount(): number {
    return this.scsLinks.size;
  }

  /**
   * A reloaded configuration: script applications take effect at once (their options are "Immediately");
   * servers added to this host become known (removed ones are kept while they run).
   */
  reconfigure(config: Config): void {
    this.config = config;
    for (const app of this.ownServers()) {
      if (!this.apps.has(app.name)) {
        const s = newAppState(app.name);
        this.apps.set(app.name, s);
        this.relay(s);
      }
    }
  }

  /**
   * Stops every server process this LCA started (stop message + SIGTERM, SIGKILL after graceMs), then closes
   * every link and the listener. `done` is called once all of them have exited.
   */
  shutdown(graceMs: number, done: () => void): void {
    this.onShutdown = () => {
      this.onShutdown = undefined;
      this.close();
      done();
    };
    for (const s of this.apps.values()) {
      s.pendingStart = undefined;
      if (s.handle !== undefined) this.stopApp(s, 'LCA shutting down', graceMs);
    }
    this.checkShutdown();
  }

  private checkShutdown(): void {
    if (this.onShutdown === undefined) return;
    for (const s of this.apps.values()) if (s.handle !== undefined) return;
    this.onShutdown();
  }

  /** Closes the listener and every link at once (the processes are left alone). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listener.close();
    for (const link of [...this.scsLinks, ...this.serverLinks.keys()]) link.close();
    for (const s of this.apps.values()) {
      if (s.killTimer !== undefined) this.clock.clearTimer(s.killTimer);
      s.killTimer = undefined;
      this.clearHeldStart(s);
    }
  }

  // ---- links ----------------------------------------------------------------------------------------------

  private linkOpened(link: Link): void {
    if (this.closed) {
      link.close();
      return;
    }
    if (link.protocol === 'scs') {
      this.scsLinks.add(link);
      this.logger.event('10-61003', {
        peer: link.peerName,
        host: this.host,
        address: formatAddress(link.remote),
      });
      this.sendScs(link, { type: 'host', host: this.host, apps: this.reports() });
    } else {
      this.serverLinks.set(link, { app: undefined });
    }
  }

  private linkMessage(link: Link, msg: LinkMessage): void {
    if (this.scsLinks.has(link)) {
      this.scsMessage(link, msg);
      return;
    }
    const state = this.serverLinks.get(link);
    if (state === undefined) return;
    if (state.app === undefined) {
      this.register(link, state, msg);
      return;
    }
    const s = this.apps.get(state.app);
    if (s === undefined || s.link !== link) return;
    this.serverMessage(s, msg);
  }

  private linkClosed(link: Link, reason: CloseReason): void {
    if (this.scsLinks.delete(link)) {
      this.logger.event('10-61004', { peer: link.peerName, host: this.host, reason: describeReason(reason) });
      return;
    }
    const state = this.serverLinks.get(link);
    if (state === undefined) return;
    this.serverLinks.delete(link);
    if (state.app === undefined) return;
    const s = this.apps.get(state.app);
    if (s === undefined || s.link !== link) return;
    s.link = undefined;
    if (this.closed) return;
    // The server's link is its sign of life: a closed link means a dead (or hung) server, reported at once
    // rather than after the child's exit, which may come later or never (a process not started here).
    const pid = s.pid;
    this.processEnded(s, `link lost: ${describeReason(reason)}`);
    // A process that lives on after its link died (hung, or its socket broke) must not keep acting on a
    // role the SCS now believes is free: the SCS is about to promote its peer.
    if (s.handle !== undefined && pid !== null && !s.stopping) {
      this.logger.event('10-61009', {
        app: s.name,
        pid,
        signal: 'SIGKILL',
        reason: 'its LCA link was lost while it was running',
      });
      s.handle.kill('SIGKILL');
    }
  }

  // ---- servers --------------------------------------------------------------------------------------------

  private register(link: Link, state: ServerLinkState, msg: LinkMessage): void {
    const source = `${link.peerName} (${formatAddress(link.remote)})`;
    if (msg.type !== 'register' || typeof msg.app !== 'string' || !isPid(msg.pid)) {
      this.refuse('register', source, `the first message must be register {app, pid}, got "${msg.type}"`);
      link.close();
      return;
    }
    const why = this.notOurServer(msg.app);
    if (why !== undefined) {
      this.refuse(`register ${msg.app}`, source, why);
      link.close();
      return;
    }
    const s = this.apps.get(msg.app)!;
    if (s.link?.open) {
      // Two processes of one application: keep the one already connected, which the SCS knows; the other
      // retries and gets through once the first is gone.
      this.refuse(`register ${msg.app}`, source, `already registered by pid ${s.pid ?? '?'}`);
      link.close();
      return;
    }
    state.app = msg.app;
    s.link = link;
    // A start-app held for this moment: the server that outlived the previous LCA is back, none is started.
    this.clearHeldStart(s);
    if (s.handle !== undefined && s.handle.pid !== msg.pid) {
      // Not the process we started (that one may still be starting); this is the one that speaks for the app.
      this.logger.debug('LCA: registered pid differs from the started one', {
        app: s.name,
        started: s.handle.pid,
        registered: msg.pid,
      });
    }
    s.process = 'running';
    s.pid = msg.pid;
    this.logger.event('10-61007', { app: s.name, pid: msg.pid, host: this.host });
    if (s.pendingMode !== undefined) {
      const { mode, reason } = s.pendingMode;
      s.pendingMode = undefined;
      this.sendServer(link, { type: 'set-mode', mode, reason });
    }
    if (s.stopping) this.sendServer(link, { type: 'stop', reason: 'stop requested before it registered' });
    this.relay(s);
  }

  private serverMessage(s: AppState, msg: LinkMessage): void {
    switch (msg.type) {
      case 'status': {
        if (
          !isStatus(msg.status) ||
          !(msg.mode === null || isMode(msg.mode)) ||
          !isReadiness(msg.readiness)
        ) {
          this.logger.debug('LCA: malformed status message ignored', { app: s.name });
          return;
        }
        const changed =
          s.status !== msg.status ||
          s.mode !== msg.mode ||
          !sameReadiness(s.readiness, msg.readiness as Readiness);
        s.status = msg.status;
        s.mode = msg.mode;
        s.readiness = { ...(msg.readiness as Readiness) };
        if (changed) this.relay(s);
        return;
      }
      case 'log-event': {
        if (typeof msg.id !== 'string' || !isRecord(msg.params) || typeof msg.time !== 'number') {
          this.logger.debug('LCA: malformed log-event ignored', { app: s.name });
          return;
        }
        // The app is the link's, not what the message claims: a server speaks only for itself.
        this.broadcast({ type: 'log-event', app: s.name, id: msg.id, params: msg.params, time: msg.time });
        return;
      }
      case 'run-script': {
        const { requestId, script, host } = msg;
        if (typeof requestId !== 'string' || typeof script !== 'string' || typeof host !== 'string') {
          this.refuse('run-script', `server ${s.name}`, 'malformed: needs requestId, script and host');
          return;
        }
        this.serverRunScript(s, requestId, script, host);
        return;
      }
      default:
        this.logger.debug('LCA: unknown message from a server ignored', { app: s.name, type: msg.type });
    }
  }

  /** The process is gone (exit or lost link; the first one counts). */
  private processEnded(s: AppState, exit: string): void {
    if (s.process !== 'running') return;
    const pid = s.pid ?? -1;
    s.process = 'exited';
    s.lastExit = exit;
    s.pid = null;
    // A dead process has no status or mode: what it last said no longer holds.
    s.status = null;
    s.mode = null;
    s.readiness = null;
    this.logger.event('10-61006', { app: s.name, pid, exit });
    if (!s.stopping) {
      this.logger.event('10-10007', { app: s.name, reason: exit });
      // Relayed like a server's own event, so that an alarm condition on 10-10007 works (seed 001).
      this.broadcast({
        type: 'log-event',
        app: s.name,
        id: '10-10007',
        params: { app: s.name, reason: exit },
        time: this.clock.now(),
      });
    }
    this.relay(s);
  }

  private childExited(s: AppState, handle: ProcessHandle, code: number | null, signal: string | null): void {
    const exit = code !== null ? `exit code ${code}` : signal !== null ? `signal ${signal}` : 'ended';
    if (s.handle !== handle) return; // an older process of this app, already accounted for
    s.handle = undefined;
    if (s.killTimer !== undefined) this.clock.clearTimer(s.killTimer);
    s.killTimer = undefined;
    if (s.process === 'running') {
      this.processEnded(s, exit);
    } else {
      // Already reported at its link's loss; keep the real exit for the record.
      s.lastExit = `${s.lastExit ?? ''}; ${exit}`.replace(/^; /, '');
    }
    s.stopping = false;
    s.link?.close();
    const again = s.pendingStart;
    s.pendingStart = undefined;
    if (again !== undefined && !this.closed)
      this.startApp(s.name, again.mode, 'a start-app held until the exit');
    this.checkShutdown();
  }

  // ---- SCS ------------------------------------------------------------------------------------------------

  private scsMessage(link: Link, msg: LinkMessage): void {
    const source = `SCS ${link.peerName}`;
    switch (msg.type) {
      case 'start-app': {
        const { app, mode } = msg;
        if (typeof app !== 'string' || !(mode === null || mode === undefined || isMode(mode))) {
          this.refuse(
            'start-app',
            source,
            'malformed: needs app and a mode (Primary, Backup, Exiting or null)',
          );
          return;
        }
        this.startApp(app, (mode as ExecutionMode | null | undefined) ?? null, source);
        return;
      }
      case 'stop-app': {
        const { app } = msg;
        if (typeof app !== 'string') {
          this.refuse('stop-app', source, 'malformed: needs app');
          return;
        }
        const why = this.notOurServer(app);
        if (why !== undefined) {
          this.refuse(`stop-app ${app}`, source, why);
          return;
        }
        const reason = typeof msg.reason === 'string' ? msg.reason : 'stop requested by the SCS';
        this.stopApp(this.apps.get(app)!, reason, this.stopGraceMs);
        return;
      }
      case 'set-mode': {
        const { app, mode } = msg;
        if (typeof app !== 'string' || !isMode(mode)) {
          this.refuse('set-mode', source, 'malformed: needs app and mode (Primary, Backup or Exiting)');
          return;
        }
        const why = this.notOurServer(app);
        if (why !== undefined) {
          this.refuse(`set-mode ${app}`, source, why);
          return;
        }
        const reason = typeof msg.reason === 'string' ? msg.reason : 'set by the SCS';
        const s = this.apps.get(app)!;
        if (s.link?.open) {
          s.pendingMode = undefined;
          this.sendServer(s.link, { type: 'set-mode', mode, reason });
        } else {
          s.pendingMode = { mode, reason };
        }
        return;
      }
      case 'run-script': {
        const { requestId, script } = msg;
        if (typeof requestId !== 'string' || typeof script !== 'string') {
          this.refuse('run-script', source, 'malformed: needs requestId and script');
          return;
        }
        this.runScript(script, source, (r) =>
          this.sendScs(link, { type: 'script-result', requestId, script, ...r }),
        );
        return;
      }
      case 'script-result': {
        // The answer to a script this LCA relayed for one of its servers.
        const relay = typeof msg.requestId === 'string' ? this.relays.get(msg.requestId) : undefined;
        if (relay === undefined) return;
        this.relays.delete(msg.requestId as string);
        if (relay.link.open) {
          this.sendServer(relay.link, {
            type: 'script-result',
            requestId: relay.requestId,
            script: relay.script,
            exitCode: typeof msg.exitCode === 'number' ? msg.exitCode : null,
            timedOut: msg.timedOut === true,
            output: typeof msg.output === 'string' ? msg.output : '',
          });
        }
        return;
      }
      default:
        this.logger.debug('LCA: unknown message from the SCS ignored', { type: msg.type });
    }
  }

  private startApp(app: string, mode: ExecutionMode | null, source: string): void {
    const why = this.notOurServer(app);
    if (why !== undefined) {
      this.refuse(`start-app ${app}`, source, why);
      return;
    }
    const s = this.apps.get(app)!;
    if (this.onShutdown !== undefined || this.closed) {
      this.refuse(`start-app ${app}`, source, 'the LCA is shutting down');
      return;
    }
    if (s.process === 'running') {
      // A second start of a running application is ignored; the SCS gets its state again.
      this.relay(s);
      return;
    }
    if (s.handle !== undefined) {
      // Reported exited (its link was lost) but not gone yet: start the new one once the old one is.
      s.pendingStart = { mode };
      return;
    }
    const wait = this.startHoldUntil - this.clock.now();
    if (s.process === 'not-started' && wait > 0) {
      // This LCA just started and has never seen the application: a server that outlived the previous LCA
      // may be about to register. Start only if none has registered when the hold ends.
      if (s.heldStart === undefined) {
        this.logger.event('10-61012', { host: this.host, app, ms: wait });
        s.heldStart = this.clock.setTimer(wait, () => {
          s.heldStart = undefined;
          if (!this.closed) this.startApp(app, mode, `${source} (held until no server registered)`);
        });
      }
      return;
    }
    let handle: ProcessHandle;
    try {
      handle = this.processes.start(app);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.logger.event('10-61008', { host: this.host, app, reason });
      s.process = 'exited';
      s.lastExit = `could not start: ${reason}`;
      this.relay(s);
      return;
    }
    s.handle = handle;
    s.process = 'running';
    s.pid = handle.pid;
    s.lastExit = null;
    s.status = null;
    s.mode = null;
    s.readiness = null;
    s.stopping = false;
    s.pendingMode = mode === null ? undefined : { mode, reason: 'initial mode given by the SCS' };
    handle.onExit((code, signal) => this.childExited(s, handle, code, signal));
    this.logger.event('10-61005', { host: this.host, app, pid: handle.pid, mode: mode ?? 'none' });
    this.relay(s);
  }

  private clearHeldStart(s: AppState): void {
    if (s.heldStart !== undefined) this.clock.clearTimer(s.heldStart);
    s.heldStart = undefined;
  }

  private stopApp(s: AppState, reason: string, graceMs: number): void {
    s.pendingMode = undefined;
    s.pendingStart = undefined;
    this.clearHeldStart(s);
    if (s.process !== 'running' && s.handle === undefined) {
      this.relay(s);
      return;
    }
    if (s.stopping) return;
    s.stopping = true;
    if (s.link?.open) this.sendServer(s.link, { type: 'stop', reason });
    const handle = s.handle;
    if (handle === undefined) return; // not ours to signal: the stop message is all we can do
    handle.kill('SIGTERM');
    s.killTimer = this.clock.setTimer(graceMs, () => {
      s.killTimer = undefined;
      if (s.handle !== handle) return;
      this.logger.event('10-61009', {
        app: s.name,
        pid: handle.pid,
        signal: 'SIGKILL',
        reason: `still running ${graceMs / 1000} s after SIGTERM`,
      });
      handle.kill('SIGKILL');
    });
  }

  /**
   * A server of this host asks for a Virtual IP script (SPEC S6.1). It may ask only for its own
   * sip-vip-script-up/-down, or its pair peer's sip-vip-script-down (control-remote-vip-scripts), on the
   * script's host; one of this host runs here, one of another host is relayed through the SCS to that host's
   * LCA. Anything else is refused (S8.4: LCAs run only configured scripts, and a server only its own).
   */
  private serverRunScript(s: AppState, requestId: string, script: string, host: string): void {
    const link = s.link;
    if (link === undefined) return;
    const answer = (r: ScriptOutcome): void =>
      this.sendServer(link, { type: 'script-result', requestId, script, ...r });
    const source = `server ${s.name}`;
    const why = this.scriptNotAllowed(s.name, script, host);
    if (why !== undefined) {
      this.logger.event('10-60008', { action: `run-script ${script}`, source, reason: why });
      answer({ exitCode: null, timedOut: false, output: `refused: ${why}` });
      return;
    }
    if (host === this.host) {
      this.runScript(script, source, answer);
      return;
    }
    const scs = [...this.scsLinks].find((l) => l.open);
    if (scs === undefined) {
      answer({
        exitCode: null,
        timedOut: false,
        output: `not run: no SCS connected to relay it to host ${host}`,
      });
      return;
    }
    const relayId = `${this.host}-${++this.relaySeq}`;
    this.relays.set(relayId, { link, requestId, script });
    if (this.relays.size > 64) this.relays.delete(this.relays.keys().next().value as string);
    this.sendScs(scs, { type: 'relay-script', requestId: relayId, app: s.name, script, host });
  }

  /** Why server `app` may not have `script` run on `host`, or undefined when it may. */
  private scriptNotAllowed(app: string, script: string, host: string): string | undefined {
    const apps = this.config.applications;
    const own = Object.hasOwn(apps, app) ? apps[app] : undefined;
    if (own?.type !== 'sip-server') return `"${app}" is not a sip-server application`;
    const allowed = new Set<string>();
    const t = own.options.tserver;
    if (t.sipVipScriptUp !== undefined) allowed.add(t.sipVipScriptUp);
    if (t.sipVipScriptDown !== undefined) allowed.add(t.sipVipScriptDown);
    const pair = Object.values(this.config.haPairs).find((p) => p.primary === app || p.backup === app);
    const peerName = pair === undefined ? undefined : pair.primary === app ? pair.backup : pair.primary;
    const peer = peerName !== undefined && Object.hasOwn(apps, peerName) ? apps[peerName] : undefined;
    if (peer?.type === 'sip-server' && peer.options.tserver.sipVipScriptDown !== undefined) {
      allowed.add(peer.options.tserver.sipVipScriptDown);
    }
    if (!allowed.has(script)) {
      return `"${script}" is not a Virtual IP script of ${app} (its sip-vip-script-up/-down, or its peer's sip-vip-script-down)`;
    }
    const target = Object.hasOwn(apps, script) ? apps[script] : undefined;
    if (target?.type !== 'script') return `"${script}" is not a script application`;
    if (!Object.hasOwn(this.config.hosts, host)) return `"${host}" is not a host of ${this.config.file}`;
    if (target.host !== undefined && target.host !== host) {
      return `script "${script}" belongs to host ${target.host}, not ${host}`;
    }
    return undefined;
  }

  private runScript(name: string, source: string, answer: (r: ScriptResult) => void): void {
    const app = Object.hasOwn(this.config.applications, name) ? this.config.applications[name] : undefined;
    let refusal: string | undefined;
    if (app === undefined) refusal = `"${name}" is not an application of ${this.config.file}`;
    else if (app.type !== 'script') refusal = `"${name}" is a ${app.type} application, not a script`;
    else if (app.host !== undefined && app.host !== this.host)
      refusal = `script "${name}" belongs to host ${app.host}, not ${this.host}`;
    if (refusal !== undefined || app === undefined || app.type !== 'script') {
      const reason = refusal ?? 'not a script';
      this.logger.event('10-60008', { action: `run-script ${name}`, source, reason });
      answer({ exitCode: null, timedOut: false, output: `refused: ${reason}` });
      return;
    }
    const script = app;
    this.scripts.run(script, script.timeout * 1000, (result) => {
      this.logger.event('10-60003', {
        script: name,
        host: this.host,
        code: result.timedOut
          ? `none (killed after ${script.timeout} s)`
          : result.exitCode === null
            ? 'none'
            : result.exitCode,
      });
      answer(result);
    });
  }

  // ---- helpers --------------------------------------------------------------------------------------------

  private ownServers(): SipServerApp[] {
    return Object.values(this.config.applications).filter(
      (a): a is SipServerApp => a.type === 'sip-server' && a.host === this.host,
    );
  }

  /** Why `app` is not a sip-server application of this host, or undefined when it is. */
  private notOurServer(app: string): string | undefined {
    const a = Object.hasOwn(this.config.applications, app) ? this.config.applications[app] : undefined;
    if (a === undefined && !this.apps.has(app))
      return `"${app}" is not an application of ${this.config.file}`;
    if (a !== undefined && a.type !== 'sip-server')
      return `"${app}" is a ${a.type} application, not a sip-server`;
    if (a !== undefined && a.host !== this.host) return `"${app}" runs on host ${a.host}, not ${this.host}`;
    return undefined;
  }

  private refuse(command: string, source: string, reason: string): void {
    this.logger.event('10-61011', { host: this.host, command, source, reason });
  }

  private relay(s: AppState): void {
    this.broadcast({ type: 'app', report: reportOf(s) });
  }

  private broadcast(msg: LcaToScs): void {
    for (const link of this.scsLinks) this.sendScs(link, msg);
  }

  private sendScs(link: Link, msg: LcaToScs): void {
    link.send(msg as unknown as LinkMessage);
  }

  private sendServer(link: Link, msg: LcaToServer): void {
    link.send(msg as unknown as LinkMessage);
  }
}

function newAppState(name: string): AppState {
  return {
    name,
    process: 'not-started',
    pid: null,
    lastExit: null,
    status: null,
    mode: null,
    readiness: null,
    handle: undefined,
    link: undefined,
    pendingMode: undefined,
    stopping: false,
    pendingStart: undefined,
    killTimer: undefined,
    heldStart: undefined,
  };
}

function reportOf(s: AppState): AppReport {
  return {
    app: s.name,
    process: s.process,
    pid: s.pid,
    lastExit: s.lastExit,
    status: s.status,
    mode: s.mode,
    readiness: s.readiness && { ...s.readiness },
  };
}

function isPid(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

export function isMode(v: unknown): v is ExecutionMode {
  return typeof v === 'string' && (MODES as readonly string[]).includes(v);
}

function isStatus(v: unknown): v is AppStatus {
  return typeof v === 'string' && (STATUSES as readonly string[]).includes(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isReadiness(v: unknown): v is Readiness {
  if (!isRecord(v)) return false;
  return (
    (v.haLink === 'none' || v.haLink === 'connecting' || v.haLink === 'established') &&
    typeof v.callsPendingSync === 'number' &&
    (v.readyForSwitchover === 0 || v.readyForSwitchover === 1) &&
    (v.readyForUpgrade === 0 || v.readyForUpgrade === 1) &&
    typeof v.calls === 'number'
  );
}

function sameReadiness(a: Readiness | null, b: Readiness): boolean {
  return (
    a !== null &&
    a.haLink === b.haLink &&
    a.callsPendingSync === b.callsPendingSync &&
    a.readyForSwitchover === b.readyForSwitchover &&
    a.readyForUpgrade === b.readyForUpgrade &&
    a.calls === b.calls
  );
}
