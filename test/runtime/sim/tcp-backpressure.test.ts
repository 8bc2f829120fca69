/**
 * The simulator's TCP for a peer that stops reading: queuedBytes() counts what the peer's application has not
 * received, pauseReading() holds data and FIN, resumeReading() delivers them in order, and abort() resets the
 * connection even towards a peer that is not reading.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import type { SimTcpConnection } from '../../../src/runtime/sim/tcp-connection.ts';
import { A, B, tcpClient, tcpServer } from './helpers.ts';

function world() {
  const sim = new Simulator({ seed: 5, startTime: 0 });
  sim.network.setDefaultFaults({ delayMs: [1, 5] });
  const a = sim.addNode('a', [A]);
  const b = sim.addNode('b', [B]);
  const srv = tcpServer(b, { host: B, port: 3000 });
  const cli = tcpClient(a, { host: B, port: 3000 });
  sim.runFor(20);
  assert.equal(cli.connects, 1);
  const acc = srv.accepted[0]!;
  return { sim, cli, acc, clientEnd: cli.conn as SimTcpConnection };
}

const chunk = (i: number) => `event ${i} ${'x'.repeat(100)}\n`;

describe('SimNetwork TCP: a reader that stops', () => {
  it('queuedBytes counts what is in flight and is 0 once delivered', () => {
    const { sim, acc } = world();
    acc.conn.write(Buffer.from('hello'));
    assert.equal(acc.conn.queuedBytes(), 5);
    sim.runFor(20);
    assert.equal(acc.conn.queuedBytes(), 0);
  });

  it('a paused reader gets nothing; the writer queue grows; resumed, everything arrives in order', () => {
    const { sim, cli, acc, clientEnd } = world();
    clientEnd.pauseReading();
    let written = 0;
    for (let i = 0; i < 200; i++) {
      sim.schedule(i, () => acc.conn.write(Buffer.from(chunk(i))));
      written += chunk(i).length;
    }
    sim.runFor(1000);
    assert.deepEqual(cli.data, [], 'nothing delivered to a reader that stopped');
    assert.equal(acc.conn.queuedBytes(), written);
    // The other direction is not affected.
    cli.conn.write(Buffer.from('still talking'));
    sim.runFor(20);
    assert.equal(acc.data.join(''), 'still talking');
    // A FIN waits behind the data too.
    acc.conn.close();
    sim.runFor(100);
    assert.deepEqual(cli.closes, []);
    clientEnd.resumeReading();
    sim.runFor(100);
    assert.equal(cli.data.join(''), [...Array(200).keys()].map(chunk).join(''));
    assert.deepEqual(cli.closes, [undefined]);
    assert.deepEqual(acc.closes, [undefined]);
    assert.equal(acc.conn.queuedBytes(), 0);
  });

  it('abort: the queued data is discarded, a paused peer still sees ECONNRESET, the aborter closes cleanly', () => {
    const { sim, cli, acc, clientEnd } = world();
    clientEnd.pauseReading();
    for (let i = 0; i < 50; i++) acc.conn.write(Buffer.from(chunk(i)));
    const queued = acc.conn.queuedBytes();
    assert.ok(queued > 0);
    const lostBefore = sim.network.stats.tcpBytesLost;
    acc.conn.abort();
    assert.equal(acc.conn.queuedBytes(), 0);
    acc.conn.write(Buffer.from('after the reset')); // ignored
    sim.runFor(20);
    assert.deepEqual(acc.closes, [undefined], 'the aborting end closes without an error');
    assert.equal(cli.closes.length, 1);
    assert.equal(cli.closes[0]?.code, 'ECONNRESET');
    assert.match(cli.closes[0]?.message ?? '', /reset by the peer/);
    assert.equal(sim.network.stats.tcpBytesLost - lostBefore, queued);
    clientEnd.resumeReading();
    sim.runFor(20);
    assert.deepEqual(cli.data, [], 'nothing of what was discarded arrives');
    assert.equal(sim.network.openConnections, 0, 'both ends closed: the link is released');
  });

  it('abort by the client before the handshake: the server never sees the connection', () => {
    const sim = new Simulator({ seed: 5, startTime: 0 });
    sim.network.setDefaultFaults({ delayMs: [2, 2] });
    const a = sim.addNode('a', [A]);
    const b = sim.addNode('b', [B]);
    const srv = tcpServer(b, { host: B, port: 3000 });
    const cli = tcpClient(a, { host: B, port: 3000 });
    cli.conn.write(Buffer.from('early'));
    assert.equal(cli.conn.queuedBytes(), 5, 'held before the handshake counts');
    cli.conn.abort();
    sim.runFor(50);
    assert.deepEqual(cli.closes, [undefined]);
    assert.equal(cli.connects, 0);
    assert.equal(srv.accepted.length, 0);
    assert.equal(sim.network.openConnections, 0);
  });
});
