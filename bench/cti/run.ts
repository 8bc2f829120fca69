/**
 * CTI benchmark (issue 5): the latency from an INVITE arriving to EventRinging at the CTI client, with many
 * clients connected and a steady call rate. Bounded in count and time.
 *
 *   node --import tsx bench/cti/run.ts [--clients 500] [--rate 100] [--seconds 30] [--call-ms 1000]
 *                                      [--quick] [--write|--no-write] [--keep]
 *
 * One `duet server` (bench/cti/config.ts); one sipp callee (bench/calls/uas.xml) registered as every agent DN;
 * `--clients` duet/cti clients in this process, each registered on its own DN; sipp (bench/cti/uac.xml) calls
 * the DNs in turn at `--rate` calls/s for `--seconds` s through the timing tap (bench/cti/tap.ts), which is
 * trunk 9001 for Duet. Latency = EventRinging at the client - INVITE at the tap, both on performance.now().
 * The section "## CTI: INVITE to EventRinging" of bench/RESULTS.md is rewritten (full run, or --write).
 * Every process started is stopped by PID at the end, also on error and Ctrl-C.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CtiClient } from '../../src/client/cti/index.ts';
import { NodeClock } from '../../src/runtime/node/clock.ts';
import { NodeNet } from '../../src/runtime/node/net.ts';
import { Processes } from '../calls/children.ts';
import { describeMachine } from '../calls/machine.ts';
import { freePort } from '../calls/ports.ts';
import { treeCpuTicks } from '../calls/proc.ts';
import { offeredRate, runSippClient, startSippClient, startSippUas } from '../calls/sipp.ts';
import { agentDns, BENCH_APP, CTI_APP, CTI_PASSWORD, ctiBenchConfig } from './config.ts';
import { type CtiBenchResult, renderSection, replaceSection } from './report.ts';
import { startTap } from './tap.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const resultsFile = join(repoRoot, 'bench/RESULTS.md');
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function intOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(`--${name}: an integer in ${min}-${max} expected, got ${String(raw)}`);
  }
  return v;
}

function cli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      'call-ms': { type: 'string' },
      quick: { type: 'boolean', default: false },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean' },
      keep: { type: 'boolean', default: false },
    },
  });
  const quick = values.quick === true;
  return {
    quick,
    clients: intOption(values, 'clients', quick ? 50 : 500, 1, 5000),
    rate: intOption(values, 'rate', quick ? 20 : 100, 1, 1000),
    seconds: intOption(values, 'seconds', quick ? 5 : 30, 1, 600),
    callMs: intOption(values, 'call-ms', 1000, 0, 60_000),
    write: values['no-write'] === true ? false : values.write === true || !quick,
    keep: values.keep === true,
  };
}

async function waitHttp(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!alive()) throw new Error('duet server exited during its start');
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`duet server: /healthz on port ${port} did not answer within ${timeoutMs} ms`);
}

async function waitTcp(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((done) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        done(true);
      });
      s.once('error', () => done(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`the CTI port ${port} did not open within ${timeoutMs} ms`);
}

async function main(): Promise<number> {
  const o = cli(process.argv.slice(2));
  const command = `npm run bench:cti${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const processes = new Processes();
  const dir = mkdtempSync(join(os.tmpdir(), 'duet-bench-cti-'));
  const clients: CtiClient[] = [];
  let completed = false;
  let tap: Awaited<ReturnType<typeof startTap>> | undefined;
  const stopAll = async () => {
    for (const c of clients) c.close();
    await tap?.close();
    await processes.stopAll();
  };
  process.once('SIGINT', () => {
    void stopAll().then(() => process.exit(130));
  });
  try {
    const machine = describeMachine(repoRoot);
    const dns = agentDns(o.clients);
    const ports = {
      sip: await freePort(),
      http: await freePort(),
      ha: await freePort(),
      cti: await freePort(),
      lca: await freePort(),
      scs: await freePort(),
      tap: await freePort(),
    };
    const configFile = join(dir, 'duet.yaml');
    writeFileSync(configFile, ctiBenchConfig({ ports, logFile: join(dir, 'duet-log.jsonl'), dns }));
    log(`bench/cti: ${o.clients} clients, ${o.rate} calls/s for ${o.seconds} s; scratch ${dir}`);

    const duet = processes.start(
      'duet server',
      process.execPath,
      [
        join(repoRoot, 'bin/duet.mjs'),
        'server',
        '--config',
        configFile,
        '--app',
        BENCH_APP,
        '--data-dir',
        join(dir, 'var'),
      ],
      { cwd: dir, logFile: join(dir, 'duet.out') },
    );
    await waitHttp(ports.http, 30_000, () => duet.isRunning());
    await waitTcp(ports.cti, 10_000);

    // The phones: one sipp answering every INVITE, registered as every agent DN.
    const uasPort = await freePort();
    const uas = startSippUas(processes, {
      dir: join(dir, 'uas'),
      scenario: join(repoRoot, 'bench/calls/uas.xml'),
      port: uasPort,
      controlPort: await freePort(),
    });
    const usersCsv = join(dir, 'users.csv');
    writeFileSync(usersCsv, ['SEQUENTIAL', ...dns.map((d) => `${d};127.0.0.1:${uasPort}`), ''].join('\n'));
    const reg = await runSippClient(processes, {
      name: 'register',
      dir,
      scenario: join(repoRoot, 'bench/calls/register.xml'),
      server: { host: '127.0.0.1', port: ports.sip },
      localPort: await freePort(),
      controlPort: await freePort(),
      calls: dns.length,
      rate: 200,
      inf: usersCsv,
      deadlineMs: 60_000,
    });
    if (reg.succeeded !== dns.length) {
      throw new Error(
        `only ${reg.succeeded} of ${dns.length} REGISTERs got a 200 (see ${reg.dir}/errors.log)`,
      );
    }
    log(`registered ${dns.length} DNs`);

    // The clients, connected in batches; each records when EventRinging arrives, by caller number.
    const ringAt = new Map<string, number>();
    const clock = new NodeClock();
    const cnet = new NodeNet();
    for (let i = 0; i < dns.length; i += 50) {
      await Promise.all(
        dns.slice(i, i + 50).map(async (dn) => {
          const c = new CtiClient({
            servers: [{ host: '127.0.0.1', port: ports.cti }],
            application: CTI_APP,
            password: CTI_PASSWORD,
            clock,
            net: cnet,
          });
          clients.push(c);
          c.on('event', (e) => {
            if (e.message === 'EventRinging' && e.OtherDN !== null && !ringAt.has(e.OtherDN)) {
              ringAt.set(e.OtherDN, performance.now());
            }
          });
          await c.connect();
          await c.register(dn);
        }),
      );
    }
    const stats = (await (
      await fetch(`http://127.0.0.1:${ports.http}/server?tLibClientsStatistics`)
    ).json()) as {
      totals?: { registeredClients?: number };
      clients?: Array<{ registeredDns: string[] }>;
    };
    const clientsRegistered = (stats.clients ?? []).filter((c) => c.registeredDns.length > 0).length;
    log(`${clients.length} CTI clients connected, ${clientsRegistered} registered on a DN (server's view)`);

    tap = await startTap({ port: ports.tap, server: { host: '127.0.0.1', port: ports.sip } });
    const dialCsv = join(dir, 'dial.csv');
    writeFileSync(dialCsv, ['SEQUENTIAL', ...dns, ''].join('\n'));
    const calls = o.rate * o.seconds;
    const LOOP_RESOLUTION_MS = 5;
    const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loop.enable();
    const loadAtStart = os.loadavg();
    const cpuBefore = treeCpuTicks(duet.pid);
    const uasBefore = treeCpuTicks(uas.pid);
    const benchBefore = process.cpuUsage();
    const t0 = Date.now();
    const caller = startSippClient(processes, {
      name: 'calls',
      dir,
      scenario: join(here, 'uac.xml'),
      server: { host: '127.0.0.1', port: ports.tap },
      localPort: await freePort(),
      controlPort: await freePort(),
      calls,
      rate: o.rate,
      callMs: o.callMs,
      inf: dialCsv,
      deadlineMs: o.seconds * 1000 + o.callMs + 60_000,
    });
    const out = await caller.done;
    const cpuTicks = treeCpuTicks(duet.pid) - cpuBefore;
    const uasTicks = treeCpuTicks(uas.pid) - uasBefore;
    const benchCpu = process.cpuUsage(benchBefore);
    const wallS = (Date.now() - t0) / 1000;
    const loadAtEnd = os.loadavg();
    loop.disable();
    await sleep(1000); // the last events

    const latenciesMs: number[] = [];
    let unmatched = 0;
    for (const [caller, at] of tap.arrivals) {
      const rang = ringAt.get(caller);
      if (rang === undefined) unmatched++;
      else latenciesMs.push(rang - at);
    }
    const result: CtiBenchResult = {
      date: new Date().toISOString().slice(0, 10),
      command,
      machine,
      clients: clients.length,
      clientsRegistered,
      rate: o.rate,
      seconds: o.seconds,
      callMs: o.callMs,
      callsAsked: calls,
      callsSucceeded: out.succeeded,
      invitesSeen: tap.arrivals.size,
      latenciesMs,
      unmatched,
      serverCpuPercent: wallS > 0 ? (cpuTicks / machine.clkTck / wallS) * 100 : undefined,
      // The histogram holds the interval between samples: the delay is what exceeds the resolution.
      benchLoopDelayP99Ms: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
      offeredRate: offeredRate(out.rtts.atMs),
      loadAtStart,
      loadAtEnd,
      benchCpuPercent: wallS > 0 ? ((benchCpu.user + benchCpu.system) / 1e6 / wallS) * 100 : undefined,
      sippCpuPercent: wallS > 0 ? ((out.cpuTicks + uasTicks) / machine.clkTck / wallS) * 100 : undefined,
    };
    const section = renderSection(result);
    log('');
    log(section);
    if (o.write) {
      let old: string | undefined;
      try {
        old = readFileSync(resultsFile, 'utf8');
      } catch {
        old = undefined;
      }
      writeFileSync(resultsFile, replaceSection(old, section));
      log(`\nwritten to ${resultsFile}`);
    }
    if (out.failed > 0) log(`\nnote: ${out.failed} calls failed (sipp: ${out.dir}/errors.log)`);
    completed = out.failed === 0;
    return latenciesMs.length > 0 ? 0 : 1;
  } finally {
    await stopAll();
    if (!o.keep && completed) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench/cti: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
