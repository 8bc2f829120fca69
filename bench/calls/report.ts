/**
 * The results as a Markdown section: the figures side by side with Duet/Kamailio ratios, how they were
 * measured, and every step, so that a reader can see where each limit came from. The same text is printed
 * and written into bench/RESULTS.md, where it replaces only its own section.
 */
import { criteria } from './criteria.ts';
import type { Machine } from './machine.ts';
import type { CpuResult, MemoryResult, RateResult, Step } from './measure.ts';
import type { Plan } from './plan.ts';
import type { TargetName } from './server.ts';

export const SECTION_HEADING = '## Calls through one server: Duet vs Kamailio';

export interface TargetResult {
  target: TargetName;
  loadAvgAtStart: number;
  register?: RateResult;
  cpu?: CpuResult;
  calls?: RateResult;
  memory?: MemoryResult;
  /** Set when the target could not be measured to the end; what was measured before stays. */
  error?: string;
}

export interface RunInfo {
  date: string;
  command: string;
  durationS: number;
  machine: Machine;
  plan: Plan;
}

/** A figure, possibly only a bound: the ladder's top passed (at least) or its first step failed (below). */
interface Figure {
  value: number | undefined;
  bound: 'exact' | 'atLeast' | 'below';
}

function rateFigure(r: RateResult | undefined, ladder: readonly number[]): Figure {
  if (!r) return { value: undefined, bound: 'exact' };
  if (r.best === 0) return { value: ladder[0], bound: 'below' };
  return { value: r.best, bound: r.stoppedBy === undefined ? 'atLeast' : 'exact' };
}

const exact = (value: number | undefined): Figure => ({ value, bound: 'exact' });

function fmt(f: Figure, digits = 0): string {
  if (f.value === undefined) return 'n/a';
  const v = f.value.toFixed(digits);
  return f.bound === 'atLeast' ? `>= ${v}` : f.bound === 'below' ? `< ${v}` : v;
}

/** Duet / Kamailio, with the direction a bound forces on it; n/a when it cannot be told. */
export function ratio(duet: Figure, kamailio: Figure): string {
  if (duet.value === undefined || kamailio.value === undefined || kamailio.value === 0) return 'n/a';
  const r = (duet.value / kamailio.value).toFixed(2);
  const up = duet.bound === 'atLeast' || kamailio.bound === 'below';
  const down = duet.bound === 'below' || kamailio.bound === 'atLeast';
  if (up && down) return 'n/a';
  return up ? `>= ${r}` : down ? `<= ${r}` : r;
}

function p99AtBest(r: RateResult | undefined): number | undefined {
  if (!r || r.best === 0) return undefined;
  return r.steps.find((s) => s.rate === r.best && s.pass)?.p99Ms;
}

interface Row {
  label: string;
  better: 'higher' | 'lower';
  get: (t: TargetResult) => Figure;
  digits?: number;
}

function rows(plan: Plan): Row[] {
  const crit = `<${criteria.maxFailedRatio * 100}% failed, p99 < ${criteria.maxP99Ms} ms`;
  return [
    {
      label: `highest call rate, calls/s (1 s calls; ${crit} INVITE->200)`,
      better: 'higher',
      get: (t) => rateFigure(t.calls, plan.callRates),
    },
    { label: 'p99 INVITE->200 at that rate, ms', better: 'lower', get: (t) => exact(p99AtBest(t.calls)) },
    {
      label: `server CPU per call at ${plan.cpuRate} calls/s, us`,
      better: 'lower',
      get: (t) => exact(t.cpu?.usPerCall),
    },
    {
      label: 'memory per established call, KiB (Pss)',
      better: 'lower',
      get: (t) => exact(t.memory?.pssPerCallKiB),
      digits: 2,
    },
    {
      label: 'memory per established call, KiB (RSS)',
      better: 'lower',
      get: (t) => exact(t.memory?.rssPerCallKiB),
      digits: 2,
    },
    {
      label: `highest REGISTER rate, /s (${crit})`,
      better: 'higher',
      get: (t) => rateFigure(t.register, plan.registerRates),
    },
  ];
}

