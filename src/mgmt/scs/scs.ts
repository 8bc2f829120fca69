/**
 * The Solution Control Server (SPEC S1, S4.5): connects to every host's LCA, feeds one PairController per HA
 * pair with what the LCAs report, sends the controllers' commands to the right LCA, runs each controller's
 * wake-up timer, and keeps the status of every pair, server and host for the management API.
 *
 * Deterministic core: Net, Clock and Random are injected, so the SCS runs unchanged in the simulator with
 * fake LCAs; the HTTP API (api.ts) and the process wiring (cli/scs.ts) are the Node adapters around it.
 */
import type { Config } from '../../config/config.ts';
import type { AddpOptions } from '../../ha/link/types.ts';
import { type EventId, isEventId, logEvents } from '../../log/events.ts';
import type { Logger } from '../../log/logger.ts';
import { renderTemplate } from '../../log/template.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { Net } from '../../runtime/net.ts';
import type { Random } from '../../runtime/random.ts';
import type { AppReport, ScsToLca } from '../protocol.ts';
import type { AlarmStore } from './alarm-store.ts';
import { type AlarmAction, AlarmEngine, type AlarmOutput } from './alarms.ts';
import { LcaConnection } from './lca-connection.ts';
import { parseLcaMessage } from './lca-messages.ts';
import {
  type PairCommand,
  PairController,
  type PairControllerOptions,
  type PairOutput,
  pairControllerOptions,
} from './pair-controller.ts';
import { ScriptRelay } from './script-relay.ts';
import type { HostStatus, RecentEvent, ScsStatus, SwitchoverResult } from './status.ts';

export interface ScsOptions {
  net: Net;
  clock: Clock;
  random: Random;
  config: Config;
  logger: Logger;
  /** The links' shared secret (linkSecretOf(config) in src/mgmt/lca/secret.ts). */
  secret: string;
  /** Delay between connection attempts to an LCA that is down. Default 1000. */
  reconnectMs?: number;
  /** ADDP on the LCA links. Default 2 s both ways, as the LCA. */
  addp?: AddpOptions;
  /** Overrides for every pair controller (tests: a shorter start grace). */
  controller?: Partial<Pick<PairControllerOptions, 'startGraceMs' | 'switchoverTimeoutMs'>>;
  /** How many recent events the status keeps. Default 200. */
  recentEvents?: number;
  /**
   * Where raised alarms are kept across restarts (alarm-store.ts; `duet scs --data-dir`). Read when the Scs is
   * built, written after every change of the alarms. Without it alarms live in memory only.
   */
  alarmStore?: AlarmStore;
}

interface PairEntry {
  controller: PairController;
  timer: TimerHandle | null;
  timerAt: number | null;
}

interface HostEntry {
  name: string;
  address: string;
  port: number;
  conn: LcaConnection;
  /** The LCA sent its 'host' message: its reports can be trusted as a whole. */
  introduced: boolean;
}

const DEFAULT_ADDP: AddpOptions = { timeout: 2, remoteTimeout: 2 };

export class Scs {
  private readonly o: ScsOptions;
  private readonly pairs = new Map<string, PairEntry>();
  private readonly pairOfApp = new Map<string, PairEntry>();
  private readonly hosts = new Map<string, HostEntry>();
  private readonly recent: RecentEvent[] = [];
  private readonly recentMax: number;
  private started = false;
  /** Virtual IP scripts a server has run on another host (SPEC S6.1): script-relay.ts. */
  private readonly relay: ScriptRelay;
  /** Alarm conditions, alarms and their reactions (SPEC S7): alarms.ts. */
  private readonly alarms: AlarmEngine;
  private alarmTimer: TimerHandle | null = null;
  /** The config in force (reload: alarm conditions take effect at once). */
  private config: Config;
  /** Scripts run as alarm reactions, by request id: the alarm and the host that runs it. */
  private readonly alarmScripts = new Map<string, { alarm: string; host: string; script: string }>();
  /** The alarms' revision last saved to the store, and whether the last save failed (logged once). */
  private alarmsSaved = 0;
  private alarmSaveFailing = false;
  /** What loading the saved alarms found, logged at start. */
  private alarmsLoaded: (() => void) | null = null;

