/**
 * SIP traffic monitoring, `sip-pass-check` (SPEC S5; seeds 000, 001). Pure on the injected Clock.
 *
 * The primary notes every SIP message it receives (`received()`, from the transport). When every device with an
 * active OOS check (a Trunk or Voice over IP Service DN with `oos-check` > 0) is out of service and no SIP message
 * at all has arrived for the effective timeout, the condition 'sip-pass-check' of the server's health fails
 * (event 10-30008): the server reports ServiceUnavailable and the SCS switches over. A SIP message clears it
 * (10-30030). The effective timeout is the largest `oos-check` + max(`oos-force`, 5) over those DNs, in seconds,
 * times the double-switchover multiplier.
 *
 * Double switchover: when neither server sees traffic, each gives the primary role up in turn. A server that
 * gave up the role for lack of traffic and becomes primary again without having seen traffic doubles its own
 * multiplier (10-30031), up to 4 (seed 000: "doubles ... up to two times"); traffic on this server resets it to
 * 1, and the server keeps the role since the check no longer fails. Where it lives: each server keeps its own
 * multiplier, in memory. Only the server itself knows that it gave up the role for lack of traffic and that it
 * has seen none since; the two servers alternate, so their multipliers double in step (T, T, 2T, 2T, 4T, 4T, ...)
 * without sharing anything, which also holds when the HA link is down, the likely case when no traffic flows.
 * Replicating it would need a store record that only the primary may commit, and a backup's view of "no traffic"
 * is not the primary's. A restart forgets it (the initial timeout again), which errs on the side of service.
 *
 * A return to the primary role only counts as a double switchover when it comes within the longest time the other
 * server can have kept the role without traffic (4x the initial timeout) plus a minute of switchover time: later
 * than that, the other server saw traffic in between (or failed for another reason), and the multiplier restarts
 * at 1.
 */

import type { Logger } from '../../log/logger.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { ServiceHealth } from '../health.ts';

/** The floor the seeds give oos-force in the effective timeout. */
export const PASS_CHECK_MIN_OOS_FORCE_S = 5;
/** Seed 000: the timeout doubles up to two times. */
export const PASS_CHECK_MAX_MULTIPLIER = 4;
/** Slack on top of the other server's longest possible term for a return to count as a double switchover. */
export const DOUBLE_SWITCHOVER_SLACK_MS = 60_000;

export const SIP_PASS_CHECK = 'sip-pass-check';

/** A device with an active OOS check, as the monitor needs it. */
export interface PassCheckDevice {
  dn: string;
  /** `oos-check`, seconds (> 0). */
  oosCheck: number;
  /** `oos-force`, seconds, as configured. */
  oosForce: number;
  inService: boolean;
}

export interface SipPassCheckOptions {
  clock: Clock;
  logger: Logger;
  health: ServiceHealth;
  /** `sip-pass-check`, read at use (it takes effect immediately). */
  enabled(): boolean;
  /** Every device with an active OOS check (oos-check > 0), with its current service state. */
  devices(): PassCheckDevice[];
}

export interface SipPassCheckStatus {
  enabled: boolean;
  primary: boolean;
  devices: number;
  devicesOutOfService: number;
  /** The effective timeout before the multiplier, seconds; null without any OOS-checked device. */
  initialTimeout: number | null;
  multiplier: number;
  failing: boolean;
  /** Clock time of the last SIP message received as primary (or of becoming primary). */
  lastTrafficAt: number | null;
}

/** The largest oos-check + max(oos-force, 5), in seconds; null when no device has an active OOS check. */
export function initialPassCheckTimeout(devices: readonly PassCheckDevice[]): number | null {
  let max: number | null = null;
  for (const d of devices) {
    if (!(d.oosCheck > 0)) continue;
    const t = d.oosCheck + Math.max(d.oosForce, PASS_CHECK_MIN_OOS_FORCE_S);
    if (max === null || t > max) max = t;
  }
  return max;
}

export class SipPassCheck {
  private primary = false;
  private failing = false;
  private lastTrafficAt: number | null = null;
  private multiplier = 1;
  /** When this server last gave the primary role up while the check failed; null otherwise. */
  private gaveUpAt: number | null = null;
  private timer: TimerHandle | null = null;
  private timerAt: number | null = null;

