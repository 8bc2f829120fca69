/**
 * Backup initialization check (SPEC S6.2, seeds 000/002), with real processes: a single-host pair (`duet up`)
 * with `backup-init-check: true` and `backup-init-check-timeout: 15` on both servers. Before the pair starts,
 * another process holds the backup's (SIP_B's) http-port and cti-port, so two of its components ("http" and
 * "cti") fail to initialize for real. Shown:
 * - SIP_B logs 10-30016 naming the http and cti components, and reports ServiceUnavailable to the SCS (seen in
 *   the SCS API and in `duet status --json`) within the timeout plus a margin; SIP_A is the primary;
 * - the primary's process is SIGKILLed: the SCS does NOT promote SIP_B (10-62002 "failover blocked", SIP_B
 *   stays Backup), restarts SIP_A, and SIP_A becomes the primary again;
 * - the ports are released: the same backup process (no restart) opens them by its own retries (every 5 s;
 *   10-10008 and 10-70006 were logged once each for the whole episode, then 10-10009 and 10-70005), reports
 *   10-30017 and Running within a bound, and the alarm is cleared by 10-30017; a second SIGKILL of the
 *   primary now promotes it (the control: the first failover was blocked by the init check, not by anything
 *   else).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot, stopChild } from '../helpers/processes.ts';
import { until } from '../helpers/until.ts';
import { freePort } from './harness.ts';

const INIT_TIMEOUT_S = 15;
const TOKEN = 'init-check-test-token-0123';

interface ServerView {
  app: string;
  process: string;
  pid: number | null;
  status: string | null;
  mode: string | null;
  running: boolean;
}
interface PairView {
  primary: string | null;
  failoverBlocked: string | null;
  servers: ServerView[];
}
interface ScsStatus {
  pairs: PairView[];
  events: { id: string; app: string; text: string }[];
}
interface Alarms {
  alarms: { condition: string; eventId: string; app: string }[];
  cleared: { condition: string; app: string; clearedBy?: string }[];
}

async function scsGet<T>(port: number, path: string): Promise<T | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) });
    return res.status === 200 ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** A process that holds TCP 127.0.0.1:port (each of them) until killed; resolves once they are bound. */
