/**
 * The SCS's decision machine for one HA pair (SPEC S4.5, seeds 001, 004). Pure: no I/O, no clock, no timers.
 * It is told what happened (an LCA connected or was lost, an application report, a log event, a switchover
 * request, or just that time passed) together with `now`, and answers with the commands to send to the LCAs,
 * the log events to write, and the time at which it wants to be called again (`wakeAt`). The Scs (scs.ts)
 * owns the links and the timer; the simulator and the unit tests drive this class directly.
 *
 * Rules, and why:
 * - Start: a server that already reports Primary is adopted, so a restarted SCS changes nothing; to know
 *   that, the decision waits until both LCAs have reported (at most `startGraceMs` after a server was first
 *   seen Running). Then the configured primary gets Primary if it is Running. The backup gets it instead
 *   when the configured primary reports ServiceUnavailable, or is still not Running `startGraceMs` after the
 *   backup was (a pair whose primary host is down must still come up, but two servers started together must
 *   not race for the role).
 * - Failover: the chosen primary's process exits, its LCA is lost for longer than its
 *   `disconnect-switchover-timeout` (0 = at once), it reports ServiceUnavailable (or Stopping), or it logs
 *   00-04200 (seed 001: it cannot open the SIP listener; the role alternates until one server can).
 *   The backup is promoted only if it is Running; otherwise an alarm (10-62002) is logged once and the
 *   controller waits: for the backup to become Running, or for the primary to recover.
 * - The sequence (S4.5) is the same for a switchover and a failover: the old primary is told Backup first
 *   and the new one Primary only when the old one reports Backup, is unreachable, or `switchoverTimeoutMs`
 *   passed. On one host the pair shares the SIP port, so this order is what lets the new primary open it.
 * - Never two Primary commands outstanding: Primary goes to the chosen primary only, only once the other
 *   server has been told Backup (or is unreachable) and does not report Primary.
 * - Split brain: a server that reports Primary but is not the chosen primary is told Backup at once; if it
 *   still reports Primary `switchoverTimeoutMs` later, it is stopped (and restarted as Backup).
 * - A dead server is restarted (start-app in mode Backup), at once the first time, then with a backoff
 *   (1 s doubling to 30 s) while it keeps dying young, so a crash loop does not spin.
 * - Double failure (seed 004): a switchover or failover while either server last reported
 *   readyForSwitchover 0 is logged (10-20009) with the calls not yet synchronized. Hot standby only: a
 *   warm-standby pair synchronizes nothing, so it has no readiness to violate.
 * - Flip detection: two role changes of the pair within the new primary's `haflip-detect-timeout` (10-20010).
 * - The state holder first (chaos seeds 43, 281): the chosen primary that is not synchronized (a process
 *   restarted after a failure, empty but for its persisted contacts) is NOT given Primary while the other
 *   server may hold the calls (last seen running, as Primary, with its HA link up, or with calls) but is
 *   unknown because its LCA is lost, until `stateGraceMs` (default 10 s) after that loss (10-62014). If the
 *   other comes back Running in that time, it becomes the primary instead (its calls survive; the empty one
 *   resyncs from it); if it comes back dead, or the grace passes, the chosen one gets Primary. Without this, the
 *   synced backup, unknown only because its LCA was restarting, resyncs from an empty primary and every call
 *   is swept. 10 s covers an LCA restart (the SCS retries every second, an orphaned server re-registers
 *   within a second) and bounds the extra outage of a true double failure.
 */
import type { Config } from '../../config/config.ts';
import type { EventId, EventParams } from '../../log/events.ts';
import type { AppReport, AppStatus, ExecutionMode, Readiness } from '../protocol.ts';

// ---- inputs and outputs ------------------------------------------------------------------------------------

export interface PairServerSettings {
  app: string;
  host: string;
  /** `disconnect-switchover-timeout`, ms. */
  disconnectSwitchoverTimeoutMs: number;
  /** `haflip-detect-timeout`, ms; 0 = off. */
  haflipDetectTimeoutMs: number;
}

export interface PairControllerOptions {
  pair: string;
  primary: PairServerSettings;
  backup: PairServerSettings;
  redundancyType: 'hot-standby' | 'warm-standby';
  /** How long the backup waits at start for a configured primary that is not Running yet. Default 5000. */
  startGraceMs?: number;
  /** Longest wait for the old primary to confirm Backup (and the new one Primary). Default 10000. */
  switchoverTimeoutMs?: number;
  /** First restart delay after a quick death; doubles up to restartBackoffMaxMs. Defaults 1000 / 30000. */
  restartBackoffMs?: number;
  restartBackoffMaxMs?: number;
  /**
   * How long after the LCA of a server that may hold the calls was lost the other, unsynchronized server is
   * kept from Primary (see "The state holder first"). Default 10000; 0 = off.
   */
  stateGraceMs?: number;
}

