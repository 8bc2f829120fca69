/**
 * Bad input (SPEC S2.1, S8.1) against a real server over UDP: every RFC 4475 message. The syntactically
 * invalid ones (§3.1.2) get 400 (505 for a bad version) or are dropped; the semantic ones (§3.3) get the
 * response the RFC asks for; and through it all the server keeps serving calls. A configuration with three
 * errors is refused with all three.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../helpers/processes.ts';
import { INVALID_4475 } from '../helpers/rfc4475.ts';
import { skipUnless } from '../helpers/tools.ts';
import { type RunningServer, sippRun, startServer, stopAllSipps } from './harness.ts';

const TESTDATA = join(repoRoot, '../shared/testdata/rfc4475');
const INVALID = INVALID_4475;

/**
 * Points the top Via at our socket, so that an answer comes back here: the messages name hosts of example.com
 * and documentation addresses, and no test traffic may leave loopback.
 */
function viaToLoopback(message: Buffer, port: number): Buffer {
  const text = message.toString('latin1');
  const fixed = text.replace(
    /^(Via|v)([ \t]*:[ \t]*SIP[ \t]*\/[ \t]*\d+\.\d+[ \t]*\/[ \t]*)[A-Za-z]+[ \t]+[^;\r\n]+/im,
    `$1$2UDP 127.0.0.1:${port}`,
  );
  return Buffer.from(fixed, 'latin1');
}

async function exchange(port: number, message: Buffer, waitMs = 400): Promise<string[]> {
  const sock = createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const local = sock.address().port;
  sock.send(viaToLoopback(message, local), port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, waitMs));
  sock.close();
  return got;
}

const statusOf = (response: string | undefined): number | undefined =>
  response ? Number(/^SIP\/2\.0 (\d{3})/.exec(response)?.[1]) : undefined;

describe('bad SIP input', { skip: skipUnless('sipp') }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ dns: { '1001': { type: 'Extension' }, '1002': { type: 'Extension' } } });
  });
  after(async () => {
    await stopAllSipps();
    await server?.stop();
  });

  test('every RFC 4475 §3.1.2 invalid message is answered 400/505 or dropped, never reaches a service', async () => {
    const answers: Record<string, number | undefined> = {};
    for (const name of INVALID) {
      const got = await exchange(server.sipPort, readFileSync(join(TESTDATA, `${name}.dat`)));
      answers[name] = statusOf(got[0]);
      if (got[0]) {
        assert.ok([400, 505].includes(answers[name]!), `${name}: answered ${got[0].split('\r\n')[0]}`);
        // The reason phrase names the fault (SPEC S2.1), it is not the bare default.
        assert.notEqual(got[0].split('\r\n')[0], 'SIP/2.0 400 Bad Request', name);
      }
    }
    assert.equal(answers.badvers, 505, 'an unsupported SIP version is answered 505');
    assert.ok(Object.values(answers).filter((s) => s !== undefined).length >= 10, JSON.stringify(answers));
    const status = (await server.get('/server?sipServer')) as { calls: number; sip: { parseErrors: number } };
    assert.equal(status.calls, 0);
    assert.ok(status.sip.parseErrors >= INVALID.length - 1, JSON.stringify(status.sip));
  });

  test('RFC 4475 §3.3 semantic cases get the response the RFC names', async () => {
    const expect: Record<string, number> = { unkscm: 416, bext01: 420, invut: 415, zeromf: 483 };
    for (const [name, status] of Object.entries(expect)) {
      const got = await exchange(server.sipPort, readFileSync(join(TESTDATA, `${name}.dat`)));
      assert.equal(
        statusOf(got.find((r) => !r.startsWith('SIP/2.0 100'))),
        status,
        `${name}: ${got[0]?.split('\r\n')[0]}`,
      );
    }
    // Every other message of the suite: the server answers or drops it, and survives.
    for (const file of readdirSync(TESTDATA)) {
      await exchange(server.sipPort, readFileSync(join(TESTDATA, file)), 50);
    }
  });

  test('after all of it the server still serves', async () => {
    const r = await sippRun(server, 'options.xml', ['-m', '3']);
    assert.equal(r.code, 0, r.errors);
    const status = (await server.get('/server?sipServer')) as { status: string };
    assert.equal(status.status, 'Running');
  });
});

test('a configuration with three errors prints all three and exits non-zero', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-cfg-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    [
      'hosts: { h: { address: 127.0.0.1 } }',
      'applications:',
      '  SIP_A:',
      '    type: sip-server',
      '    host: h',
      '    options:',
      '      TServer:',
      '        ha-max-calls-sync-at-once: 1500',
      '        sip-error-codes-overflow: "5X3"',
      '        network-monitoring-timeout: 0',
      '',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/duet.mjs'), 'config', 'check', file], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  assert.match(
    r.stderr,
    /applications\.SIP_A\.options\.TServer\.ha-max-calls-sync-at-once: 1500 is not in 200-1000/,
  );
  assert.match(r.stderr, /sip-error-codes-overflow: pattern "5X3" is invalid/);
  assert.match(r.stderr, /network-monitoring-timeout: 0 is not in 1-30/);
  assert.match(lines[lines.length - 1]!, /3 errors/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});
