/**
 * The results of bench/ha as a Markdown section "## HA pair", printed and written into bench/RESULTS.md,
 * where it replaces only its own section (every other section stays as it is).
 */
import { criteria } from '../calls/criteria.ts';
import type { Machine } from '../calls/machine.ts';
import { percentile } from '../calls/percentile.ts';
import { replaceSection as replaceNamedSection } from '../calls/report.ts';
import type { CapacityResult, CapacityStep, SystemName } from './capacity.ts';
import type { HaPlan } from './plan.ts';
import type { ResyncResult } from './resync.ts';
import { summarize } from './stats.ts';
import type { KillRound } from './takeover.ts';

export const SECTION_HEADING = '## HA pair';

export interface HaRunInfo {
  date: string;
  command: string;
  durationS: number;
  machine: Machine;
  plan: HaPlan;
  loadAtStart: number[];
  loadAtEnd: number[];
}

export interface HaResults {
  takeover?: KillRound[];
  capacity?: CapacityResult;
  resync?: ResyncResult;
  errors: string[];
}

function table(head: string[], rows: (string | number)[][], right: boolean[]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (right[i] ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join(' | ')} |`;
  const sep = `| ${w.map((n, i) => (right[i] ? `${'-'.repeat(n - 1)}:` : '-'.repeat(n))).join(' | ')} |`;
  return [line(head), sep, ...cells.slice(1).map(line)].join('\n');
}

const ms = (v: number | undefined) => (v === undefined ? '-' : String(v));
const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

function capacityFigure(c: CapacityResult, s: SystemName): string {
  const b = c.best[s];
  return b === 0
    ? `< ${c.steps.find((x) => x.system === s)?.rate ?? '?'}`
    : c.topPassed[s]
      ? `>= ${b}`
      : String(b);
}

export function capacityRatio(c: CapacityResult): string {
  const { standalone, pair } = c.best;
  if (standalone === 0 || pair === 0) return 'n/a';
  const r = (pair / standalone).toFixed(2);
  if (c.topPassed.pair && c.topPassed.standalone) return 'n/a (both carried the whole ladder)';
  return c.topPassed.pair ? `>= ${r}` : c.topPassed.standalone ? `<= ${r}` : r;
}

/** Median CPU per call of each system over the rates both ran with no failed call. */
export function cpuPerCall(
  c: CapacityResult,
): { rates: number[]; standalone: number; primary: number; backup: number } | undefined {
  const clean = (sys: SystemName) => c.steps.filter((x) => x.system === sys && x.failed === 0 && x.usPerCall);
  const a = clean('standalone');
  const b = clean('pair');
  const rates = [...new Set(a.map((x) => x.rate))].filter((r) => b.some((x) => x.rate === r));
  if (rates.length === 0) return undefined;
  const med = (xs: number[]) => percentile(xs, 50) ?? 0;
  const at = (steps: CapacityStep[], key: string) =>
    med(steps.filter((x) => rates.includes(x.rate)).map((x) => x.usPerCall[key] ?? 0));
  return {
    rates,
    standalone: at(a, 'server'),
    primary: at(b, 'primary'),
    backup: at(b, 'backup'),
  };
}

export function renderSummary(plan: HaPlan, r: HaResults): string {
  const rows: (string | number)[][] = [];
  const k = r.takeover ?? [];
  const t = summarize(k.flatMap((x) => (x.takeoverMs !== undefined ? [x.takeoverMs] : [])));
  if (k.length > 0) {
    rows.push([
      `takeover, kill -> first new call answered, ms (${t?.n ?? 0} kills)`,
      t ? `min ${t.min}, median ${t.median}, p90 ${t.p90}, max ${t.max}` : 'n/a',
    ]);
    const up = k.reduce((a, x) => a + x.established, 0);
    const lost = k.reduce((a, x) => a + Math.max(x.lostCaller, x.lostCallee), 0);
    const perKill = k.map((x) => Math.max(x.lostCaller, x.lostCallee));
    rows.push([
      `calls lost per kill (of ${plan.heldCalls} established)`,
      `${lost} of ${up} in total; per kill max ${Math.max(...perKill)}, median ${summarize(perKill)?.median ?? '-'}`,
    ]);
    const left = k.flatMap((x) => (x.callsLeft !== undefined ? [x.callsLeft] : []));
    if (left.length > 0)
      rows.push([
        'calls left on the new primary after each round (every call had ended; > 0 = a call leaked)',
        `${Math.max(...left)} at most${Math.max(...left) > 0 ? `, first after kill ${k.find((x) => (x.callsLeft ?? 0) > 0)?.round}` : ''}`,
      ]);
    const back = summarize(k.flatMap((x) => (x.backReadyMs !== undefined ? [x.backReadyMs] : [])));
    if (back)
      rows.push([
        'kill -> killed server back as a synced Backup, ms',
        `min ${back.min}, median ${back.median}, max ${back.max}`,
      ]);
  }
  const c = r.capacity;
  if (c) {
    rows.push([
      'highest call rate, calls/s (1 s calls; <0.1% failed, p99 INVITE->200 < 200 ms)',
      `standalone ${capacityFigure(c, 'standalone')}, pair primary ${capacityFigure(c, 'pair')}: ratio **${capacityRatio(c)}**`,
    ]);
  }
  const perCall = c ? cpuPerCall(c) : undefined;
  if (perCall) {
    rows.push([
      `server CPU per call, us (median over the ${perCall.rates.length} rates both ran with every call successful)`,
      `standalone ${perCall.standalone}; pair primary ${perCall.primary} + backup ${perCall.backup} = ${perCall.primary + perCall.backup} (**${((perCall.primary + perCall.backup) / perCall.standalone).toFixed(2)}x**; primary alone ${(perCall.primary / perCall.standalone).toFixed(2)}x)`,
    ]);
  }
  const s = r.resync;
  if (s) {
    rows.push([
      `resync of ${s.calls} calls after a SIGKILL of the backup`,
      `${s.missing ?? '?'} calls in ${s.batches ?? '?'} batches of ${s.batch}: link-up -> backup ready ${ms(s.logReadyMs)} ms ` +
        `(expected ~${ms(s.expectedSyncMs)} ms), **${s.callsPerSecond ?? '-'} calls/s**; kill -> ready ${ms(s.readyMs)} ms`,
    ]);
  }
  return table(['figure', 'result'], rows, [false, false]);
}

function takeoverTable(k: KillRound[]): string {
  return table(
    [
      'kill',
      'killed',
      'calls up',
      'on backup',
      'takeover ms',
      'probes',
      'lost (caller/callee)',
      'calls left',
      'back ready ms',
      'load',
      'note',
    ],
    k.map((x) => [
      x.round,
      x.killed,
      x.established,
      x.backupCalls,
      ms(x.takeoverMs),
      x.probes,
      `${x.lostCaller}/${x.lostCallee}`,
      ms(x.callsLeft),
      ms(x.backReadyMs),
      x.loadAvg.toFixed(2),
      x.note ?? '',
    ]),
    [true, false, true, true, true, true, true, true, true, true, false],
  );
}

function capacityTable(steps: CapacityStep[]): string {
  return table(
    [
      'system',
      'rate/s',
      'ok/asked',
      'p50 ms',
      'p99 ms',
      'offered/s',
      'server CPU',
      'sipp CPU',
      'load',
      'verdict',
    ],
    steps.map((s) => [
      s.system,
      s.rate,
      `${s.succeeded}/${s.attempted}`,
      ms(s.p50Ms),
      ms(s.p99Ms),
      s.offered ? Math.round(s.offered) : '-',
      Object.entries(s.cpu)
        .map(([k, v]) => `${k} ${v}%`)
        .join(', '),
      `${s.loaderCpu}%`,
      s.loadAvg.toFixed(2),
      (s.pass ? 'pass' : s.reasons.join('; ')) + (s.note ? ` (${s.note})` : ''),
    ]),
    [false, true, true, true, true, true, false, true, true, false],
  );
}

export function renderSection(run: HaRunInfo, r: HaResults): string {
  const m = run.machine;
  const p = run.plan;
  const out: string[] = [
    SECTION_HEADING,
    '',
    `Run ${run.date} (${p.mode} mode, ${Math.floor(run.durationS / 60)} min ${Math.round(run.durationS % 60)} s), commit ${m.commit}: \`${run.command}\``,
    '',
    `Machine: ${m.cpus} CPUs (${m.model}), ${m.memGiB} GiB RAM, Linux ${m.kernel}; Node ${m.node}, ${m.sipp}. ` +
      `Load average (1/5/15 min) at the start ${loads(run.loadAtStart)}, at the end ${loads(run.loadAtEnd)}: ` +
      'the VM is shared with other jobs, so the load column of each table says what the machine was doing.',
    '',
    renderSummary(p, r),
    '',
  ];
  if (r.errors.length > 0) out.push(`**Not measured to the end**: ${r.errors.join('; ')}`, '');
  out.push(
    '### How it is measured',
    '',
    '- Everything on 127.0.0.1: `duet up` with a generated file (one host; SCS, LCA, SIP_A primary and SIP_B ' +
      'backup sharing one SIP port, hot standby, `backup-sync: addp` 0.5 s as in examples/single-host.yaml, ' +
      `\`ha-max-calls-sync-at-once\` ${p.syncAtOnce}, logs at \`standard\` to files), sipp phones from bench/calls ` +
      '(uac.xml 1000 -> 2000, uas.xml registered as 2000), all on the same 2 cores as the servers.',
    `- Takeover (${p.kills} kills): each round sets up ${p.heldCalls} calls of ${p.heldCallMs / 1000} s at ` +
      `${p.heldRate}/s, waits until all are answered and the backup holds as many calls as the primary, then ` +
      "SIGKILLs the primary's process (the `pid` of `/server?sipServer`). From the kill, a probe in the bench " +
      `process (bench/ha/probe.ts, DN 1001 -> 2001, a second sipp UAS) starts a new call every ${p.probeEveryMs} ms; ` +
      'the takeover time is kill -> first 200 to a probe, on one monotonic clock (resolution: the probe ' +
      "interval). A call is lost when its caller's BYE got no 200 or its callee leg got no BYE (the larger " +
      'count is reported). The round ends when the SCS has restarted the killed server and it reports Backup ' +
      'with readyForSwitchover 1; the next round kills the new primary, so the roles alternate.' +
      (p.minAgeBeforeKillMs > 0
        ? ` A server is killed only once its process is ${p.minAgeBeforeKillMs / 1000} s old: the SCS restarts a server that dies younger than 30 s with a crash-loop backoff (1 s doubling to 30 s), which would otherwise stretch the rounds.`
        : ' (--quick: no wait for the 30 s the SCS wants before it stops counting a death as a crash loop; later rounds may wait for its 1-2 s restart backoff, which is not part of the takeover.)') +
      ' Each kill is logged by the SCS as a double failure (10-20009) with 0 calls: a primary reports readyForSwitchover 1 only 60 s after link-up (seed 004); every call was on the backup.',
    `- Capacity: \`duet server\` alone (same options, in no pair) and the pair's primary with its backup in sync, ` +
      'both up at once on different SIP ports, the ladders climbed interleaved (rate r standalone, rate r pair, ' +
      `next rate) so that load changes hit both: ${p.capacityRates.join(', ')} calls/s, ${p.capacityStepS} s of ` +
      `new 1 s calls per step; a step passes with < ${criteria.maxFailedRatio * 100}% failed, p99 INVITE->200 < ` +
      `${criteria.maxP99Ms} ms (every call's time from sipp -trace_rtt) and >= ${criteria.minOfferedRatio * 100}% ` +
      `of the rate really offered (bench/calls/criteria.ts)${p.stepAttempts > 1 ? `; a failed step is run again, up to ${p.stepAttempts} runs, and the rate counts when one passes (one stall of the shared VM fails a step at any rate; the server CPU per call, also shown, hardly depends on the load)` : ''}` +
      `${p.capacityRefine > 0 ? `; then ${p.capacityRefine} halving(s) of the last gap` : ''}. Server CPU is % of one core over the step (the pair: primary and backup).`,
    `- Resync: ${p.resyncCalls} calls up (set up at ${p.resyncRate}/s, held), both servers holding them; ` +
      'SIGKILL of the backup; the SCS restarts it; times polled every 50 ms from the kill, and from the ' +
      "servers' own log events (backup 10-20002 link up, primary 10-20007 last batch sent, backup 10-20007 " +
      'last batch applied: the backup is then ready). By design the primary sends the missing calls in batches of `ha-max-calls-sync-at-once`, ' +
      'the first at link-up and one per second after it, so the expected time is (batches - 1) s plus sending ' +
      'and applying; calls/s = missing calls / (link-up -> backup ready).',
    '',
  );
  if (r.takeover && r.takeover.length > 0) out.push('### Kills', '', takeoverTable(r.takeover), '');
  if (r.capacity) out.push('### Capacity steps', '', capacityTable(r.capacity.steps), '');
  if (r.resync) {
    const s = r.resync;
    out.push(
      '### Resync',
      '',
      `Load ${s.loadAvg.toFixed(2)} at the kill. From the kill: new backup process answering ${ms(s.processUpMs)} ms, ` +
        `HA link up ${ms(s.linkUpMs)} ms, readyForSwitchover 1 ${ms(s.readyMs)} ms (polled; highest callsPendingSync ` +
        `seen ${s.maxPendingPolled}). From the link-up (log events): last batch sent by the primary ${ms(s.logSyncCompletedMs)} ms, ` +
        `applied by the backup (ready) ${ms(s.logReadyMs)} ms; expected ~${ms(s.expectedSyncMs)} ms for ${s.batches ?? '?'} batches. ` +
        `Calls held when the backup reported ready: backup ${s.backupCallsAtReady ?? '-'}, primary ${s.primaryCallsAtReady ?? '-'}.`,
      '',
    );
  }
  return out.join('\n');
}

/** bench/RESULTS.md with this section in place of its old version (every other section kept). */
export function replaceSection(file: string | undefined, section: string): string {
  return replaceNamedSection(file, section, SECTION_HEADING);
}
