/**
 * CTI backpressure on the simulator: a client that stops reading is closed once its unread events pass
 * CTI_MAX_QUEUED_BYTES (10-70007, counted in the statistics), while clients that read, even under a heavy
 * event rate, in one large burst, or with pauses of their own, are never closed; and the client library,
 * closed that way, reconnects and registers its DNs again by itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CtiClient, type CtiEvent } from '../../../src/client/cti/index.ts';
import { encodeFrame } from '../../../src/runtime/framing/frame-codec.ts';
import type { Net } from '../../../src/runtime/net.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import type { SimTcpConnection } from '../../../src/runtime/sim/tcp-connection.ts';
import { CTI_MAX_QUEUED_BYTES, toCtiEvent } from '../../../src/server/cti/cti-server.ts';
import { callEvent, client, ctiNode, registerDns, SERVER_HOST } from './harness.ts';

function sim(seed = 3): Simulator {
  const s = new Simulator({ seed });
  s.network.setDefaultFaults({ delayMs: [1, 5] });
  return s;
}

/** A call event on a DN with some user data (about 700 bytes on the wire). */
function busyEvent(dn: string, i: number) {
  return callEvent(i % 2 === 0 ? 'Ringing' : 'Released', dn, `c0ffee${String(i).padStart(10, '0')}`, {
    userData: { case: String(i), notes: 'n'.repeat(600) },
  });
}

const wireSize = (dn: string, i: number) => encodeFrame(toCtiEvent(busyEvent(dn, i))).length;

