/**
 * Active out-of-service detection (SPEC S2.8; seeds 000, 001): every `oos-check` seconds the primary sends an
 * OPTIONS to each Trunk and Voice over IP Service DN that has one; a device that gives no final response within
 * `oos-force` seconds is out of service, and ANY final response (a 503 too: something answered) puts it back.
 * Out-of-service devices keep being probed. The state lives in the replicated store (DeviceStateChanged), so the
 * backup knows it and, once promoted, goes on from it; only the primary probes (the role gate).
 *
 * Probes are independent: each has its own oos-force timer, and a device is declared out of service when a
 * probe's timer fires and nothing at all has answered since that probe was sent. So with `oos-force` longer
 * than `oos-check` (overlapping probes) a late answer to an older probe still counts as life, and a failed
 * older probe cannot overrule a newer answer.
 */

import type { Dn } from '../../config/config.ts';
import type { DnType } from '../../config/option.ts';
import { type DeviceState, initialDeviceState } from '../../model/device.ts';
import type { TimerHandle } from '../../runtime/clock.ts';
import type { ServerContext } from '../context.ts';
import { buildOptionsProbe } from './options-probe.ts';
import { type ProbeTarget, probeTarget } from './probe-target.ts';

/** The DN types that are probed (dn.ts: `oos-check` applies to these). */
export const probedDnTypes: readonly DnType[] = ['Trunk', 'Voice over IP Service'];

/**
 * The least `oos-force` used, in seconds. The seeds give this floor for sip-pass-check ("if oos-force is less
 * than 5, 5 is used"); the checker uses the same one so that both agree on when a device has failed, and so
 * that a UDP probe gets a few retransmissions (T1 = 500 ms) before one lost datagram makes a trunk unusable.
 */
export const MIN_OOS_FORCE_S = 5;

export interface OosChange {
  dn: string;
  type: DnType;
  inService: boolean;
  /** The device state as committed. */
  device: DeviceState;
}

export type OosListener = (change: OosChange) => void;

/** Per-DN statistics (SPEC S7: /server?sipServiceChecker, trunk statistics). */
export interface OosDnStats {
  dn: string;
  type: DnType;
  contact: string;
  /** Seconds between probes, and the effective seconds to wait for an answer. */
  oosCheck: number;
  oosForce: number;
  inService: boolean;
  probesSent: number;
  /** Probes that got a final response (any status). */
  probesAnswered: number;
  /** Probes without a final response within oos-force. */
  probesFailed: number;
  /** Changes from in service to out of service made by this server. */
  oosDetections: number;
  /** Clock time (ms) of the last change of service state (from the store), or null if never changed. */
  lastChangeAt: number | null;
  /** Status of the last final response, and when it came. */
  lastStatus: number | null;
  lastAnswerAt: number | null;
  lastProbeAt: number | null;
  /** Why the DN cannot be probed (an unusable contact), or null. */
  error: string | null;
}

interface Monitored {
  dn: string;
  type: DnType;
  contact: string;
  oosCheckS: number;
  oosForceS: number;
  target: ProbeTarget | null;
  error: string | null;
  nextProbe: TimerHandle | null;
  forceTimers: Set<TimerHandle>;
}

interface Counters {
  probesSent: number;
  probesAnswered: number;
  probesFailed: number;
  oosDetections: number;
  lastStatus: number | null;
  lastAnswerAt: number | null;
  lastProbeAt: number | null;
}

export class OosChecker {
  private readonly monitored = new Map<string, Monitored>();
  private readonly counters = new Map<string, Counters>();
  private readonly listeners = new Set<OosListener>();
  private running = false;
  /** Bumped by stop(): callbacks of probes sent before it are ignored (a non-INVITE cannot be cancelled). */
  private generation = 0;

  constructor(private readonly ctx: ServerContext) {
    this.readConfig();
  }

  /** True while probes are armed. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Arms the probes (at start, and on promotion to primary). Does nothing unless the gate lets this server act. */
  start(): void {
    if (this.running || !this.ctx.gate.mayAct()) return;
    this.running = true;
    for (const m of this.monitored.values()) this.arm(m, 0);
  }

  /** Clears every timer (on demotion, at shutdown). Answers to probes already sent are ignored. */
  stop(): void {
    this.running = false;
    this.generation++;
    for (const m of this.monitored.values()) this.disarm(m);
  }

