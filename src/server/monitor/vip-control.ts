/**
 * Virtual IP control (SPEC S6.1) and Virtual IP monitoring (S5), for one server of an IP Address Takeover
 * pair. Pure: the clock, the host's addresses, the script runner (its LCA) and the logger are injected.
 *
 * - control-vip-scripts: on becoming Primary the server has its LCA run sip-vip-script-up, on becoming Backup
 *   sip-vip-script-down. An attempt succeeds when the Virtual IP (sip-address) is in the wanted state on this
 *   host (up: present, down: absent), checked every POLL_MS from the moment the script is asked for, even
 *   before it exits (an up script that adds the address, then sends a gratuitous ARP for a second, has done
 *   its job once the address is there). An attempt fails when the script exits non-zero, or the state has not
 *   changed within vip-state-change-timeout (a script that hangs, or exits 0 having done nothing). A failed
 *   attempt is followed by another; after ATTEMPTS in all the script is declared failed (10-30012, Alarm), the
 *   server reports ServiceUnavailable (health condition "vip"), and that script is not run again until the
 *   next role change.
 * - control-remote-vip-scripts: when this server becomes Primary while its peer is not started, the peer's
 *   sip-vip-script-down runs on the peer's host (through its LCA, relayed by the SCS). "Not started" is
 *   decided by the caller: no HA link to the peer is established at that moment (the peer is not running as a
 *   backup this server can see). A remote run succeeds on exit code 0 (the state of another host cannot be
 *   read here) and never changes this server's health: a peer host that is down holds no address anyway.
 * - sip-iptakeover-monitoring: check() (called every network-monitoring-timeout by the network monitor)
 *   compares the state with the role: a mismatch logs 00-52029 once and runs the matching script (a
 *   corrective run: health "vip" fails as soon as its first attempt fails, "the problem persists"); the
 *   state right again logs 00-52030. While a script run is in progress, the run decides, not the check.
 */
import type { Logger } from '../../log/logger.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { ServiceHealth } from '../health.ts';
import type { Role } from '../role-gate.ts';
import { type HostAddresses, hasAddress } from './host-addresses.ts';

/** Attempts of one script run in all (the first and the re-runs) before it is declared failed. */
export const VIP_ATTEMPTS = 3;
/** How often the Virtual IP state is read while a script run is in progress, ms. */
export const VIP_POLL_MS = 200;

/** What a script run returned (exit code null: killed on timeout, refused, or its LCA not reachable). */
export interface ScriptOutcome {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
}

/** Runs a configured script application on a host, through the LCAs (LcaAppClient.runScript). */
export type RunScript = (script: string, host: string, done: (outcome: ScriptOutcome) => void) => void;

/** The options, read at every use (vip-state-change-timeout takes effect immediately). */
export interface VipSettings {
  /** The Virtual IP: sip-address. Without it there is nothing to control or monitor. */
  vip: string | undefined;
  controlScripts: boolean;
  monitoring: boolean;
  up: { script: string; host: string } | undefined;
  down: { script: string; host: string } | undefined;
  /** The peer's down script and its host, when control-remote-vip-scripts applies. */
  remoteDown: { script: string; host: string } | undefined;
  stateChangeTimeoutMs: number;
}

export interface VipControlOptions {
  clock: Clock;
  addresses: HostAddresses;
  logger: Logger;
  health: ServiceHealth;
  run: RunScript;
  settings(): VipSettings;
}

type Direction = 'up' | 'down';

interface Run {
  direction: Direction;
  script: string;
  host: string;
  purpose: string;
  attempt: number;
  /** From this attempt on, a failed attempt makes the server report ServiceUnavailable. */
  failHealthAfter: number;
  /** Identifies the current attempt: answers of older attempts are ignored. */
  token: number;
  deadline: TimerHandle | undefined;
  poll: TimerHandle | undefined;
  /** The script answered (exit 0) and the state is still being waited for. */
  exited: boolean;
}

interface RemoteRun {
  script: string;
  host: string;
  attempt: number;
  token: number;
  deadline: TimerHandle | undefined;
}

export const HEALTH_CONDITION = 'vip';

export class VipControl {
  private role: Role | undefined;
  private run: Run | undefined;
  private remote: RemoteRun | undefined;
  private tokens = 0;
  /** Scripts declared failed since the last role change: not run again until the next one. */
  private readonly declaredFailed = new Set<Direction>();
  /** 00-52029 was logged and 00-52030 not yet. */
  private monitorFailing = false;
  /** With monitoring and without control scripts: when the mismatch was first seen. */
  private mismatchSince: number | undefined;
  private roleChangedAt = 0;
  private stopped = false;

  constructor(private readonly o: VipControlOptions) {}