export function renderFigures(
  plan: Plan,
  duet: TargetResult | undefined,
  kamailio: TargetResult | undefined,
): string {
  const lines = ['| figure | Duet | Kamailio | Duet/Kamailio | better |', '|---|---:|---:|---:|---|'];
  for (const row of rows(plan)) {
    const d = duet ? row.get(duet) : exact(undefined);
    const k = kamailio ? row.get(kamailio) : exact(undefined);
    lines.push(
      `| ${row.label} | ${fmt(d, row.digits)} | ${fmt(k, row.digits)} | ${ratio(d, k)} | ${row.better} |`,
    );
  }
  const conc = (t: TargetResult | undefined) =>
    t?.memory ? `${t.memory.established} calls at ${t.memory.rate}/s` : 'n/a';
  lines.push(`| concurrent calls in the memory test | ${conc(duet)} | ${conc(kamailio)} | | |`);
  return lines.join('\n');
}

/** The issue's target: Duet's call capacity at least Kamailio's. */
export function targetVerdict(
  plan: Plan,
  duet: TargetResult | undefined,
  kamailio: TargetResult | undefined,
): string {
  if (!duet?.calls || !kamailio?.calls) return 'not measured (both servers are needed)';
  const d = rateFigure(duet.calls, plan.callRates);
  const k = rateFigure(kamailio.calls, plan.callRates);
  if (d.bound === 'atLeast' && k.bound === 'atLeast') return 'undecided: both carried the whole ladder';
  const met = d.bound === 'atLeast' || (d.value ?? 0) >= (k.value ?? 0);
  const coarse =
    plan.mode === 'quick' ? '; --quick climbs x4 per step, so this is a smoke check, not a figure' : '';
  return `${met ? 'met' : 'NOT met'} (Duet ${fmt(d)} calls/s, Kamailio ${fmt(k)} calls/s${coarse})`;
}

