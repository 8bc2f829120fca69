/**
 * ADDP on the simulator, asserted on virtual time: a silent peer is detected within twice the timeout, an idle
 * but live link stays open indefinitely, traffic suppresses polls, and the peer's requested timeout is honoured.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveAddpTimeoutMs } from '../../../src/ha/link/addp.ts';
import type { AddpOptions } from '../../../src/ha/link/types.ts';
import { CLIENT_HOST, Pair, SERVER_HOST } from './harness.ts';

const addp = (timeout: number, remoteTimeout = 0): AddpOptions => ({ timeout, remoteTimeout });

/** Virtual times (ms since start) of a given trace line of one side. */
function times(p: Pair, line: string): number[] {
  return p.sim.log
    .filter((l) => l.endsWith(` note ${line}`))
    .map((l) => Number(/^\[\+([\d.]+)ms\]/.exec(l)![1]));
}

describe('ADDP', () => {
  it('chooses its polling timeout: its own, else the one the peer asked for, else none', () => {
    assert.equal(effectiveAddpTimeoutMs(addp(2, 5), 7), 2000);
    assert.equal(effectiveAddpTimeoutMs(addp(0, 5), 0.3), 300);
    assert.equal(effectiveAddpTimeoutMs(undefined, 1.5), 1500);
    assert.equal(effectiveAddpTimeoutMs(addp(0), 0), 0);
    assert.equal(effectiveAddpTimeoutMs(undefined, 0), 0);
    assert.equal(effectiveAddpTimeoutMs(addp(0.0001), 0), 1, 'at least 1 ms');
  });

  it('detects a peer gone silent behind a partition within 2x the timeout (0.5 s), on both sides', () => {
    const p = new Pair({ server: { addp: addp(0.5) }, client: { addp: addp(0.5) } });
    p.open();
    p.sim.runFor(5000); // idle but live: polls keep it open
    assert.equal(p.server.closes.length + p.client.closes.length, 0);
    const cut = p.sim.now;
    p.sim.network.partition([SERVER_HOST], [CLIENT_HOST]);
    p.sim.runFor(3000);
    for (const side of [p.server, p.client]) {
      assert.deepEqual(
        side.closes.map((r) => r.kind),
        ['addp-timeout'],
      );
      const after = side.closedAt! - cut;
      assert.ok(after > 0 && after <= 1000, `detected ${after} ms after the partition (<= 2 x 500)`);
    }
  });

  it('works with fractional seconds: 0.3 s detects within 600 ms', () => {
    const p = new Pair({ server: { addp: addp(0.3) } });
    p.open();
    p.sim.runFor(2000);
    const cut = p.sim.now;
    p.sim.network.partition([SERVER_HOST], [CLIENT_HOST]);
    p.sim.runFor(2000);
    assert.deepEqual(
      p.server.closes.map((r) => r.kind),
      ['addp-timeout'],
    );
    const after = p.server.closedAt! - cut;
    assert.ok(after > 0 && after <= 600, `detected ${after} ms after the partition`);
    const polls = times(p, 'server addp sent poll');
    assert.ok(polls.length >= 5);
    // Each poll follows 300 ms of silence (the previous answer arrived a round trip after the previous poll).
    for (let i = 1; i < polls.length; i++) {
      const gap = polls[i]! - polls[i - 1]!;
      assert.ok(gap > 300 && gap <= 312, `gap ${gap}`);
    }
  });

  it('keeps an idle but live link open for minutes of virtual time, polling; ADDP frames never reach onMessage', () => {
    const p = new Pair({ server: { addp: addp(0.5) }, client: { addp: addp(0.5) } });
    p.open();
    p.sim.runFor(5 * 60_000);
    assert.equal(p.server.link!.open, true);
    assert.equal(p.client.link!.open, true);
    assert.deepEqual(p.server.messages, []);
    assert.deepEqual(p.client.messages, []);
    const polls = p.server.addp.filter((t) => t === 'sent poll').length;
    const clientPolls = p.client.addp.filter((t) => t === 'sent poll').length;
    // A poll received is life for the other side, so (mostly) one side does the polling: ~2 per second.
    assert.ok(polls + clientPolls >= 500, `${polls} + ${clientPolls} polls in 5 minutes`);
    assert.equal(
      p.server.addp.filter((t) => t === 'received answer').length,
      polls,
      'every server poll answered',
    );
    assert.equal(
      p.client.addp.filter((t) => t === 'sent answer').length,
      p.client.addp.filter((t) => t === 'received poll').length,
    );
    assert.equal(p.client.addp.filter((t) => t === 'received poll').length, polls);
  });

  it('does not poll while traffic arrives, and polls once it stops', () => {
    const p = new Pair({ server: { addp: addp(0.5) }, client: { addp: addp(0) } });
    const { client } = p.open();
    for (let i = 0; i < 150; i++) {
      client.send({ type: 'tick', i });
      p.sim.runFor(200);
    }
    assert.equal(p.server.messages.length, 150);
    assert.deepEqual(p.server.addp, [], 'no poll over 30 s of traffic');
    const lastTick = times(p, 'server msg:tick').at(-1)!;
    p.sim.runFor(2000);
    const polls = times(p, 'server addp sent poll');
    assert.ok(polls.length >= 3);
    assert.equal(polls[0], lastTick + 500, 'first poll after 500 ms of silence');
    assert.deepEqual(p.client.addp.slice(0, 2), ['received poll', 'sent answer']);
  });

  it("honours the peer's requested remote timeout when its own is 0", () => {
    // The client asks the server to poll it every 0.4 s; the server has no timeout of its own.
    const p = new Pair({ server: { addp: addp(0) }, client: { addp: addp(0, 0.4) } });
    p.open();
    p.sim.runFor(3000);
    const polls = times(p, 'server addp sent poll');
    assert.ok(polls.length >= 6, `${polls.length} polls`);
    for (let i = 1; i < polls.length; i++) {
      const gap = polls[i]! - polls[i - 1]!;
      assert.ok(gap > 400 && gap <= 412, `gap ${gap}`);
    }
    assert.deepEqual(
      p.client.addp.filter((t) => t === 'sent poll'),
      [],
      'the client polls no one: timeout 0 and nothing asked of it',
    );
    const cut = p.sim.now;
    p.sim.network.partition([SERVER_HOST], [CLIENT_HOST]);
    p.sim.runFor(2000);
    assert.deepEqual(
      p.server.closes.map((r) => r.kind),
      ['addp-timeout'],
    );
    assert.ok(p.server.closedAt! - cut <= 800);
    assert.deepEqual(p.client.closes, [], 'the client, without ADDP, only has TCP (its timeout is 30 s)');
  });

  it('its own timeout wins over what the peer asked for', () => {
    const p = new Pair({ server: { addp: addp(1) }, client: { addp: addp(0, 0.2) } });
    p.open();
    p.sim.runFor(5000);
    const polls = times(p, 'server addp sent poll');
    for (let i = 1; i < polls.length; i++) assert.ok(polls[i]! - polls[i - 1]! > 1000);
  });

  it('without ADDP there are no polls at all', () => {
    const p = new Pair();
    p.open();
    const from = p.sim.log.length;
    p.sim.runFor(60_000);
    assert.equal(p.server.link!.open, true);
    assert.deepEqual(p.sim.log.slice(from), [], 'not one byte on the wire in a minute');
  });
});