  /** From the replicated store: a device never marked out of service is in service. */
  isInService(dn: string): boolean {
    return this.ctx.store.device(dn)?.inService ?? true;
  }

  /** Told after every change this checker commits (for CTI EventDNOutOfService / EventDNBackInService). */
  onChange(listener: OosListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Re-reads the DNs after a reload (`oos-check` and `oos-force` take effect immediately): new DNs are probed
   * at once, removed ones (or `oos-check` set to 0) stop being probed, a changed contact or interval restarts
   * that DN's cycle with a probe now. A DN that stops being probed while out of service is put back in service:
   * nothing would ever bring it back, and an unmonitored device counts as in service.
   */
  reconfigure(): void {
    const before = new Map(this.monitored);
    this.monitored.clear();
    this.readConfig();
    for (const [dn, old] of before) {
      const now = this.monitored.get(dn);
      if (now === undefined) {
        this.disarm(old);
        this.counters.delete(dn);
        this.releaseUnmonitored(dn, old.type);
        continue;
      }
      const restart = now.contact !== old.contact || now.oosCheckS !== old.oosCheckS || now.type !== old.type;
      if (restart) {
        this.disarm(old);
        if (this.running) this.arm(now, 0);
      } else {
        // Same device, same cycle: keep the armed timers (they hold on to `old`); a new oos-force applies
        // from the next probe.
        old.oosForceS = now.oosForceS;
        this.monitored.set(dn, old);
      }
    }
    if (this.running) for (const [dn, m] of this.monitored) if (!before.has(dn)) this.arm(m, 0);
  }

  /**
   * Probes these DNs again now (the re-check of switchover-on-trunks-oos / -msml-oos, seed 000), each then
   * going on with its oos-check cycle from this probe. Answers the longest effective oos-force (ms) among
   * them: by then each of these probes has been answered or has failed. DNs not probed are skipped.
   */
  probeAgain(dns: readonly string[]): number {
    let waitMs = 0;
    for (const dn of dns) {
      const m = this.monitored.get(dn);
      if (m === undefined || m.target === null) continue;
      waitMs = Math.max(waitMs, m.oosForceS * 1000);
      if (this.running) this.arm(m, 0);
    }
    return waitMs;
  }

  /** Statistics of one probed DN, or undefined when it is not probed. */
  statsOf(dn: string): OosDnStats | undefined {
    const m = this.monitored.get(dn);
    return m === undefined ? undefined : this.statsRow(m);
  }

  /** Every probed DN, in DN order: the body of /server?sipServiceChecker. */
  snapshot(): { running: boolean; devices: OosDnStats[] } {
    const devices = [...this.monitored.values()]
      .sort((a, b) => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0))
      .map((m) => this.statsRow(m));
    return { running: this.running, devices };
  }

  private statsRow(m: Monitored): OosDnStats {
    const c = this.countersOf(m.dn);
    const device = this.ctx.store.device(m.dn);
    return {
      dn: m.dn,
      type: m.type,
      contact: m.contact,
      oosCheck: m.oosCheckS,
      oosForce: m.oosForceS,
      inService: device?.inService ?? true,
      probesSent: c.probesSent,
      probesAnswered: c.probesAnswered,
      probesFailed: c.probesFailed,
      oosDetections: c.oosDetections,
      lastChangeAt: device?.since ?? null,
      lastStatus: c.lastStatus,
      lastAnswerAt: c.lastAnswerAt,
      lastProbeAt: c.lastProbeAt,
      error: m.error,
    };
  }

  private readConfig(): void {
    const fallback = this.ctx.local.transport;
    for (const dn of Object.values(this.ctx.config().dns)) {
      const m = monitoredOf(dn, fallback);
      if (m !== undefined) this.monitored.set(dn.number, m);
    }
  }

  private countersOf(dn: string): Counters {
    let c = this.counters.get(dn);
    if (c === undefined) {
      c = {
        probesSent: 0,
        probesAnswered: 0,
        probesFailed: 0,
        oosDetections: 0,
        lastStatus: null,
        lastAnswerAt: null,
        lastProbeAt: null,
      };
      this.counters.set(dn, c);
    }
    return c;
  }

