/**
 * SPEC S5 sip-pass-check and switchover-on-trunks-oos in the simulator (fake clock), with the real
 * PairController deciding the roles: a primary that stops receiving SIP while its OOS-checked devices fail
 * switches over after the effective timeout; with no traffic to either server the timeout doubles at each
 * double switchover up to 4x; traffic stops the doubling and keeps its server primary.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimNode } from '../../src/runtime/sim/node.ts';
import { Simulator } from '../../src/runtime/sim/simulator.ts';
import { FakeTrunk } from '../server/oos/harness.ts';
import { controlledPair, monitoredPairConfig } from './monitors.ts';
import { VIP } from './pair.ts';

const TRUNK = '192.0.2.50';
const PHONE = '192.0.2.60';

/** oos-check 10 + max(oos-force 2, 5): the effective timeout is 15 s. */
const TRUNK_DN = `  "9001": { type: Trunk, options: { prefix: "9", contact: "${TRUNK}:5060", oos-check: 10, oos-force: 2 } }`;

/** Sends one OPTIONS to the VIP from a phone's node: SIP traffic for whichever server is primary. */
function sendOptions(node: SimNode, n: number): void {
  const text =
    `OPTIONS sip:${VIP}:5060 SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${PHONE}:5070;branch=z9hG4bK-ping-${n}\r\n` +
    'Max-Forwards: 70\r\n' +
    `From: <sip:1001@${PHONE}>;tag=ping${n}\r\n` +
    `To: <sip:${VIP}>\r\n` +
    `Call-ID: ping-${n}@${PHONE}\r\n` +
    'CSeq: 1 OPTIONS\r\n' +
    'Content-Length: 0\r\n\r\n';
  const socket = node.net.bindUdp({ host: PHONE, port: 0 }, { onMessage: () => {} });
  socket.send(new TextEncoder().encode(text), { host: VIP, port: 5060 });
  node.schedule(1000, () => socket.close());
}

/** The seconds between successive changes of primary. */
function terms(primaries: { at: number }[]): number[] {
  return primaries.slice(1).map((p, i) => (p.at - primaries[i]!.at) / 1000);
}

