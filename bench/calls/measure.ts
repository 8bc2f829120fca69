/**
 * The four measurements, each on a running server with the callee (sipp UAS) registered:
 * REGISTER rate, CPU per call at a fixed rate, the highest call rate, and memory per established call.
 */
import { join } from 'node:path';
import type { Managed, Processes } from './children.ts';
import { judgeStep } from './criteria.ts';
import { percentile } from './percentile.ts';
import type { Plan } from './plan.ts';
import { freePort } from './ports.ts';
import { type Memory, treeCpuTicks, treeMemory } from './proc.ts';
import { searchHighestRate } from './search.ts';
import type { RunningServer } from './server.ts';
import { offeredRate, runSippClient, startSippClient } from './sipp.ts';
import { CALLEE, registerUsers, writeUsersCsv } from './users.ts';

export interface Scenarios {
  uac: string;
  uas: string;
  register: string;
}

export interface MeasureContext {
  processes: Processes;
  plan: Plan;
  scenarios: Scenarios;
  server: RunningServer;
  uas: Managed;
  uasPort: number;
  /** Scratch directory of this phase. */
  dir: string;
  clkTck: number;
  log: (line: string) => void;
}

export interface Step {
  rate: number;
  attempted: number;
  succeeded: number;
  failed: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  offered: number | undefined;
  /** CPU of the server's process tree during the step, ticks. */
  serverTicks: number;
  /** CPU of sipp (caller and, for calls, callee) during the step, ticks. */
  loaderTicks: number;
  wallMs: number;
  pass: boolean;
  reasons: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Numbers the runs of a process, so a repeated step gets its own directory (01-register-250, ...). */
let runSeq = 0;
const runName = (name: string) => `${String(++runSeq).padStart(2, '0')}-${name}`;

function assertServerUp(ctx: MeasureContext, during: string): void {
  if (!ctx.server.managed.isRunning()) {
    throw new Error(
      `${ctx.server.target} exited during ${during}; its output:\n${ctx.server.managed.tail()}`,
    );
  }
}

/** One bounded sipp run against the server, with the server's and the loader's CPU around it. */
async function step(
  ctx: MeasureContext,
  o: { kind: 'calls' | 'register'; name: string; rate: number; seconds: number; inf?: string },
): Promise<Step> {
  assertServerUp(ctx, o.name);
  const calls = Math.max(1, Math.round(o.rate * o.seconds));
  const isCall = o.kind === 'calls';
  const server0 = treeCpuTicks(ctx.server.managed.pid);
  const uas0 = isCall ? treeCpuTicks(ctx.uas.pid) : 0;
  const outcome = await runSippClient(ctx.processes, {
    name: runName(o.name),
    dir: ctx.dir,
    scenario: isCall ? ctx.scenarios.uac : ctx.scenarios.register,
    server: { host: ctx.server.host, port: ctx.server.sipPort },
    localPort: await freePort(),
    controlPort: await freePort(),
    calls,
    rate: o.rate,
    ...(isCall ? { callMs: ctx.plan.callMs, service: CALLEE, limit: Math.max(100, o.rate * 4) } : {}),
    ...(o.inf !== undefined ? { inf: o.inf } : {}),
    // New calls for `seconds`, each up to callMs + 8 s (recv_timeout) long, plus start-up: generous, bounded.
    deadlineMs: (o.seconds * 2 + (isCall ? ctx.plan.callMs / 1000 : 0) + 20) * 1000,
  });
  const serverTicks = treeCpuTicks(ctx.server.managed.pid) - server0;
  const uasTicks = isCall ? treeCpuTicks(ctx.uas.pid) - uas0 : 0;
  assertServerUp(ctx, o.name);
  const figures = {
    rate: o.rate,
    attempted: calls,
    failed: outcome.failed,
    p99Ms: percentile(outcome.rtts.valueMs, 99),
    offered: offeredRate(outcome.rtts.atMs),
  };
  const verdict = judgeStep(figures);
  const s: Step = {
    ...figures,
    succeeded: outcome.succeeded,
    p50Ms: percentile(outcome.rtts.valueMs, 50),
    serverTicks,
    loaderTicks: outcome.cpuTicks + uasTicks,
    wallMs: outcome.wallMs,
    pass: verdict.pass,
    reasons: verdict.reasons,
  };
  const cpu = (ticks: number) => `${Math.round((ticks / ctx.clkTck / (s.wallMs / 1000)) * 100)}%`;
  ctx.log(
    `  ${o.name}: ${o.rate}/s x ${o.seconds}s: ${s.succeeded}/${calls} ok, p50 ${s.p50Ms ?? '-'} ms, ` +
      `p99 ${s.p99Ms ?? '-'} ms, offered ${s.offered ? Math.round(s.offered) : '-'}/s, ` +
      `server CPU ${cpu(serverTicks)}, sipp CPU ${cpu(s.loaderTicks)} -> ${s.pass ? 'pass' : `FAIL (${s.reasons.join('; ')})`}`,
  );
  if (outcome.killedAtDeadline) ctx.log(`  (sipp ${o.name} was killed at its deadline; see ${outcome.dir})`);
  await sleep(ctx.plan.settleMs);
  return s;
}

/** Registers the callee (2000) with its Contact on the sipp UAS's port; throws unless the REGISTER got its 200. */
export async function registerCallee(ctx: MeasureContext): Promise<void> {
  const csv = join(ctx.dir, 'callee.csv');
  writeUsersCsv(csv, [CALLEE], `127.0.0.1:${ctx.uasPort}`);
  const out = await runSippClient(ctx.processes, {
    name: 'register-callee',
    dir: ctx.dir,
    scenario: ctx.scenarios.register,
    server: { host: ctx.server.host, port: ctx.server.sipPort },
    localPort: await freePort(),
    controlPort: await freePort(),
    calls: 1,
    rate: 1,
    inf: csv,
    deadlineMs: 15_000,
  });
  if (out.succeeded !== 1) {
    throw new Error(
      `REGISTER of ${CALLEE} to ${ctx.server.target} did not get a 200 (sipp exit ${out.exitCode}; see ${out.dir}/errors.log)`,
    );
  }
}

export interface RateResult {
  best: number;
  steps: Step[];
  /** Why the climb stopped, or undefined when the whole ladder passed (the limit is above the ladder). */
  stoppedBy: string | undefined;
}

export async function registerRate(ctx: MeasureContext): Promise<RateResult> {
  const csv = join(ctx.dir, 'register-users.csv');
  // The bindings point at a port nobody listens on: nothing is ever sent to them.
  writeUsersCsv(csv, registerUsers(ctx.plan.registerUsers), `127.0.0.1:${await freePort()}`);
  const r = await searchHighestRate(
    ctx.plan.registerRates,
    ctx.plan.registerRefine,
    (rate) =>
      step(ctx, {
        kind: 'register',
        name: `register-${rate}`,
        rate,
        seconds: ctx.plan.registerStepS,
        inf: csv,
      }),
    ctx.plan.retryFailedStep,
  );
  return { best: r.best, steps: r.steps, stoppedBy: r.stoppedBy?.reasons.join('; ') };
}

export async function callRate(ctx: MeasureContext): Promise<RateResult> {
  const r = await searchHighestRate(
    ctx.plan.callRates,
    ctx.plan.callRefine,
    (rate) => step(ctx, { kind: 'calls', name: `calls-${rate}`, rate, seconds: ctx.plan.callStepS }),
    ctx.plan.retryFailedStep,
  );
  return { best: r.best, steps: r.steps, stoppedBy: r.stoppedBy?.reasons.join('; ') };
}

export interface CpuResult {
  step: Step;
  /** Server CPU per successful call, microseconds. */
  usPerCall: number | undefined;
}

export async function cpuPerCall(ctx: MeasureContext): Promise<CpuResult> {
  const s = await step(ctx, {
    kind: 'calls',
    name: `cpu-${ctx.plan.cpuRate}`,
    rate: ctx.plan.cpuRate,
    seconds: ctx.plan.cpuStepS,
  });
  const usPerCall = s.succeeded > 0 ? (s.serverTicks * 1e6) / ctx.clkTck / s.succeeded : undefined;
  return { step: s, usPerCall };
}

export interface MemoryResult {
  /** Concurrent calls asked for, at this rate. */
  target: number;
  rate: number;
  /** Calls answered and still up when memory was read. */
  established: number;
  idle: Memory;
  loaded: Memory;
  /** (loaded - idle) / established, KiB. */
  pssPerCallKiB: number | undefined;
  rssPerCallKiB: number | undefined;
  note: string | undefined;
}

/** The median of three samples a second apart: one sample can land in the middle of a GC or a timer burst. */
async function sampleMemory(pid: number): Promise<Memory> {
  const samples: Memory[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(1000);
    samples.push(treeMemory(pid));
  }
  const mid = <T>(xs: T[], key: (x: T) => number) => xs.map(key).sort((a, b) => a - b)[1]!;
  return { rssKiB: mid(samples, (m) => m.rssKiB), pssKiB: mid(samples, (m) => m.pssKiB) };
}

export async function memoryPerCall(ctx: MeasureContext, rate: number): Promise<MemoryResult> {
  const p = ctx.plan;
  const target = Math.min(p.memCalls, rate * p.memRampMaxS);
  const rampS = Math.ceil(target / rate);
  const holdMs = (rampS + p.memHoldMarginS) * 1000;
  assertServerUp(ctx, 'the memory test');
  await sleep(p.settleMs);
  const idle = await sampleMemory(ctx.server.managed.pid);
  ctx.log(
    `  idle: RSS ${idle.rssKiB} KiB, Pss ${idle.pssKiB} KiB; ${target} calls of ${holdMs / 1000} s at ${rate}/s`,
  );
  const client = startSippClient(ctx.processes, {
    name: runName(`memory-${target}`),
    dir: ctx.dir,
    scenario: ctx.scenarios.uac,
    server: { host: ctx.server.host, port: ctx.server.sipPort },
    localPort: await freePort(),
    controlPort: await freePort(),
    calls: target,
    rate,
    callMs: holdMs,
    limit: target,
    service: CALLEE,
    deadlineMs: holdMs + 30_000,
  });
  // Until every call is answered (or cannot be any more), but never past the moment the first calls end.
  const until = Date.now() + holdMs - 3000;
  let established = 0;
  let failed = 0;
  while (Date.now() < until && client.managed.isRunning()) {
    established = client.answered();
    failed = Number(client.stats()['FailedCall(C)'] ?? 0);
    if (established + failed >= target) break;
    await sleep(250);
  }
  assertServerUp(ctx, 'the memory test');
  await sleep(1000); // the last ACKs
  const loaded = await sampleMemory(ctx.server.managed.pid);
  established = client.answered();
  failed = Number(client.stats()['FailedCall(C)'] ?? 0);
  await ctx.processes.stop(client.managed, 2000);
  await client.done.catch(() => undefined);
  const per = (a: number, b: number) => (established > 0 ? (a - b) / established : undefined);
  const notes: string[] = [];
  if (target < p.memCalls)
    notes.push(
      `${target} instead of ${p.memCalls} calls (--quick or the ramp limit of ${p.memRampMaxS} s at ${rate}/s)`,
    );
  if (established < target)
    notes.push(`only ${established} of ${target} calls established (${failed} failed)`);
  ctx.log(
    `  loaded: RSS ${loaded.rssKiB} KiB, Pss ${loaded.pssKiB} KiB with ${established} calls up` +
      (notes.length ? ` (${notes.join('; ')})` : ''),
  );
  return {
    target,
    rate,
    established,
    idle,
    loaded,
    pssPerCallKiB: per(loaded.pssKiB, idle.pssKiB),
    rssPerCallKiB: per(loaded.rssKiB, idle.rssKiB),
    note: notes.length ? notes.join('; ') : undefined,
  };
}
