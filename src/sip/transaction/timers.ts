/**
 * The RFC 3261 timer values (§17.1.1.1, Table 4 of §A). T1, T2 and T4 are configurable (§17.1.1.1 allows a
 * larger T1 where RTTs are known to be large, and the simulator may shrink them); every other timer is derived.
 */
export interface TimerConfig {
  /** RTT estimate, ms. Default 500. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, ms. Default 4000. */
  T2: number;
  /** Maximum time a message remains in the network, ms. Default 5000. */
  T4: number;
}

export const DEFAULT_TIMERS: Readonly<TimerConfig> = Object.freeze({ T1: 500, T2: 4000, T4: 5000 });

/** §17.2.1: a server sends 100 Trying unless the TU answers within 200 ms. */
export const TRYING_DELAY_MS = 200;

/**
 * Timer D on unreliable transports: "at least 32 seconds" (§17.1.1.2). When T1 is raised, 64*T1 is used
 * instead, because D exists to absorb the server's retransmissions of the final response, which last up to
 * timer H = 64*T1 (§17.2.1).
 */
export function timerD(timers: TimerConfig, reliable: boolean): number {
  return reliable ? 0 : Math.max(32_000, 64 * timers.T1);
}

/** Fills in the defaults and refuses values that would break the retransmission arithmetic. */
export function resolveTimers(partial?: Partial<TimerConfig>): TimerConfig {
  const t: TimerConfig = { ...DEFAULT_TIMERS, ...partial };
  for (const name of ['T1', 'T2', 'T4'] as const) {
    const v = t[name];
    if (!Number.isFinite(v) || v <= 0) {
      throw new RangeError(`SIP timer ${name} must be a positive number of milliseconds, got ${v}`);
    }
  }
  if (t.T2 < t.T1) {
    throw new RangeError(
      `SIP timer T2 (${t.T2} ms) must not be smaller than T1 (${t.T1} ms) (RFC 3261 §17.1.2.2)`,
    );
  }
  return t;
}