function holdTcpPorts(ports: number[]): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const net = require('node:net'); let n = ${ports.length};` +
        `for (const p of ${JSON.stringify(ports)}) net.createServer().listen(p, '127.0.0.1', () => { if (--n === 0) console.log('bound'); });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the port holder exited (${code})`)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const children: ChildProcess[] = [];
/** Every server PID seen: `duet up` stops them, and anything left is killed by PID. */
const serverPids = new Set<number>();
after(async () => {
  for (const c of children.reverse()) await stopChild(c);
  for (const pid of serverPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

test(
  'backup-init-check: a backup whose HTTP and CTI ports are taken is ServiceUnavailable, not promoted, and recovers by itself once they are free',
  { timeout: 240_000 },
  async (t) => {
    const [sip, httpA, httpB, haA, haB, lca, scs, ctiA, ctiB] = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => freePort()),
    );
    const dir = mkdtempSync(join(tmpdir(), 'duet-init-check-'));
    const config = join(dir, 'pair.yaml');
    const server = (http: number, ha: number, cti: number): string =>
      `    type: sip-server\n    host: h\n    options:\n` +
      `      TServer: { sip-port: ${sip}, http-port: ${http}, ha-port: ${ha}, cti-port: ${cti}, ` +
      `backup-init-check: true, backup-init-check-timeout: ${INIT_TIMEOUT_S} }\n` +
      `      backup-sync: { protocol: addp, addp-timeout: 0.5, addp-remote-timeout: 0.5 }\n` +
      `      log: { verbose: standard }\n`;
    writeFileSync(
      config,
      `hosts:\n  h: { address: 127.0.0.1, lca-port: ${lca} }\napplications:\n  SIP_A:\n${server(httpA, haA, ctiA)}  SIP_B:\n${server(httpB, haB, ctiB)}` +
        `ha-pairs:\n  PAIR: { primary: SIP_A, backup: SIP_B, redundancy-type: hot-standby }\n` +
        `scs: { host: h, port: ${scs}, token: ${TOKEN}, link-secret: init-check-test-secret-0123 }\n` +
        `dns:\n  "1001": { type: Extension }\n` +
        `alarms:\n  - { name: backup-init, event-id: "10-30016", clear-on: "10-30017" }\n`,
    );

    // SIP_B's HTTP and CTI ports are taken BEFORE the pair starts: "http" and "cti" fail to initialize.
    const holder = await holdTcpPorts([httpB, ctiB]);
    children.push(holder);

    let log = '';
    const startedAt = Date.now();
    const up = spawn(
      process.execPath,
      [join(repoRoot, 'bin/duet.mjs'), 'up', '--config', config, '--data-dir', join(dir, 'var')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(up);
    for (const s of [up.stdout, up.stderr]) {
      s?.setEncoding('utf8').on('data', (c: string) => {
        log = (log + c).slice(-400_000);
      });
    }
    const fail = (e: unknown): never =>
      assert.fail(`${e}\n--- duet up output (tail) ---\n${log.slice(-8000)}`);
    const lines = (event: string, app: string): string[] =>
      log.split('\n').filter((l) => l.includes(`"event":"${event}"`) && l.includes(`"app":"${app}"`));
    const pair = async (): Promise<PairView | undefined> =>
      (await scsGet<ScsStatus>(scs, '/api/status'))?.pairs[0];
    const view = (p: PairView | undefined, app: string): ServerView | undefined =>
      p?.servers.find((s) => s.app === app);
    const remember = (p: PairView | undefined): void => {
      for (const s of p?.servers ?? []) if (s.pid !== null) serverPids.add(s.pid);
    };

    // 1. SIP_B: 10-30016 naming the http component, ServiceUnavailable at the SCS; SIP_A primary.
    const margin = 30_000;
    await until(
      'SIP_B reports ServiceUnavailable (backup init check), SIP_A Primary',
      async () => {
        const p = await pair();
        remember(p);
        const a = view(p, 'SIP_A');
        const b = view(p, 'SIP_B');
        return (
          a?.mode === 'Primary' &&
          a.status === 'Running' &&
          b?.mode === 'Backup' &&
          b.status === 'ServiceUnavailable' &&
          lines('10-30016', 'SIP_B').length > 0
        );
      },
      INIT_TIMEOUT_S * 1000 + margin,
    ).catch(fail);
    const seenAfter = Date.now() - startedAt;
    // The reason names each failed component with its error (the CTI and HTTP ports fail in either order).
    await until(
      'SIP_B names both components',
      async () =>
        lines('10-30016', 'SIP_B').some(
          (l) => /http failed \(.*EADDRINUSE/.test(l) && /cti failed \(.*EADDRINUSE/.test(l),
        ),
      10_000,
    ).catch(fail);
    assert.equal(lines('10-30016', 'SIP_A').length, 0, 'the primary passed its own check');
    // The reason reaches the SCS too (the event, forwarded through the LCA), and the configured alarm is raised.
    await until(
      'the SCS has the 10-30016 event and the backup-init alarm',
      async () => {
        const st = await scsGet<ScsStatus>(scs, '/api/status');
        const alarms = await scsGet<Alarms>(scs, '/api/alarms');
        return (
          (st?.events.some((e) => e.id === '10-30016' && e.app === 'SIP_B' && /http/.test(e.text)) ??
            false) &&
          (alarms?.alarms.some((a) => a.condition === 'backup-init' && a.app === 'SIP_B') ?? false)
        );
      },
      10_000,
    ).catch(fail);
    // `duet status --json` shows the same.
    const statusCli = await new Promise<{ code: number | null; out: string }>((done) => {
      const c = spawn(
        process.execPath,
        [join(repoRoot, 'bin/duet.mjs'), 'status', '--config', config, '--json'],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      children.push(c);
      let out = '';
      c.stdout?.setEncoding('utf8').on('data', (s: string) => {
        out += s;
      });
      c.once('exit', (code) => done({ code, out }));
    });
    assert.equal(statusCli.code, 0);
    const cliB = view((JSON.parse(statusCli.out) as ScsStatus).pairs[0], 'SIP_B');
    assert.equal(cliB?.status, 'ServiceUnavailable');
    assert.equal(cliB?.mode, 'Backup');

    // 2. SIGKILL the primary: the backup is not promoted; the SCS restarts SIP_A, which is primary again.
    const before = await pair();
    const pidA = view(before, 'SIP_A')?.pid;
    const pidB = view(before, 'SIP_B')?.pid;
    assert.ok(pidA && pidB, 'the SCS knows both PIDs');
    process.kill(pidA, 'SIGKILL');
    let sipBMadePrimary = false;
    await until(
      'SIP_A restarted (new PID) and Primary again, SIP_B never promoted',
      async () => {
        const p = await pair();
        remember(p);
        const a = view(p, 'SIP_A');
        const b = view(p, 'SIP_B');
        if (b?.mode === 'Primary' || p?.primary === 'SIP_B') sipBMadePrimary = true;
        return (
          a?.pid !== pidA &&
          a?.mode === 'Primary' &&
          a.status === 'Running' &&
          lines('10-62002', 'SCS').length > 0
        );
      },
      60_000,
    ).catch(fail);
    assert.equal(sipBMadePrimary, false, 'SIP_B was never made primary');
    assert.ok(
      lines('10-62002', 'SCS').some((l) => l.includes('SIP_B') && l.includes('ServiceUnavailable')),
      'the SCS logged the blocked failover, naming the backup ServiceUnavailable',
    );
    assert.ok(
      lines('10-62006', 'SCS').some((l) => l.includes('SIP_A')),
      'the SCS restarted SIP_A',
    );
    assert.equal(
      lines('10-20001', 'SIP_B').filter((l) => l.includes('"to":"Primary"')).length,
      0,
      'SIP_B never switched to Primary',
    );
    const still = view(await pair(), 'SIP_B');
    assert.equal(still?.pid, pidB, 'the same backup process');
    assert.equal(still?.mode, 'Backup');
    assert.equal(still?.status, 'ServiceUnavailable');

    // 3. Release the ports. The same backup process opens them by its own retries (every 5 s): 10-10009 and
    // 10-70005, then 10-30017 and Running, with no restart.
    assert.equal(lines('10-10008', 'SIP_B').length, 1, 'the HTTP failure logged once for the whole episode');
    assert.equal(lines('10-70006', 'SIP_B').length, 1, 'the CTI failure logged once for the whole episode');
    assert.equal(lines('10-10009', 'SIP_B').length, 0);
    const startsOfB = (): number => lines('10-62006', 'SCS').filter((l) => l.includes('SIP_B')).length;
    const startsBefore = startsOfB();
    await stopChild(holder, 'SIGKILL');
    const recoveredAt = Date.now();
    const recoveryBound = 25_000; // the 5 s retry, the 1 s status report, a loaded machine
    await until(
      'SIP_B (same process) Running, 10-30017',
      async () => {
        const p = await pair();
        remember(p);
        const b = view(p, 'SIP_B');
        return (
          b?.pid === pidB &&
          b.mode === 'Backup' &&
          b.status === 'Running' &&
          lines('10-30017', 'SIP_B').length > 0
        );
      },
      recoveryBound,
    ).catch(fail);
    const recoveredAfter = Date.now() - recoveredAt;
    assert.equal(view(await pair(), 'SIP_B')?.pid, pidB, 'not restarted');
    assert.equal(lines('10-10009', 'SIP_B').length, 1, 'the HTTP interface opened (10-10009)');
    assert.ok(
      lines('10-70005', 'SIP_B').some((l) => l.includes(`"port":${ctiB}`)),
      'the CTI port opened (10-70005)',
    );
    assert.equal(lines('10-10008', 'SIP_B').length, 1, 'no further 10-10008 after the retries');
    assert.equal(lines('10-70006', 'SIP_B').length, 1, 'no further 10-70006 after the retries');
    assert.equal(startsOfB(), startsBefore, 'the SCS did not start SIP_B again');
    const answered = await fetch(`http://127.0.0.1:${httpB}/server?sipServer`).then((r) => r.status);
    assert.equal(answered, 200, "the backup's HTTP interface is up");
    await until(
      'the backup-init alarm cleared by 10-30017',
      async () => {
        const a = await scsGet<Alarms>(scs, '/api/alarms');
        return (
          a !== undefined &&
          !a.alarms.some((x) => x.condition === 'backup-init') &&
          a.cleared.some((x) => x.condition === 'backup-init' && /10-30017/.test(x.clearedBy ?? ''))
        );
      },
      10_000,
    ).catch(fail);

    // 4. The control: the same failure now promotes the (initialized) backup.
    await until(
      'SIP_B synchronized',
      async () => {
        const res = await fetch(`http://127.0.0.1:${httpB}/server?sipServer`).catch(() => undefined);
        const st = (await res?.json()) as { readyForSwitchover?: number } | undefined;
        return st?.readyForSwitchover === 1;
      },
      30_000,
    ).catch(fail);
    const pidA2 = view(await pair(), 'SIP_A')?.pid;
    assert.ok(pidA2);
    process.kill(pidA2, 'SIGKILL');
    await until(
      'SIP_B promoted',
      async () => {
        const b = view(await pair(), 'SIP_B');
        return b?.mode === 'Primary' && b.status === 'Running';
      },
      30_000,
    ).catch(fail);
    remember(await pair());
    t.diagnostic(
      `ServiceUnavailable seen ${seenAfter} ms after duet up started (timeout ${INIT_TIMEOUT_S} s); ` +
        `backup Running (ports opened by its retries, init check passed) ${recoveredAfter} ms after the ports were released`,
    );
  },
);