  /**
   * The server's role changed (or was first given by the SCS). `peerLinked`: an HA link to the peer is
   * established now (the peer runs as a backup this server sees); without one, a new primary runs the
   * peer's down script on the peer's host (control-remote-vip-scripts).
   */
  roleChanged(role: Role, peerLinked: boolean): void {
    if (this.stopped) return;
    this.role = role;
    this.roleChangedAt = this.o.clock.now();
    this.mismatchSince = undefined;
    this.declaredFailed.clear();
    this.cancelRun();
    // What failed for the previous role no longer says anything; the new run (or check) decides again.
    this.o.health.set(HEALTH_CONDITION, true);
    const s = this.o.settings();
    if (!s.controlScripts) return;
    const direction: Direction = role === 'Primary' ? 'up' : 'down';
    this.startRun(direction, 'role change', VIP_ATTEMPTS);
    if (role === 'Primary' && !peerLinked && s.remoteDown) this.startRemote(s.remoteDown);
  }

  /** One Virtual IP monitoring check (sip-iptakeover-monitoring), every network-monitoring-timeout. */
  check(): void {
    const s = this.o.settings();
    if (this.stopped || !s.monitoring || s.vip === undefined || this.role === undefined) return;
    if (this.run !== undefined) return; // the script run in progress decides
    const want = this.wanted();
    const present = hasAddress(this.o.addresses, s.vip);
    if (present === want) {
      this.mismatchSince = undefined;
      if (this.monitorFailing) {
        this.monitorFailing = false;
        this.o.logger.event('00-52030', {
          address: s.vip,
          expected: want ? 'present' : 'absent',
          role: this.role,
        });
      }
      this.o.health.set(HEALTH_CONDITION, true);
      return;
    }
    const now = this.o.clock.now();
    if (!s.controlScripts && now < this.roleChangedAt + s.stateChangeTimeoutMs) {
      // Scripts run by someone else (an alarm reaction, an operator) get their time after a role change.
      return;
    }
    if (!this.monitorFailing) {
      this.monitorFailing = true;
      this.o.logger.event('00-52029', {
        address: s.vip,
        expected: want ? 'present' : 'absent',
        role: this.role,
      });
    }
    const direction: Direction = want ? 'up' : 'down';
    if ((want ? s.up : s.down) !== undefined && !this.declaredFailed.has(direction)) {
      this.startRun(direction, 'corrective: monitoring found it wrong', 1);
      return;
    }
    // No script to correct it with (or it was declared failed): the problem persists.
    this.mismatchSince ??= now;
    if (now >= this.mismatchSince + s.stateChangeTimeoutMs || this.declaredFailed.has(direction)) {
      this.o.health.set(
        HEALTH_CONDITION,
        false,
        `the Virtual IP ${s.vip} is ${want ? 'absent' : 'present'} on this host as ${this.role}`,
      );
    }
  }

  /** A script run (local) is in progress. */
  get running(): boolean {
    return this.run !== undefined;
  }

  stop(): void {
    this.stopped = true;
    this.cancelRun();
    this.cancelRemote();
  }

  // ---- local runs -----------------------------------------------------------------------------------------

  private wanted(): boolean {
    return this.role === 'Primary';
  }

  private startRun(direction: Direction, purpose: string, failHealthAfter: number): void {
    const s = this.o.settings();
    const target = direction === 'up' ? s.up : s.down;
    if (target === undefined || s.vip === undefined) return;
    this.cancelRun();
    this.run = {
      direction,
      script: target.script,
      host: target.host,
      purpose,
      attempt: 0,
      failHealthAfter,
      token: 0,
      deadline: undefined,
      poll: undefined,
      exited: false,
    };
    this.attempt(this.run);
  }

  private attempt(r: Run): void {
    const s = this.o.settings();
    r.attempt++;
    r.token = ++this.tokens;
    r.exited = false;
    const token = r.token;
    this.o.logger.event('10-30010', {
      script: r.script,
      host: r.host,
      purpose: `Virtual IP ${r.direction}, ${r.purpose}`,
      attempt: r.attempt,
      attempts: VIP_ATTEMPTS,
    });
    r.deadline = this.o.clock.setTimer(s.stateChangeTimeoutMs, () => {
      r.deadline = undefined;
      if (this.run !== r || r.token !== token) return;
      const seconds = s.stateChangeTimeoutMs / 1000;
      this.attemptFailed(
        r,
        r.exited
          ? `the Virtual IP is still ${r.direction === 'up' ? 'absent' : 'present'} ${seconds} s after the run`
          : `no answer within vip-state-change-timeout (${seconds} s)`,
      );
    });
    this.poll(r, token);
    this.o.run(r.script, r.host, (outcome) => {
      if (this.run !== r || r.token !== token) return; // an older attempt, or a run no longer wanted
      if (outcome.exitCode !== 0) {
        this.attemptFailed(r, describeOutcome(outcome));
        return;
      }
      r.exited = true;
      if (this.stateIsRight(r)) this.succeeded(r);
    });
  }

  private poll(r: Run, token: number): void {
    if (this.run !== r || r.token !== token) return;
    if (this.stateIsRight(r)) {
      this.succeeded(r);
      return;
    }
    r.poll = this.o.clock.setTimer(VIP_POLL_MS, () => {
      r.poll = undefined;
      this.poll(r, token);
    });
  }

