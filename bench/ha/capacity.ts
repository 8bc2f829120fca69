/**
 * Part 2: call capacity of the pair's primary (backup in sync, every call replicated to it) against one
 * `duet server` alone, same options, same machine, same run. Both systems are up at once on different SIP
 * ports (the idle one costs nothing but memory) and the ladders are climbed interleaved: rate r on the
 * standalone server, then rate r on the pair, then the next rate, so that a change in the machine's load hits
 * both alike. Each step is bench/calls' procedure: `rate x stepS` new calls of 1 s (uac.xml -> server ->
 * uas.xml), and the step passes with < 0.1% failed, p99 INVITE->200 < 200 ms (every call's time from sipp
 * -trace_rtt) and >= 95% of the rate really offered (bench/calls/criteria.ts). A failed step is run again, up
 * to `stepAttempts` runs in all, and the rate counts when one passes; after the first rate that does not,
 * `refine` halvings of the gap. Server CPU per successful call is kept for every step: unlike the p99 limit
 * it hardly depends on what else the machine runs.
 */
import type { Processes } from '../calls/children.ts';
import { judgeStep } from '../calls/criteria.ts';
import { percentile } from '../calls/percentile.ts';
import { freePort } from '../calls/ports.ts';
import { treeCpuTicks } from '../calls/proc.ts';
import { midpoint } from '../calls/search.ts';
import { offeredRate, runSippClient } from '../calls/sipp.ts';
import { LOAD_CALLEE } from './pair.ts';
import { scenarios } from './phones.ts';
import type { HaPlan } from './plan.ts';

export type SystemName = 'standalone' | 'pair';

export interface CapacitySystem {
  name: SystemName;
  sipPort: number;
  /** Processes whose CPU is counted, by label (the pair: primary and backup). */
  pids(): Promise<Record<string, number>>;
  /** After a step: anything worth noting (the pair: whether the backup was still in sync). */
  afterStep?(): Promise<string | undefined>;
  isUp(): boolean;
}

export interface CapacityStep {
  system: SystemName;
  rate: number;
  attempted: number;
  succeeded: number;
  failed: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  offered: number | undefined;
  /** CPU % of one core per counted process over the step. */
  cpu: Record<string, number>;
  /** CPU per successful call, microseconds, per counted process. */
  usPerCall: Record<string, number>;
  loaderCpu: number;
  wallMs: number;
  pass: boolean;
  reasons: string[];
  note?: string;
  loadAvg: number;
}

export interface CapacityResult {
  best: Record<SystemName, number>;
  /** True when the ladder's top passed: the limit is higher. */
  topPassed: Record<SystemName, boolean>;
  steps: CapacityStep[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seq = 0;

async function step(
  processes: Processes,
  plan: HaPlan,
  sys: CapacitySystem,
  rate: number,
  ctx: { dir: string; clkTck: number; loadAvg: () => number; log: (l: string) => void },
): Promise<CapacityStep> {
  if (!sys.isUp()) throw new Error(`the ${sys.name} system is down`);
  const calls = Math.max(1, Math.round(rate * plan.capacityStepS));
  const pids = await sys.pids();
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, treeCpuTicks(pid)]));
  const loadAvg = ctx.loadAvg();
  const out = await runSippClient(processes, {
    name: `${String(++seq).padStart(2, '0')}-${sys.name}-${rate}`,
    dir: ctx.dir,
    scenario: scenarios.uac,
    server: { host: '127.0.0.1', port: sys.sipPort },
    localPort: await freePort(),
    controlPort: await freePort(),
    calls,
    rate,
    callMs: plan.callMs,
    limit: Math.max(100, rate * 4),
    service: LOAD_CALLEE,
    deadlineMs: (plan.capacityStepS * 2 + plan.callMs / 1000 + 20) * 1000,
  });
  const secs = out.wallMs / 1000;
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [
      k,
      Math.round((((treeCpuTicks(pid) - (before[k] ?? 0)) / ctx.clkTck) * 100) / secs),
    ]),
  );
  const usPerCall = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [
      k,
      out.succeeded > 0
        ? Math.round(((treeCpuTicks(pid) - (before[k] ?? 0)) * 1e6) / ctx.clkTck / out.succeeded)
        : 0,
    ]),
  );
  const figures = {
    rate,
    attempted: calls,
    failed: out.failed,
    p99Ms: percentile(out.rtts.valueMs, 99),
    offered: offeredRate(out.rtts.atMs),
  };
  const verdict = judgeStep(figures);
  const note = await sys.afterStep?.();
  const s: CapacityStep = {
    system: sys.name,
    ...figures,
    succeeded: out.succeeded,
    p50Ms: percentile(out.rtts.valueMs, 50),
    cpu,
    usPerCall,
    loaderCpu: Math.round(((out.cpuTicks / ctx.clkTck) * 100) / secs),
    wallMs: out.wallMs,
    pass: verdict.pass,
    reasons: verdict.reasons,
    loadAvg,
    ...(note ? { note } : {}),
  };
  ctx.log(
    `  ${sys.name} ${rate}/s: ${s.succeeded}/${calls} ok, p50 ${s.p50Ms ?? '-'} ms, p99 ${s.p99Ms ?? '-'} ms, ` +
      `offered ${s.offered ? Math.round(s.offered) : '-'}/s, CPU ${Object.entries(cpu)
        .map(([k, v]) => `${k} ${v}%`)
        .join(', ')}, sipp ${s.loaderCpu}%, load ${loadAvg.toFixed(2)} -> ${
        s.pass ? 'pass' : `FAIL (${s.reasons.join('; ')})`
      }${note ? ` [${note}]` : ''}`,
  );
  await sleep(plan.settleMs);
  return s;
}

export async function compareCapacity(o: {
  processes: Processes;
  plan: HaPlan;
  systems: CapacitySystem[];
  dir: string;
  clkTck: number;
  loadAvg: () => number;
  log: (line: string) => void;
}): Promise<CapacityResult> {
  const { plan } = o;
  const steps: CapacityStep[] = [];
  const attempt = async (sys: CapacitySystem, rate: number): Promise<boolean> => {
    for (let i = 0; i < plan.stepAttempts; i++) {
      const s = await step(o.processes, plan, sys, rate, o);
      steps.push(s);
      if (s.pass) return true;
    }
    return false;
  };
  const best = { standalone: 0, pair: 0 } as Record<SystemName, number>;
  const failedAt = {} as Partial<Record<SystemName, number>>;
  for (const rate of plan.capacityRates) {
    const climbing = o.systems.filter((s) => failedAt[s.name] === undefined);
    if (climbing.length === 0) break;
    for (const sys of climbing) {
      if (await attempt(sys, rate)) best[sys.name] = rate;
      else failedAt[sys.name] = rate;
    }
  }
  // Refinement, still interleaved.
  for (let i = 0; i < plan.capacityRefine; i++) {
    for (const sys of o.systems) {
      const hi = failedAt[sys.name];
      if (hi === undefined || best[sys.name] === 0) continue;
      const mid = midpoint(best[sys.name], hi);
      if (mid === undefined) continue;
      if (await attempt(sys, mid)) best[sys.name] = mid;
      else failedAt[sys.name] = mid;
    }
  }
  const topPassed = {
    standalone: failedAt.standalone === undefined,
    pair: failedAt.pair === undefined,
  };
  return { best, topPassed, steps };
}