export type PairCommand =
  | { type: 'start-app'; host: string; app: string; mode: ExecutionMode }
  | { type: 'stop-app'; host: string; app: string; reason: string }
  | { type: 'set-mode'; host: string; app: string; mode: ExecutionMode; reason: string };

/** A log event of the registry, with exactly its parameters. */
export type PairEvent = { [K in EventId]: { id: K; params: EventParams<K> } }[EventId];

export interface PairOutput {
  commands: PairCommand[];
  events: PairEvent[];
  /** Call tick() at this time (epoch ms) at the latest; null: nothing is timed. */
  wakeAt: number | null;
}

export type SwitchoverRefusal = 'in-progress' | 'no-primary' | 'backup-not-running' | 'nothing-to-cancel';

export type SwitchoverAnswer =
  | ({ accepted: true; from: string; to: string; waitingForReadiness: boolean } & PairOutput)
  | ({ accepted: false; refusal: SwitchoverRefusal; reason: string } & PairOutput);

// ---- the view (status API, status page, tests) ---------------------------------------------------------------

export type ProcessState = AppReport['process'] | 'unknown';

export interface ServerView {
  app: string;
  host: string;
  /** Its role in the configuration (ha-pairs.NAME.primary / backup), not its current mode. */
  configuredRole: 'primary' | 'backup';
  lcaConnected: boolean;
  process: ProcessState;
  pid: number | null;
  lastExit: string | null;
  status: AppStatus | null;
  mode: ExecutionMode | null;
  readiness: Readiness | null;
  /** Running, with its LCA connected: may be given Primary. */
  running: boolean;
}

export interface TransitionView {
  kind: 'switchover' | 'failover';
  from: string;
  to: string;
  reason: string;
  step: TransitionStep;
  since: number;
  whenReady: boolean;
}

export interface PairView {
  pair: string;
  redundancyType: 'hot-standby' | 'warm-standby';
  /** The server the SCS has chosen as primary (null until the start assignment). */
  primary: string | null;
  transition: TransitionView | null;
  /** The primary failed and the backup is not Running: nothing was promoted (the alarm's reason). */
  failoverBlocked: string | null;
  /** Whether a switchover now would be clean (both ready, backup Running), and if not, why. */
  safeToSwitchOver: { safe: boolean; reason: string };
  servers: [ServerView, ServerView];
}

// ---- internal state ----------------------------------------------------------------------------------------

type TransitionStep = 'waiting-ready' | 'demoting' | 'confirming';

interface Transition {
  kind: 'switchover' | 'failover';
  from: string;
  to: string;
  reason: string;
  step: TransitionStep;
  since: number;
  deadline: number | null;
  whenReady: boolean;
}

interface AppState {
  settings: PairServerSettings;
  readonly configuredRole: 'primary' | 'backup';
  lca: boolean;
  /** When its LCA was lost; null while connected or never seen. */
  lcaLostAt: number | null;
  process: ProcessState;
  pid: number | null;
  lastExit: string | null;
  status: AppStatus | null;
  mode: ExecutionMode | null;
  readiness: Readiness | null;
  /** The last readiness the server reported, kept after it dies: a failover is judged on it (seed 004). */
  lastReadiness: Readiness | null;
  /** The last set-mode we sent to this process and when; cleared when the process or its LCA goes. */
  sentMode: ExecutionMode | null;
  sentModeAt: number;
  /** The server reported sentMode since it was sent. */
  modeConfirmed: boolean;
  /** The current process logged 00-04200 while it was the chosen primary. */
  listenerFailed: boolean;
  startSentAt: number | null;
  startedAt: number | null;
  nextStartAt: number;
  quickDeaths: number;
  stopSentAt: number | null;
  /**
   * The process was running when its LCA was lost, and nothing has said since whether it still runs: its
   * LCA is away, or a new LCA reports it not-started before the orphaned process re-registers. Cleared by a
   * report of a running process or of an exit.
   */
  lostRunning: { at: number; pid: number | null; mayHoldState: boolean } | null;
}

const DEFAULT_START_GRACE_MS = 5000;
const DEFAULT_SWITCHOVER_TIMEOUT_MS = 10_000;
const DEFAULT_STATE_GRACE_MS = 10_000;
/** A start-app that did not produce a running process within this is sent again. */
const START_TIMEOUT_MS = 30_000;
/** A process that dies sooner than this after its start counts as a quick death (restart backoff). */
const STABLE_AFTER_MS = 30_000;

export class PairController {
  readonly pair: string;
  private readonly a: AppState;
  private readonly b: AppState;
  private readonly redundancyType: 'hot-standby' | 'warm-standby';
  private readonly startGraceMs: number;
  private readonly switchoverTimeoutMs: number;
  private readonly restartBackoffMs: number;
  private readonly restartBackoffMaxMs: number;
  private readonly stateGraceMs: number;

