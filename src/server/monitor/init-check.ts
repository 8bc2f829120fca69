/**
 * Verifying initialization in the backup (SPEC S6.2, seeds 000/002): with backup-init-check, a server in
 * Backup mode checks that each of its internal components reported itself initialized within
 * backup-init-check-timeout of the start; a component that fails, or is still not initialized at the
 * timeout, makes the server report ServiceUnavailable (health condition "backup-init", event 10-30016), and
 * the SCS does not promote a backup that is not Running. A component that becomes ready later clears it
 * (10-30017, Running again): the HTTP interface and the CTI listeners try a port they could not open again
 * every 5 s and report ready when it opens, so a backup recovers by itself once the port is free.
 * Only the Backup role is judged: a primary's components are already giving service (or not, which other
 * monitors see).
 *
 * The registry is generic: `initCheck.component('cti')` returns the `ready()` / `failed(reason)` pair of a
 * new component; register every component before start(). backup-sip-port-check is one more component,
 * "sip-port" (src/cli/server.ts runs it through SipServer.checkSipPort).
 */
import type { Logger } from '../../log/logger.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { ServiceHealth } from '../health.ts';
import type { Role } from '../role-gate.ts';

export interface InitComponent {
  ready(): void;
  failed(reason: string): void;
}

export interface InitCheckOptions {
  clock: Clock;
  logger: Logger;
  health: ServiceHealth;
  /** backup-init-check. When false, components may report, and nothing is judged. */
  enabled: boolean;
  /** backup-init-check-timeout, ms. */
  timeoutMs: number;
  role(): Role;
}

type ComponentState = { state: 'pending' } | { state: 'ready' } | { state: 'failed'; reason: string };

export const INIT_CONDITION = 'backup-init';

export class InitCheck {
  private readonly components = new Map<string, ComponentState>();
  private timer: TimerHandle | undefined;
  private timedOut = false;
  private started = false;
  private reported: 'none' | 'passed' | 'failed' = 'none';
  private lastReason = '';

  constructor(private readonly o: InitCheckOptions) {}

  /** Registers a component (before start()); its ready()/failed() may be called once or more, at any time. */
  component(name: string): InitComponent {
    if (!this.components.has(name)) this.components.set(name, { state: 'pending' });
    return {
      ready: () => this.set(name, { state: 'ready' }),
      failed: (reason) => this.set(name, { state: 'failed', reason }),
    };
  }

  /** Starts the timeout (backup-init-check-timeout counts from here: the process start). */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.o.enabled) {
      this.timer = this.o.clock.setTimer(this.o.timeoutMs, () => {
        this.timer = undefined;
        this.timedOut = true;
        this.evaluate();
      });
    }
    this.evaluate();
  }

  /** The role changed: a backup is judged, a primary is not. */
  roleChanged(): void {
    this.evaluate();
  }

  stop(): void {
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** Each component's state, for the status and the tests. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, s] of this.components)
      out[name] = s.state === 'failed' ? `failed: ${s.reason}` : s.state;
    return out;
  }

  private set(name: string, state: ComponentState): void {
    this.components.set(name, state);
    this.evaluate();
  }

  private evaluate(): void {
    if (!this.o.enabled || !this.started) return;
    const failed = [...this.components].filter(([, s]) => s.state === 'failed');
    const pending = [...this.components].filter(([, s]) => s.state === 'pending');
    const problems = [
      ...failed.map(([n, s]) => `${n} failed (${s.state === 'failed' ? s.reason : ''})`),
      ...(this.timedOut
        ? pending.map(([n]) => `${n} not initialized within ${this.o.timeoutMs / 1000} s`)
        : []),
    ];
    if (problems.length > 0 && this.o.role() === 'Backup') {
      const reason = problems.join('; ');
      if (this.reported !== 'failed' || reason !== this.lastReason) {
        this.o.logger.event('10-30016', { reason });
        this.reported = 'failed';
        this.lastReason = reason;
      }
      this.o.health.set(INIT_CONDITION, false, reason);
      return;
    }
    this.o.health.set(INIT_CONDITION, true);
    if (pending.length === 0 && failed.length === 0 && this.reported !== 'passed') {
      this.reported = 'passed';
      this.lastReason = '';
      this.o.logger.event('10-30017', { components: [...this.components.keys()].join(', ') });
      if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
  }
}
