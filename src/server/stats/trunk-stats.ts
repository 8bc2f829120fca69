/**
 * Per-trunk statistics (SPEC S7, /server?sipTrunkStatistics): current and total calls, the call rate, the
 * negative final responses by class, overflows (S2.7), and the in-service state and OOS detections (S2.8).
 * The B2BUA reports calls and responses; the OOS checker is read at snapshot time. Counters are this
 * server's own since it started (they are statistics, not replicated state); `setCurrentCalls` lets the
 * server recount the calls in progress from the store after a promotion.
 */
import type { Dn } from '../../config/config.ts';
import type { Clock } from '../../runtime/clock.ts';

/** What the statistics read of the OOS checker (OosChecker satisfies it). */
export interface TrunkServiceView {
  isInService(dn: string): boolean;
  statsOf(dn: string): { oosDetections: number } | undefined;
}

/** The call rate is calls in the last RATE_WINDOW_S seconds divided by it. */
export const RATE_WINDOW_S = 60;

export interface TrunkStatsRow {
  dn: string;
  contact: string | null;
  inService: boolean;
  /** Whether oos-check probes this trunk (otherwise inService is never false by detection). */
  oosChecked: boolean;
  oosDetections: number;
  currentCalls: number;
  totalCalls: number;
  /** Calls per second over the last 60 s. */
  callRate: number;
  responses4xx: number;
  responses5xx: number;
  responses6xx: number;
  overflows: number;
}

export interface TrunkStatsSnapshot {
  /** Clock time of the snapshot (ms) and the same as ISO text. */
  time: number;
  isoTime: string;
  rateWindowSeconds: number;
  trunks: TrunkStatsRow[];
  totals: Omit<TrunkStatsRow, 'dn' | 'contact' | 'inService' | 'oosChecked'> & {
    inService: number;
    trunks: number;
  };
}

interface Counters {
  current: number;
  total: number;
  r4xx: number;
  r5xx: number;
  r6xx: number;
  overflows: number;
  /** Calls started in each second of the window: slot = second % 60, with the second it counts. */
  slots: number[];
  slotSecond: number[];
}

export interface TrunkStatsDeps {
  clock: Clock;
  /** The DNs in force, read at each snapshot (trunks added or removed by a reload show up). */
  dns(): Iterable<Dn>;
}

export class TrunkStats {
  private readonly counters = new Map<string, Counters>();

  constructor(
    private readonly deps: TrunkStatsDeps,
    private readonly oos?: TrunkServiceView,
  ) {}

  callStarted(dn: string): void {
    const c = this.countersOf(dn);
    c.current++;
    c.total++;
    const second = Math.floor(this.deps.clock.now() / 1000);
    const slot = ((second % RATE_WINDOW_S) + RATE_WINDOW_S) % RATE_WINDOW_S;
    if (c.slotSecond[slot] !== second) {
      c.slotSecond[slot] = second;
      c.slots[slot] = 0;
    }
    c.slots[slot]!++;
  }

  callEnded(dn: string): void {
    const c = this.countersOf(dn);
    // Never below zero: a call that started before this server counted (a promotion) may end here.
    if (c.current > 0) c.current--;
  }

  /** A final response to a request sent to the trunk; only the negative classes are counted. */
  finalResponse(dn: string, status: number): void {
    const c = this.countersOf(dn);
    if (status >= 400 && status < 500) c.r4xx++;
    else if (status >= 500 && status < 600) c.r5xx++;
    else if (status >= 600 && status < 700) c.r6xx++;
  }

  /** A call given up on this trunk and tried on the next (sip-error-codes-overflow, S2.7). */
  overflow(dn: string): void {
    this.countersOf(dn).overflows++;
  }

  /** Sets the calls in progress per trunk (a recount from the store, e.g. after a promotion). */
  setCurrentCalls(current: Record<string, number>): void {
    for (const c of this.counters.values()) c.current = 0;
    for (const [dn, n] of Object.entries(current)) this.countersOf(dn).current = Math.max(0, Math.floor(n));
  }

  /**
   * Every Trunk DN of the configuration, in DN order. `oos` overrides the view given to the constructor (for
   * a checker created after the statistics).
   */
  snapshot(
    now: number = this.deps.clock.now(),
    oos: TrunkServiceView | undefined = this.oos,
  ): TrunkStatsSnapshot {
    const trunks = [...this.deps.dns()]
      .filter((d) => d.type === 'Trunk')
      .sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0))
      .map((d) => this.row(d.number, d.options.contact ?? null, now, oos));
    const totals = {
      trunks: trunks.length,
      inService: trunks.filter((t) => t.inService).length,
      oosDetections: 0,
      currentCalls: 0,
      totalCalls: 0,
      callRate: 0,
      responses4xx: 0,
      responses5xx: 0,
      responses6xx: 0,
      overflows: 0,
    };
    for (const t of trunks) {
      totals.oosDetections += t.oosDetections;
      totals.currentCalls += t.currentCalls;
      totals.totalCalls += t.totalCalls;
      totals.callRate += t.callRate;
      totals.responses4xx += t.responses4xx;
      totals.responses5xx += t.responses5xx;
      totals.responses6xx += t.responses6xx;
      totals.overflows += t.overflows;
    }
    totals.callRate = round(totals.callRate);
    return {
      time: now,
      isoTime: new Date(now).toISOString(),
      rateWindowSeconds: RATE_WINDOW_S,
      trunks,
      totals,
    };
  }

  private row(
    dn: string,
    contact: string | null,
    now: number,
    view: TrunkServiceView | undefined,
  ): TrunkStatsRow {
    const c = this.counters.get(dn);
    const oos = view?.statsOf(dn);
    return {
      dn,
      contact,
      inService: view?.isInService(dn) ?? true,
      oosChecked: oos !== undefined,
      oosDetections: oos?.oosDetections ?? 0,
      currentCalls: c?.current ?? 0,
      totalCalls: c?.total ?? 0,
      callRate: c === undefined ? 0 : round(callsInWindow(c, now) / RATE_WINDOW_S),
      responses4xx: c?.r4xx ?? 0,
      responses5xx: c?.r5xx ?? 0,
      responses6xx: c?.r6xx ?? 0,
      overflows: c?.overflows ?? 0,
    };
  }

  private countersOf(dn: string): Counters {
    let c = this.counters.get(dn);
    if (c === undefined) {
      c = {
        current: 0,
        total: 0,
        r4xx: 0,
        r5xx: 0,
        r6xx: 0,
        overflows: 0,
        slots: new Array<number>(RATE_WINDOW_S).fill(0),
        slotSecond: new Array<number>(RATE_WINDOW_S).fill(Number.NEGATIVE_INFINITY),
      };
      this.counters.set(dn, c);
    }
    return c;
  }
}

/** Calls started in the 60 whole seconds ending with the current one. */
function callsInWindow(c: Counters, now: number): number {
  const second = Math.floor(now / 1000);
  let n = 0;
  for (let i = 0; i < RATE_WINDOW_S; i++) {
    const s = c.slotSecond[i]!;
    if (s <= second && s > second - RATE_WINDOW_S) n += c.slots[i]!;
  }
  return n;
}

/** Three decimals: a rate, not a measurement of the float unit. */
function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
