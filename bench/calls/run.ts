/**
 * Calls through one server, Duet vs Kamailio (the issue "one SIP Server", benchmark part).
 *
 *   node --import tsx bench/calls/run.ts [--quick] [--target duet|kamailio|both] [--write|--no-write]
 *                                        [--json FILE] [--keep]
 *
 * For each server, two phases on a fresh server each: (1) register the callee, REGISTER-rate search, CPU per
 * call at a fixed rate, call-rate search; (2) memory per established call. Then the figures side by side with
 * Duet/Kamailio ratios, printed and (full mode, or --write) written into bench/RESULTS.md under
 * "Calls through one server: Duet vs Kamailio". Every process started is stopped by PID at the end, also on
 * error and on Ctrl-C. Exit code 1 when a server could not be measured to the end.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Processes } from './children.ts';
import { startDuet } from './duet.ts';
import { startKamailio } from './kamailio.ts';
import { describeMachine } from './machine.ts';
import {
  callRate,
  cpuPerCall,
  type MeasureContext,
  memoryPerCall,
  registerCallee,
  registerRate,
} from './measure.ts';
import { checkPlan, fullPlan, type Plan, quickPlan } from './plan.ts';
import { freePort } from './ports.ts';
import { renderFigures, renderSection, replaceSection, type TargetResult, targetVerdict } from './report.ts';
import type { RunningServer, TargetName } from './server.ts';
import { startSippUas } from './sipp.ts';
import { registerUsers } from './users.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const scenarios = {
  uac: join(here, 'uac.xml'),
  uas: join(here, 'uas.xml'),
  register: join(here, 'register.xml'),
};
const kamailioCfg = join(repoRoot, 'bench/kamailio/kamailio.cfg');
const resultsFile = join(repoRoot, 'bench/RESULTS.md');

const log = (line: string) => process.stdout.write(`${line}\n`);

function parseCli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      target: { type: 'string', default: 'both' },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean' },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const target = values.target;
  if (target !== 'duet' && target !== 'kamailio' && target !== 'both') {
    throw new Error(`--target: "${target}" is not one of duet, kamailio, both`);
  }
  const targets: TargetName[] = target === 'both' ? ['duet', 'kamailio'] : [target];
  const plan: Plan = values.quick ? quickPlan : fullPlan;
  const write = values['no-write'] ? false : (values.write ?? plan.mode === 'full');
  return { plan, targets, write, json: values.json, keep: values.keep, help: values.help };
}

async function startServer(
  processes: Processes,
  target: TargetName,
  dir: string,
  plan: Plan,
): Promise<RunningServer> {
  if (target === 'kamailio')
    return startKamailio(processes, { cfg: kamailioCfg, port: await freePort(), dir });
  const ports = {
    sip: await freePort(),
    http: await freePort(),
    ha: await freePort(),
    cti: await freePort(),
    lca: await freePort(),
    scs: await freePort(),
  };
  return startDuet(processes, { repoRoot, ports, dir, registerUsers: registerUsers(plan.registerUsers) });
}

/** Starts a fresh server and callee, registers the callee, runs `body`, and stops both whatever happens. */
async function phase<T>(
  processes: Processes,
  target: TargetName,
  dir: string,
  plan: Plan,
  clkTck: number,
  body: (ctx: MeasureContext) => Promise<T>,
): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const server = await startServer(processes, target, join(dir, 'server'), plan);
  let uas: ReturnType<typeof startSippUas> | undefined;
  try {
    const uasPort = await freePort();
    uas = startSippUas(processes, {
      dir: join(dir, 'uas'),
      scenario: scenarios.uas,
      port: uasPort,
      controlPort: await freePort(),
    });
    const ctx: MeasureContext = { processes, plan, scenarios, server, uas, uasPort, dir, clkTck, log };
    await registerCallee(ctx);
    return await body(ctx);
  } finally {
    if (uas) await processes.stop(uas);
    await processes.stop(server.managed);
  }
}

async function benchTarget(
  processes: Processes,
  target: TargetName,
  root: string,
  plan: Plan,
  clkTck: number,
): Promise<TargetResult> {
  const result: TargetResult = { target, loadAvgAtStart: os.loadavg()[0] ?? 0 };
  log(`\n== ${target} (load average ${result.loadAvgAtStart.toFixed(2)})`);
  try {
    await phase(processes, target, join(root, target, 'rates'), plan, clkTck, async (ctx) => {
      log(' REGISTER rate');
      result.register = await registerRate(ctx);
      log(` CPU per call at ${plan.cpuRate} calls/s`);
      result.cpu = await cpuPerCall(ctx);
      log(' call rate');
      result.calls = await callRate(ctx);
    });
    // Half the carried rate (at most the plan's), so the ramp itself is no stress test.
    const memRate = Math.min(plan.memRate, Math.max(20, Math.floor((result.calls?.best ?? 0) / 2)));
    await phase(processes, target, join(root, target, 'memory'), plan, clkTck, async (ctx) => {
      log(' memory per established call');
      result.memory = await memoryPerCall(ctx, memRate);
    });
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(` ${target} could not be measured to the end: ${result.error}`);
  }
  return result;
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
  checkPlan(cli.plan);
  const machine = describeMachine(repoRoot);
  const command = ['node --import tsx bench/calls/run.ts', ...process.argv.slice(2)].join(' ');
  const root = mkdtempSync(join(os.tmpdir(), 'duet-bench-calls-'));
  const processes = new Processes();
  const started = Date.now();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${signal}: stopping every process this run started`);
    void processes.stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  log(`bench/calls (${cli.plan.mode}): ${cli.targets.join(', ')}; scratch ${root}`);
  log(
    `machine: ${machine.cpus} CPUs (${machine.model}); ${machine.sipp}; ${machine.kamailio}; Node ${machine.node}`,
  );
  const results: TargetResult[] = [];
  try {
    for (const target of cli.targets)
      results.push(await benchTarget(processes, target, root, cli.plan, machine.clkTck));
  } finally {
    await processes.stopAll();
  }

  const run = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command,
    durationS: (Date.now() - started) / 1000,
    machine,
    plan: cli.plan,
  };
  const duet = results.find((r) => r.target === 'duet');
  const kamailio = results.find((r) => r.target === 'kamailio');
  log(`\n${renderFigures(cli.plan, duet, kamailio)}`);
  log(`\nTarget (call capacity >= Kamailio's): ${targetVerdict(cli.plan, duet, kamailio)}`);
  if (cli.write) {
    let old: string | undefined;
    try {
      old = readFileSync(resultsFile, 'utf8');
    } catch {
      old = undefined;
    }
    writeFileSync(resultsFile, replaceSection(old, renderSection(run, results)));
    log(`written: ${resultsFile}`);
  }
  if (cli.json) {
    writeFileSync(cli.json, `${JSON.stringify({ run, results }, null, 2)}\n`);
    log(`written: ${cli.json}`);
  }
  const failed = results.some((r) => r.error !== undefined);
  if (cli.keep || failed) log(`scratch files kept: ${root}`);
  else rmSync(root, { recursive: true, force: true });
  log(`done in ${Math.round(run.durationS)} s`);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench/calls: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
