/**
 * How much load each mode applies. Full: `npm run bench:calls`, bounded to about 4-5 minutes per server so both
 * fit in 15 minutes on this 2-core machine. Quick (`--quick`, for CI): the same procedure with short steps,
 * a coarse ladder (x4 per step), no repeat of a failed step, and 2,000 instead of 10,000 concurrent calls,
 * under a minute per server.
 */
import { checkLadder } from './search.ts';

export interface Plan {
  mode: 'full' | 'quick';
  /** REGISTER-rate search: ladder (per second), refinements, seconds per step, distinct users. */
  registerRates: number[];
  registerRefine: number;
  registerStepS: number;
  registerUsers: number;
  /** Call-rate search: ladder (calls per second), refinements, seconds of new calls per step. */
  callRates: number[];
  callRefine: number;
  callStepS: number;
  /** Length of each call in the rate and CPU steps (the issue: 1 s calls). */
  callMs: number;
  /** CPU per call: one step at this fixed rate, for this many seconds of new calls. */
  cpuRate: number;
  cpuStepS: number;
  /** Memory per established call: this many concurrent calls, started at up to memRate per second. */
  memCalls: number;
  memRate: number;
  /** The ramp may take at most this long; fewer calls are used when the rate would need longer. */
  memRampMaxS: number;
  /** Calls last ramp + this margin, so every call is still up while memory is read. */
  memHoldMarginS: number;
  /** Run a failed step once more before it counts as failed (search.ts says why). */
  retryFailedStep: boolean;
  /** Pause between steps, so one step's tail (transactions in their wait states) does not load the next. */
  settleMs: number;
}

export const fullPlan: Plan = {
  mode: 'full',
  registerRates: [250, 500, 1000, 2000, 3000, 4000, 6000, 8000],
  registerRefine: 1,
  registerStepS: 5,
  registerUsers: 1000,
  callRates: [50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000, 2500, 3000],
  callRefine: 1,
  callStepS: 10,
  callMs: 1000,
  cpuRate: 200,
  cpuStepS: 15,
  memCalls: 10_000,
  memRate: 500,
  memRampMaxS: 40,
  memHoldMarginS: 15,
  retryFailedStep: true,
  settleMs: 2000,
};

export const quickPlan: Plan = {
  mode: 'quick',
  registerRates: [500, 2000, 8000],
  registerRefine: 0,
  registerStepS: 2,
  registerUsers: 1000,
  callRates: [100, 400, 1600],
  callRefine: 0,
  callStepS: 2,
  callMs: 1000,
  cpuRate: 200,
  cpuStepS: 3,
  memCalls: 2000,
  memRate: 400,
  memRampMaxS: 8,
  memHoldMarginS: 6,
  retryFailedStep: false,
  settleMs: 500,
};

export function checkPlan(p: Plan): void {
  checkLadder(p.registerRates);
  checkLadder(p.callRates);
  if (p.memCalls < 1 || p.memRate < 1) throw new Error('plan: memCalls and memRate must be at least 1');
}