function stepRows(title: string, steps: readonly Step[], clkTck: number): string[] {
  const pct = (ticks: number, wallMs: number) => `${Math.round((ticks / clkTck / (wallMs / 1000)) * 100)}%`;
  const out = [
    `| ${title} | rate/s | ok/asked | p50 ms | p99 ms | offered/s | server CPU | sipp CPU | verdict |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  steps.forEach((s, i) => {
    out.push(
      `| ${i + 1} | ${s.rate} | ${s.succeeded}/${s.attempted} | ${s.p50Ms ?? '-'} | ${s.p99Ms ?? '-'} | ` +
        `${s.offered === undefined ? '-' : Math.round(s.offered)} | ${pct(s.serverTicks, s.wallMs)} | ` +
        `${pct(s.loaderTicks, s.wallMs)} | ${s.pass ? 'pass' : s.reasons.join('; ')} |`,
    );
  });
  return out;
}

function renderTarget(t: TargetResult, clkTck: number): string {
  const name = t.target === 'duet' ? 'Duet' : 'Kamailio';
  const out = [`#### ${name}`, '', `Load average when it started: ${t.loadAvgAtStart.toFixed(2)}.`];
  if (t.error) out.push('', `**Not measured to the end:** ${t.error.split('\n')[0]}`);
  if (t.register) out.push('', ...stepRows('REGISTER step', t.register.steps, clkTck));
  if (t.cpu) out.push('', ...stepRows('CPU step', [t.cpu.step], clkTck));
  if (t.calls) out.push('', ...stepRows('call step', t.calls.steps, clkTck));
  if (t.memory) {
    const m = t.memory;
    out.push(
      '',
      `Memory: idle RSS ${m.idle.rssKiB} KiB / Pss ${m.idle.pssKiB} KiB; with ${m.established} calls up ` +
        `RSS ${m.loaded.rssKiB} KiB / Pss ${m.loaded.pssKiB} KiB` +
        (m.note ? ` (${m.note})` : '') +
        '.',
    );
  }
  return out.join('\n');
}

export function renderSection(run: RunInfo, results: readonly TargetResult[]): string {
  const duet = results.find((r) => r.target === 'duet');
  const kamailio = results.find((r) => r.target === 'kamailio');
  const m = run.machine;
  const p = run.plan;
  const minutes = `${Math.floor(run.durationS / 60)} min ${Math.round(run.durationS % 60)} s`;
  return [
    SECTION_HEADING,
    '',
    `Run ${run.date} (${p.mode} mode, ${minutes}), commit ${m.commit}: \`${run.command}\``,
    '',
    `Machine: ${m.cpus} CPUs (${m.model}), ${m.memGiB} GiB RAM, Linux ${m.kernel}; Node ${m.node}, ${m.sipp}, ${m.kamailio}.`,
    '',
    renderFigures(p, duet, kamailio),
    '',
    `Target "call capacity at least equal to Kamailio's on this machine": ${targetVerdict(p, duet, kamailio)}.`,
    '',
    '### How it is measured',
    '',
    '- One server at a time on 127.0.0.1, UDP only; the caller (sipp, `bench/calls/uac.xml`) and the callee (sipp,',
    '  `uas.xml`, registered as 2000 by `register.xml`) run on the same 2 cores as the server, so at high rates',
    '  the load generator competes with the server for CPU (see the sipp CPU column).',
    '- Kamailio 5.6 with `bench/kamailio/kamailio.cfg` (registrar, usrloc in memory, record-routing,',
    '  dialog-stateful with `dlg_manage()`), `-n 2` UDP workers, `-m 1024` MB shared memory (256 MB ran out at',
    '  1,500 calls/s); Duet as `duet server` alone (no HA pair).',
    `- Call rate: a ladder of rates (${p.callRates.join(', ')} calls/s;`,
    `  ${p.callRefine} halving(s) of the last gap), each step ${p.callStepS} s of new ${p.callMs / 1000} s calls; a step passes`,
    `  with < ${criteria.maxFailedRatio * 100}% of its calls failed`,
    `  (never started, error, timeout) and p99 INVITE->200 < ${criteria.maxP99Ms} ms, nearest rank over every answered call`,
    '  from sipp `-trace_rtt` (the scenario starts response time 1 on the INVITE and stops it on the 200), and',
    `  when sipp really offered >= ${criteria.minOfferedRatio * 100}% of the rate (first to last 200).`,
    `- CPU per call: utime+stime of the server's process tree (/proc/PID/stat, CLK_TCK ${m.clkTck}) over one step`,
    `  of ${p.cpuStepS} s at ${p.cpuRate} calls/s, divided by the successful calls. The server and sipp CPU columns`,
    "  below are percent of one core over a step's wall time (Kamailio's two workers can use two cores).",
    `- Memory per established call: a fresh server, idle memory, then ${p.memCalls} calls held up together (fewer when`,
    '  the ramp would be too long; the table says how many), memory again, (loaded - idle) / calls up. Pss (sum over',
    "  the tree from /proc/PID/smaps_rollup) is the figure to compare: Kamailio's processes share one memory",
    '  segment, which RSS counts once per process. Each value is the median of 3 samples 1 s apart.',
    `- REGISTER rate: a ladder (${p.registerRates.join(', ')}/s), ${p.registerStepS} s per step, users ${p.registerUsers} distinct`,
    '  numbers from 3000 in turn, same pass rule as calls.',
    ...(p.retryFailedStep
      ? [
          '- A failed step is run once more and its rate counts only if the repeat passes (this is a shared 2-vCPU VM:',
          '  one half-second stall fails a step at any rate); both runs are listed below.',
        ]
      : []),
    '- Figures with >= carried the whole ladder (the limit is higher); < failed the first step.',
    '',
    '### Steps',
    '',
    ...results.flatMap((t) => [renderTarget(t, m.clkTck), '']),
  ]
    .join('\n')
    .trimEnd();
}

/**
 * The results file with `section` in place of the old section of the same heading (up to the next heading
 * of the same or a higher level), or appended at the end; every other section is kept as it is.
 */
export function replaceSection(file: string | undefined, section: string, heading = SECTION_HEADING): string {
  const body = `${section.trimEnd()}\n`;
  if (file === undefined || file.trim() === '') return `# Benchmark results\n\n${body}`;
  const lines = file.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  if (start < 0) return `${file.trimEnd()}\n\n${body}`;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^#{1,2} /.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  const before = lines.slice(0, start).join('\n').trimEnd();
  const after = lines.slice(end).join('\n').trim();
  return `${before ? `${before}\n\n` : ''}${body}${after ? `\n${after}\n` : ''}`;
}