  private arm(m: Monitored, delayMs: number): void {
    if (m.target === null) return;
    if (m.nextProbe !== null) this.ctx.clock.clearTimer(m.nextProbe);
    m.nextProbe = this.ctx.clock.setTimer(delayMs, () => {
      m.nextProbe = null;
      if (this.monitored.get(m.dn) !== m) return;
      if (!this.ctx.gate.mayAct()) {
        // Demoted without stop(): a backup probes nothing (SPEC S2.8); start() re-arms on promotion.
        this.stop();
        return;
      }
      this.probe(m);
      this.arm(m, m.oosCheckS * 1000);
    });
  }

  private disarm(m: Monitored): void {
    if (m.nextProbe !== null) this.ctx.clock.clearTimer(m.nextProbe);
    m.nextProbe = null;
    for (const t of m.forceTimers) this.ctx.clock.clearTimer(t);
    m.forceTimers.clear();
  }

  private probe(m: Monitored): void {
    const target = m.target;
    if (target === null) return;
    const { clock } = this.ctx;
    const generation = this.generation;
    const sentAt = clock.now();
    const c = this.countersOf(m.dn);
    let answered = false;
    const live = (): boolean => generation === this.generation && this.monitored.get(m.dn) === m;

    try {
      this.ctx.transactions.sendRequest(buildOptionsProbe(this.ctx, target), target.destination, {
        onResponse: (res) => {
          if (res.status < 200 || answered || !live()) return;
          answered = true;
          c.probesAnswered++;
          c.lastStatus = res.status;
          c.lastAnswerAt = clock.now();
          if (!this.isInService(m.dn)) this.change(m, true);
        },
        // Timer F and transport errors: the oos-force timer decides, so that every probe follows one rule.
        onTimeout: () => {},
        onTransportError: () => {},
      });
      m.error = null;
    } catch (err) {
      m.error = `OPTIONS to ${target.contact} could not be sent: ${(err as Error).message}`;
      this.ctx.logger.debug(m.error, { dn: m.dn });
    }
    c.probesSent++;
    c.lastProbeAt = sentAt;

    const force = clock.setTimer(m.oosForceS * 1000, () => {
      m.forceTimers.delete(force);
      if (answered || !live()) return;
      c.probesFailed++;
      const answeredSince = c.lastAnswerAt !== null && c.lastAnswerAt >= sentAt;
      if (!answeredSince && this.isInService(m.dn)) {
        c.oosDetections++;
        this.change(m, false);
      }
    });
    m.forceTimers.add(force);
  }

  private change(m: Monitored, inService: boolean): void {
    if (!this.ctx.gate.mayAct()) return;
    const device = this.commit(m.dn, inService);
    if (inService) {
      this.ctx.logger.event('10-30006', { dnType: m.type, dn: m.dn, contact: m.contact });
    } else {
      this.ctx.logger.event('10-30005', {
        dnType: m.type,
        dn: m.dn,
        contact: m.contact,
        seconds: m.oosForceS,
      });
    }
    for (const l of this.listeners) l({ dn: m.dn, type: m.type, inService, device });
  }

  private releaseUnmonitored(dn: string, type: DnType): void {
    if (this.isInService(dn) || !this.ctx.gate.mayAct()) return;
    const device = this.commit(dn, true);
    for (const l of this.listeners) l({ dn, type, inService: true, device });
  }

  private commit(dn: string, inService: boolean): DeviceState {
    const now = this.ctx.clock.now();
    const device: DeviceState = {
      ...(this.ctx.store.device(dn) ?? initialDeviceState(dn, now)),
      inService,
      since: now,
    };
    this.ctx.store.commit({ type: 'DeviceStateChanged', device });
    return device;
  }
}

function monitoredOf(dn: Dn, fallback: ProbeTarget['destination']['transport']): Monitored | undefined {
  if (!probedDnTypes.includes(dn.type)) return undefined;
  const oosCheckS = dn.options.oosCheck;
  if (!(oosCheckS > 0)) return undefined;
  const contact = dn.options.contact;
  const resolved =
    contact === undefined
      ? ({ ok: false, error: `${dn.type} DN ${dn.number} has oos-check but no contact to probe` } as const)
      : probeTarget(contact, fallback);
  return {
    dn: dn.number,
    type: dn.type,
    contact: contact ?? '',
    oosCheckS,
    oosForceS: Math.max(dn.options.oosForce, MIN_OOS_FORCE_S),
    target: resolved.ok ? resolved.target : null,
    error: resolved.ok ? null : resolved.error,
    nextProbe: null,
    forceTimers: new Set(),
  };
}
