/**
 * Listener failure (SPEC S5, seed 001), with real processes: a single-host pair (`duet up`) whose SIP port is
 * held by another process (a UDP socket in a child process) before either server opens it. The primary cannot
 * open its listener: 00-04200 is logged, the server stays Running, and the SCS gives the primary role to the
 * other server, alternating while neither can open it. When the port is released, one of them opens it and
 * the service is up (sipp OPTIONS answered) with no manual step.
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
import { freePort, type RunningServer, sippRun } from './harness.ts';

interface ServerStatus {
  role: string;
  status: string;
  sipListener: { open: boolean; failed: boolean };
}

async function status(port: number): Promise<ServerStatus | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/server?sipServer`);
    return (await res.json()) as ServerStatus;
  } catch {
    return undefined;
  }
}

/** A process that holds UDP 127.0.0.1:port until killed; resolves once the port is bound. */
function holdUdpPort(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('node:dgram').createSocket('udp4');
       s.bind(${port}, '127.0.0.1', () => console.log('bound'));
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the port holder exited (${code})`)));
  });
}

const children: ChildProcess[] = [];
after(async () => {
  for (const c of children.reverse()) await stopChild(c);
});

test(
  'SIP port taken: 00-04200, the role alternates, the service resumes by itself once the port is free',
  { skip: skipUnless('sipp') },
  async () => {
    const [sip, httpA, httpB, haA, haB, lca, scs, ctiA, ctiB] = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => freePort()),
    );
    const dir = mkdtempSync(join(tmpdir(), 'duet-listener-'));
    const config = join(dir, 'pair.yaml');
    const server = (http: number, ha: number, cti: number): string =>
      `    type: sip-server\n    host: h\n    options:\n      TServer: { sip-port: ${sip}, http-port: ${http}, ha-port: ${ha}, cti-port: ${cti} }\n      backup-sync: { protocol: addp, addp-timeout: 0.5, addp-remote-timeout: 0.5 }\n      log: { verbose: standard }\n`;
    writeFileSync(
      config,
      `hosts:\n  h: { address: 127.0.0.1, lca-port: ${lca} }\napplications:\n  SIP_A:\n${server(httpA, haA, ctiA)}  SIP_B:\n${server(httpB, haB, ctiB)}` +
        `ha-pairs:\n  PAIR: { primary: SIP_A, backup: SIP_B, redundancy-type: hot-standby }\n` +
        `scs: { host: h, port: ${scs}, token: listener-test-token-0123, link-secret: listener-test-secret-0123 }\n` +
        `dns:\n  "1001": { type: Extension }\n` +
        `alarms:\n  - { name: listener, event-id: "00-04200", clear-on: "10-30003" }\n`,
    );

    // The port is taken BEFORE either server tries to open it.
    const holder = await holdUdpPort(sip);
    children.push(holder);

    let log = '';
    const up = spawn(
      process.execPath,
      [join(repoRoot, 'bin/duet.mjs'), 'up', '--config', config, '--data-dir', join(dir, 'var')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(up);
    for (const s of [up.stdout, up.stderr]) {
      s?.setEncoding('utf8').on('data', (c: string) => {
        log = (log + c).slice(-200_000);
      });
    }
    const fail = (e: unknown): never =>
      assert.fail(`${e}\n--- duet up output (tail) ---\n${log.slice(-6000)}`);

    // 00-04200 from the configured primary; the SCS gives the role to SIP_B, which cannot open the port
    // either (00-04200 again), and back to SIP_A: the role alternates while the port is taken.
    const failedBy = (app: string): number =>
      log.split('\n').filter((l) => l.includes('"event":"00-04200"') && l.includes(`"app":"${app}"`)).length;
    await until('00-04200 logged by SIP_A', () => failedBy('SIP_A') >= 1, 40_000).catch(fail);
    await until('SIP_B made primary, and failing too', () => failedBy('SIP_B') >= 1, 40_000).catch(fail);
    assert.match(log, /failover from SIP_A: SIP_A could not open its SIP listener \(00-04200\)/);
    await until(
      'the role back to SIP_A',
      () => /failover from SIP_B: SIP_B could not open its SIP listener/.test(log),
      40_000,
    ).catch(fail);
    // Both servers stay Running (not ServiceUnavailable, not exited) while the port is taken.
    for (const port of [httpA, httpB]) {
      const st = await status(port);
      assert.ok(st, 'both servers answer');
      assert.equal(st.status, 'Running');
      assert.equal(st.sipListener.open, false);
    }
    // The SCS raised the alarm.
    const alarms = (await (await fetch(`http://127.0.0.1:${scs}/api/alarms`)).json()) as {
      alarms: { condition: string; eventId: string }[];
    };
    assert.ok(alarms.alarms.some((a) => a.condition === 'listener' && a.eventId === '00-04200'));

    // Release the port: with no manual step, one server opens it and answers SIP.
    const releasedAt = Date.now();
    await stopChild(holder, 'SIGKILL');
    await until(
      'a primary with its SIP listener open',
      async () => {
        for (const port of [httpA, httpB]) {
          const st = await status(port);
          if (st?.role === 'Primary' && st.sipListener.open) return true;
        }
        return false;
      },
      60_000,
    ).catch(fail);
    const resumedAfter = Date.now() - releasedAt;
    const options = await sippRun({ sipPort: sip } as RunningServer, 'options.xml', ['-m', '1'], 20);
    assert.equal(options.code, 0, `sipp OPTIONS: ${options.stderr}\n${options.errors}`);
    // The listener alarm of a server clears itself when that server opens its listener (clear-on 10-30003):
    // switch over until both have (the one that opened it first, then the other).
    const token = 'listener-test-token-0123';
    for (const _ of [1, 2]) {
      const primaryBefore = (await status(httpA))?.role === 'Primary' ? httpA : httpB;
      const next = primaryBefore === httpA ? httpB : httpA;
      await until(
        'both ready for a switchover',
        async () => {
          const res = await fetch(`http://127.0.0.1:${scs}/api/switchover`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ pair: 'PAIR' }),
          });
          return res.status === 202;
        },
        30_000,
      ).catch(fail);
      await until(
        'the other server primary with its listener open',
        async () => {
          const st = await status(next);
          return st?.role === 'Primary' && st.sipListener.open;
        },
        30_000,
      ).catch(fail);
    }
    await until(
      'an alarm cleared by 10-30003',
      async () => {
        const a = (await (await fetch(`http://127.0.0.1:${scs}/api/alarms`)).json()) as {
          alarms: unknown[];
          cleared: { clearedBy?: string }[];
        };
        if (a.alarms.length > 0) return false;
        return a.cleared.filter((c) => /10-30003/.test(c.clearedBy ?? '')).length >= 2;
      },
      10_000,
    ).catch(fail);
    process.stdout.write(`# service resumed ${resumedAfter} ms after the port was released\n`);
  },
);
