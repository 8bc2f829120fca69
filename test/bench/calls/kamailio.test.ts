/**
 * The reference side of the benchmark, end to end with real processes: Kamailio starts with
 * bench/kamailio/kamailio.cfg, the sipp callee registers through it, calls from the sipp caller are routed
 * to the callee and back with record-routing (ACK and BYE through Kamailio), and every process is gone after
 * stopAll. Timing is not asserted beyond generous bounds: speed is measured by the benchmark, not tested.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Processes } from '../../../bench/calls/children.ts';
import { startKamailio } from '../../../bench/calls/kamailio.ts';
import { clockTicks } from '../../../bench/calls/machine.ts';
import { type MeasureContext, registerCallee } from '../../../bench/calls/measure.ts';
import { quickPlan } from '../../../bench/calls/plan.ts';
import { freePort } from '../../../bench/calls/ports.ts';
import { processTree } from '../../../bench/calls/proc.ts';
import { parseStatCsv, runSippClient, startSippUas } from '../../../bench/calls/sipp.ts';
import { CALLEE } from '../../../bench/calls/users.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const scenarios = {
  uac: join(root, 'bench/calls/uac.xml'),
  uas: join(root, 'bench/calls/uas.xml'),
  register: join(root, 'bench/calls/register.xml'),
};

test('Kamailio registers the callee, routes 20 calls to it, and every process is stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-bench-kam-test-'));
  const processes = new Processes();
  let pids: number[] = [];
  try {
    const server = await startKamailio(processes, {
      cfg: join(root, 'bench/kamailio/kamailio.cfg'),
      port: await freePort(),
      dir: join(dir, 'kamailio'),
    });
    pids = processTree(server.managed.pid).map((s) => s.pid);
    assert.ok(pids.length >= 3, `kamailio runs as a main process and its children (${pids.length} seen)`);
    const uasPort = await freePort();
    const uas = startSippUas(processes, {
      dir: join(dir, 'uas'),
      scenario: scenarios.uas,
      port: uasPort,
      controlPort: await freePort(),
    });
    const ctx: MeasureContext = {
      processes,
      plan: quickPlan,
      scenarios,
      server,
      uas,
      uasPort,
      dir,
      clkTck: clockTicks(),
      log: () => {},
    };
    await registerCallee(ctx);

    const out = await runSippClient(processes, {
      name: 'calls',
      dir,
      scenario: scenarios.uac,
      server: { host: server.host, port: server.sipPort },
      localPort: await freePort(),
      controlPort: await freePort(),
      calls: 20,
      rate: 20,
      callMs: 200,
      service: CALLEE,
      deadlineMs: 30_000,
    });
    assert.equal(out.succeeded, 20, `20 calls succeed (see ${out.dir})`);
    assert.equal(out.failed, 0);
    assert.equal(out.rtts.valueMs.length, 20, 'one INVITE->200 time per call');
    assert.ok(out.killedAtDeadline === false);

    // The callee saw the dialogs end by BYE through the proxy: its statistics (a row a second; a call is
    // counted after uas.xml's 1 s timewait) reach 20 successful calls.
    const uasStat = join(dir, 'uas', 'stat.csv');
    let uasOk = '';
    for (let i = 0; i < 50 && uasOk !== '20'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      uasOk = existsSync(uasStat)
        ? (parseStatCsv(readFileSync(uasStat, 'utf8'))['SuccessfulCall(C)'] ?? '')
        : '';
    }
    assert.equal(uasOk, '20');
  } finally {
    await processes.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const pid of pids) assert.deepEqual(processTree(pid), [], `process ${pid} is gone`);
});

test('a call to a number nobody registered fails at Kamailio (404), so failures are counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-bench-kam-test-'));
  const processes = new Processes();
  try {
    const server = await startKamailio(processes, {
      cfg: join(root, 'bench/kamailio/kamailio.cfg'),
      port: await freePort(),
      dir: join(dir, 'kamailio'),
    });
    const out = await runSippClient(processes, {
      name: 'unregistered',
      dir,
      scenario: scenarios.uac,
      server: { host: server.host, port: server.sipPort },
      localPort: await freePort(),
      controlPort: await freePort(),
      calls: 3,
      rate: 10,
      callMs: 100,
      service: '2999',
      deadlineMs: 30_000,
    });
    assert.equal(out.succeeded, 0);
    assert.equal(out.failed, 3);
    assert.equal(out.rtts.valueMs.length, 0);
  } finally {
    await processes.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