  constructor(options: ScsOptions) {
    this.o = options;
    this.recentMax = options.recentEvents ?? 200;
    const { config } = options;
    this.config = options.config;
    this.alarms = new AlarmEngine(() => this.config.alarms);
    if (options.alarmStore) this.restoreAlarms(options.alarmStore);
    this.relay = new ScriptRelay({
      random: options.random,
      send: (host, msg) => this.hosts.get(host)?.conn.send(msg) ?? false,
      isHost: (host) => this.hosts.has(host),
      note: (action, source) => this.note('10-60007', { action, source }),
    });
    for (const name of Object.keys(config.haPairs)) {
      const controller = new PairController({
        ...pairControllerOptions(config, name),
        ...options.controller,
      });
      const entry: PairEntry = { controller, timer: null, timerAt: null };
      this.pairs.set(name, entry);
      for (const s of controller.servers) this.pairOfApp.set(s.app, entry);
    }
    for (const [name, host] of Object.entries(config.hosts)) {
      const entry: HostEntry = {
        name,
        address: host.address,
        port: host.lcaPort,
        introduced: false,
        conn: new LcaConnection(
          {
            net: options.net,
            clock: options.clock,
            random: options.random,
            host: name,
            address: { host: host.address, port: host.lcaPort },
            secret: options.secret,
            addp: options.addp ?? DEFAULT_ADDP,
            reconnectMs: options.reconnectMs ?? 1000,
          },
          {
            onOpen: () => this.lcaOpened(entry),
            onMessage: (msg) => this.lcaMessage(entry, msg),
            onClose: (reason) => this.lcaLost(entry, reason),
            onAttemptFailed: (reason, first) => {
              if (first) this.note('10-60002', { host: name, reason: `not reachable: ${reason}` });
            },
          },
        ),
      };
      this.hosts.set(name, entry);
    }
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.alarmsLoaded?.();
    this.alarmsLoaded = null;
    // Restored alarms whose cancel-timeout passed while no SCS ran clear now; the others get their timer.
    this.applyAlarms(this.alarms.tick(this.o.clock.now()));
    this.note('10-62010', { pairs: this.pairs.size, hosts: this.hosts.size });
    for (const h of this.hosts.values()) h.conn.start();
    // Controllers may have timed work from the start (none yet, but keep the contract uniform).
    for (const p of this.pairs.values()) this.apply(p, p.controller.tick(this.o.clock.now()));
  }

  stop(reason = 'stopped'): void {
    if (!this.started) return;
    this.started = false;
    for (const h of this.hosts.values()) {
      h.conn.stop();
      h.introduced = false;
    }
    for (const p of this.pairs.values()) {
      if (p.timer !== null) this.o.clock.clearTimer(p.timer);
      p.timer = null;
      p.timerAt = null;
    }
    if (this.alarmTimer !== null) this.o.clock.clearTimer(this.alarmTimer);
    this.alarmTimer = null;
    this.note('10-62012', { reason });
  }

  pairNames(): string[] {
    return [...this.pairs.keys()];
  }

  status(): ScsStatus {
    const hosts: HostStatus[] = [...this.hosts.values()].map((h) => ({
      host: h.name,
      address: h.address,
      lcaPort: h.port,
      lcaConnected: h.conn.connected && h.introduced,
      since: h.conn.since,
      lastError: h.conn.lastError,
    }));
    return {
      time: this.o.clock.now(),
      pairs: [...this.pairs.values()].map((p) => p.controller.view()),
      hosts,
      events: [...this.recent],
      readOnly: this.o.config.scs.token === undefined,
      alarms: this.alarms.list(),
      alarmsCleared: this.alarms.cleared(),
    };
  }

