import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Simulator, type SimulatorOptions } from '../../../src/runtime/sim/simulator.ts';
import { A, B, C, tcpClient, tcpServer } from './helpers.ts';

function world(options: Partial<SimulatorOptions> = {}) {
  const sim = new Simulator({ seed: 11, startTime: 0, ...options });
  const a = sim.addNode('a', [A]);
  const b = sim.addNode('b', [B]);
  const c = sim.addNode('c', [C]);
  return { sim, a, b, c };
}

describe('SimNetwork TCP', () => {
  it('connects, and carries data both ways with the right addresses', () => {
    const { sim, a, b } = world();
    const srv = tcpServer(b, { host: B, port: 5060 }, { echo: true });
    const cli = tcpClient(a, { host: B, port: 5060 });
    assert.equal(cli.conn.local(), undefined, 'local address known once connected');
    cli.conn.write(Buffer.from('written before the handshake completed'));
    sim.run();
    assert.equal(cli.connects, 1);
    assert.equal(srv.accepted.length, 1);
    const acc = srv.accepted[0]!;
    assert.deepEqual(cli.conn.remote(), { host: B, port: 5060 });
    assert.equal(cli.conn.local()?.host, A);
    assert.deepEqual(acc.conn.remote(), cli.conn.local());
    assert.deepEqual(acc.conn.local(), { host: B, port: 5060 });
    assert.equal(acc.data.join(''), 'written before the handshake completed');
    assert.equal(cli.data.join(''), 'written before the handshake completed');
    assert.equal(sim.network.stats.tcpConnects, 1);
    assert.equal(sim.network.openConnections, 1);
  });

  it('splits and coalesces writes into chunks but keeps every byte in order', () => {
    const { sim, a, b } = world();
    sim.network.setDefaultFaults({ loss: 0.5, duplicate: 0.5, reorder: true, delayMs: [1, 20] }); // UDP-only faults
    const srv = tcpServer(b, { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5060 });
    const writes: string[] = [];
    for (let i = 0; i < 60; i++) {
      const msg = `MESSAGE ${i} ${'x'.repeat(i * 3)}\r\n`;
      writes.push(msg);
      sim.schedule(i % 10, () => cli.conn.write(Buffer.from(msg)));
    }
    sim.run();
    const chunks = srv.accepted[0]!.data;
    const expected = [...writes.keys()]
      .sort((x, y) => (x % 10) - (y % 10) || x - y)
      .map((i) => writes[i])
      .join('');
    assert.equal(chunks.join(''), expected);
    const boundaries = new Set<number>();
    let pos = 0;
    for (const i of [...writes.keys()].sort((x, y) => (x % 10) - (y % 10) || x - y)) {
      pos += writes[i]!.length;
      boundaries.add(pos);
    }
    let at = 0;
    let splits = 0;
    for (const ch of chunks) {
      at += ch.length;
      if (!boundaries.has(at)) splits++;
    }
    assert.ok(splits > 0, 'some chunk ends inside a write');
    assert.ok(chunks.length < writes.length, 'some writes were coalesced');
    assert.equal(sim.network.stats.tcpBytesDelivered, sim.network.stats.tcpBytesWritten);
  });

  it('with splitTcp off, spaced-out writes arrive whole', () => {
    const { sim, a, b } = world({ network: { splitTcp: false } });
    const srv = tcpServer(b, { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5060 });
    for (let i = 0; i < 20; i++) sim.schedule(100 * (i + 1), () => cli.conn.write(Buffer.from(`msg ${i}`)));
    sim.run();
    assert.deepEqual(
      srv.accepted[0]!.data,
      [...Array(20).keys()].map((i) => `msg ${i}`),
    );
  });

  it('a connect to a port nobody listens on is refused after one link delay', () => {
    const { sim, a, b } = world();
    sim.network.setDefaultFaults({ delayMs: [7, 7] });
    tcpServer(b, { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5999 });
    sim.run();
    assert.equal(cli.connects, 0);
    assert.equal(cli.closes.length, 1);
    assert.equal(cli.closes[0]?.code, 'ECONNREFUSED');
    assert.match(cli.closes[0]!.message, /TCP connect to 192\.0\.2\.2:5999 failed: connection refused/);
    assert.equal(cli.closedAt, 7);
    assert.equal(sim.network.stats.tcpRefused, 1);
    assert.equal(sim.network.openConnections, 0);
  });

  it('a connect to an address no node owns fails with EHOSTUNREACH', () => {
    const { sim, a } = world();
    sim.network.setDefaultFaults({ delayMs: [2, 2] });
    const cli = tcpClient(a, { host: '203.0.113.50', port: 5060 });
    sim.run();
    assert.equal(cli.closes[0]?.code, 'EHOSTUNREACH');
    assert.equal(cli.closedAt, 3002);
  });

  it('a client close is seen by the server after one delay and by the client after two, exactly once', () => {
    const { sim, a, b } = world();
    sim.network.setDefaultFaults({ delayMs: [5, 5] });
    const srv = tcpServer(b, { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5060 });
    sim.runFor(100);
    cli.conn.write(Buffer.from('last words'));
    cli.conn.close();
    cli.conn.write(Buffer.from('ignored'));
    cli.conn.close();
    sim.run();
    const acc = srv.accepted[0]!;
    assert.equal(acc.data.join(''), 'last words', 'data written before close arrives before the close');
    assert.deepEqual(acc.closes, [undefined]);
    assert.equal(acc.closedAt, 105);
    assert.deepEqual(cli.closes, [undefined]);
    assert.equal(cli.closedAt, 110);
    assert.equal(sim.network.openConnections, 0);
    acc.conn.write(Buffer.from('after close'));
    sim.run();
    assert.equal(cli.data.length, 0);
  });

  it('a server close is seen by the client', () => {
    const { sim, a, b } = world();
    const srv = tcpServer(b, { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5060 });
    sim.runFor(50);
    srv.accepted[0]!.conn.write(Buffer.from('bye'));
    srv.accepted[0]!.conn.close();
    sim.run();
    assert.equal(cli.data.join(''), 'bye');
    assert.deepEqual(cli.closes, [undefined]);
    assert.deepEqual(srv.accepted[0]!.closes, [undefined]);
  });

  it('a second listener on the same port gets EADDRINUSE; a closed listener refuses new connections only', () => {
    const { sim, a, b } = world();
    const first = tcpServer(b, { host: B, port: 5060 });
    const second = tcpServer(b, { host: B, port: 5060 });
    const wildcard = tcpServer(b, { host: '0.0.0.0', port: 5060 });
    const notMine = tcpServer(b, { host: A, port: 5060 });
    sim.runFor(0);
    assert.equal(first.errors.length, 0);
    assert.equal(second.errors[0]?.code, 'EADDRINUSE');
    assert.match(second.errors[0]!.message, /TCP listen on 192\.0\.2\.2:5060 failed/);
    assert.equal(second.server.local(), undefined);
    assert.equal(wildcard.errors[0]?.code, 'EADDRINUSE');
    assert.equal(notMine.errors[0]?.code, 'EADDRNOTAVAIL');
    const kept = tcpClient(a, { host: B, port: 5060 });
    sim.runFor(50);
    first.server.close();
    const late = tcpClient(a, { host: B, port: 5060 });
    kept.conn.write(Buffer.from('still up'));
    sim.run();
    assert.equal(late.closes[0]?.code, 'ECONNREFUSED');
    assert.equal(first.accepted[0]!.data.join(''), 'still up');
    assert.equal(kept.closes.length, 0);
  });

  it('a partition holds data; after tcpPartitionTimeoutMs both ends close with ETIMEDOUT', () => {
    const { sim, a, b } = world();
    const srv = tcpServer(b, { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5060 });
    sim.runFor(100);
    sim.network.partition([A], [B]);
    cli.conn.write(Buffer.from('lost'));
    srv.accepted[0]!.conn.write(Buffer.from('lost too'));
    sim.runFor(29_999);
    assert.equal(srv.accepted[0]!.data.length, 0);
    assert.equal(cli.data.length, 0);
    assert.equal(cli.closes.length, 0);
    sim.runFor(1);
    assert.equal(cli.closes[0]?.code, 'ETIMEDOUT');
    assert.equal(srv.accepted[0]!.closes[0]?.code, 'ETIMEDOUT');
    assert.equal(cli.closedAt, 30_100);
    assert.equal(sim.network.stats.tcpBytesLost, 12);
    assert.equal(sim.network.stats.tcpTimeouts, 1);
    sim.network.heal();
    sim.run();
    assert.equal(srv.accepted[0]!.data.length, 0, 'lost data never arrives');
    assert.equal(cli.closes.length, 1);
  });

  it('a partition healed before the timeout delivers the held data and keeps the connection', () => {
    const { sim, a, b, c } = world({ network: { tcpPartitionTimeoutMs: 5000 } });
    const srv = tcpServer(b, { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5060 });
    const other = tcpClient(c, { host: B, port: 5060 });
    sim.runFor(100);
    sim.network.partition([A], [B]);
    cli.conn.write(Buffer.from('held'));
    other.conn.write(Buffer.from('not affected'));
    sim.runFor(4000);
    assert.deepEqual(
      srv.accepted.map((e) => e.data.join('')),
      ['', 'not affected'],
    );
    sim.network.heal();
    sim.runFor(100);
    assert.equal(srv.accepted[0]!.data.join(''), 'held');
    sim.runFor(10_000);
    assert.equal(cli.closes.length, 0, 'the timeout was cancelled by heal');
  });

  it('a connect across a partition times out', () => {
    const { sim, a, b } = world();
    tcpServer(b, { host: B, port: 5060 });
    sim.network.partition([A], [B]);
    const cli = tcpClient(a, { host: B, port: 5060 });
    sim.run();
    assert.equal(cli.connects, 0);
    assert.equal(cli.closes[0]?.code, 'ETIMEDOUT');
    assert.equal(cli.closedAt, 30_000);
  });

  it('outbound connections get distinct ephemeral ports, freed when closed', () => {
    const { sim, a, b } = world();
    const srv = tcpServer(b, { host: B, port: 5060 });
    const c1 = tcpClient(a, { host: B, port: 5060 });
    const c2 = tcpClient(a, { host: B, port: 5060 });
    sim.run();
    const p1 = c1.conn.local()!.port;
    const p2 = c2.conn.local()!.port;
    assert.notEqual(p1, p2);
    assert.ok(p1 >= 49152 && p2 >= 49152);
    assert.equal(srv.accepted.length, 2);
    c1.conn.close();
    c2.conn.close();
    sim.run();
    assert.equal(sim.network.openConnections, 0);
    assert.throws(
      () => a.net.connectTcp({ host: B, port: 70000 }, { onData() {}, onClose() {} }),
      RangeError,
    );
  });
});