  private primary: AppState | null = null;
  private transition: Transition | null = null;
  /** When the configured backup was first seen Running before any assignment (start grace). */
  private backupRunningSince: number | null = null;
  /** When either server was first seen Running before any assignment. */
  private firstRunningSince: number | null = null;
  private failoverBlocked: string | null = null;
  /** The chosen primary kept from Primary while the other server, which may hold the calls, is unknown. */
  private held: { s: AppState; peerPid: number | null; until: number } | null = null;
  private roleChanges: number[] = [];
  private out: PairOutput = { commands: [], events: [], wakeAt: null };

  constructor(options: PairControllerOptions) {
    this.pair = options.pair;
    if (options.primary.app === options.backup.app) {
      throw new Error(
        `pair ${options.pair}: primary and backup are the same application ${options.primary.app}`,
      );
    }
    this.a = newAppState(options.primary, 'primary');
    this.b = newAppState(options.backup, 'backup');
    this.redundancyType = options.redundancyType;
    this.startGraceMs = options.startGraceMs ?? DEFAULT_START_GRACE_MS;
    this.switchoverTimeoutMs = options.switchoverTimeoutMs ?? DEFAULT_SWITCHOVER_TIMEOUT_MS;
    this.restartBackoffMs = options.restartBackoffMs ?? 1000;
    this.restartBackoffMaxMs = options.restartBackoffMaxMs ?? 30_000;
    this.stateGraceMs = options.stateGraceMs ?? DEFAULT_STATE_GRACE_MS;
  }

  /** The applications of the pair and their hosts. */
  get servers(): readonly PairServerSettings[] {
    return [this.a.settings, this.b.settings];
  }

  // ---- inputs ----------------------------------------------------------------------------------------------

  /** An LCA connected and told what it knows of its host's applications (the 'host' message). */
  hostUp(host: string, apps: readonly AppReport[], now: number): PairOutput {
    for (const s of this.both()) {
      if (s.settings.host !== host) continue;
      s.lca = true;
      s.lcaLostAt = null;
      const report = apps.find((r) => r.app === s.settings.app) ?? emptyReport(s.settings.app);
      this.applyReport(s, report, now);
    }
    return this.finish(now);
  }

  /** The link to an LCA closed: what it said of its applications is no longer known. */
  hostDown(host: string, now: number): PairOutput {
    for (const s of this.both()) {
      if (s.settings.host !== host || !s.lca) continue;
      s.lca = false;
      s.lcaLostAt = now;
      if (s.process === 'running') s.lostRunning = { at: now, pid: s.pid, mayHoldState: mayHoldState(s) };
      // Commands sent on the dead link may never have arrived: they are sent again after it comes back.
      s.sentMode = null;
      s.startSentAt = null;
      s.stopSentAt = null;
    }
    return this.finish(now);
  }

  /** An 'app' report relayed by an LCA. Reports of other applications are ignored. */
  appReport(report: AppReport, now: number): PairOutput {
    const s = this.byApp(report.app);
    if (s?.lca) this.applyReport(s, report, now);
    return this.finish(now);
  }

  /** A log event of a server of the pair (relayed by its LCA). Only 00-04200 of the primary matters here. */
  logEvent(app: string, id: string, now: number): PairOutput {
    const s = this.byApp(app);
    if (s && id === '00-04200' && s === this.primary && s.process === 'running') s.listenerFailed = true;
    return this.finish(now);
  }

  /**
   * A reload changed `disconnect-switchover-timeout` or `haflip-detect-timeout` of a server (both take effect
   * immediately). The application and its host cannot change here: that needs an SCS restart.
   */
  updateSettings(settings: PairServerSettings, now: number): PairOutput {
    const s = this.byApp(settings.app);
    if (s && s.settings.host === settings.host) s.settings = { ...settings };
    return this.finish(now);
  }

  /** Time passed (the wake-up asked for in wakeAt, or any time). */
  tick(now: number): PairOutput {
    return this.finish(now);
  }

  /** A manual switchover (S4.5): `whenReady` waits until both servers report readyForSwitchover 1. */
  requestSwitchover(options: { whenReady: boolean }, now: number): SwitchoverAnswer {
    const refuse = (refusal: SwitchoverRefusal, reason: string): SwitchoverAnswer => {
      this.emit('10-62004', { pair: this.pair, reason });
      return { accepted: false, refusal, reason, ...this.finish(now) };
    };
    if (this.transition) {
      const t = this.transition;
      return refuse('in-progress', `a ${t.kind} from ${t.from} to ${t.to} is in progress (${t.step})`);
    }
    const p = this.primary;
    if (!p) return refuse('no-primary', 'the pair has no primary yet');
    const o = this.other(p);
    if (!isRunning(o)) {
      return refuse(
        'backup-not-running',
        `the backup ${o.settings.app} is not Running (${describeState(o)})`,
      );
    }
    const t: Transition = {
      kind: 'switchover',
      from: p.settings.app,
      to: o.settings.app,
      reason: 'requested by an operator',
      step: 'waiting-ready',
      since: now,
      deadline: null,
      whenReady: options.whenReady,
    };
    this.transition = t;
    const waiting = options.whenReady && !this.bothReady();
    if (waiting) {
      this.emit('10-62003', {
        pair: this.pair,
        app: p.settings.app,
        ready: readyText(p),
        peer: o.settings.app,
        peerReady: readyText(o),
      });
    } else {
      this.begin(t, now);
    }
    return { accepted: true, from: t.from, to: t.to, waitingForReadiness: waiting, ...this.finish(now) };
  }

