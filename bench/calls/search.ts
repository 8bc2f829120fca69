/**
 * Finding the highest rate that passes: climb a ladder of rates until the first step fails, then halve the
 * gap between the last pass and that failure `refine` times. Each step is one bounded sipp run, so the whole
 * search is bounded by (ladder length + refine) steps, plus one repeat per failed step when `retry` is set.
 *
 * The repeat: the benchmark shares a small VM (2 vCPUs) with whatever else runs there, and a single stall of
 * half a second (seen as sipp "watchdog" warnings) fails a step at any rate. A failed step is therefore run
 * once more, and the rate counts only if the repeat passes on its own; both runs are reported.
 */
export interface SearchStep {
  rate: number;
  pass: boolean;
}

export interface SearchResult<S extends SearchStep> {
  /** The highest rate that passed; 0 when even the first step failed. */
  best: number;
  /** Every step run, in order. */
  steps: S[];
  /** The step that stopped the climb; undefined when the whole ladder passed (the real limit is higher). */
  stoppedBy: S | undefined;
}

export function checkLadder(rates: readonly number[]): void {
  if (rates.length === 0) throw new Error('rate ladder: at least one rate is needed');
  rates.forEach((r, i) => {
    if (!(Number.isInteger(r) && r > 0)) throw new Error(`rate ladder: ${r} is not a positive integer`);
    if (i > 0 && r <= rates[i - 1]!) throw new Error(`rate ladder: ${r} does not rise after ${rates[i - 1]}`);
  });
}

/** The midpoint rounded to a readable step (10s above 100/s, 5s above 20/s, else 1s); undefined if none lies strictly between. */
export function midpoint(lo: number, hi: number): number | undefined {
  const grain = hi > 100 ? 10 : hi > 20 ? 5 : 1;
  const mid = Math.round((lo + hi) / 2 / grain) * grain;
  return mid > lo && mid < hi ? mid : undefined;
}

export async function searchHighestRate<S extends SearchStep>(
  rates: readonly number[],
  refine: number,
  runStep: (rate: number) => Promise<S>,
  retry = false,
): Promise<SearchResult<S>> {
  checkLadder(rates);
  const steps: S[] = [];
  const attempt = async (rate: number): Promise<S> => {
    let step = await runStep(rate);
    steps.push(step);
    if (!step.pass && retry) {
      step = await runStep(rate);
      steps.push(step);
    }
    return step;
  };
  let best = 0;
  let stoppedBy: S | undefined;
  for (const rate of rates) {
    const step = await attempt(rate);
    if (!step.pass) {
      stoppedBy = step;
      break;
    }
    best = rate;
  }
  if (stoppedBy && best > 0) {
    let hi = stoppedBy.rate;
    for (let i = 0; i < refine; i++) {
      const mid = midpoint(best, hi);
      if (mid === undefined) break;
      const step = await attempt(mid);
      if (step.pass) best = mid;
      else hi = mid;
    }
  }
  return { best, steps, stoppedBy };
}
