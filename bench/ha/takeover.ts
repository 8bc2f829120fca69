/**
 * Part 1: takeover time over repeated kills. Each round: `heldCalls` calls (1000 -> 2000, sipp uac.xml/uas.xml)
 * are set up through the pair and lasting `heldCallMs`; once every one is answered and the backup holds as
 * many calls as the primary, the primary's process (its `pid` in /server?sipServer) gets SIGKILL. From that
 * moment the probe (probe.ts) starts a new call every `probeEveryMs`; the takeover time is kill -> the first
 * 200 to a probe call. Then the held calls end with their BYEs through the new primary: a call is lost when
 * the caller's BYE got no 200 or the callee's leg never got its BYE. The round ends when the killed server is
 * back (restarted by the SCS) as Backup reporting readyForSwitchover 1; the next round kills the new primary.
 */
import { performance } from 'node:perf_hooks';
import type { Processes } from '../calls/children.ts';
import { freePort } from '../calls/ports.ts';
import { startSippClient } from '../calls/sipp.ts';
import {
  type AppName,
  LOAD_CALLEE,
  type RunningPair,
  type ServerStatus,
  startTimeOf,
  until,
} from './pair.ts';
import type { Phone } from './phones.ts';
import { scenarios } from './phones.ts';
import type { HaPlan } from './plan.ts';
import type { CallProbe } from './probe.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface KillRound {
  round: number;
  killed: AppName;
  /** Calls answered before the kill (all of them normally). */
  established: number;
  /** The backup's call count at the kill. */
  backupCalls: number;
  /** Kill -> first probe call answered, ms; undefined when none was within the timeout. */
  takeoverMs: number | undefined;
  /** Probe calls started until the first answer. */
  probes: number;
  /** Established calls whose caller BYE got no 200. */
  lostCaller: number;
  /** Established calls whose callee leg got no BYE. */
  lostCallee: number;
  /** Probe calls still open 3 s after the first answer (a provisional response but no final one, or no BYE answer). */
  openProbes: number;
  /** Calls the new primary still held once every held and probe call had ended (0 unless one leaked). */
  callsLeft: number | undefined;
  /** Kill -> the killed server back as a Backup with readyForSwitchover 1, ms. */
  backReadyMs: number | undefined;
  /** How long the round waited before the kill so that the target was old enough (see plan). */
  ageWaitMs: number;
  loadAvg: number;
  note?: string;
}

/** Age of a process in ms, from its start time in /proc (clock ticks since boot) and the boot time. */
export function processAgeMs(pid: number, clkTck: number, bootTimeS: number): number | undefined {
  const st = startTimeOf(pid);
  if (st === undefined) return undefined;
  return Date.now() - (bootTimeS * 1000 + (st * 1000) / clkTck);
}