  /** Cancels a switchover that is still waiting for readiness; one already under way runs to its end. */
  cancelSwitchover(now: number): SwitchoverAnswer {
    const t = this.transition;
    if (t?.kind !== 'switchover' || t.step !== 'waiting-ready') {
      return {
        accepted: false,
        refusal: 'nothing-to-cancel',
        reason: t ? `the ${t.kind} is already under way (${t.step})` : 'no switchover is waiting',
        ...this.finish(now),
      };
    }
    this.transition = null;
    this.emit('10-62004', { pair: this.pair, reason: 'cancelled while waiting for readiness' });
    return { accepted: true, from: t.from, to: t.to, waitingForReadiness: false, ...this.finish(now) };
  }

  // ---- the view ----------------------------------------------------------------------------------------------

  view(): PairView {
    const t = this.transition;
    return {
      pair: this.pair,
      redundancyType: this.redundancyType,
      primary: this.primary?.settings.app ?? null,
      transition: t
        ? {
            kind: t.kind,
            from: t.from,
            to: t.to,
            reason: t.reason,
            step: t.step,
            since: t.since,
            whenReady: t.whenReady,
          }
        : null,
      failoverBlocked: this.failoverBlocked,
      safeToSwitchOver: this.safety(),
      servers: [serverView(this.a), serverView(this.b)],
    };
  }

  /** Test hook for the invariant: the applications with a Primary command sent and not yet confirmed. */
  outstandingPrimaryCommands(): string[] {
    return this.both()
      .filter((s) => outstandingPrimary(s))
      .map((s) => s.settings.app);
  }

  // ---- the decision --------------------------------------------------------------------------------------------

  /** Runs the decision on the current state and hands out what accumulated. */
  private finish(now: number): PairOutput {
    if (!this.primary && !this.transition) this.assign(now);
    if (this.transition) this.step(this.transition, now);
    this.checkPrimary(now);
    this.preferStateHolder(now);
    this.reconcileModes(now);
    this.restartDead(now);
    const out = this.out;
    out.wakeAt = this.nextWake(now);
    this.out = { commands: [], events: [], wakeAt: null };
    return out;
  }

  /** The start assignment. */
  private assign(now: number): void {
    const claiming = this.both().filter((s) => s.lca && s.process === 'running' && s.mode === 'Primary');
    if (claiming.length > 0) {
      // A restarted SCS finds the pair as it was. Both primary: the configured primary keeps it, the other
      // is demoted by reconcileModes.
      const keep = claiming.includes(this.a) ? this.a : claiming[0]!;
      this.primary = keep;
      this.emit('10-62001', {
        pair: this.pair,
        app: keep.settings.app,
        reason: 'it already reports Primary',
      });
      return;
    }
    if (isRunning(this.b)) this.backupRunningSince ??= now;
    else this.backupRunningSince = null;
    if (isRunning(this.a) || isRunning(this.b)) this.firstRunningSince ??= now;
    // Until both LCAs have told what they know, the other server may be the primary already (an SCS restart
    // whose LCAs reconnect one by one): wait for it, at most the grace.
    const bothKnown = this.a.lca && this.b.lca;
    if (!bothKnown && (this.firstRunningSince === null || now < this.firstRunningSince + this.startGraceMs))
      return;
    if (isRunning(this.a)) {
      this.primary = this.a;
      this.emit('10-62001', {
        pair: this.pair,
        app: this.a.settings.app,
        reason: 'configured primary, Running',
      });
      return;
    }
    if (!isRunning(this.b) || this.backupRunningSince === null) return;
    const aUnavailable = this.a.lca && this.a.status === 'ServiceUnavailable';
    if (aUnavailable || now >= this.backupRunningSince + this.startGraceMs) {
      this.primary = this.b;
      const why = aUnavailable
        ? `the configured primary ${this.a.settings.app} reports ServiceUnavailable`
        : `the configured primary ${this.a.settings.app} is not Running (${describeState(this.a)})`;
      this.emit('10-62001', { pair: this.pair, app: this.b.settings.app, reason: why });
    }
  }

