/**
 * The LCA's real-machine adapters: scripts run without a shell, killed on timeout, output captured and
 * bounded; server processes spawned with their output prefixed line by line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ScriptApp } from '../../../src/config/config.ts';
import type { ScriptResult } from '../../../src/mgmt/lca/lca.ts';
import { NodeProcessControl, NodeScriptRunner } from '../../../src/mgmt/lca/node-processes.ts';

function script(command: string, args: string[] = []): ScriptApp {
  return { name: 'S', type: 'script', host: undefined, command, args, timeout: 30 };
}

function run(
  runner: NodeScriptRunner,
  s: ScriptApp,
  timeoutMs: number,
): Promise<ScriptResult & { ms: number }> {
  const t0 = Date.now();
  return new Promise((done) => runner.run(s, timeoutMs, (r) => done({ ...r, ms: Date.now() - t0 })));
}

describe('NodeScriptRunner', () => {
  const runner = new NodeScriptRunner();

  test('`true` exits 0, `false` exits 1', async () => {
    const t = await run(runner, script('true'), 5000);
    assert.equal(t.exitCode, 0);
    assert.equal(t.timedOut, false);
    const f = await run(runner, script('false'), 5000);
    assert.equal(f.exitCode, 1);
    assert.equal(f.timedOut, false);
  });

  test('`sleep 5` with a 200 ms timeout is killed and reported timed out', async () => {
    const r = await run(runner, script('sleep', ['5']), 200);
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    assert.ok(r.ms >= 150 && r.ms < 3000, `answered after ${r.ms} ms`);
  });

  test('arguments are not interpreted by a shell; output is captured', async () => {
    const r = await run(runner, script('echo', ['$HOME; echo injected', '`id`']), 5000);
    assert.equal(r.exitCode, 0);
    assert.equal(r.output, '$HOME; echo injected `id`\n');
  });

  test('a missing command is reported, not thrown', async () => {
    const r = await run(runner, script('/nonexistent/duet-no-such-script'), 5000);
    assert.equal(r.exitCode, null);
    assert.equal(r.timedOut, false);
    assert.match(r.output, /cannot run \/nonexistent\/duet-no-such-script: .*ENOENT/);
  });

  test('output is bounded', async () => {
    const small = new NodeScriptRunner({ maxOutputBytes: 100 });
    const r = await run(small, script('seq', ['1', '10000']), 5000);
    assert.equal(r.exitCode, 0);
    assert.ok(r.output.startsWith('1\n2\n3\n'));
    assert.match(r.output, /\[output truncated at 100 bytes\]$/);
    assert.ok(r.output.length < 160);
  });
});

describe('NodeProcessControl', () => {
  test('starts the duet entry point with the server arguments and prefixes every output line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-lca-'));
    const fake = join(dir, 'fake-duet.mjs');
    writeFileSync(
      fake,
      [
        "process.stdout.write('first line\\nargs ' + JSON.stringify(process.argv.slice(2)) + '\\npartial');",
        "process.stderr.write('oops\\n');",
        'setTimeout(() => process.exit(3), 50);',
      ].join('\n'),
    );
    const out: string[] = [];
    const err: string[] = [];
    const control = new NodeProcessControl({
      configFile: join(dir, 'env.yaml'),
      dataDir: join(dir, 'var'),
      duetBin: fake,
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
    });
    const handle = control.start('SIP_A');
    assert.ok(handle.pid > 0);
    const [code, signal] = await new Promise<[number | null, string | null]>((done) =>
      handle.onExit((c, s) => done([c, s])),
    );
    assert.equal(code, 3);
    assert.equal(signal, null);
    // Output may still be draining just after 'exit'.
    await new Promise((r) => setTimeout(r, 100));
    const text = out.join('');
    assert.equal(
      text,
      `[SIP_A] first line\n[SIP_A] args ${JSON.stringify([
        'server',
        '--config',
        join(dir, 'env.yaml'),
        '--app',
        'SIP_A',
        '--data-dir',
        join(dir, 'var'),
      ])}\n[SIP_A] partial\n`,
    );
    assert.equal(err.join(''), '[SIP_A] oops\n');
  });

  test('kill(SIGTERM) ends the process and the exit reports the signal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-lca-'));
    const fake = join(dir, 'fake-duet.mjs');
    writeFileSync(fake, 'setInterval(() => {}, 1000);');
    const control = new NodeProcessControl({
      configFile: 'x.yaml',
      dataDir: dir,
      duetBin: fake,
      stdout: { write: () => true },
    });
    const handle = control.start('SIP_B');
    const exited = new Promise<[number | null, string | null]>((done) =>
      handle.onExit((c, s) => done([c, s])),
    );
    handle.kill('SIGTERM');
    assert.deepEqual(await exited, [null, 'SIGTERM']);
  });
});