  /** A manual switchover of `pair` (S4.5); `source` names the requester for the log. */
  requestSwitchover(pair: string, options: { whenReady: boolean }, source: string): SwitchoverResult {
    const entry = this.pairs.get(pair);
    if (!entry) return { ok: false, pair, code: 'unknown-pair', reason: this.unknownPair(pair) };
    const action = `switchover of ${pair}${options.whenReady ? ' when ready' : ''}`;
    const answer = entry.controller.requestSwitchover(options, this.o.clock.now());
    if (answer.accepted) this.note('10-60007', { action, source });
    this.apply(entry, answer);
    if (!answer.accepted) return { ok: false, pair, code: 'conflict', reason: answer.reason };
    return {
      ok: true,
      pair,
      from: answer.from,
      to: answer.to,
      waitingForReadiness: answer.waitingForReadiness,
    };
  }

  /** Cancels a switchover still waiting for readiness. */
  cancelSwitchover(pair: string, source: string): SwitchoverResult {
    const entry = this.pairs.get(pair);
    if (!entry) return { ok: false, pair, code: 'unknown-pair', reason: this.unknownPair(pair) };
    const answer = entry.controller.cancelSwitchover(this.o.clock.now());
    if (answer.accepted) this.note('10-60007', { action: `cancel of the switchover of ${pair}`, source });
    this.apply(entry, answer);
    if (!answer.accepted) return { ok: false, pair, code: 'conflict', reason: answer.reason };
    return { ok: true, pair, from: answer.from, to: answer.to, waitingForReadiness: false };
  }

  /**
   * A reload: the options of the pairs' servers that take effect at once (disconnect-switchover-timeout,
   * haflip-detect-timeout) are applied. Pairs, hosts and the SCS's own place need a restart (cli/scs.ts
   * reports them as pending); the token is read by the API per request.
   */
  reconfigure(config: Config): void {
    this.config = config;
    const now = this.o.clock.now();
    for (const [name, entry] of this.pairs) {
      if (!config.haPairs[name]) continue;
      let next: PairControllerOptions;
      try {
        next = pairControllerOptions(config, name);
      } catch {
        continue; // the pair no longer names two servers: pending restart
      }
      for (const settings of [next.primary, next.backup]) {
        this.apply(entry, entry.controller.updateSettings(settings, now));
      }
    }
  }

  /** Records a refused management request (the API calls it; the event goes to the log and the status). */
  refused(action: string, source: string, reason: string): void {
    this.note('10-60008', { action, source, reason });
  }

  // ---- LCA links ---------------------------------------------------------------------------------------------

  private lcaOpened(h: HostEntry): void {
    // The LCA speaks first: its 'host' message says what it knows. Nothing is decided before it.
    h.introduced = false;
  }

  private lcaLost(h: HostEntry, reason: string): void {
    const was = h.introduced;
    h.introduced = false;
    if (!was) return;
    this.note('10-60002', { host: h.name, reason });
    this.relay.hostDown(h.name);
    for (const [id, r] of [...this.alarmScripts]) {
      if (r.host !== h.name) continue;
      this.alarmScripts.delete(id);
      this.applyAlarms(
        this.alarms.reactionDone(
          r.alarm,
          false,
          `no answer: the LCA of host ${h.name} was lost`,
          this.o.clock.now(),
        ),
      );
    }
    const now = this.o.clock.now();
    for (const p of this.pairsOnHost(h.name)) this.apply(p, p.controller.hostDown(h.name, now));
  }

