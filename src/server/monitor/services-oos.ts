/**
 * Trunks / media servers out of service (SPEC S5; seed 000: `switchover-on-trunks-oos`,
 * `switchover-on-msml-oos`). Pure on the injected Clock.
 *
 * When every Trunk DN (for trunks) or every Voice over IP Service DN with service-type=msml (for msml) that
 * counts is out of service (active OOS detection, the replicated device state), the primary probes them once
 * more at once (10-30032); when none answered within their `oos-force` (at least 5 s), the condition
 * 'trunks-oos' / 'msml-oos' of the server's health fails (10-30007): the server reports ServiceUnavailable
 * and the SCS switches over. It clears as soon as one of them is in service again (10-30033).
 *
 * Where the option is read ("takes effect for the next call": read at use, on every evaluation): on the
 * application (standalone mode), or on a Voice over IP Service DN with service-type=sip-cluster-nodes (SIP
 * Cluster mode); either one turns the check on.
 *
 * Which DNs count (strict location matching), our choice since no option names the server's own location:
 * when the option is turned on by a sip-cluster-nodes DN that has a `geo-location`, that is the location, and
 * only the DNs of the same location count, plus those without any geo-location (a device of no location
 * serves every location). Turned on by the application, or by a cluster DN without a location, every DN of the
 * kind counts. A DN without `oos-check` is never found out of service, so it keeps the pair where it is. With
 * no DN that counts there is nothing to lose and the check never fails.
 */
import type { Config, Dn, SipServerApp } from '../../config/config.ts';
import type { Logger } from '../../log/logger.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { ServiceHealth } from '../health.ts';

export type ServiceKind = 'trunks' | 'msml';

export const serviceConditions: Record<ServiceKind, string> = { trunks: 'trunks-oos', msml: 'msml-oos' };

/** Extra wait after the longest oos-force of the re-check probes, for the last answers to be handled. */
export const RECHECK_MARGIN_MS = 500;

export interface ServicesOosOptions {
  clock: Clock;
  logger: Logger;
  health: ServiceHealth;
  config(): Config;
  app(): SipServerApp;
  isInService(dn: string): boolean;
  /** Probes these DNs once more now; answers how long (ms) to wait for their verdict (their oos-force). */
  probeAgain(dns: readonly string[]): number;
}

export interface CountedServices {
  enabled: boolean;
  /** The location DNs must match, or null when every DN of the kind counts. */
  locations: string[] | null;
  dns: string[];
}

/** Whether the check of `kind` is on, and which DNs count (see the header). */
export function countedServices(config: Config, app: SipServerApp, kind: ServiceKind): CountedServices {
  const onApp =
    kind === 'trunks' ? app.options.tserver.switchoverOnTrunksOos : app.options.tserver.switchoverOnMsmlOos;
  const dns = Object.values(config.dns);
  const clusterDns = dns.filter(
    (d) =>
      d.type === 'Voice over IP Service' &&
      d.options.serviceType === 'sip-cluster-nodes' &&
      (kind === 'trunks' ? d.options.switchoverOnTrunksOos : d.options.switchoverOnMsmlOos),
  );
  const enabled = onApp || clusterDns.length > 0;
  let locations: string[] | null = null;
  if (!onApp && clusterDns.length > 0 && clusterDns.every((d) => d.options.geoLocation !== undefined)) {
    locations = [...new Set(clusterDns.map((d) => d.options.geoLocation as string))];
  }
  const ofKind = (d: Dn): boolean =>
    kind === 'trunks'
      ? d.type === 'Trunk'
      : d.type === 'Voice over IP Service' && d.options.serviceType === 'msml';
  const counts = (d: Dn): boolean =>
    locations === null || d.options.geoLocation === undefined || locations.includes(d.options.geoLocation);
  return {
    enabled,
    locations,
    dns: dns
      .filter((d) => ofKind(d) && counts(d))
      .map((d) => d.number)
      .sort(),
  };
}

interface KindState {
  phase: 'ok' | 'rechecking' | 'failing';
  timer: TimerHandle | null;
}

export class ServicesOosMonitor {
  private primary = false;
  private readonly state: Record<ServiceKind, KindState> = {
    trunks: { phase: 'ok', timer: null },
    msml: { phase: 'ok', timer: null },
  };

  constructor(private readonly o: ServicesOosOptions) {}

  becomePrimary(): void {
    this.primary = true;
    this.evaluate();
  }

  /** A backup probes nothing and judges nothing: its conditions clear (the new primary judges for itself). */
  becomeBackup(): void {
    this.primary = false;
    for (const kind of ['trunks', 'msml'] as const) this.reset(kind, false);
  }

  /** After a device changed service state, or a reload. */
  evaluate(): void {
    for (const kind of ['trunks', 'msml'] as const) this.evaluateKind(kind);
  }

  /** The phase of each check (status, tests). */
  phases(): Record<ServiceKind, KindState['phase']> {
    return { trunks: this.state.trunks.phase, msml: this.state.msml.phase };
  }

  private evaluateKind(kind: ServiceKind): void {
    const s = this.state[kind];
    const counted = countedServices(this.o.config(), this.o.app(), kind);
    const allOut =
      this.primary &&
      counted.enabled &&
      counted.dns.length > 0 &&
      counted.dns.every((d) => !this.o.isInService(d));
    if (!allOut) {
      this.reset(kind, true);
      return;
    }
    if (s.phase !== 'ok') return;
    s.phase = 'rechecking';
    this.o.logger.event('10-30032', { kind: kindText(kind), count: counted.dns.length });
    const waitMs = this.o.probeAgain(counted.dns) + RECHECK_MARGIN_MS;
    s.timer = this.o.clock.setTimer(waitMs, () => {
      s.timer = null;
      this.recheckDone(kind);
    });
  }

  private recheckDone(kind: ServiceKind): void {
    const s = this.state[kind];
    if (s.phase !== 'rechecking') return;
    const counted = countedServices(this.o.config(), this.o.app(), kind);
    const stillOut =
      this.primary &&
      counted.enabled &&
      counted.dns.length > 0 &&
      counted.dns.every((d) => !this.o.isInService(d));
    if (!stillOut) {
      s.phase = 'ok';
      return;
    }
    s.phase = 'failing';
    this.o.logger.event('10-30007', { kind: kindText(kind), count: counted.dns.length });
    this.o.health.set(
      serviceConditions[kind],
      false,
      `all ${counted.dns.length} ${kindText(kind)} DNs that count are out of service`,
    );
  }

  private reset(kind: ServiceKind, announce: boolean): void {
    const s = this.state[kind];
    if (s.timer !== null) this.o.clock.clearTimer(s.timer);
    s.timer = null;
    const was = s.phase;
    s.phase = 'ok';
    if (was !== 'failing') return;
    if (announce) {
      const back = countedServices(this.o.config(), this.o.app(), kind).dns.find((d) =>
        this.o.isInService(d),
      );
      this.o.logger.event('10-30033', { kind: kindText(kind), dn: back ?? '(check turned off)' });
    }
    this.o.health.set(serviceConditions[kind], true);
  }
}

function kindText(kind: ServiceKind): string {
  return kind === 'trunks' ? 'Trunk' : 'MSML Voice over IP Service';
}
