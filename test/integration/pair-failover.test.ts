/**
 * Failover with calls up (the HA-pair issue), with real processes: `duet up` runs the SCS, the LCA and both
 * servers on loopback; 200 calls are established through the pair between sipp phones; the primary server
 * process is SIGKILLed; every call is then ended by the caller's BYE through the new primary, and the callee
 * side gets its BYE too (both legs continued with the right CSeq and route set); a new call succeeds. The
 * takeover time (kill -> first new call answered) and the calls lost are printed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot, stopChild } from '../helpers/processes.ts';
import { skipUnless } from '../helpers/tools.ts';
import { until } from '../helpers/until.ts';
import { freePort, type RunningServer, register, sippBackground, sippRun, stopAllSipps } from './harness.ts';

const CALLS = 200;

interface ServerStatus {
  role: string;
  calls: number;
  callsEstablished: number;
  contacts: number;
  haLink: string;
  readyForSwitchover: number;
  pid: number;
}

async function status(port: number): Promise<ServerStatus | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/server?sipServer`);
    return (await res.json()) as ServerStatus;
  } catch {
    return undefined;
  }
}

let up: ChildProcess | undefined;
after(async () => {
  await stopAllSipps();
  if (up) await stopChild(up);
});

test(
  '200 established calls survive a SIGKILL of the primary; new calls succeed after the takeover',
  {
    skip: skipUnless('sipp'),
  },
  async (t) => {
    const [sip, httpA, httpB, haA, haB, lca, scs, ctiA, ctiB] = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => freePort()),
    );
    const dir = mkdtempSync(join(tmpdir(), 'duet-pair-'));
    const config = join(dir, 'pair.yaml');
    const server = (http: number, ha: number, cti: number): string =>
      `    type: sip-server\n    host: h\n    options:\n      TServer: { sip-port: ${sip}, http-port: ${http}, ha-port: ${ha}, cti-port: ${cti} }\n      backup-sync: { protocol: addp, addp-timeout: 0.5, addp-remote-timeout: 0.5 }\n      log: { verbose: standard }\n`;
    writeFileSync(
      config,
      `hosts:\n  h: { address: 127.0.0.1, lca-port: ${lca} }\napplications:\n  SIP_A:\n${server(httpA, haA, ctiA)}  SIP_B:\n${server(httpB, haB, ctiB)}` +
        `ha-pairs:\n  PAIR: { primary: SIP_A, backup: SIP_B, redundancy-type: hot-standby }\n` +
        `scs: { host: h, port: ${scs}, token: failover-test-token-0123, link-secret: failover-test-secret-0123 }\n` +
        `dns:\n  "1001": { type: Extension }\n  "1002": { type: Extension }\n`,
    );
    let log = '';
    up = spawn(
      process.execPath,
      [join(repoRoot, 'bin/duet.mjs'), 'up', '--config', config, '--data-dir', join(dir, 'var')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    up.stdout?.setEncoding('utf8').on('data', (c: string) => {
      log = (log + c).slice(-20_000);
    });
    up.stderr?.setEncoding('utf8').on('data', (c: string) => {
      log = (log + c).slice(-20_000);
    });

    await until(
      'SIP_A primary, SIP_B synced backup',
      async () =>
        (await status(httpA))?.role === 'Primary' && (await status(httpB))?.readyForSwitchover === 1,
      30_000,
    ).catch((e) => assert.fail(`${e}\n${log}`));
    const target: RunningServer = { sipPort: sip } as RunningServer;

    const callee = await sippBackground('callee-answer.xml', [
      '-d',
      '100',
      '-m',
      String(CALLS),
      '-l',
      String(CALLS),
    ]);
    await register(target, '1002', callee.port);
    const callers = sippRun(
      target,
      'call-uac.xml',
      [
        '-key',
        'caller',
        '1001',
        '-s',
        '1002',
        '-d',
        '20000',
        '-m',
        String(CALLS),
        '-r',
        '100',
        '-l',
        String(CALLS),
      ],
      90,
    );
    // Established, not merely created: a call still being answered at the kill is a request in flight, which
    // the seeds let a failure lose (the callee's 200 may be ACKed by the dying primary before it is synced).
    await until(
      'all calls established and synced',
      async () =>
        (await status(httpA))?.callsEstablished === CALLS &&
        (await status(httpB))?.callsEstablished === CALLS,
      20_000,
    );
    const before = await status(httpB);
    assert.equal(before?.contacts, 1, 'the registration is on the backup');

    const primaryPid = (await status(httpA))!.pid;
    const killedAt = Date.now();
    process.kill(primaryPid, 'SIGKILL');

    // Takeover: the first new call answered through the pair after the kill.
    let answeredAt = 0;
    const probe = await sippBackground('callee-answer.xml', ['-d', '50', '-m', '100']);
    await register({ sipPort: sip } as RunningServer, '1001', probe.port).catch(() => {});
    while (!answeredAt) {
      const r = await sippRun(
        target,
        'call-uac.xml',
        ['-key', 'caller', '1002', '-s', '1001', '-d', '100', '-m', '1'],
        3,
      );
      if (r.code === 0) answeredAt = Date.now();
      else if (Date.now() - killedAt > 30_000) assert.fail(`no call answered 30 s after the kill\n${log}`);
    }
    const takeoverMs = answeredAt - killedAt;

    const result = await callers;
    const ok = Number(result.stats['SuccessfulCall(C)']);
    const lost = CALLS - ok;
    t.diagnostic(
      `takeover (kill -> first new call answered): ${takeoverMs} ms; calls lost: ${lost} of ${CALLS}`,
    );
    assert.equal(result.code, 0, result.errors.slice(0, 3000));
    assert.equal(lost, 0);
    const calleeExit = await new Promise<number | null>((done) => {
      if (callee.child.exitCode !== null) done(callee.child.exitCode);
      else callee.child.once('exit', done);
    });
    assert.equal(calleeExit, 0, `every callee leg got its BYE: ${callee.output().slice(-1500)}`);
    const after = await status(httpB);
    assert.equal(after?.role, 'Primary');
    assert.ok((after?.contacts ?? 0) >= 1, 'registrations survived');
  },
);