  private lcaMessage(h: HostEntry, raw: { type: string; [k: string]: unknown }): void {
    const msg = parseLcaMessage(raw);
    if (typeof msg === 'string') {
      this.note('10-62013', { host: h.name, reason: msg });
      return;
    }
    const now = this.o.clock.now();
    if (msg.type === 'host') {
      if (msg.host !== h.name) {
        // The address of host X answered as host Y: a configuration mistake. Believing it would mix hosts up.
        this.note('10-62013', {
          host: h.name,
          reason: `the LCA at ${h.address}:${h.port} says it is host "${msg.host}"; link closed`,
        });
        h.conn.drop();
        return;
      }
      const first = !h.introduced;
      h.introduced = true;
      if (first) this.note('10-60001', { host: h.name });
      const apps = msg.apps.filter((r) => this.belongsTo(h, r));
      for (const p of this.pairsOnHost(h.name)) this.apply(p, p.controller.hostUp(h.name, apps, now));
      return;
    }
    if (!h.introduced) {
      this.note('10-62013', { host: h.name, reason: `"${msg.type}" before the "host" message` });
      return;
    }
    switch (msg.type) {
      case 'app': {
        if (!this.belongsTo(h, msg.report)) {
          this.note('10-62013', {
            host: h.name,
            reason: `a report of ${msg.report.app}, which is not a server of this host`,
          });
          return;
        }
        const p = this.pairOfApp.get(msg.report.app);
        if (p) this.apply(p, p.controller.appReport(msg.report, now));
        return;
      }
      case 'log-event': {
        if (!this.belongsTo(h, { app: msg.app })) return;
        const text = this.remember(msg.time || now, msg.id, msg.app, msg.params);
        this.applyAlarms(this.alarms.logEvent(msg.app, msg.id, msg.params, text, now));
        const p = this.pairOfApp.get(msg.app);
        if (p) this.apply(p, p.controller.logEvent(msg.app, msg.id, now));
        return;
      }
      case 'relay-script':
        this.relay.request(h.name, msg);
        return;
      case 'script-result':
        if (this.relay.result(h.name, msg)) return;
        if (this.alarmScriptResult(h.name, msg)) return;
        // Scripts are asked for by alarm reactions and VIP control, not by this SCS yet: nothing waits.
        return;
    }
  }

  private belongsTo(h: HostEntry, r: Pick<AppReport, 'app'>): boolean {
    const app = this.o.config.applications[r.app];
    return app?.type === 'sip-server' && app.host === h.name;
  }

  private pairsOnHost(host: string): PairEntry[] {
    return [...this.pairs.values()].filter((p) => p.controller.servers.some((s) => s.host === host));
  }

  // ---- controller output ---------------------------------------------------------------------------------------

  private apply(p: PairEntry, out: PairOutput): void {
    for (const e of out.events) this.note(e.id, e.params as Record<string, string | number | boolean>);
    for (const c of out.commands) this.dispatch(c);
    this.arm(p, out.wakeAt);
  }

  private dispatch(c: PairCommand): void {
    const h = this.hosts.get(c.host);
    if (!h) return;
    let msg: ScsToLca;
    switch (c.type) {
      case 'start-app':
        msg = { type: 'start-app', app: c.app, mode: c.mode };
        break;
      case 'stop-app':
        msg = { type: 'stop-app', app: c.app, reason: c.reason };
        break;
      case 'set-mode':
        msg = { type: 'set-mode', app: c.app, mode: c.mode, reason: c.reason };
        break;
    }
    // Not connected: dropped; the controller forgot it was sent when the host went down, and sends it again.
    h.conn.send(msg);
  }

  private arm(p: PairEntry, wakeAt: number | null): void {
    if (!this.started) return;
    if (wakeAt === p.timerAt) return;
    if (p.timer !== null) this.o.clock.clearTimer(p.timer);
    p.timer = null;
    p.timerAt = wakeAt;
    if (wakeAt === null) return;
    const delay = Math.max(0, wakeAt - this.o.clock.now());
    p.timer = this.o.clock.setTimer(delay, () => {
      p.timer = null;
      p.timerAt = null;
      this.apply(p, p.controller.tick(this.o.clock.now()));
    });
  }

