import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import { A, B, C, udpSink } from './helpers.ts';

function world(seed: number | string = 7) {
  const sim = new Simulator({ seed, startTime: 0 });
  const a = sim.addNode('a', [A]);
  const b = sim.addNode('b', [B]);
  const c = sim.addNode('c', [C]);
  return { sim, a, b, c };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('SimNetwork UDP', () => {
  it('delivers a datagram with its source address after one link delay', () => {
    const { sim, a, b } = world();
    const rx = udpSink(b, { host: B, port: 5060 });
    const tx = udpSink(a, { host: A, port: 0 });
    assert.equal(rx.sock.local(), undefined, 'not known before onListening');
    sim.runFor(0);
    assert.equal(rx.listening(), true);
    assert.deepEqual(rx.sock.local(), { host: B, port: 5060 });
    const src = tx.sock.local()!;
    assert.ok(src.port >= 49152 && src.port <= 65535, 'port 0 picks an ephemeral port');
    const payload = new Uint8Array(enc('OPTIONS sip:b SIP/2.0'));
    tx.sock.send(payload, { host: B, port: 5060 });
    payload.fill(0); // the network took a copy
    sim.run();
    assert.equal(rx.got.length, 1);
    assert.equal(rx.got[0]!.data, 'OPTIONS sip:b SIP/2.0');
    assert.deepEqual(rx.got[0]!.from, src);
    assert.ok(rx.got[0]!.at >= 1 && rx.got[0]!.at <= 5, `default delay is 1..5 ms, got ${rx.got[0]!.at}`);
    assert.deepEqual(
      { ...sim.network.stats },
      { ...sim.network.stats, sent: 1, delivered: 1, dropped: 0, duplicated: 0 },
    );
    assert.ok(
      sim.log.some((l) => l.includes('"OPTIONS sip:b SIP/2.0"')),
      'the log shows the first line',
    );
  });

  it('keeps each link FIFO without reorder, even with widely varying delays', () => {
    const { sim, a, b } = world();
    sim.network.setDefaultFaults({ delayMs: [1, 50] });
    const rx = udpSink(b, { host: B, port: 5060 });
    const tx = udpSink(a, { host: A, port: 0 });
    for (let i = 0; i < 200; i++)
      sim.schedule(i % 7, () => tx.sock.send(enc(String(i)), { host: B, port: 5060 }));
    sim.run();
    const got = rx.got.map((r) => Number(r.data));
    const sentOrder = [...Array(200).keys()].sort((x, y) => (x % 7) - (y % 7) || x - y);
    assert.deepEqual(got, sentOrder);
  });

  it('with reorder on, datagrams overtake each other but all arrive', () => {
    const { sim, a, b } = world();
    sim.network.setFaults({ from: A, to: B }, { reorder: true, delayMs: [1, 50] });
    const rx = udpSink(b, { host: B, port: 5060 });
    const tx = udpSink(a, { host: A, port: 0 });
    for (let i = 0; i < 200; i++) tx.sock.send(enc(String(i)), { host: B, port: 5060 });
    sim.run();
    const got = rx.got.map((r) => Number(r.data));
    assert.deepEqual(
      [...got].sort((x, y) => x - y),
      [...Array(200).keys()],
    );
    const inversions = got.filter((v, i) => i > 0 && v < got[i - 1]!).length;
    assert.ok(inversions > 20, `expected many overtakes, got ${inversions}`);
  });

  it('loses about the configured share of datagrams', () => {
    const { sim, a, b } = world();
    sim.network.setDefaultFaults({ loss: 0.3 });
    const rx = udpSink(b, { host: B, port: 5060 });
    const tx = udpSink(a, { host: A, port: 0 });
    for (let i = 0; i < 4000; i++) tx.sock.send(enc('x'), { host: B, port: 5060 });
    sim.run();
    const s = sim.network.stats;
    assert.equal(s.sent, 4000);
    assert.equal(s.delivered + s.dropped, 4000);
    assert.equal(rx.got.length, s.delivered);
    assert.ok(s.dropped > 1000 && s.dropped < 1400, `dropped ${s.dropped} of 4000 at loss 0.3`);
  });

  it('duplicates about the configured share of datagrams', () => {
    const { sim, a, b } = world();
    sim.network.setDefaultFaults({ duplicate: 0.2 });
    const rx = udpSink(b, { host: B, port: 5060 });
    const tx = udpSink(a, { host: A, port: 0 });
    for (let i = 0; i < 4000; i++) tx.sock.send(enc(String(i)), { host: B, port: 5060 });
    sim.run();
    const s = sim.network.stats;
    assert.ok(s.duplicated > 650 && s.duplicated < 950, `duplicated ${s.duplicated} of 4000 at 0.2`);
    assert.equal(s.delivered, 4000 + s.duplicated);
    assert.equal(rx.got.length, s.delivered);
    assert.equal(new Set(rx.got.map((r) => r.data)).size, 4000);
  });

  it('applies faults per direction, the most specific rule winning', () => {
    const { sim, a, b, c } = world();
    const atA = udpSink(a, { host: A, port: 5060 });
    const atB = udpSink(b, { host: B, port: 5060 });
    const atC = udpSink(c, { host: C, port: 5060 });
    sim.network.setFaults({ to: B }, { loss: 1 });
    sim.network.setFaults({ from: C, to: B }, { loss: 0, delayMs: [100, 100] });
    sim.network.setFaults({ from: A }, { delayMs: [20, 20] });
    atA.sock.send(enc('a>b'), { host: B, port: 5060 });
    atA.sock.send(enc('a>c'), { host: C, port: 5060 });
    atB.sock.send(enc('b>a'), { host: A, port: 5060 });
    atC.sock.send(enc('c>b'), { host: B, port: 5060 });
    sim.run();
    assert.deepEqual(
      atB.got.map((r) => [r.data, r.at]),
      [['c>b', 100]],
    );
    assert.deepEqual(
      atC.got.map((r) => [r.data, r.at]),
      [['a>c', 20]],
    );
    assert.deepEqual(
      atA.got.map((r) => r.data),
      ['b>a'],
    );
    assert.equal(sim.network.faultsFor(A, B).loss, 1, 'the (to B) rule applies to A > B');
    assert.deepEqual(sim.network.faultsFor(A, B).delayMs, [20, 20], 'and merges with the (from A) rule');
    sim.network.clearFaults();
    assert.deepEqual(sim.network.faultsFor(A, B), { loss: 0, duplicate: 0, delayMs: [1, 5], reorder: false });
    assert.throws(() => sim.network.setFaults({}, { loss: 1.5 }), /loss must be a probability/);
    assert.throws(() => sim.network.setDefaultFaults({ delayMs: [5, 1] }), /delayMs must be \[min, max\]/);
  });

  it('a partition drops datagrams both ways between its sides, including those in flight, until heal', () => {
    const { sim, a, b, c } = world();
    sim.network.setDefaultFaults({ delayMs: [10, 10] });
    const atA = udpSink(a, { host: A, port: 5060 });
    const atB = udpSink(b, { host: B, port: 5060 });
    const atC = udpSink(c, { host: C, port: 5060 });
    atA.sock.send(enc('in flight'), { host: B, port: 5060 });
    sim.runFor(5);
    sim.network.partition([A], [B, C]);
    sim.runFor(10);
    atA.sock.send(enc('a>b cut'), { host: B, port: 5060 });
    atB.sock.send(enc('b>a cut'), { host: A, port: 5060 });
    atB.sock.send(enc('b>c same side'), { host: C, port: 5060 });
    sim.runFor(20);
    assert.equal(atA.got.length, 0);
    assert.equal(atB.got.length, 0);
    assert.deepEqual(
      atC.got.map((r) => r.data),
      ['b>c same side'],
    );
    assert.equal(sim.network.stats.dropped, 3);
    assert.ok(sim.log.some((l) => l.endsWith('dropped (partition)')));
    sim.network.heal();
    atA.sock.send(enc('a>b healed'), { host: B, port: 5060 });
    sim.run();
    assert.deepEqual(
      atB.got.map((r) => r.data),
      ['a>b healed'],
    );
    assert.throws(() => sim.network.partition([A], [A, B]), /cannot be on both sides/);
  });

  it('drops datagrams to a port nobody bound, to an unknown host, and to a crashed node', () => {
    const { sim, a, b } = world();
    const tx = udpSink(a, { host: A, port: 0 });
    udpSink(b, { host: B, port: 5060 });
    tx.sock.send(enc('1'), { host: B, port: 5999 });
    tx.sock.send(enc('2'), { host: '203.0.113.9', port: 5060 });
    sim.run();
    b.crash();
    tx.sock.send(enc('3'), { host: B, port: 5060 });
    sim.run();
    assert.equal(sim.network.stats.dropped, 3);
    assert.equal(sim.network.stats.delivered, 0);
    for (const why of ['port unreachable', 'no such host', 'host down']) {
      assert.ok(
        sim.log.some((l) => l.endsWith(`(${why})`)),
        why,
      );
    }
  });

  it('reports EADDRINUSE and EADDRNOTAVAIL through onError, later, and closes the socket', () => {
    const { sim, a, b } = world();
    const first = udpSink(a, { host: A, port: 5060 });
    const dup = udpSink(a, { host: A, port: 5060 });
    const wild = udpSink(a, { host: '0.0.0.0', port: 5060 });
    const foreign = udpSink(a, { host: B, port: 5060 });
    const otherNode = udpSink(b, { host: B, port: 5060 });
    assert.equal(dup.errors.length, 0, 'errors come as events, not from inside bindUdp');
    sim.runFor(0);
    assert.equal(first.errors.length, 0);
    assert.deepEqual(
      [dup.errors[0]?.code, wild.errors[0]?.code, foreign.errors[0]?.code],
      ['EADDRINUSE', 'EADDRINUSE', 'EADDRNOTAVAIL'],
    );
    assert.match(dup.errors[0]!.message, /UDP bind 192\.0\.2\.1:5060 failed: address already in use/);
    assert.equal(dup.listening(), false);
    assert.equal(dup.sock.local(), undefined);
    assert.equal(otherNode.errors.length, 0, 'the same port on another node is fine');
    // A TCP listener does not conflict with a UDP socket on the same port.
    let tcpError: string | undefined;
    a.net.listenTcp(
      { host: A, port: 5060 },
      {
        onConnection: () => ({ onData() {}, onClose() {} }),
        onError: (e) => {
          tcpError = e.code;
        },
      },
    );
    sim.runFor(0);
    assert.equal(tcpError, undefined);
    // Once closed, the port can be bound again.
    first.sock.close();
    const again = udpSink(a, { host: A, port: 5060 });
    sim.runFor(0);
    assert.equal(again.errors.length, 0);
    assert.equal(again.listening(), true);
  });

  it('a wildcard bind receives on every address of the node and sends from the matching one', () => {
    const sim = new Simulator({ seed: 3 });
    const multi = sim.addNode('m', [A, '2001:db8::1', C]);
    const peer = sim.addNode('p', [B, '2001:db8::2']);
    const rx = udpSink(multi, { host: '0.0.0.0', port: 5060 });
    const p4 = udpSink(peer, { host: B, port: 5060 });
    const p6 = udpSink(peer, { host: '2001:db8::2', port: 5060 });
    p4.sock.send(enc('to A'), { host: A, port: 5060 });
    p4.sock.send(enc('to C'), { host: C, port: 5060 });
    sim.run();
    assert.deepEqual(rx.got.map((r) => r.data).sort(), ['to A', 'to C']);
    assert.deepEqual(rx.sock.local(), { host: '0.0.0.0', port: 5060 });
    rx.sock.send(enc('v4'), { host: B, port: 5060 });
    rx.sock.send(enc('v6'), { host: '2001:db8::2', port: 5060 });
    sim.run();
    assert.deepEqual(p4.got[0]!.from, { host: A, port: 5060 });
    assert.deepEqual(p6.got[0]!.from, { host: '2001:db8::1', port: 5060 });
  });

  it('a closed socket neither sends nor receives', () => {
    const { sim, a, b } = world();
    const rx = udpSink(b, { host: B, port: 5060 });
    const tx = udpSink(a, { host: A, port: 0 });
    tx.sock.send(enc('in flight'), { host: B, port: 5060 });
    rx.sock.close();
    tx.sock.close();
    tx.sock.send(enc('after close'), { host: B, port: 5060 });
    sim.run();
    assert.equal(rx.got.length, 0);
    assert.equal(sim.network.stats.sent, 1);
    assert.equal(rx.listening(), false, 'no onListening after close');
  });
});