  private step(t: Transition, now: number): void {
    const from = this.byApp(t.from)!;
    const to = this.byApp(t.to)!;
    switch (t.step) {
      case 'waiting-ready':
        if (this.bothReady() && isRunning(to)) this.begin(t, now);
        return;
      case 'demoting':
        // Only a Backup reported after the command counts (modeConfirmed), not one from before it.
        if ((from.mode === 'Backup' && from.modeConfirmed) || !reachable(from)) {
          this.promote(t, now);
        } else if (t.deadline !== null && now >= t.deadline) {
          this.emit('10-62007', {
            pair: this.pair,
            app: from.settings.app,
            seconds: this.switchoverTimeoutMs / 1000,
            peer: to.settings.app,
          });
          this.promote(t, now);
        }
        return;
      case 'confirming':
        if (to.mode === 'Primary' && reachable(to)) {
          this.emit('10-62008', { pair: this.pair, app: to.settings.app, kind: t.kind, ms: now - t.since });
          this.transition = null;
        } else if ((t.deadline !== null && now >= t.deadline) || !reachable(to)) {
          // Not confirmed: the transition is over; reconcileModes and checkPrimary take it from here.
          this.transition = null;
        }
        return;
    }
  }

  /** Starts the sequence: double-failure check, then the old primary to Backup (if it can hear it). */
  private begin(t: Transition, now: number): void {
    const from = this.byApp(t.from)!;
    const to = this.byApp(t.to)!;
    if (this.redundancyType === 'hot-standby') {
      const notReady = [from, to].filter((s) => s.lastReadiness?.readyForSwitchover === 0);
      if (notReady.length > 0) {
        const pending = Math.max(0, ...[from, to].map((s) => s.lastReadiness?.callsPendingSync ?? 0));
        this.emit('10-20009', { pair: this.pair, calls: pending });
      }
    }
    t.since = now;
    // A server already in Backup may still hold an unconfirmed Primary command: it is told Backup too.
    if (reachable(from) && (from.mode !== 'Backup' || from.sentMode === 'Primary')) {
      this.send(from, 'Backup', `${t.kind} to ${to.settings.app}: ${t.reason}`, now);
      t.step = 'demoting';
      t.deadline = now + this.switchoverTimeoutMs;
    } else {
      this.promote(t, now);
    }
  }

  private promote(t: Transition, now: number): void {
    const from = this.byApp(t.from)!;
    const to = this.byApp(t.to)!;
    if (!isRunning(to)) {
      // Never a backup that is not Running. A failover leaves `from` chosen (checkPrimary raises the alarm
      // and waits); a switchover's demoted `from` is still chosen and gets Primary back from reconcileModes.
      if (t.kind === 'switchover') {
        this.emit('10-62004', {
          pair: this.pair,
          reason: `${to.settings.app} stopped being Running (${describeState(to)}); ${from.settings.app} stays primary`,
        });
      }
      this.transition = null;
      return;
    }
    if (outstandingPrimary(from)) {
      // Cannot happen (begin() told `from` Backup); never two Primary commands outstanding, even so.
      return;
    }
    this.primary = to;
    from.listenerFailed = false;
    this.send(to, 'Primary', `${t.kind} from ${from.settings.app}: ${t.reason}`, now);
    this.emit('10-20008', {
      pair: this.pair,
      kind: t.kind,
      from: from.settings.app,
      to: to.settings.app,
      reason: t.reason,
    });
    this.noteRoleChange(to, now);
    this.failoverBlocked = null;
    t.step = 'confirming';
    t.deadline = now + this.switchoverTimeoutMs;
  }

  /** Failover detection on the chosen primary. */
  private checkPrimary(now: number): void {
    const p = this.primary;
    if (!p) return;
    if (this.transition && this.transition.step === 'demoting') return;
    const reason = failedReason(p, now);
    if (reason === null) {
      this.failoverBlocked = null;
      return;
    }
    const o = this.other(p);
    if (isRunning(o)) {
      // A failover supersedes a switchover waiting for readiness, and a transition whose new primary failed.
      const t: Transition = {
        kind: 'failover',
        from: p.settings.app,
        to: o.settings.app,
        reason: `${p.settings.app} ${reason}`,
        step: 'demoting',
        since: now,
        deadline: null,
        whenReady: false,
      };
      this.transition = t;
      this.begin(t, now);
      return;
    }
    const blocked = `${p.settings.app} ${reason}; ${o.settings.app} is not Running (${describeState(o)})`;
    if (this.failoverBlocked === null) {
      this.emit('10-62002', {
        pair: this.pair,
        app: p.settings.app,
        reason,
        peer: o.settings.app,
        state: describeState(o),
      });
    }
    this.failoverBlocked = blocked;
  }