  // ---- events ------------------------------------------------------------------------------------------------

  /** Logs an SCS event and keeps it for the status. */
  private note(id: EventId, params: Record<string, string | number | boolean>): void {
    (this.o.logger.event as (id: EventId, params: Record<string, string | number | boolean>) => void)(
      id,
      params,
    );
    const text = this.remember(this.o.clock.now(), id, 'SCS', params);
    this.applyAlarms(this.alarms.logEvent('SCS', id, params, text, this.o.clock.now()));
  }

  private remember(time: number, id: string, app: string, params: Record<string, unknown>): string {
    let name = 'unknown-event';
    let level = 'Standard';
    let text = `event ${id}`;
    if (isEventId(id)) {
      const spec = logEvents[id];
      name = spec.name;
      level = spec.level;
      try {
        text = renderTemplate(spec.template, params as Record<string, string | number | boolean>);
      } catch {
        text = `${spec.template} (parameters missing)`;
      }
    }
    this.recent.push({ time, id, name, level, app, text });
    if (this.recent.length > this.recentMax) this.recent.splice(0, this.recent.length - this.recentMax);
    return text;
  }

  // ---- alarms (SPEC S7) --------------------------------------------------------------------------------------

  /** An administrator clears an alarm (API, CLI, status page); `source` names the requester. */
  clearAlarm(id: string, source: string): { ok: true } | { ok: false; reason: string } {
    const r = this.alarms.clear(id, source, this.o.clock.now());
    this.applyAlarms(r);
    return r.ok ? { ok: true } : { ok: false, reason: r.reason };
  }

  private applyAlarms(out: AlarmOutput): void {
    this.saveAlarms();
    for (const e of out.events) this.note(e.id, e.params as Record<string, string | number | boolean>);
    // Reactions run after the event that raised them is handled, never inside it (a switchover reaction
    // re-entering the pair controller that is logging the event).
    for (const a of out.actions) this.o.clock.setTimer(0, () => this.runReaction(a));
    if (this.alarmTimer !== null) this.o.clock.clearTimer(this.alarmTimer);
    this.alarmTimer = null;
    if (out.wakeAt !== null && this.started) {
      this.alarmTimer = this.o.clock.setTimer(Math.max(0, out.wakeAt - this.o.clock.now()), () => {
        this.alarmTimer = null;
        this.applyAlarms(this.alarms.tick(this.o.clock.now()));
      });
    }
  }

  /** Loads the alarms a previous SCS saved (before any event: ids continue after theirs). */
  private restoreAlarms(store: AlarmStore): void {
    const loaded = store.load();
    if (!loaded.ok) {
      const kept = loaded.keptAs ? `kept as ${loaded.keptAs}` : 'left in place';
      this.alarmsLoaded = () =>
        this.note('10-63007', {
          file: store.file,
          reason: loaded.reason,
          kept: `starting without saved alarms; the file is ${kept}`,
        });
      return;
    }
    if (!loaded.snapshot) return;
    this.alarms.restore(loaded.snapshot);
    this.alarmsSaved = this.alarms.revision;
    const active = this.alarms.list();
    this.alarmsLoaded = () =>
      this.note('10-63006', {
        count: active.length,
        ids: active.map((a) => a.id).join(', ') || 'none',
        cleared: this.alarms.cleared().length,
        file: store.file,
      });
  }

  /** Writes the alarms when they changed since the last save. A failure is logged once until a save works. */
  private saveAlarms(): void {
    const store = this.o.alarmStore;
    if (!store || this.alarms.revision === this.alarmsSaved) return;
    const revision = this.alarms.revision;
    try {
      store.save(this.alarms.snapshot());
      this.alarmsSaved = revision;
      this.alarmSaveFailing = false;
    } catch (e) {
      if (this.alarmSaveFailing) return;
      this.alarmSaveFailing = true;
      this.note('10-63008', { file: store.file, reason: (e as Error).message });
    }
  }