describe('CTI backpressure (simulator)', () => {
  it('a client that stops reading is closed past the bound; 10-70007; counted; the others get everything', () => {
    const s = sim();
    const srv = ctiNode(s);
    const stuck = client(s, srv, 'Desktop1');
    const fine = client(s, srv, 'Desktop2');
    stuck.take();
    fine.take();
    registerDns(s, stuck, '1001');
    registerDns(s, fine, '1001');
    const stuckAddress = stuck.address();
    stuck.pauseReading();

    let emitted = 0;
    let bytes = 0;
    let seenGrowing = false;
    // 20 events per millisecond: a very busy DN. Until the stuck client is closed (or far past the bound).
    while (srv.log.every((e) => e.event !== '10-70007') && bytes < 3 * CTI_MAX_QUEUED_BYTES) {
      srv.calls.emit(busyEvent('1001', emitted));
      bytes += wireSize('1001', emitted);
      emitted++;
      if (emitted % 20 === 0) s.runFor(1);
      if (emitted === 2000) {
        const st = srv.cti.server.statistics().clients;
        const mine = st.find((c) => c.name === 'Desktop1')!;
        const theirs = st.find((c) => c.name === 'Desktop2')!;
        assert.ok(mine.queuedBytes > 1024 * 1024, `the stuck client's queue shows: ${mine.queuedBytes}`);
        assert.ok(theirs.queuedBytes < 64 * 1024, `a reading client's does not grow: ${theirs.queuedBytes}`);
        seenGrowing = true;
      }
    }
    assert.ok(seenGrowing);
    const alarm = srv.log.find((e) => e.event === '10-70007');
    assert.ok(alarm, `closed after ${emitted} events, ${bytes} bytes`);
    assert.equal(alarm.params.client, 'Desktop1');
    assert.equal(alarm.params.address, stuckAddress);
    assert.equal(alarm.params.transport, 'TCP');
    assert.equal(alarm.params.limit, CTI_MAX_QUEUED_BYTES);
    assert.ok((alarm.params.queued as number) > CTI_MAX_QUEUED_BYTES);
    assert.ok(bytes > CTI_MAX_QUEUED_BYTES, 'not before the bound');
    assert.ok(bytes < CTI_MAX_QUEUED_BYTES + 64 * 1024, 'as soon as the bound is passed');
    assert.equal(srv.log.filter((e) => e.event === '10-70007').length, 1);
    const gone = srv.log.find((e) => e.event === '10-70002' && e.params.client === 'Desktop1');
    assert.match(String(gone?.params.reason), /not reading: \d+ bytes of events queued unread/);

    const st = srv.cti.server.statistics();
    assert.equal(st.totals.closedNotReading, 1);
    assert.deepEqual(
      st.clients.map((c) => c.name),
      ['Desktop2'],
    );
    // The stuck client is reset even though it does not read: its side closes too, nothing is held.
    s.runFor(50);
    assert.equal(stuck.closed, true);
    stuck.resumeReading();
    s.runFor(50);
    assert.equal(stuck.received.length, 0, 'what was queued was discarded');
    // Later events go to the others only; the reading client got every one of them, in order.
    srv.calls.emit(busyEvent('1001', emitted++));
    s.runFor(50);
    const got = fine.take();
    assert.equal(got.length, emitted);
    assert.deepEqual(
      got.map((m) => m.ConnID),
      [...Array(emitted).keys()].map((i) => `c0ffee${String(i).padStart(10, '0')}`),
    );
    assert.equal(fine.closed, false);
  });

  it('a client that sends requests and never reads the answers is closed the same way', () => {
    const s = sim();
    const srv = ctiNode(s);
    const c = client(s, srv, 'Router1', null);
    c.take();
    registerDns(s, c, '1001');
    c.pauseReading();
    let sent = 0;
    for (; sent < 100_000 && !srv.log.some((e) => e.event === '10-70007'); sent++) {
      c.request('RequestQueryAddress', { ThisDN: '1001' });
      if (sent % 100 === 0) s.runFor(1);
    }
    assert.ok(sent > 10_000, `answered ${sent} requests before the bound`);
    const alarm = srv.log.find((e) => e.event === '10-70007');
    assert.equal(alarm?.params.client, 'Router1');
    assert.equal(srv.cti.server.statistics().totals.closedNotReading, 1);
    assert.equal(srv.cti.server.clientCount, 0);
  });

  it('reading clients under a heavy load, a large burst and pauses of their own are never closed', () => {
    const s = sim(9);
    const srv = ctiNode(s);
    const dns = ['1001', '1002', '1003', '5000'];
    const clients = [...Array(24).keys()].map((i) => {
      const c = client(s, srv, i % 2 === 0 ? 'Desktop1' : 'Desktop2');
      c.take();
      registerDns(s, c, ...dns.filter((_, k) => (i + k) % 2 === 0 || i % 3 === 0)); // as clientDns(i)
      return c;
    });
    // A client that stops reading for a while now and then (a busy UI, a GC pause): 300 ms out of 1000.
    const hiccup = clients[0]!;
    for (let t = 0; t < 10_000; t += 1000) {
      s.schedule(t + 500, () => hiccup.pauseReading());
      s.schedule(t + 800, () => hiccup.resumeReading());
    }
    const clientDns = (i: number) => dns.filter((_, k) => (i + k) % 2 === 0 || i % 3 === 0);
    const expected = new Map(clients.map((c) => [c, 0]));
    const sent = (dn: string, n: number): void => {
      clients.forEach((c, k) => {
        if (clientDns(k).includes(dn)) expected.set(c, expected.get(c)! + n);
      });
    };
    // 10 s of 200 events per second on each DN (800/s in all).
    let i = 0;
    for (let t = 0; t < 10_000; t += 5) {
      for (const dn of dns) {
        srv.calls.emit(busyEvent(dn, i++));
        sent(dn, 1);
      }
      s.runFor(5);
    }
    // One large burst in one go: 4,000 events (some 2.8 MB) on one DN, more than any resync sends.
    const burst = 4000;
    for (let k = 0; k < burst; k++) srv.calls.emit(busyEvent('1001', i++));
    sent('1001', burst);
    assert.ok(burst * wireSize('1001', 0) < CTI_MAX_QUEUED_BYTES);
    s.runFor(2000);
    assert.equal(srv.log.filter((e) => e.event === '10-70007').length, 0);
    assert.equal(srv.cti.server.statistics().totals.closedNotReading, 0);
    assert.equal(srv.cti.server.statistics().clients.length, clients.length);
    for (const c of clients) {
      assert.equal(c.closed, false);
      assert.equal(c.take().length, expected.get(c));
    }
  });

  it('the client library, closed for not reading, reconnects and re-registers its DNs by itself', async () => {
    const s = sim(4);
    const srv = ctiNode(s);
    const node = s.addNode('desktop', ['198.51.100.200']);
    // The library's connections, so that the test can make the desktop stop reading.
    const conns: SimTcpConnection[] = [];
    const net: Net = {
      bindUdp: (l, h) => node.net.bindUdp(l, h),
      listenTcp: (l, h) => node.net.listenTcp(l, h),
      connectTcp: (r, h) => {
        const c = node.net.connectTcp(r, h) as SimTcpConnection;
        conns.push(c);
        return c;
      },
    };
    const cti = new CtiClient({
      servers: [{ host: SERVER_HOST, port: srv.address.port }],
      application: 'Desktop1',
      password: 'desk-pw',
      net,
      clock: node.clock,
      reconnectMinMs: 100,
    });
    const events: CtiEvent[] = [];
    cti.on('event', (e) => events.push(e));
    const settle = async (ms: number) => {
      for (let t = 0; t < ms; t += 10) {
        s.runFor(10);
        await new Promise((r) => setImmediate(r));
      }
    };
    try {
      void cti.connect();
      await settle(100);
      const registered = cti.register('1001');
      await settle(100);
      assert.equal((await registered).message, 'EventRegistered');
      assert.equal(conns.length, 1);
      conns[0]!.pauseReading();
      let i = 0;
      while (!srv.log.some((e) => e.event === '10-70007')) {
        for (let k = 0; k < 50; k++) srv.calls.emit(busyEvent('1001', i++));
        s.runFor(1);
      }
      await settle(1000);
      // A new connection, registered, with DN 1001 registered again: the desktop gets the new events.
      assert.equal(conns.length, 2);
      assert.equal(cti.servers()[0]?.state, 'registered');
      assert.deepEqual(
        srv.cti.server.statistics().clients.map((c) => [c.name, c.registeredDns]),
        [['Desktop1', ['1001']]],
      );
      events.length = 0;
      const n = i + (i % 2); // an even one: EventRinging
      srv.calls.emit(busyEvent('1001', n));
      await settle(50);
      assert.deepEqual(
        events.map((e) => [e.message, (e as { ConnID?: string }).ConnID]),
        [['EventRinging', `c0ffee${String(n).padStart(10, '0')}`]],
      );
    } finally {
      cti.close();
    }
  });
});
