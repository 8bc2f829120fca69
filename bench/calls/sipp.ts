/**
 * Running sipp (Debian `sip-tester`, 3.6) and reading what it measured.
 *
 * What is read, and why:
 * - `-trace_stat -stf FILE -fd 1`: one CSV row of counters per second; the last row's cumulative counters
 *   give calls created, SuccessfulCall(C) and FailedCall(C).
 * - `-trace_rtt -rtt_freq 1`: one CSV row per response-time measure ("Date_ms;response_time_ms;rtd_no").
 *   sipp writes the rows N at a time (-rtt_freq N) and drops the last N-1 at exit, so N is always 1. The scenarios start measure 1 on the INVITE (or REGISTER) and stop
 *   it on the 200, so these rows are every call's INVITE->200 time in ms: the p99 is computed from them
 *   exactly (percentile.ts), not read off sipp's coarse ResponseTimeRepartition buckets. Date_ms (ms since
 *   sipp started) of the first and last row give the rate sipp really offered.
 * - `-recv_timeout`: a call whose answer never comes is aborted and counted failed, so a step always ends.
 *   sipp's own `-timeout` was seen not to stop a run whose calls hang, so the harness also kills sipp by PID
 *   at a deadline.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Managed, Processes } from './children.ts';
import { treeCpuTicks } from './proc.ts';

/** The last row of a sipp -trace_stat CSV as name -> value. */
export function parseStatCsv(text: string): Record<string, string> {
  const rows = text.split('\n').filter((r) => r.trim() !== '');
  if (rows.length < 2) return {};
  const head = rows[0]!.split(';');
  const last = rows[rows.length - 1]!.split(';');
  const out: Record<string, string> = {};
  head.forEach((h, i) => {
    if (h !== '') out[h] = last[i] ?? '';
  });
  return out;
}

export interface Rtts {
  /** When each measure completed, ms since sipp started. */
  atMs: number[];
  /** The measured times, ms. */
  valueMs: number[];
}

/** Rows of a sipp -trace_rtt CSV for response-time measure `rtd` (1 by default). */
export function parseRttCsv(text: string, rtd = 1): Rtts {
  const atMs: number[] = [];
  const valueMs: number[] = [];
  for (const row of text.split('\n')) {
    const [at, value, no] = row.split(';');
    if (no === undefined || Number(no) !== rtd) continue; // the header, or another measure
    const a = Number(at);
    const v = Number(value);
    if (Number.isFinite(a) && Number.isFinite(v)) {
      atMs.push(a);
      valueMs.push(v);
    }
  }
  return { atMs, valueMs };
}

/** Calls per second actually offered: measures completed over the time between the first and the last. */
export function offeredRate(atMs: readonly number[]): number | undefined {
  if (atMs.length < 2) return undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const t of atMs) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  if (max <= min) return undefined;
  return ((atMs.length - 1) * 1000) / (max - min);
}

const num = (stats: Record<string, string>, key: string): number => {
  const v = Number(stats[key]);
  return Number.isFinite(v) ? v : 0;
};

export interface SippClientOptions {
  /** A name for the run's directory and log. */
  name: string;
  /** Scratch directory; the run's files go in a subdirectory named `name`. */
  dir: string;
  scenario: string;
  server: { host: string; port: number };
  localPort: number;
  controlPort: number;
  /** -m: how many calls (or REGISTERs). */
  calls: number;
  /** -r: calls per second. */
  rate: number;
  /** -d: how long an answered call lasts, ms (the scenario's <pause/>). */
  callMs?: number;
  /** -l: most calls open at once. */
  limit?: number;
  /** -s: the user part of the Request-URI (the number dialed). */
  service?: string;
  /** -inf: a CSV of injected fields. */
  inf?: string;
  /** The harness kills sipp this long after starting it. */
  deadlineMs: number;
}

export interface SippOutcome {
  name: string;
  exitCode: number | null;
  killedAtDeadline: boolean;
  stats: Record<string, string>;
  created: number;
  succeeded: number;
  /** Calls asked for that did not succeed: failed, aborted, or never started. */
  failed: number;
  rtts: Rtts;
  /** CPU ticks of the sipp process (sampled while it ran, so the last few ms may be missing). */
  cpuTicks: number;
  wallMs: number;
  dir: string;
}

