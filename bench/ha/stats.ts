/** Summaries of a list of measured times: nearest-rank percentiles (bench/calls/percentile.ts). */
import { percentile } from '../calls/percentile.ts';

export interface Summary {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  return {
    n: values.length,
    min: Math.min(...values),
    median: percentile(values, 50)!,
    p90: percentile(values, 90)!,
    max: Math.max(...values),
  };
}