describe('sip-pass-check in an HA pair (simulator, fake clock)', () => {
  it('switches over after the effective timeout, then doubles at each double switchover up to 4x', () => {
    const sim = new Simulator({ seed: 61 });
    const trunk = new FakeTrunk(sim, 'trunk', TRUNK);
    trunk.mode = { kind: 'silent' };
    const pair = controlledPair(sim, monitoredPairConfig('sip-pass-check: true', TRUNK_DN));
    sim.runFor(260_000);
    const primaries = pair.primaries;
    assert.equal(primaries[0]?.app, 'SIP_A');
    // A alone for 15 s, B 15 s, A 30 s (double switchover), B 30 s, A 60 s (4x), B 60 s, A 60 s (never more).
    const t = terms(primaries);
    assert.ok(t.length >= 6, `switchovers: ${JSON.stringify(primaries)}`);
    const expected = [15, 15, 30, 30, 60, 60];
    expected.forEach((e, i) => {
      // Each term is the timeout plus the SCS's reaction (a report every 250 ms, the demote/promote steps).
      assert.ok(t[i]! >= e && t[i]! < e + 3, `term ${i}: ${t[i]} s, expected about ${e} s (${t.join(', ')})`);
    });
    assert.deepEqual(
      primaries.slice(0, 7).map((p) => p.app),
      ['SIP_A', 'SIP_B', 'SIP_A', 'SIP_B', 'SIP_A', 'SIP_B', 'SIP_A'],
    );
    const aEvents = pair.a.events.map((e) => e.event);
    assert.ok(aEvents.includes('10-30008'), 'the traffic loss is logged');
    assert.equal(aEvents.filter((e) => e === '10-30031').length >= 2, true, 'A doubled twice');
    // Each switchover was a failover for ServiceUnavailable.
    const failovers = pair.scsEvents.filter((e) => e.id === '10-20008');
    assert.ok(failovers.every((e) => String(e.params.reason).includes('ServiceUnavailable')));
  });

  it('traffic to the primary stops the doubling: that server stays primary, back at the initial timeout', () => {
    const sim = new Simulator({ seed: 62 });
    const trunk = new FakeTrunk(sim, 'trunk', TRUNK);
    trunk.mode = { kind: 'silent' };
    const phone = sim.addNode('phone', [PHONE]);
    const pair = controlledPair(sim, monitoredPairConfig('sip-pass-check: true', TRUNK_DN));
    // A 15, B 15, A 30 (doubled), then B: at 70 s, B holds the role with a doubled (30 s) timeout.
    sim.runFor(70_000);
    assert.equal(pair.primaries.length, 4, JSON.stringify(pair.primaries));
    const holder = pair.primary()!;
    assert.equal(holder.app, 'SIP_B');
    assert.equal(holder.server.passCheck.status().multiplier, 2);
    // Traffic every 5 s for a minute: the holder stays primary (its devices are still all out of service).
    let n = 0;
    const until = sim.now + 60_000;
    const ping = (): void => {
      if (sim.now >= until) return;
      sendOptions(phone, n++);
      sim.schedule(5_000, ping);
    };
    ping();
    sim.runFor(60_000);
    assert.equal(pair.primaries.length, 4, 'no switchover while traffic flows');
    assert.equal(pair.primary(), holder);
    assert.equal(holder.server.passCheck.status().multiplier, 1);
    // Traffic stops: the holder gives up after the initial 15 s (from its last message), not 30.
    const lastPing = until - 5_000;
    sim.runFor(40_000);
    assert.ok(pair.primaries.length >= 5, JSON.stringify(pair.primaries));
    const gaveUp = pair.primaries[4]!.at;
    const seconds = (gaveUp - lastPing) / 1000;
    assert.ok(seconds >= 15 && seconds < 18, `gave up ${seconds} s after the last message`);
  });

  it('a device that answers keeps the primary in place, however quiet the rest is', () => {
    const sim = new Simulator({ seed: 63 });
    new FakeTrunk(sim, 'trunk', TRUNK); // answers 200
    const pair = controlledPair(sim, monitoredPairConfig('sip-pass-check: true', TRUNK_DN));
    sim.runFor(120_000);
    assert.deepEqual(
      pair.primaries.map((p) => p.app),
      ['SIP_A'],
    );
  });
});

describe('switchover-on-trunks-oos in an HA pair (simulator)', () => {
  it('all trunks out: re-check, ServiceUnavailable, switchover; trunks back: the new primary stays', () => {
    const sim = new Simulator({ seed: 64 });
    const t1 = new FakeTrunk(sim, 'trunk1', TRUNK);
    const t2 = new FakeTrunk(sim, 'trunk2', '192.0.2.51');
    const dns = `${TRUNK_DN}\n  "9002": { type: Trunk, options: { prefix: "8", contact: "192.0.2.51:5060", oos-check: 10, oos-force: 2 } }`;
    const pair = controlledPair(sim, monitoredPairConfig('switchover-on-trunks-oos: true', dns));
    sim.runFor(20_000);
    assert.deepEqual(
      pair.primaries.map((p) => p.app),
      ['SIP_A'],
    );
    t1.mode = { kind: 'silent' };
    sim.runFor(30_000);
    assert.deepEqual(
      pair.primaries.map((p) => p.app),
      ['SIP_A'],
      'one trunk left: no switchover',
    );
    t2.mode = { kind: 'silent' };
    sim.runUntil(() => pair.primaries.length === 2, { timeoutMs: 60_000 });
    assert.deepEqual(
      pair.primaries.map((p) => p.app),
      ['SIP_A', 'SIP_B'],
    );
    const aEvents = pair.a.events.map((e) => e.event);
    assert.ok(aEvents.indexOf('10-30032') >= 0 && aEvents.indexOf('10-30032') < aEvents.indexOf('10-30007'));
    // The trunks answer again (the new primary's path works): it stays primary and reports Running.
    t1.mode = { kind: 'answer', status: 200 };
    t2.mode = { kind: 'answer', status: 200 };
    sim.runFor(60_000);
    assert.deepEqual(
      pair.primaries.map((p) => p.app),
      ['SIP_A', 'SIP_B'],
    );
    assert.equal(pair.b.server.status().status, 'Running');
  });
});
