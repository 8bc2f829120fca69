/**
 * Part 3: resync throughput. `resyncCalls` long calls are set up through the pair; once the backup holds them
 * all, the backup's process gets SIGKILL. The SCS restarts it (as Backup), it links to the primary, and the
 * primary sends the calls it lacks in batches of `ha-max-calls-sync-at-once`, one batch a second (seed 004;
 * ha/sync/source.ts sends the first batch at link-up). Measured: kill -> the new process answering, -> HA link
 * up, -> readyForSwitchover 1 on the backup (polled every 50 ms), and, from the servers' own log events with
 * their timestamps, link-up (backup's 10-20002) -> last batch sent (primary's 10-20007) -> last batch applied
 * (backup's 10-20007; the backup is then ready for switchover). The registry's 10-20012 (readiness-changed)
 * would say it directly but is not emitted by the servers yet. Expected sync time: (ceil(missing / batch) - 1) s after link-up, plus the time to send
 * and apply the calls.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Processes } from '../calls/children.ts';
import { freePort } from '../calls/ports.ts';
import { startSippClient } from '../calls/sipp.ts';
import { type AppName, LOAD_CALLEE, type RunningPair, until } from './pair.ts';
import { scenarios } from './phones.ts';
import type { HaPlan } from './plan.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ResyncResult {
  calls: number;
  batch: number;
  /** The primary's count of calls to send (its 10-20005 event), or the highest callsPendingSync polled. */
  missing: number | undefined;
  batches: number | undefined;
  expectedSyncMs: number | undefined;
  /** Polled, from the kill. */
  processUpMs: number | undefined;
  linkUpMs: number | undefined;
  readyMs: number | undefined;
  maxPendingPolled: number;
  /** From the servers' log events, from the backup's link-up: the primary sent the last batch; the backup applied it. */
  logSyncCompletedMs: number | undefined;
  logReadyMs: number | undefined;
  /** Calls the backup and the primary held when the backup reported ready. */
  backupCallsAtReady: number | undefined;
  primaryCallsAtReady: number | undefined;
  callsPerSecond: number | undefined;
  loadAvg: number;
}

interface LogLine {
  time: string;
  event: string;
  params?: Record<string, unknown>;
}

function eventsSince(file: string, sinceMs: number): LogLine[] {
  if (!existsSync(file)) return [];
  const out: LogLine[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const l = JSON.parse(line) as LogLine;
      if (Date.parse(l.time) >= sinceMs) out.push(l);
    } catch {
      // a line being written
    }
  }
  return out;
}