export async function takeoverRounds(o: {
  processes: Processes;
  plan: HaPlan;
  pair: RunningPair;
  callee: Phone;
  probe: CallProbe;
  dir: string;
  clkTck: number;
  bootTimeS: number;
  loadAvg: () => number;
  log: (line: string) => void;
}): Promise<KillRound[]> {
  const { processes, plan, pair, callee, probe, log } = o;
  const rounds: KillRound[] = [];
  for (let round = 1; round <= plan.kills; round++) {
    if (!pair.up.isRunning()) throw new Error(`duet up exited:\n${pair.up.tail(30)}`);
    const ready = await until(
      'a Primary and a Backup with readyForSwitchover 1',
      async () => {
        const r = await pair.roles();
        return r.primary && r.backup?.readyForSwitchover === 1 ? r : undefined;
      },
      90_000,
      200,
    );
    const primary = ready.primary!;
    const killed = primary.application as AppName;
    const backupApp: AppName = killed === 'SIP_A' ? 'SIP_B' : 'SIP_A';

    // Old enough that the SCS restarts it at once (no crash-loop backoff).
    let ageWaitMs = 0;
    const age = processAgeMs(primary.pid, o.clkTck, o.bootTimeS);
    if (age !== undefined && age < plan.minAgeBeforeKillMs) {
      ageWaitMs = plan.minAgeBeforeKillMs - age;
      // The held calls are started so that they are all up when the wait ends.
      const setupMs = (plan.heldCalls / plan.heldRate) * 1000 + 1500;
      if (ageWaitMs > setupMs) await sleep(ageWaitMs - setupMs);
    }

    const calleeBefore = callee.completed();
    const client = startSippClient(processes, {
      name: `round-${String(round).padStart(2, '0')}-held`,
      dir: o.dir,
      scenario: scenarios.uac,
      server: { host: '127.0.0.1', port: pair.ports.sip },
      localPort: await freePort(),
      controlPort: await freePort(),
      calls: plan.heldCalls,
      rate: plan.heldRate,
      callMs: plan.heldCallMs,
      limit: plan.heldCalls,
      service: LOAD_CALLEE,
      deadlineMs: plan.heldCallMs + 60_000,
    });
    let note: string | undefined;
    let atKill: { p?: ServerStatus; b?: ServerStatus } = {};
    try {
      atKill = await until(
        'every held call answered and on the backup',
        async () => {
          const [p, b] = await Promise.all([pair.status(killed), pair.status(backupApp)]);
          const answered = client.answered();
          return answered >= plan.heldCalls && p && b && p.calls >= answered && b.calls === p.calls
            ? { p, b }
            : undefined;
        },
        15_000,
        50,
      );
    } catch {
      note = `only ${client.answered()} of ${plan.heldCalls} held calls answered/synced before the kill`;
    }
    const remaining = plan.minAgeBeforeKillMs - (processAgeMs(primary.pid, o.clkTck, o.bootTimeS) ?? 0);
    if (remaining > 0) await sleep(remaining);
    const established = client.answered();
    const backupCalls = atKill.b?.calls ?? (await pair.status(backupApp))?.calls ?? 0;

    const killedAt = performance.now();
    const killedAtWall = Date.now();
    process.kill(primary.pid, 'SIGKILL');
    probe.startProbing(plan.probeEveryMs);
    const answeredAt = await probe.firstAnswered(plan.takeoverTimeoutMs);
    probe.stopProbing();
    const probes = probe.stats.sent;
    const takeoverMs = answeredAt !== undefined ? Math.round(answeredAt - killedAt) : undefined;
    const openProbes = await probe.drain(3000);
    probe.stats.sent = 0;

    const outcome = await client.done;
    // The callee counts a call once its BYE is answered and its 1 s timewait is over; its stats file is
    // written once a second.
    const calleeDeadline = Date.now() + 5000;
    while (callee.completed() - calleeBefore < established && Date.now() < calleeDeadline) await sleep(250);
    const calleeDone = callee.completed() - calleeBefore;
    const lostCaller = Math.max(0, established - outcome.succeeded);
    const lostCallee = Math.max(0, established - calleeDone);
    const newPrimary = (await pair.roles()).primary;
    const callsLeft = newPrimary?.calls;

    let backReadyMs: number | undefined;
    try {
      await until(
        `${killed} back as a synced Backup`,
        async () => {
          const s = await pair.status(killed);
          return s && s.pid !== primary.pid && s.role === 'Backup' && s.readyForSwitchover === 1
            ? s
            : undefined;
        },
        90_000,
        100,
      );
      backReadyMs = Date.now() - killedAtWall;
    } catch (err) {
      note = [note, err instanceof Error ? err.message : String(err)].filter(Boolean).join('; ');
    }
    const r: KillRound = {
      round,
      killed,
      established,
      backupCalls,
      takeoverMs,
      probes,
      lostCaller,
      lostCallee,
      openProbes,
      callsLeft,
      backReadyMs,
      ageWaitMs: Math.round(Math.max(0, ageWaitMs)),
      loadAvg: o.loadAvg(),
      ...(note ? { note } : {}),
    };
    rounds.push(r);
    log(
      `  kill ${round}/${plan.kills} of ${killed}: takeover ${takeoverMs ?? '-'} ms (${probes} probes), ` +
        `${established} calls up (backup ${backupCalls}), lost ${lostCaller} caller / ${lostCallee} callee, ` +
        `calls left ${callsLeft ?? '-'}${openProbes ? `, ${openProbes} probe calls open` : ''}, ` +
        `back as synced backup after ${backReadyMs ?? '-'} ms, load ${r.loadAvg.toFixed(2)}${note ? ` (${note})` : ''}`,
    );
    if (takeoverMs === undefined || backReadyMs === undefined) break;
  }
  return rounds;
}
