/**
 * `duet up` (src/cli/up.ts): which hosts are this machine, line prefixing, and one run with real processes on
 * 127.0.0.1 and free high ports: the SCS and the LCA come up, the LCA starts both servers, the configured
 * primary becomes Primary; `duet status` and `duet switchover` work against it; a SIGKILLed primary is
 * replaced by the backup and restarted; stopping leaves no process behind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runStatus } from '../../../src/cli/status.ts';
import { runSwitchover } from '../../../src/cli/switchover.ts';
import { isLocalAddress, LinePrefixer, localHosts, runUp } from '../../../src/cli/up.ts';
import { fetchStatus } from '../../../src/mgmt/scs/client.ts';
import type { ScsStatus } from '../../../src/mgmt/scs/status.ts';
import { formatStatus } from '../../../src/mgmt/scs/status-text.ts';
import { configOf } from './harness.ts';

const _here = dirname(fileURLToPath(import.meta.url));

describe('duet up helpers', () => {
  const interfaces = {
    eth0: [
      {
        address: '192.0.2.7',
        netmask: '255.255.255.0',
        family: 'IPv4',
        mac: '00:00:00:00:00:01',
        internal: false,
        cidr: '192.0.2.7/24',
      },
    ],
  } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;

  test('loopback and this machine’s interface addresses are local', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '192.0.2.7']) {
      assert.ok(isLocalAddress(a, interfaces), a);
    }
    for (const a of ['192.0.2.8', '10.0.0.1', '128.0.0.1']) assert.ok(!isLocalAddress(a, interfaces), a);
  });

  test('localHosts picks the hosts of the file that are this machine', () => {
    const config = configOf({
      hosts: {
        here: { address: '192.0.2.7' },
        lo: { address: '127.0.0.1' },
        far: { address: '198.51.100.1' },
      },
      applications: {},
      scs: { host: 'here' },
    });
    assert.deepEqual(localHosts(config, interfaces), ['here', 'lo']);
  });

  test('LinePrefixer: every line prefixed, partial lines held until complete', () => {
    const out: string[] = [];
    const p = new LinePrefixer('[scs] ', (l) => out.push(l));
    p.push('one\ntw');
    p.push('o\r\nthree');
    assert.deepEqual(out, ['[scs] one\n', '[scs] two\n']);
    p.flush();
    assert.deepEqual(out, ['[scs] one\n', '[scs] two\n', '[scs] three\n']);
  });
});

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(
  what: string,
  base: string,
  ok: (st: ScsStatus) => boolean,
  ms: number,
): Promise<ScsStatus> {
  const end = Date.now() + ms;
  let last: ScsStatus | undefined;
  let error = '';
  while (Date.now() < end) {
    try {
      last = await fetchStatus(base, 1000);
      if (ok(last)) return last;
    } catch (e) {
      error = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not reached in ${ms} ms; last: ${last ? formatStatus(last) : error}`);
}

function modes(st: ScsStatus): Record<string, string | null> {
  return Object.fromEntries(
    st.pairs[0]!.servers.map((s) => [s.app, s.process === 'running' ? s.mode : null]),
  );
}

describe('duet up with real processes', () => {
  test('pair up, status, switchover, primary killed, clean stop', { timeout: 120_000 }, async () => {
    const [lca, scs, sip, httpA, httpB, haA, haB, ctiA, ctiB] = await freePorts(9);
    const dir = mkdtempSync(join(tmpdir(), 'duet-up-'));
    const file = join(dir, 'env.yaml');
    const token = 'operator-token-0123456789';
    writeFileSync(
      file,
      [
        'hosts:',
        `  localhost: { address: 127.0.0.1, lca-port: ${lca} }`,
        'applications:',
        '  SIP_A:',
        '    type: sip-server',
        '    host: localhost',
        '    options:',
        `      TServer: { sip-port: ${sip}, http-port: ${httpA}, ha-port: ${haA}, cti-port: ${ctiA} }`,
        '      log: { verbose: standard }',
        '  SIP_B:',
        '    type: sip-server',
        '    host: localhost',
        '    options:',
        `      TServer: { sip-port: ${sip}, http-port: ${httpB}, ha-port: ${haB}, cti-port: ${ctiB} }`,
        '      log: { verbose: standard }',
        'ha-pairs:',
        '  PAIR: { primary: SIP_A, backup: SIP_B }',
        `scs: { host: localhost, port: ${scs}, token: ${token}, link-secret: link-secret-0123456789 }`,
        'dns:',
        '  "1001": { type: Extension }',
        '',
      ].join('\n'),
    );
    const base = `http://127.0.0.1:${scs}`;
    const lines: string[] = [];
    const stop = new AbortController();
    const pids = new Set<number>();
    const up = runUp(['--config', file, '--data-dir', join(dir, 'var')], {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      stopSignal: stop.signal,
    });
    try {
      const st = await waitFor(
        'SIP_A Primary, SIP_B Backup',
        base,
        (s) => modes(s).SIP_A === 'Primary' && modes(s).SIP_B === 'Backup',
        40_000,
      );
      for (const s of st.pairs[0]!.servers) if (s.pid) pids.add(s.pid);
      assert.ok(lines.some((l) => l.startsWith('[scs] ')));
      assert.ok(lines.some((l) => l.startsWith('[lca:localhost] [SIP_A] ')));
      assert.match(formatStatus(st), /Pair PAIR \(hot-standby\): primary SIP_A/);
      assert.equal(await runStatus(['--url', base, '--json']), 0);

      // A wrong token is refused with exit 1; the right one switches over (a double failure: the primary's
      // 60 s readiness has not passed, which the SCS logs) and prints the new primary.
      assert.equal(await runSwitchover(['--config', file, '--token', 'wrong-token-0123456789']), 1);
      assert.equal(await runSwitchover(['--config', file, '--token', token, '--timeout', '20']), 0);
      let now = await fetchStatus(base);
      assert.equal(now.pairs[0]!.primary, 'SIP_B');
      assert.ok(now.events.some((e) => e.id === '10-20009'));

      // SIGKILL the primary server: SIP_A takes over; SIP_B is restarted as Backup.
      const victim = now.pairs[0]!.servers.find((s) => s.app === 'SIP_B')!.pid!;
      process.kill(victim, 'SIGKILL');
      now = await waitFor(
        'failover to SIP_A',
        base,
        (s) => modes(s).SIP_A === 'Primary' && modes(s).SIP_B === 'Backup',
        20_000,
      );
      assert.ok(now.events.some((e) => e.id === '10-20008' && /failover from SIP_B to SIP_A/.test(e.text)));
      for (const s of now.pairs[0]!.servers) if (s.pid) pids.add(s.pid);
    } finally {
      stop.abort();
      assert.equal(await up, 0);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(lines.some((l) => l === '[up] all stopped\n'));
    for (const pid of pids) assert.ok(!alive(pid), `server process ${pid} left running`);
  });
});