  /** Each reachable process gets the mode it should have; split brain is resolved here. */
  private reconcileModes(now: number): void {
    // Before the start assignment nobody is told anything: a server started by its LCA is already Backup.
    if (!this.primary) return;
    const t = this.transition;
    for (const s of this.both()) {
      if (!reachable(s)) continue;
      const o = this.other(s);
      if (s !== this.primary) {
        if (s.mode === 'Exiting') continue;
        if (s.mode !== 'Backup' && s.sentMode !== 'Backup') {
          if (s.mode === 'Primary' && o.mode === 'Primary' && reachable(o)) {
            this.emit('10-62005', { pair: this.pair, app: s.settings.app, peer: o.settings.app });
          }
          const why =
            s.mode === 'Primary' ? `${o.settings.app} is the primary of the pair` : 'backup of the pair';
          this.send(s, 'Backup', why, now);
        } else if (
          s.mode === 'Primary' &&
          s.sentMode === 'Backup' &&
          s.stopSentAt === null &&
          now >= s.sentModeAt + this.switchoverTimeoutMs
        ) {
          this.emit('10-62009', {
            pair: this.pair,
            app: s.settings.app,
            seconds: this.switchoverTimeoutMs / 1000,
          });
          this.out.commands.push({
            type: 'stop-app',
            host: s.settings.host,
            app: s.settings.app,
            reason: `still Primary ${this.switchoverTimeoutMs / 1000} s after it was told Backup`,
          });
          s.stopSentAt = now;
        }
        continue;
      }
      // The chosen primary. While it is being demoted, it is left alone.
      if (t && t.step === 'demoting' && t.from === s.settings.app) continue;
      if (s.mode === 'Primary' || s.sentMode === 'Primary' || !isRunning(s) || s.listenerFailed) continue;
      const otherClaims = reachable(o) && o.mode === 'Primary';
      if (otherClaims || outstandingPrimary(o)) continue; // demoted first, by the branch above
      if (this.holdPrimary(s, now)) continue;
      this.send(s, 'Primary', 'primary of the pair', now);
    }
  }

  /** Whether Primary is kept from the chosen primary `s` for now (see "The state holder first"). */
  private holdPrimary(s: AppState, now: number): boolean {
    const o = this.other(s);
    const lost = o.lostRunning;
    const until = lost === null ? 0 : lost.at + this.stateGraceMs;
    const hold =
      this.stateGraceMs > 0 &&
      lost !== null &&
      lost.mayHoldState &&
      now < until &&
      !isRunning(o) &&
      !isSynced(s);
    if (!hold || lost === null) {
      this.held = null;
      return false;
    }
    if (this.held?.s !== s) {
      this.held = { s, peerPid: lost.pid, until };
      this.emit('10-62014', {
        pair: this.pair,
        app: s.settings.app,
        why: 'not synchronized',
        peer: o.settings.app,
        seconds: Math.ceil((until - now) / 1000),
      });
    }
    return true;
  }

  /** The server that holds the calls came back while Primary was held from the other: it becomes primary. */
  private preferStateHolder(now: number): void {
    const h = this.held;
    if (h === null || this.primary !== h.s || this.transition) return;
    const s = h.s;
    const o = this.other(s);
    if (s.mode === 'Primary' || s.sentMode === 'Primary' || !isRunning(o)) return;
    // The same process as before its LCA was lost, or one that says it holds calls; not a new empty one.
    if (o.pid !== h.peerPid && !mayHoldState(o)) return;
    this.held = null;
    this.primary = o;
    const reason = `${o.settings.app} came back holding the calls; ${s.settings.app} was not synchronized`;
    this.emit('10-20008', {
      pair: this.pair,
      kind: 'failover',
      from: s.settings.app,
      to: o.settings.app,
      reason,
    });
    this.noteRoleChange(o, now);
    this.failoverBlocked = null;
  }

  private restartDead(now: number): void {
    for (const s of this.both()) {
      if (!s.lca) continue;
      if (s.startSentAt !== null && now >= s.startSentAt + START_TIMEOUT_MS) s.startSentAt = null;
      if (s.process !== 'exited' && s.process !== 'not-started') continue;
      if (s.startSentAt !== null || now < s.nextStartAt) continue;
      this.emit('10-62006', {
        pair: this.pair,
        app: s.settings.app,
        host: s.settings.host,
        reason: s.process === 'exited' ? `its process exited (${s.lastExit ?? 'unknown'})` : 'not started',
      });
      this.out.commands.push({
        type: 'start-app',
        host: s.settings.host,
        app: s.settings.app,
        mode: 'Backup',
      });
      s.startSentAt = now;
    }
  }