export interface SippClient {
  managed: Managed;
  /** Calls that reached their 200 so far (rows in the rtt file). */
  answered(): number;
  /** The last statistics row so far. */
  stats(): Record<string, string>;
  done: Promise<SippOutcome>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const BUFFER = '4194304'; // = net.core.rmem_max here: the load generator must not be the one dropping packets

export function startSippClient(processes: Processes, o: SippClientOptions): SippClient {
  const dir = join(o.dir, o.name);
  mkdirSync(dir, { recursive: true });
  const statFile = join(dir, 'stat.csv');
  const args = [
    `${o.server.host}:${o.server.port}`,
    '-sf',
    o.scenario,
    '-i',
    '127.0.0.1',
    '-p',
    String(o.localPort),
    '-cp',
    String(o.controlPort),
    '-m',
    String(o.calls),
    '-r',
    String(o.rate),
    '-nostdin',
    '-buff_size',
    BUFFER,
    '-recv_timeout',
    '8000',
    '-timeout',
    `${Math.ceil(o.deadlineMs / 1000)}s`,
    '-timeout_error',
    '-trace_stat',
    '-stf',
    statFile,
    '-fd',
    '1',
    '-trace_rtt',
    '-rtt_freq',
    '1',
    '-trace_err',
    '-error_file',
    join(dir, 'errors.log'),
  ];
  if (o.callMs !== undefined) args.push('-d', String(o.callMs));
  if (o.limit !== undefined) args.push('-l', String(o.limit));
  if (o.service !== undefined) args.push('-s', o.service);
  if (o.inf !== undefined) args.push('-inf', o.inf);

  const started = Date.now();
  const managed = processes.start(`sipp ${o.name}`, 'sipp', args, {
    cwd: dir,
    logFile: join(dir, 'sipp.log'),
  });
  const rttFile = join(dir, `${basename(o.scenario, '.xml')}_${managed.pid}_rtt.csv`);
  const readRtts = (): Rtts =>
    existsSync(rttFile) ? parseRttCsv(readFileSync(rttFile, 'utf8')) : { atMs: [], valueMs: [] };
  const readStats = (): Record<string, string> =>
    existsSync(statFile) ? parseStatCsv(readFileSync(statFile, 'utf8')) : {};

  let cpuTicks = 0;
  const sampler = setInterval(() => {
    if (managed.isRunning()) cpuTicks = Math.max(cpuTicks, treeCpuTicks(managed.pid));
  }, 200);
  let killedAtDeadline = false;
  const deadline = setTimeout(() => {
    killedAtDeadline = true;
    void processes.stop(managed, 2000);
  }, o.deadlineMs);

  const done = managed.exited.then(async ({ code }) => {
    clearInterval(sampler);
    clearTimeout(deadline);
    await sleep(50); // let the last rtt rows land
    const stats = readStats();
    if (stats.TotalCallCreated === undefined) {
      throw new Error(`sipp ${o.name} wrote no statistics (exit ${code}); its output:\n${managed.tail()}`);
    }
    const rtts = readRtts();
    const succeeded = num(stats, 'SuccessfulCall(C)');
    return {
      name: o.name,
      exitCode: code,
      killedAtDeadline,
      stats,
      created: num(stats, 'TotalCallCreated'),
      succeeded,
      failed: Math.max(0, o.calls - succeeded),
      rtts,
      cpuTicks,
      wallMs: Date.now() - started,
      dir,
    };
  });
  return {
    managed,
    answered: () => readRtts().valueMs.length,
    stats: readStats,
    done,
  };
}

export function runSippClient(processes: Processes, o: SippClientOptions): Promise<SippOutcome> {
  return startSippClient(processes, o).done;
}

/** The callee: sipp with uas.xml, answering every INVITE, until stopped. */
export function startSippUas(
  processes: Processes,
  o: { dir: string; scenario: string; port: number; controlPort: number },
): Managed {
  mkdirSync(o.dir, { recursive: true });
  return processes.start(
    'sipp uas',
    'sipp',
    [
      '-sf',
      o.scenario,
      '-i',
      '127.0.0.1',
      '-p',
      String(o.port),
      '-cp',
      String(o.controlPort),
      '-nostdin',
      '-buff_size',
      BUFFER,
      '-trace_stat',
      '-stf',
      join(o.dir, 'stat.csv'),
      '-fd',
      '1',
      '-trace_err',
      '-error_file',
      join(o.dir, 'errors.log'),
    ],
    { cwd: o.dir, logFile: join(o.dir, 'sipp.log') },
  );
}