  private reactionDone(a: AlarmAction, ok: boolean, detail: string): void {
    this.applyAlarms(this.alarms.reactionDone(a.alarm, ok, detail, this.o.clock.now()));
  }

  private runReaction(a: AlarmAction): void {
    if (!this.started) return;
    const app = this.config.applications[a.app];
    switch (a.type) {
      case 'switchover': {
        const entry = this.pairOfApp.get(a.app);
        if (!entry) {
          this.reactionDone(a, false, `${a.app} is not a server of an HA pair`);
          return;
        }
        const view = entry.controller.view();
        if (view.primary !== a.app) {
          this.reactionDone(
            a,
            true,
            `${a.app} is not the primary of ${view.pair} (${view.primary ?? 'none'}): nothing to do`,
          );
          return;
        }
        const r = this.requestSwitchover(
          view.pair,
          { whenReady: false },
          `alarm ${a.alarm} (${a.condition})`,
        );
        if (r.ok) this.reactionDone(a, true, `switchover of ${r.pair} from ${r.from} to ${r.to}`);
        else this.reactionDone(a, false, r.reason);
        return;
      }
      case 'restart': {
        if (app?.type !== 'sip-server') {
          this.reactionDone(a, false, `${a.app} is not an application an LCA runs`);
          return;
        }
        const h = this.hosts.get(app.host);
        const sent =
          h?.introduced === true &&
          h.conn.send({ type: 'stop-app', app: a.app, reason: `alarm ${a.alarm} (${a.condition}): restart` });
        if (sent)
          this.reactionDone(
            a,
            true,
            `${a.app} stopped through the LCA of host ${app.host}; it is started again`,
          );
        else this.reactionDone(a, false, `the LCA of host ${app.host} is not connected`);
        return;
      }
      case 'script': {
        const script = this.config.applications[a.script];
        if (script?.type !== 'script') {
          this.reactionDone(a, false, `"${a.script}" is not a script application of the config`);
          return;
        }
        const host =
          script.host ??
          (app?.type === 'sip-server' ? app.host : a.app === 'SCS' ? this.config.scs.host : undefined);
        const h = host === undefined ? undefined : this.hosts.get(host);
        if (host === undefined || !h) {
          this.reactionDone(a, false, `no host to run ${a.script} on (set its host)`);
          return;
        }
        const requestId = `alarm-${a.alarm}-${this.o.random.hex(6)}`;
        if (!h.introduced || !h.conn.send({ type: 'run-script', requestId, script: a.script })) {
          this.reactionDone(a, false, `the LCA of host ${host} is not connected`);
          return;
        }
        this.alarmScripts.set(requestId, { alarm: a.alarm, host, script: a.script });
        return;
      }
    }
  }

  private alarmScriptResult(
    host: string,
    msg: { requestId: string; script: string; exitCode: number | null; timedOut: boolean; output: string },
  ): boolean {
    const r = this.alarmScripts.get(msg.requestId);
    if (!r || r.host !== host) return false;
    this.alarmScripts.delete(msg.requestId);
    const now = this.o.clock.now();
    const out = msg.output.trim().split('\n').slice(-1)[0] ?? '';
    if (msg.exitCode === 0) {
      this.applyAlarms(this.alarms.reactionDone(r.alarm, true, `${r.script} on host ${host} exited 0`, now));
    } else {
      const why = msg.timedOut
        ? 'timed out'
        : msg.exitCode === null
          ? `not run${out ? `: ${out}` : ''}`
          : `exit code ${msg.exitCode}${out ? `: ${out}` : ''}`;
      this.applyAlarms(this.alarms.reactionDone(r.alarm, false, `${r.script} on host ${host}: ${why}`, now));
    }
    return true;
  }

  private unknownPair(pair: string): string {
    return `no HA pair named "${pair}" (pairs: ${this.pairNames().join(', ') || 'none'})`;
  }
}
