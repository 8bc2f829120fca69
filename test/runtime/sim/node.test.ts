import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimNodeDownError } from '../../../src/runtime/sim/errors.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import { A, B, tcpClient, tcpServer, udpSink } from './helpers.ts';

function world() {
  const sim = new Simulator({ seed: 'crash', startTime: 0 });
  sim.network.setDefaultFaults({ delayMs: [5, 5] });
  const a = sim.addNode('a', [A]);
  const b = sim.addNode('b', [B]);
  return { sim, a, b };
}

describe('SimNode crash and restart', () => {
  it("cancels the node's timers for good; its clock refuses new ones until restart", () => {
    const { sim, a, b } = world();
    const fired: string[] = [];
    const old = b.clock.setTimer(100, () => fired.push('old b'));
    b.clock.setTimer(200, () => fired.push('old b 2'));
    a.clock.setTimer(100, () => fired.push('a'));
    sim.runFor(50);
    b.crash();
    assert.equal(b.alive, false);
    assert.equal(sim.pending, 1, "only a's timer is left");
    assert.throws(() => b.clock.setTimer(1, () => {}), SimNodeDownError);
    assert.throws(() => b.clock.setTimer(1, () => {}), /node "b" has crashed: cannot set a timer/);
    b.clock.clearTimer(old); // harmless
    assert.equal(b.clock.now(), sim.now);
    sim.runFor(100);
    b.restart();
    assert.equal(b.alive, true);
    const fresh = b.clock.setTimer(100, () => fired.push('new b'));
    b.clock.clearTimer(old); // a stale handle cannot cancel a new timer
    assert.notEqual(fresh, old);
    sim.run();
    assert.deepEqual(fired, ['a', 'new b']);
    assert.ok(sim.log.includes('[+50ms] node b crash: 2 timers cancelled, 0 sockets closed'));
    assert.ok(sim.log.includes('[+150ms] node b restart'));
  });

  it('its net refuses to work while down', () => {
    const { a } = world();
    a.crash();
    assert.throws(() => a.net.bindUdp({ host: A, port: 1 }, { onMessage() {} }), SimNodeDownError);
    assert.throws(
      () => a.net.listenTcp({ host: A, port: 1 }, { onConnection: () => ({ onData() {}, onClose() {} }) }),
      /cannot listen on TCP/,
    );
    assert.throws(
      () => a.net.connectTcp({ host: B, port: 1 }, { onData() {}, onClose() {} }),
      /cannot open a TCP connection/,
    );
    a.crash(); // idempotent
    assert.equal(a.alive, false);
  });

  it('closes its sockets: TCP peers see onClose one link delay later; the dead side is never called back', () => {
    const { sim, a, b } = world();
    const srv = tcpServer(b, { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5060 });
    const udp = udpSink(b, { host: B, port: 5060 });
    sim.runFor(100);
    assert.equal(srv.accepted.length, 1);
    srv.accepted[0]!.conn.write(Buffer.from('flushed by the kernel'));
    b.crash();
    assert.ok(sim.log.includes('[+100ms] node b crash: 0 timers cancelled, 3 sockets closed'));
    cli.conn.write(Buffer.from('to a dead process'));
    sim.runFor(4);
    assert.equal(cli.closes.length, 0);
    sim.runFor(1);
    assert.equal(cli.data.join(''), 'flushed by the kernel');
    assert.deepEqual(cli.closes, [undefined]);
    assert.equal(cli.closedAt, 105);
    sim.run();
    assert.deepEqual(srv.accepted[0]!.closes, [], 'the dead process gets no callbacks');
    assert.deepEqual(srv.accepted[0]!.data, []);
    assert.equal(udp.listening(), true);
    assert.equal(sim.network.openConnections, 0);
  });

  it('a connect to a crashed node is refused; after restart it can bind the same ports again', () => {
    const { sim, a, b } = world();
    tcpServer(b, { host: B, port: 5060 });
    udpSink(b, { host: B, port: 5060 });
    sim.runFor(10);
    b.crash();
    const refused = tcpClient(a, { host: B, port: 5060 });
    sim.runFor(100);
    assert.equal(refused.closes[0]?.code, 'ECONNREFUSED');
    b.restart();
    const srv = tcpServer(b, { host: B, port: 5060 });
    const udp = udpSink(b, { host: B, port: 5060 });
    const tx = udpSink(a, { host: A, port: 0 });
    tx.sock.send(Buffer.from('hello again'), { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5060 });
    sim.run();
    assert.equal(srv.errors.length, 0);
    assert.equal(udp.errors.length, 0);
    assert.equal(srv.accepted.length, 1);
    assert.equal(cli.connects, 1);
    assert.equal(udp.got[0]?.data, 'hello again');
  });

  it('a crash before onListening means onListening never comes', () => {
    const { sim, b } = world();
    const udp = udpSink(b, { host: B, port: 5060 });
    b.crash();
    sim.run();
    assert.equal(udp.listening(), false);
    assert.equal(udp.sock.local(), undefined);
  });

  it('a crash while its SYN is in flight leaves nothing on the server', () => {
    const { sim, a, b } = world();
    const srv = tcpServer(b, { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5060 });
    a.crash();
    sim.run();
    assert.equal(srv.accepted.length, 0);
    assert.deepEqual(cli.closes, []);
    assert.equal(sim.network.openConnections, 0);
  });

  it('a client that dies after the SYN arrived is closed for the server', () => {
    const { sim, a, b } = world();
    const srv = tcpServer(b, { host: B, port: 5060 });
    const cli = tcpClient(a, { host: B, port: 5060 });
    sim.runFor(5); // SYN delivered, SYN-ACK in flight
    assert.equal(srv.accepted.length, 1);
    a.crash();
    sim.run();
    assert.equal(cli.connects, 0);
    assert.deepEqual(srv.accepted[0]!.closes, [undefined]);
    assert.equal(srv.accepted[0]!.closedAt, 10);
  });

  it('an address can move to another node (a Virtual IP on failover)', () => {
    const { sim, a, b } = world();
    const VIP = '192.0.2.100';
    a.addHost(VIP);
    const onA = udpSink(a, { host: '0.0.0.0', port: 5060 });
    const onB = udpSink(b, { host: '0.0.0.0', port: 5060 });
    const phone = sim.addNode('phone', ['203.0.113.7']);
    const tx = udpSink(phone, { host: '203.0.113.7', port: 5060 });
    tx.sock.send(Buffer.from('1'), { host: VIP, port: 5060 });
    sim.run();
    assert.throws(() => b.addHost(VIP), /already belongs to node "a"/);
    a.crash();
    a.removeHost(VIP);
    b.addHost(VIP);
    assert.deepEqual(b.hosts, [B, VIP]);
    tx.sock.send(Buffer.from('2'), { host: VIP, port: 5060 });
    sim.run();
    assert.deepEqual(
      onA.got.map((r) => r.data),
      ['1'],
    );
    assert.deepEqual(
      onB.got.map((r) => r.data),
      ['2'],
    );
  });
});
