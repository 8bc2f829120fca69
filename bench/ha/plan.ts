/**
 * How much each part of bench/ha does. Full (`node --import tsx bench/ha/run.ts`): about 12 minutes on the
 * shared 2-core VM. Quick (`--quick`): the same procedures, fewer kills, a short coarse ladder, fewer calls to
 * resync; under 3 minutes.
 */
import { checkLadder } from '../calls/search.ts';

export interface HaPlan {
  mode: 'full' | 'quick';
  /** Takeover: kills, calls held up through each kill, the rate they are set up at, how long each lasts. */
  kills: number;
  heldCalls: number;
  heldRate: number;
  heldCallMs: number;
  /** A new probe call every probeEveryMs after the kill; give up after takeoverTimeoutMs. */
  probeEveryMs: number;
  takeoverTimeoutMs: number;
  /**
   * Kill a server only when its process is at least this old. The SCS restarts a server that dies younger
   * than 30 s with a backoff (1 s doubling to 30 s, pair-controller.ts), as a crash loop; a server killed
   * every other round would otherwise come back later and later. 0: no wait (the restart delays are then
   * part of the cycle, not of the takeover, and are reported).
   */
  minAgeBeforeKillMs: number;
  /**
   * Capacity: ladder of calls/s, seconds of new 1 s calls per step, refinements, and how many times a step
   * may be run before it counts as failed (a rate counts as carried when one of them passes: on this shared
   * VM one stall of other jobs' making fails a step at any rate, and hits both systems alike).
   */
  capacityRates: number[];
  capacityStepS: number;
  capacityRefine: number;
  stepAttempts: number;
  callMs: number;
  settleMs: number;
  /** Resync: calls up on the primary when the backup is killed, the rate they are set up at. */
  resyncCalls: number;
  resyncRate: number;
  /** ha-max-calls-sync-at-once of both servers (the default, 500). */
  syncAtOnce: number;
}

export const fullPlan: HaPlan = {
  mode: 'full',
  kills: 20,
  heldCalls: 100,
  heldRate: 100,
  heldCallMs: 8000,
  probeEveryMs: 50,
  takeoverTimeoutMs: 30_000,
  minAgeBeforeKillMs: 33_000,
  capacityRates: [100, 200, 300, 400, 500, 600, 700, 800, 1000, 1200],
  capacityStepS: 10,
  capacityRefine: 1,
  stepAttempts: 3,
  callMs: 1000,
  settleMs: 2000,
  resyncCalls: 2500,
  resyncRate: 250,
  syncAtOnce: 500,
};

export const quickPlan: HaPlan = {
  mode: 'quick',
  kills: 5,
  heldCalls: 100,
  heldRate: 100,
  heldCallMs: 6000,
  probeEveryMs: 50,
  takeoverTimeoutMs: 30_000,
  minAgeBeforeKillMs: 0,
  capacityRates: [100, 300, 600],
  capacityStepS: 3,
  capacityRefine: 0,
  stepAttempts: 1,
  callMs: 1000,
  settleMs: 500,
  resyncCalls: 1500,
  resyncRate: 300,
  syncAtOnce: 500,
};

export function checkPlan(p: HaPlan): void {
  checkLadder(p.capacityRates);
  if (p.kills < 1 || p.heldCalls < 1 || p.resyncCalls < 1) throw new Error('plan: counts must be at least 1');
  if (!(Number.isInteger(p.stepAttempts) && p.stepAttempts >= 1)) throw new Error('plan: stepAttempts >= 1');
  if (p.syncAtOnce < 200 || p.syncAtOnce > 1000)
    throw new Error('plan: ha-max-calls-sync-at-once is 200-1000');
}
