/**
 * `duet lca` as a real process on 127.0.0.1 (free high ports): an SCS link over real TCP runs a configured
 * script and is refused an unconfigured one; start-app spawns a real `duet server` whose log lines come out
 * prefixed; stop-app stops it; SIGTERM stops the LCA and every server it started. runLca is launched
 * directly (the lead adds it to main.ts).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connectLink } from '../../../src/ha/link/link.ts';
import type { Link, LinkMessage } from '../../../src/ha/link/types.ts';
import type { AppReport } from '../../../src/mgmt/protocol.ts';
import { NodeClock, NodeNet, NodeRandom } from '../../../src/runtime/node/index.ts';
import { repoRoot, stopChild } from '../../helpers/processes.ts';
import { freePort } from '../../integration/harness.ts';

const SECRET = 'cli-test-secret-0123456789';
const children: ChildProcess[] = [];

after(async () => {
  for (const c of children) await stopChild(c, 'SIGKILL');
});

function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const t0 = Date.now();
  return new Promise((done, fail) => {
    const tick = (): void => {
      const v = check();
      if (v !== undefined) done(v);
      else if (Date.now() - t0 > timeoutMs) fail(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 25);
    };
    tick();
  });
}

test('duet lca: scripts, start-app / stop-app of a real server, SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-lca-cli-'));
  const [lcaPort, sip, http, ha, cti] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const file = join(dir, 'env.yaml');
  writeFileSync(
    file,
    `hosts:
  local:
    address: 127.0.0.1
    lca-port: ${lcaPort}
applications:
  SIP_A:
    type: sip-server
    host: local
    options:
      TServer: { sip-port: ${sip}, http-port: ${http}, ha-port: ${ha}, cti-port: ${cti} }
      log: { verbose: standard, output: stdout }
  OK_SCRIPT:
    type: script
    host: local
    command: sh
    args: ["-c", "echo hello; exit 0"]
scs:
  host: local
  link-secret: ${SECRET}
`,
  );
  const lca = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import('./src/cli/lca.ts').then((m) => m.runLca(process.argv.slice(1))).then((c) => { process.exitCode = c; })`,
      '--',
      '--config',
      file,
      '--host',
      'local',
      '--data-dir',
      join(dir, 'var'),
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(lca);
  let stdout = '';
  let stderr = '';
  lca.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  lca.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  await waitFor('LCA listening', () => (stdout.includes('"10-61001"') ? true : undefined)).catch((e) => {
    throw new Error(`${(e as Error).message}\nstdout: ${stdout}\nstderr: ${stderr}`);
  });

  const clock = new NodeClock();
  const got: LinkMessage[] = [];
  let link: Link | undefined;
  let failed: unknown;
  const connector = connectLink(
    new NodeNet(),
    clock,
    new NodeRandom(),
    { host: '127.0.0.1', port: lcaPort },
    { secret: SECRET, name: 'test-scs', protocol: 'scs' },
    {
      onOpen: (l) => {
        link = l;
      },
      onFailed: (r) => {
        failed = r;
      },
      onMessage: (_l, m) => got.push(m),
      onClose: () => {},
    },
  );
  try {
    await waitFor('SCS link', () => link ?? (failed ? assert.fail(JSON.stringify(failed)) : undefined));
    const l = link!;
    const host = await waitFor('host message', () => got.find((m) => m.type === 'host'));
    assert.deepEqual(
      (host.apps as AppReport[]).map((a) => [a.app, a.process]),
      [['SIP_A', 'not-started']],
    );

    l.send({ type: 'run-script', requestId: '1', script: 'OK_SCRIPT' });
    l.send({ type: 'run-script', requestId: '2', script: 'rm' });
    const r1 = await waitFor('script 1', () =>
      got.find((m) => m.type === 'script-result' && m.requestId === '1'),
    );
    assert.equal(r1.exitCode, 0);
    assert.equal(r1.output, 'hello\n');
    const r2 = await waitFor('script 2', () =>
      got.find((m) => m.type === 'script-result' && m.requestId === '2'),
    );
    assert.equal(r2.exitCode, null);
    assert.match(String(r2.output), /^refused: "rm" is not an application/);

    const reports = (): AppReport[] => got.filter((m) => m.type === 'app').map((m) => m.report as AppReport);
    l.send({ type: 'start-app', app: 'SIP_A', mode: 'Primary' });
    const running = await waitFor('SIP_A running', () => reports().find((r) => r.process === 'running'));
    assert.ok(running.pid !== null && running.pid > 0);
    // The server's own log lines come out of the LCA, prefixed with its name.
    await waitFor('prefixed server log', () =>
      /^\[SIP_A\] \{.*"event":"10-10001"/m.test(stdout) ? true : undefined,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}\nstdout: ${stdout}`);
    });

    l.send({ type: 'stop-app', app: 'SIP_A', reason: 'test' });
    const exited = await waitFor('SIP_A exited', () => reports().find((r) => r.process === 'exited'));
    // SIGTERM: the server stops cleanly with code 0.
    assert.equal(exited.lastExit, 'exit code 0');
    assert.ok(!stdout.includes('"10-10007"'), 'an asked-for stop is not an unexpected termination');

    // Start again, then stop the LCA itself: it stops the server before it exits.
    l.send({ type: 'start-app', app: 'SIP_A', mode: 'Primary' });
    const again = await waitFor('SIP_A running again', () =>
      reports().filter((r) => r.process === 'running').length >= 2 ? reports().at(-1) : undefined,
    );
    const serverPid = again.pid!;
    await waitFor('server started', () =>
      stdout.split('\n').filter((x) => x.includes('"10-10001"')).length >= 2 ? true : undefined,
    );
    const code = await new Promise<number | null>((done) => {
      lca.once('exit', (c) => done(c));
      lca.kill('SIGTERM');
    });
    assert.equal(code, 0);
    assert.throws(() => process.kill(serverPid, 0), /ESRCH/, 'the server is gone too');
  } finally {
    connector.cancel();
  }
});