  private nextWake(now: number): number | null {
    const times: number[] = [];
    const t = this.transition;
    if (t?.deadline != null) times.push(t.deadline);
    if (!this.primary) {
      if (this.backupRunningSince !== null) times.push(this.backupRunningSince + this.startGraceMs);
      if (this.firstRunningSince !== null) times.push(this.firstRunningSince + this.startGraceMs);
    }
    if (this.held !== null) times.push(this.held.until);
    const p = this.primary;
    if (p && !p.lca && p.lcaLostAt !== null) {
      const at = p.lcaLostAt + p.settings.disconnectSwitchoverTimeoutMs;
      if (at > now) times.push(at);
    }
    for (const s of this.both()) {
      if (!s.lca) continue;
      if (s.startSentAt !== null) times.push(s.startSentAt + START_TIMEOUT_MS);
      else if ((s.process === 'exited' || s.process === 'not-started') && s.nextStartAt > now) {
        times.push(s.nextStartAt);
      }
      if (s !== this.primary && s.mode === 'Primary' && s.sentMode === 'Backup' && s.stopSentAt === null) {
        times.push(s.sentModeAt + this.switchoverTimeoutMs);
      }
    }
    const future = times.filter((x) => x > now);
    return future.length > 0 ? Math.min(...future) : null;
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  private applyReport(s: AppState, r: AppReport, now: number): void {
    const newProcess = r.process === 'running' && (s.process !== 'running' || r.pid !== s.pid);
    const died = r.process !== 'running' && s.process === 'running';
    // Known again: a process that speaks (a status), or an exit. A running process without a status yet is
    // still being registered (an orphan re-registering says who it is with its first status).
    if (r.process === 'exited' || (r.process === 'running' && r.status !== null)) s.lostRunning = null;
    if (newProcess) {
      s.sentMode = null;
      s.stopSentAt = null;
      s.startSentAt = null;
      s.listenerFailed = false;
      s.startedAt = now;
    }
    if (died) {
      s.sentMode = null;
      s.stopSentAt = null;
      s.listenerFailed = false;
      const young = s.startedAt !== null && now - s.startedAt < STABLE_AFTER_MS;
      s.quickDeaths = young ? s.quickDeaths + 1 : 0;
      const delay =
        s.quickDeaths <= 1
          ? 0
          : Math.min(this.restartBackoffMs * 2 ** (s.quickDeaths - 2), this.restartBackoffMaxMs);
      s.nextStartAt = now + delay;
      s.startSentAt = null;
    }
    s.process = r.process;
    s.pid = r.pid;
    s.lastExit = r.lastExit;
    s.status = r.status;
    s.mode = r.mode;
    s.readiness = r.readiness;
    if (r.readiness) s.lastReadiness = r.readiness;
    // A server that leaves a mode it had confirmed (a rogue Primary) is told again.
    if (s.sentMode !== null && s.modeConfirmed && r.mode !== s.sentMode) s.sentMode = null;
    if (s.sentMode !== null && r.mode === s.sentMode) s.modeConfirmed = true;
  }

  private send(s: AppState, mode: ExecutionMode, reason: string, now: number): void {
    if (mode === 'Primary' && outstandingPrimary(this.other(s))) {
      // Cannot happen by construction (the other was told Backup first); refusing keeps the invariant even so.
      return;
    }
    s.sentMode = mode;
    s.sentModeAt = now;
    s.modeConfirmed = false;
    this.out.commands.push({ type: 'set-mode', host: s.settings.host, app: s.settings.app, mode, reason });
  }

  private noteRoleChange(to: AppState, now: number): void {
    const window = to.settings.haflipDetectTimeoutMs;
    this.roleChanges.push(now);
    this.roleChanges = this.roleChanges.filter((x) => now - x <= Math.max(window, 3_600_000));
    if (window <= 0) return;
    const count = this.roleChanges.filter((x) => now - x <= window).length;
    if (count >= 2) this.emit('10-20010', { app: to.settings.app, count, seconds: window / 1000 });
  }

  private safety(): { safe: boolean; reason: string } {
    if (this.transition) return { safe: false, reason: `a ${this.transition.kind} is in progress` };
    const p = this.primary;
    if (!p) return { safe: false, reason: 'the pair has no primary yet' };
    const o = this.other(p);
    if (!isRunning(p)) return { safe: false, reason: `the primary ${p.settings.app} is not Running` };
    if (!isRunning(o)) return { safe: false, reason: `the backup ${o.settings.app} is not Running` };
    if (this.redundancyType === 'warm-standby') {
      return {
        safe: true,
        reason: 'warm standby: the switchover releases every call (nothing is synchronized)',
      };
    }
    const notReady = [p, o].filter((s) => s.readiness?.readyForSwitchover !== 1);
    if (notReady.length > 0) {
      const pending = Math.max(0, ...[p, o].map((s) => s.readiness?.callsPendingSync ?? 0));
      return {
        safe: false,
        reason:
          `${notReady.map((s) => s.settings.app).join(' and ')} not ready for switchover ` +
          `(${pending} calls pending sync); switching now is a double failure`,
      };
    }
    return { safe: true, reason: 'both servers are ready for switchover' };
  }

  private bothReady(): boolean {
    return this.both().every((s) => s.readiness?.readyForSwitchover === 1);
  }

  private emit<K extends EventId>(id: K, params: EventParams<K>): void {
    this.out.events.push({ id, params } as PairEvent);
  }

  private both(): AppState[] {
    return [this.a, this.b];
  }

  private other(s: AppState): AppState {
    return s === this.a ? this.b : this.a;
  }

  private byApp(app: string): AppState | undefined {
    return this.a.settings.app === app ? this.a : this.b.settings.app === app ? this.b : undefined;
  }
}

// ---- pure helpers --------------------------------------------------------------------------------------------

function newAppState(settings: PairServerSettings, configuredRole: 'primary' | 'backup'): AppState {
  return {
    settings,
    configuredRole,
    lca: false,
    lcaLostAt: null,
    process: 'unknown',
    pid: null,
    lastExit: null,
    status: null,
    mode: null,
    readiness: null,
    lastReadiness: null,
    sentMode: null,
    sentModeAt: 0,
    modeConfirmed: false,
    listenerFailed: false,
    startSentAt: null,
    startedAt: null,
    nextStartAt: 0,
    quickDeaths: 0,
    stopSentAt: null,
    lostRunning: null,
  };
}

function emptyReport(app: string): AppReport {
  return {
    app,
    process: 'not-started',
    pid: null,
    lastExit: null,
    status: null,
    mode: null,
    readiness: null,
  };
}

/** The SCS can command the process: its LCA is connected and the process exists. */
function reachable(s: AppState): boolean {
  return s.lca && s.process === 'running';
}

/** SPEC S4.5's "Running": the only state in which a server may be given Primary. */
function isRunning(s: AppState): boolean {
  return reachable(s) && s.status === 'Running' && s.mode !== 'Exiting';
}

/** The server last said it was Primary, or a backup with its HA link up, or holding calls. */
function mayHoldState(s: AppState): boolean {
  if (s.process !== 'running') return false;
  return s.mode === 'Primary' || s.readiness?.haLink === 'established' || (s.readiness?.calls ?? 0) > 0;
}

/** A backup whose HA link is up and that has synchronized every call: it holds the pair's state. */
function isSynced(s: AppState): boolean {
  return s.readiness?.haLink === 'established' && s.readiness.readyForSwitchover === 1;
}

function outstandingPrimary(s: AppState): boolean {
  return reachable(s) && s.sentMode === 'Primary' && s.mode !== 'Primary';
}

/** Why the chosen primary counts as failed now, or null. */
function failedReason(s: AppState, now: number): string | null {
  if (!s.lca) {
    if (s.lcaLostAt === null) return null;
    const timeout = s.settings.disconnectSwitchoverTimeoutMs;
    if (now - s.lcaLostAt < timeout) return null;
    return timeout === 0
      ? `lost its LCA (host ${s.settings.host})`
      : `lost its LCA (host ${s.settings.host}) for ${timeout / 1000} s (disconnect-switchover-timeout)`;
  }
  if (s.process === 'exited' || s.process === 'not-started') {
    return `process exited${s.lastExit ? ` (${s.lastExit})` : ''}`;
  }
  if (s.process !== 'running') return null;
  if (s.status === 'ServiceUnavailable') return 'reports ServiceUnavailable';
  if (s.status === 'Stopping' || s.status === 'Stopped' || s.mode === 'Exiting') return 'is stopping';
  if (s.listenerFailed) return 'could not open its SIP listener (00-04200)';
  return null;
}

function describeState(s: AppState): string {
  if (!s.lca) return s.lcaLostAt === null ? 'its LCA never connected' : 'its LCA is lost';
  if (s.process !== 'running') return `process ${s.process}`;
  return `status ${s.status ?? 'not reported'}${s.mode ? `, mode ${s.mode}` : ''}`;
}

function readyText(s: AppState): string {
  const r = s.readiness?.readyForSwitchover;
  return r === undefined ? 'unknown' : String(r);
}

function serverView(s: AppState): ServerView {
  return {
    app: s.settings.app,
    host: s.settings.host,
    configuredRole: s.configuredRole,
    lcaConnected: s.lca,
    process: s.process,
    pid: s.pid,
    lastExit: s.lastExit,
    status: s.status,
    mode: s.mode,
    readiness: s.readiness,
    running: isRunning(s),
  };
}

/** The controller's settings for a pair of the configuration. */
export function pairControllerOptions(config: Config, pair: string): PairControllerOptions {
  const p = config.haPairs[pair];
  if (!p) throw new Error(`no HA pair named ${pair}`);
  const settings = (app: string): PairServerSettings => {
    const a = config.applications[app];
    if (a?.type !== 'sip-server') throw new Error(`pair ${pair}: ${app} is not a sip-server application`);
    return {
      app,
      host: a.host,
      disconnectSwitchoverTimeoutMs: a.options.tserver.disconnectSwitchoverTimeout * 1000,
      haflipDetectTimeoutMs: a.options.tserver.haflipDetectTimeout * 1000,
    };
  };
  return {
    pair,
    primary: settings(p.primary),
    backup: settings(p.backup),
    redundancyType: p.redundancyType,
  };
}
