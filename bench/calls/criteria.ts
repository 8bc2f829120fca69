/**
 * When a load step counts as carried (the issue: "the highest call rate with <0.1% failures and p99
 * INVITE->200 < 200 ms"), plus one condition of our own: sipp must really have offered at least 95% of the
 * asked rate. Without it a step that the loader (or a server slowing the loader down through sipp's limit on
 * open calls) could not drive at full rate would pass at a rate it never saw.
 */
export const criteria = {
  maxFailedRatio: 0.001,
  maxP99Ms: 200,
  minOfferedRatio: 0.95,
} as const;

export interface StepFigures {
  /** The rate asked for, per second. */
  rate: number;
  /** Calls (or REGISTERs) asked for. */
  attempted: number;
  /** Those that did not succeed, including those never started. */
  failed: number;
  /** p99 of INVITE->200 (REGISTER->200) over the answered ones, ms; undefined when none was answered. */
  p99Ms: number | undefined;
  /** The rate sipp really offered, per second; undefined when it cannot be told (fewer than 2 answers). */
  offered: number | undefined;
}

export interface Verdict {
  pass: boolean;
  /** Why it did not pass, one short phrase per unmet condition. */
  reasons: string[];
}

export function judgeStep(s: StepFigures): Verdict {
  const reasons: string[] = [];
  if (s.attempted <= 0) reasons.push('no calls attempted');
  else if (s.failed / s.attempted >= criteria.maxFailedRatio) {
    reasons.push(`${s.failed}/${s.attempted} failed (>= ${criteria.maxFailedRatio * 100}%)`);
  }
  if (s.p99Ms === undefined) reasons.push('no answers');
  else if (s.p99Ms >= criteria.maxP99Ms) reasons.push(`p99 ${s.p99Ms} ms (>= ${criteria.maxP99Ms} ms)`);
  if (s.offered !== undefined && s.offered < s.rate * criteria.minOfferedRatio) {
    reasons.push(`offered ${Math.round(s.offered)}/s (< ${criteria.minOfferedRatio * 100}% of ${s.rate}/s)`);
  }
  return { pass: reasons.length === 0, reasons };
}