  constructor(private readonly o: SipPassCheckOptions) {}

  /** Every SIP message received (requests, responses, even unparsable ones: the network path works). */
  received(): void {
    if (!this.primary) return;
    const now = this.o.clock.now();
    const since = this.lastTrafficAt;
    this.lastTrafficAt = now;
    this.multiplier = 1;
    if (this.failing) {
      this.failing = false;
      this.o.logger.event('10-30030', { seconds: since === null ? 0 : Math.round((now - since) / 1000) });
      this.o.health.set(SIP_PASS_CHECK, true);
    }
  }

  /** The server became primary (its SIP port is open). */
  becomePrimary(): void {
    if (this.primary) return;
    const now = this.o.clock.now();
    this.primary = true;
    this.lastTrafficAt = now;
    if (this.gaveUpAt !== null) {
      const initial = initialPassCheckTimeout(this.o.devices());
      const window =
        initial === null ? 0 : initial * 1000 * PASS_CHECK_MAX_MULTIPLIER + DOUBLE_SWITCHOVER_SLACK_MS;
      if (this.o.enabled() && initial !== null && now - this.gaveUpAt <= window) {
        this.multiplier = Math.min(this.multiplier * 2, PASS_CHECK_MAX_MULTIPLIER);
        this.o.logger.event('10-30031', { seconds: initial * this.multiplier, multiplier: this.multiplier });
      } else {
        this.multiplier = 1;
      }
      this.gaveUpAt = null;
    }
    this.evaluate();
  }

  /** The server became backup (or stops): a backup watches nothing; a failing check is handed over. */
  becomeBackup(): void {
    if (!this.primary) return;
    this.primary = false;
    this.disarm();
    if (this.failing) {
      this.gaveUpAt = this.o.clock.now();
      this.failing = false;
      this.o.health.set(SIP_PASS_CHECK, true);
    }
  }

  /** Re-evaluates: after a device changed service state, or a reload (sip-pass-check, oos-check, oos-force). */
  evaluate(): void {
    const now = this.o.clock.now();
    const devices = this.o.devices();
    const initial = initialPassCheckTimeout(devices);
    const active = this.primary && this.o.enabled() && initial !== null;
    const allOut = devices.length > 0 && devices.every((d) => !d.inService);
    if (!active || !allOut) {
      this.disarm();
      if (this.failing) {
        // Turned off, or a device back in service (its answer was traffic too): the check no longer fails.
        this.failing = false;
        this.o.health.set(SIP_PASS_CHECK, true);
      }
      return;
    }
    if (this.failing) return;
    const timeoutMs = initial * this.multiplier * 1000;
    const deadline = (this.lastTrafficAt ?? now) + timeoutMs;
    if (now >= deadline) {
      this.failing = true;
      this.disarm();
      const seconds = initial * this.multiplier;
      this.o.logger.event('10-30008', { seconds });
      this.o.health.set(
        SIP_PASS_CHECK,
        false,
        `no SIP traffic for ${seconds} s and all ${devices.length} OOS-checked devices out of service`,
      );
      return;
    }
    this.arm(deadline);
  }

  status(): SipPassCheckStatus {
    const devices = this.o.devices();
    return {
      enabled: this.o.enabled(),
      primary: this.primary,
      devices: devices.length,
      devicesOutOfService: devices.filter((d) => !d.inService).length,
      initialTimeout: initialPassCheckTimeout(devices),
      multiplier: this.multiplier,
      failing: this.failing,
      lastTrafficAt: this.lastTrafficAt,
    };
  }

  /** The effective timeout now, seconds (null: no OOS-checked device). */
  get effectiveTimeout(): number | null {
    const initial = initialPassCheckTimeout(this.o.devices());
    return initial === null ? null : initial * this.multiplier;
  }

  private arm(at: number): void {
    if (this.timerAt === at) return;
    this.disarm();
    this.timerAt = at;
    this.timer = this.o.clock.setTimer(Math.max(0, at - this.o.clock.now()), () => {
      this.timer = null;
      this.timerAt = null;
      this.evaluate();
    });
  }

  private disarm(): void {
    if (this.timer !== null) this.o.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = null;
  }
}