export async function resync(o: {
  processes: Processes;
  plan: HaPlan;
  pair: RunningPair;
  dir: string;
  loadAvg: () => number;
  log: (line: string) => void;
}): Promise<ResyncResult> {
  const { processes, plan, pair, log } = o;
  const K = plan.resyncCalls;
  const r0 = await until(
    'a Primary and a synced Backup',
    async () => {
      const r = await pair.roles();
      return r.primary && r.backup?.readyForSwitchover === 1 ? r : undefined;
    },
    90_000,
    200,
  );
  const primaryApp = r0.primary!.application as AppName;
  const backupApp = r0.backup!.application as AppName;
  const rampMs = (K / plan.resyncRate) * 1000;
  const holdMs = rampMs + 60_000;
  const client = startSippClient(processes, {
    name: 'resync-calls',
    dir: o.dir,
    scenario: scenarios.uac,
    server: { host: '127.0.0.1', port: pair.ports.sip },
    localPort: await freePort(),
    controlPort: await freePort(),
    calls: K,
    rate: plan.resyncRate,
    callMs: holdMs,
    limit: K,
    service: LOAD_CALLEE,
    deadlineMs: holdMs + 60_000,
  });
  try {
    await until(
      `${K} calls up on both servers`,
      async () => {
        const [p, b] = await Promise.all([pair.status(primaryApp), pair.status(backupApp)]);
        return p && b && client.answered() >= K && p.calls >= K && b.calls === p.calls ? true : undefined;
      },
      rampMs + 30_000,
      250,
    );
    const b0 = (await pair.status(backupApp))!;
    log(
      `  ${K} calls up on ${primaryApp} and ${backupApp}; SIGKILL of the backup ${backupApp} (pid ${b0.pid})`,
    );
    const loadAvg = o.loadAvg();
    const killedAt = Date.now();
    process.kill(b0.pid, 'SIGKILL');
    let processUpMs: number | undefined;
    let linkUpMs: number | undefined;
    let readyMs: number | undefined;
    let maxPending = 0;
    let backupCallsAtReady: number | undefined;
    let primaryCallsAtReady: number | undefined;
    const deadline = killedAt + 120_000;
    while (Date.now() < deadline && readyMs === undefined) {
      const s = await pair.status(backupApp);
      const t = Date.now() - killedAt;
      if (s && s.pid !== b0.pid) {
        processUpMs ??= t;
        maxPending = Math.max(maxPending, s.callsPendingSync);
        if (s.haLink === 'established') linkUpMs ??= t;
        if (s.role === 'Backup' && s.haLink === 'established' && s.readyForSwitchover === 1) {
          readyMs = t;
          backupCallsAtReady = s.calls;
          primaryCallsAtReady = (await pair.status(primaryApp))?.calls;
        }
      }
      if (readyMs === undefined) await sleep(50);
    }
    await sleep(300); // the last log lines
    const bEvents = eventsSince(join(pair.dir, `${backupApp}.log.jsonl`), killedAt);
    const pEvents = eventsSince(join(pair.dir, `${primaryApp}.log.jsonl`), killedAt);
    const at = (events: LogLine[], id: string, pred: (l: LogLine) => boolean = () => true) => {
      const l = events.find((e) => e.event === id && pred(e));
      return l ? Date.parse(l.time) : undefined;
    };
    // 10-20007 is logged by both sides: the primary when it sent the last batch, the backup when it applied it
    // (then callsPendingSync is 0 and, the link being up, the backup is ready for switchover).
    const linkUp = at(bEvents, '10-20002');
    const started = pEvents.find((e) => e.event === '10-20005');
    const completed = at(pEvents, '10-20007');
    const ready = at(bEvents, '10-20007');
    const missing = started ? Number(started.params?.calls) : maxPending || undefined;
    const batch = started ? Number(started.params?.batch) : plan.syncAtOnce;
    const batches = missing !== undefined ? Math.ceil(missing / batch) : undefined;
    const rel = (t: number | undefined) => (t !== undefined && linkUp !== undefined ? t - linkUp : undefined);
    const logReadyMs = rel(ready);
    const syncWindowMs =
      logReadyMs ?? (readyMs !== undefined && linkUpMs !== undefined ? readyMs - linkUpMs : undefined);
    const result: ResyncResult = {
      calls: K,
      batch,
      missing,
      batches,
      expectedSyncMs: batches !== undefined ? Math.max(0, batches - 1) * 1000 : undefined,
      processUpMs,
      linkUpMs,
      readyMs,
      maxPendingPolled: maxPending,
      logSyncCompletedMs: rel(completed),
      logReadyMs,
      backupCallsAtReady,
      primaryCallsAtReady,
      callsPerSecond:
        missing !== undefined && syncWindowMs !== undefined && syncWindowMs > 0
          ? Math.round((missing / syncWindowMs) * 1000)
          : undefined,
      loadAvg,
    };
    log(
      `  backup process answering ${processUpMs ?? '-'} ms after the kill, HA link up ${linkUpMs ?? '-'} ms, ` +
        `ready ${readyMs ?? '-'} ms; ${missing ?? '?'} calls in ${batches ?? '?'} batches of ${batch}: ` +
        `link-up -> sync completed ${result.logSyncCompletedMs ?? '-'} ms, -> ready ${logReadyMs ?? '-'} ms ` +
        `(expected ~${result.expectedSyncMs ?? '?'} ms); ${result.callsPerSecond ?? '-'} calls/s; ` +
        `calls at ready: backup ${backupCallsAtReady ?? '-'}, primary ${primaryCallsAtReady ?? '-'}`,
    );
    return result;
  } finally {
    await processes.stop(client.managed, 2000);
  }
}