  private stateIsRight(r: Run): boolean {
    const vip = this.o.settings().vip;
    if (vip === undefined) return true;
    return hasAddress(this.o.addresses, vip) === (r.direction === 'up');
  }

  private succeeded(r: Run): void {
    this.clearTimers(r);
    this.run = undefined;
    const vip = this.o.settings().vip ?? '';
    this.o.logger.event('10-30013', {
      script: r.script,
      host: r.host,
      result: `Virtual IP ${vip} ${r.direction === 'up' ? 'present' : 'absent'}`,
      attempt: r.attempt,
    });
    this.mismatchSince = undefined;
    this.o.health.set(HEALTH_CONDITION, true);
    if (this.monitorFailing && this.o.settings().monitoring && this.role !== undefined) {
      this.monitorFailing = false;
      this.o.logger.event('00-52030', {
        address: vip,
        expected: r.direction === 'up' ? 'present' : 'absent',
        role: this.role,
      });
    }
  }

  private attemptFailed(r: Run, reason: string): void {
    this.clearTimers(r);
    this.o.logger.event('10-30011', {
      script: r.script,
      attempt: r.attempt,
      attempts: VIP_ATTEMPTS,
      reason,
    });
    if (r.attempt >= r.failHealthAfter) {
      this.o.health.set(HEALTH_CONDITION, false, `Virtual IP script ${r.script}: ${reason}`);
    }
    if (r.attempt < VIP_ATTEMPTS) {
      this.attempt(r);
      return;
    }
    this.run = undefined;
    this.declaredFailed.add(r.direction);
    this.o.logger.event('10-30012', { script: r.script, attempts: VIP_ATTEMPTS, reason });
    this.o.health.set(
      HEALTH_CONDITION,
      false,
      `Virtual IP script ${r.script} failed after ${VIP_ATTEMPTS} attempts: ${reason}`,
    );
  }

  private clearTimers(r: Run): void {
    if (r.deadline !== undefined) this.o.clock.clearTimer(r.deadline);
    if (r.poll !== undefined) this.o.clock.clearTimer(r.poll);
    r.deadline = undefined;
    r.poll = undefined;
  }

  private cancelRun(): void {
    if (this.run !== undefined) this.clearTimers(this.run);
    this.run = undefined;
  }

  // ---- the peer's down script on the peer's host ------------------------------------------------------------

  private startRemote(target: { script: string; host: string }): void {
    this.cancelRemote();
    this.remote = { ...target, attempt: 0, token: 0, deadline: undefined };
    this.remoteAttempt(this.remote);
  }

  private remoteAttempt(r: RemoteRun): void {
    const timeoutMs = this.o.settings().stateChangeTimeoutMs;
    r.attempt++;
    r.token = ++this.tokens;
    const token = r.token;
    this.o.logger.event('10-30010', {
      script: r.script,
      host: r.host,
      purpose: 'Virtual IP down on the host of the peer, which is not started (control-remote-vip-scripts)',
      attempt: r.attempt,
      attempts: VIP_ATTEMPTS,
    });
    const failed = (reason: string): void => {
      if (this.remote !== r || r.token !== token) return;
      if (r.deadline !== undefined) this.o.clock.clearTimer(r.deadline);
      r.deadline = undefined;
      this.o.logger.event('10-30011', {
        script: r.script,
        attempt: r.attempt,
        attempts: VIP_ATTEMPTS,
        reason,
      });
      if (r.attempt < VIP_ATTEMPTS) {
        this.remoteAttempt(r);
        return;
      }
      this.remote = undefined;
      this.o.logger.event('10-30012', { script: r.script, attempts: VIP_ATTEMPTS, reason });
    };
    r.deadline = this.o.clock.setTimer(timeoutMs, () => {
      r.deadline = undefined;
      failed(`no answer within vip-state-change-timeout (${timeoutMs / 1000} s)`);
    });
    this.o.run(r.script, r.host, (outcome) => {
      if (this.remote !== r || r.token !== token) return;
      if (outcome.exitCode !== 0) {
        failed(describeOutcome(outcome));
        return;
      }
      if (r.deadline !== undefined) this.o.clock.clearTimer(r.deadline);
      this.remote = undefined;
      this.o.logger.event('10-30013', {
        script: r.script,
        host: r.host,
        result: 'exit code 0',
        attempt: r.attempt,
      });
    });
  }

  private cancelRemote(): void {
    if (this.remote?.deadline !== undefined) this.o.clock.clearTimer(this.remote.deadline);
    this.remote = undefined;
  }
}

function describeOutcome(o: ScriptOutcome): string {
  const out = o.output.trim().split('\n').slice(-2).join(' / ').slice(0, 300);
  const what = o.timedOut
    ? 'killed by its LCA on its timeout'
    : o.exitCode === null
      ? 'not run'
      : `exit code ${o.exitCode}`;
  return out ? `${what}: ${out}` : what;
}
