/**
 * Percentiles by the nearest-rank method: the p-th percentile of n sorted values is the value at rank
 * ceil(p/100 * n). It is always one of the measured values (no interpolation between two response times that
 * sipp measured in whole milliseconds).
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (!(p > 0 && p <= 100)) throw new Error(`percentile: p must be in (0, 100], got ${p}`);
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
