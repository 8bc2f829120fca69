/**
 * HA pair benchmarks (the HA-pair issue, benchmark part):
 *
 *   node --import tsx bench/ha/run.ts [--quick] [--parts capacity,takeover,resync] [--write|--no-write]
 *                                     [--json FILE] [--keep]
 *   node --import tsx bench/ha/run.ts --from-json FILE [--write]   (render a saved run again, measure nothing)
 *
 * 1. capacity: highest call rate of `duet server` alone vs the pair's primary with its backup in sync, as a
 *    ratio (capacity.ts);
 * 2. takeover: kill -> first new call answered over 20 SIGKILLs of the current primary (5 with --quick), with
 *    100 established calls through each kill and the calls lost (takeover.ts);
 * 3. resync: 2,500 calls up, SIGKILL of the backup, time until it reports readyForSwitchover 1 and calls
 *    synced per second (resync.ts).
 * One `duet up` serves all three (capacity first, on the fresh pair). The results are printed and (full mode,
 * or --write) written into bench/RESULTS.md under "## HA pair". Every process started is stopped by PID at the
 * end, also on error and on Ctrl-C; server PIDs seen during the run are SIGKILLed if they outlive `duet up`.
 * Full mode about 12 minutes, --quick under 3. Exit code 1 when a part could not be measured to the end.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Processes } from '../calls/children.ts';
import { describeMachine } from '../calls/machine.ts';
import { type CapacitySystem, compareCapacity } from './capacity.ts';
import {
  LOAD_CALLEE,
  PROBE_CALLEE,
  PROBE_CALLER,
  type RunningPair,
  type RunningSolo,
  startPair,
  startSolo,
} from './pair.ts';
import { registerDn, startPhone } from './phones.ts';
import { checkPlan, fullPlan, type HaPlan, quickPlan } from './plan.ts';
import { CallProbe } from './probe.ts';
import { type HaResults, type HaRunInfo, renderSection, renderSummary, replaceSection } from './report.ts';
import { resync } from './resync.ts';
import { takeoverRounds } from './takeover.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const resultsFile = join(repoRoot, 'bench/RESULTS.md');
const PARTS = ['capacity', 'takeover', 'resync'] as const;
type Part = (typeof PARTS)[number];

const log = (line: string) => process.stdout.write(`${line}\n`);
const loadAvg = () => os.loadavg()[0] ?? 0;

function parseCli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      parts: { type: 'string', default: PARTS.join(',') },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean' },
      json: { type: 'string' },
      'from-json': { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const parts = values.parts.split(',').map((p) => p.trim());
  for (const p of parts) {
    if (!(PARTS as readonly string[]).includes(p))
      throw new Error(`--parts: "${p}" is not one of ${PARTS.join(', ')}`);
  }
  const plan: HaPlan = values.quick ? quickPlan : fullPlan;
  const all = parts.length === PARTS.length;
  // Only a full run of every part replaces the published figures unless asked.
  const write = values['no-write']
    ? false
    : (values.write ?? (plan.mode === 'full' && all && values['from-json'] === undefined));
  return {
    plan,
    parts: parts as Part[],
    write,
    json: values.json,
    fromJson: values['from-json'],
    keep: values.keep,
    help: values.help,
  };
}

function bootTimeS(): number {
  const m = /^btime\s+(\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  if (!m) throw new Error('/proc/stat has no btime: cannot tell process ages');
  return Number(m[1]);
}

async function main(): Promise<number> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.help) {
    log(
      readFileSync(fileURLToPath(import.meta.url), 'utf8')
        .split('*/')[0]!
        .replace(/^\/\*\*|^ \* ?/gm, ''),
    );
    return 0;
  }
  if (cli.fromJson !== undefined) {
    const saved = JSON.parse(readFileSync(cli.fromJson, 'utf8')) as { run: HaRunInfo; results: HaResults };
    log(renderSection(saved.run, saved.results));
    if (cli.write) writeSection(renderSection(saved.run, saved.results));
    return 0;
  }
  const plan = cli.plan;
  checkPlan(plan);
  const machine = describeMachine(repoRoot);
  const command = ['node --import tsx bench/ha/run.ts', ...process.argv.slice(2)].join(' ');
  const root = mkdtempSync(join(os.tmpdir(), 'duet-bench-ha-'));
  const processes = new Processes();
  const started = Date.now();
  const loadAtStart = os.loadavg();
  let pair: RunningPair | undefined;
  let solo: RunningSolo | undefined;
  let probe: CallProbe | undefined;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${signal}: stopping every process this run started`);
    probe?.close();
    void (async () => {
      await solo?.stop().catch(() => {});
      await pair?.stop().catch(() => {});
      await processes.stopAll();
    })().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  log(`bench/ha (${plan.mode}): ${cli.parts.join(', ')}; scratch ${root}`);
  log(
    `machine: ${machine.cpus} CPUs (${machine.model}); ${machine.sipp}; Node ${machine.node}; load ${loads()}`,
  );
  const results: HaResults = { errors: [] };
  const clkTck = machine.clkTck;
  try {
    const callee = await startPhone(processes, join(root, 'callee'));
    pair = await startPair(processes, { repoRoot, dir: join(root, 'pair'), syncAtOnce: plan.syncAtOnce });
    log(`pair up: SIP port ${pair.ports.sip}; SIP_A Primary, SIP_B synced Backup`);
    await registerDn(processes, {
      dir: join(root, 'register'),
      sipPort: pair.ports.sip,
      dn: LOAD_CALLEE,
      contactPort: callee.port,
    });
    const p = pair;

    if (cli.parts.includes('capacity')) {
      log(`\n== capacity: standalone vs pair primary (load ${loads()})`);
      try {
        solo = await startSolo(processes, { repoRoot, dir: join(root, 'solo'), syncAtOnce: plan.syncAtOnce });
        const s = solo;
        await registerDn(processes, {
          dir: join(root, 'register'),
          sipPort: s.sipPort,
          dn: LOAD_CALLEE,
          contactPort: callee.port,
        });
        const systems: CapacitySystem[] = [
          {
            name: 'standalone',
            sipPort: s.sipPort,
            pids: async () => ({ server: s.managed.pid }),
            isUp: () => s.managed.isRunning(),
          },
          {
            name: 'pair',
            sipPort: p.ports.sip,
            pids: async () => {
              const r = await p.roles();
              if (!r.primary || !r.backup) throw new Error('the pair has no primary and backup');
              return { primary: r.primary.pid, backup: r.backup.pid };
            },
            afterStep: async () => {
              const r = await p.roles();
              if (r.backup?.readyForSwitchover !== 1) return 'backup NOT in sync after the step';
              if (r.primary && r.backup.calls !== r.primary.calls)
                return `calls after the step: primary ${r.primary.calls}, backup ${r.backup.calls}`;
              return undefined;
            },
            isUp: () => p.up.isRunning(),
          },
        ];
        results.capacity = await compareCapacity({
          processes,
          plan,
          systems,
          dir: join(root, 'capacity'),
          clkTck,
          loadAvg,
          log,
        });
      } catch (err) {
        results.errors.push(`capacity: ${message(err)}`);
        log(`  capacity could not be measured to the end: ${message(err)}`);
      } finally {
        await solo?.stop();
        solo = undefined;
      }
    }

    if (cli.parts.includes('takeover')) {
      log(`\n== takeover: ${plan.kills} SIGKILLs of the primary (load ${loads()})`);
      try {
        const probeCallee = await startPhone(processes, join(root, 'probe-callee'));
        await registerDn(processes, {
          dir: join(root, 'register'),
          sipPort: p.ports.sip,
          dn: PROBE_CALLEE,
          contactPort: probeCallee.port,
        });
        probe = new CallProbe({ host: '127.0.0.1', port: p.ports.sip }, PROBE_CALLER, PROBE_CALLEE);
        await probe.open();
        // The probe path works before anything is killed.
        probe.startProbing(1000);
        const ok = await probe.firstAnswered(5000);
        probe.stopProbing();
        await probe.drain(3000);
        if (ok === undefined)
          throw new Error('a probe call through the healthy pair was not answered within 5 s');
        probe.stats.sent = 0;
        results.takeover = await takeoverRounds({
          processes,
          plan,
          pair: p,
          callee,
          probe,
          dir: join(root, 'takeover'),
          clkTck,
          bootTimeS: bootTimeS(),
          loadAvg,
          log,
        });
        if (results.takeover.length < plan.kills)
          results.errors.push(`takeover: stopped after ${results.takeover.length} of ${plan.kills} kills`);
      } catch (err) {
        results.errors.push(`takeover: ${message(err)}`);
        log(`  takeover could not be measured to the end: ${message(err)}`);
      } finally {
        probe?.close();
        probe = undefined;
      }
    }

    if (cli.parts.includes('resync')) {
      log(`\n== resync: ${plan.resyncCalls} calls, SIGKILL of the backup (load ${loads()})`);
      try {
        results.resync = await resync({ processes, plan, pair: p, dir: join(root, 'resync'), loadAvg, log });
      } catch (err) {
        results.errors.push(`resync: ${message(err)}`);
        log(`  resync could not be measured to the end: ${message(err)}`);
      }
    }
  } catch (err) {
    results.errors.push(message(err));
    log(`bench/ha: ${message(err)}`);
  } finally {
    probe?.close();
    await solo?.stop().catch(() => {});
    await pair?.stop().catch(() => {});
    await processes.stopAll();
  }

  const run = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command,
    durationS: (Date.now() - started) / 1000,
    machine,
    plan,
    loadAtStart,
    loadAtEnd: os.loadavg(),
  };
  log(`\n${renderSummary(plan, results)}`);
  if (cli.write) writeSection(renderSection(run, results));
  if (cli.json) {
    writeFileSync(cli.json, `${JSON.stringify({ run, results }, null, 2)}\n`);
    log(`written: ${cli.json}`);
  }
  const failed = results.errors.length > 0;
  if (cli.keep || failed) log(`scratch files kept: ${root}`);
  else rmSync(root, { recursive: true, force: true });
  log(`done in ${Math.round(run.durationS)} s`);
  return failed ? 1 : 0;
}

/** Replaces the "## HA pair" section of bench/RESULTS.md (read just before, so other sections stay as they are). */
function writeSection(section: string): void {
  let old: string | undefined;
  try {
    old = readFileSync(resultsFile, 'utf8');
  } catch {
    old = undefined;
  }
  writeFileSync(resultsFile, replaceSection(old, section));
  log(`written: ${resultsFile}`);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function loads(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
}

// Exit explicitly: every child is stopped by now, but a stop's grace timer may still be pending.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench/ha: ${message(err)}\n`);
    process.exit(2);
  },
);
