/**
 * A running server's configuration reload (SIGHUP, SPEC S9) and flood protection (S8.4), over real sockets:
 * a changed option that takes effect immediately is applied, one that needs a restart is logged as pending;
 * a source over `sip-flood-limit` gets 503 with Retry-After.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from './harness.ts';

function options(port: number, i: number): Buffer {
  return Buffer.from(
    `OPTIONS sip:s@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKflood${i}\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:f@127.0.0.1>;tag=${i}\r\nTo: <sip:s@127.0.0.1>\r\nCall-ID: flood-${i}\r\n` +
      `CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
}

describe('reload and flood limit', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ tserver: { 'sip-flood-limit': 5 }, dns: { '1001': { type: 'Extension' } } });
  });
  after(async () => {
    await server?.stop();
  });

  test('a source over sip-flood-limit gets 503 with Retry-After; other requests pass', async () => {
    const sock = createSocket('udp4');
    const answers: string[] = [];
    sock.on('message', (m) => answers.push(m.toString('latin1')));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    for (let i = 0; i < 20; i++) sock.send(options(port, i), server.sipPort, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 500));
    sock.close();
    const ok = answers.filter((a) => a.startsWith('SIP/2.0 200'));
    const refused = answers.filter((a) => a.startsWith('SIP/2.0 503'));
    assert.ok(ok.length >= 5 && ok.length < 20, `${ok.length} answered 200`);
    assert.ok(refused.length > 0, 'some refused');
    assert.ok(
      refused.every((a) => /\r\nRetry-After: \d+/.test(a)),
      'with Retry-After',
    );
    assert.ok(
      server.process.lines.some((l) => l.includes('"event":"10-30002"')),
      'the episode is logged',
    );
  });

  test('SIGHUP applies what takes effect at once and logs what waits for a restart', async () => {
    const text = readFileSync(server.configFile, 'utf8')
      .replace('sip-flood-limit: 5', 'sip-flood-limit: 0')
      .replace(/sip-port: \d+/, 'sip-port: 1');
    writeFileSync(server.configFile, text);
    server.process.child.kill('SIGHUP');
    const reloaded = await server.process.waitFor(/"event":"10-50002"/, 10_000);
    assert.match(reloaded, /"applied":1/);
    assert.match(reloaded, /"pendingRestart":1/);
    const pending = await server.process.waitFor(/"event":"10-50003"/, 1000);
    assert.match(pending, /sip-port/);
    // The flood limit is off now: a burst passes whole.
    const sock = createSocket('udp4');
    let ok = 0;
    sock.on('message', (m) => {
      if (m.toString('latin1').startsWith('SIP/2.0 200')) ok++;
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    for (let i = 100; i < 120; i++) sock.send(options(sock.address().port, i), server.sipPort, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 500));
    sock.close();
    assert.equal(ok, 20);
  });
});
