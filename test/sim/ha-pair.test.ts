/**
 * The HA pair on the simulator (SPEC S4.3, S8.2; seeds 003, 004): hot standby keeps every established call
 * through the primary's crash, with the backup's store equal to the primary's before it; missing calls are
 * resynced in batches of ha-max-calls-sync-at-once a second; readiness follows seed 004 on virtual time;
 * warm standby keeps registrations but not calls.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newConnId } from '../../src/model/call/call.ts';
import { Simulator } from '../../src/runtime/sim/simulator.ts';
import { buildPair, member, VIP } from './pair.ts';
import { SimPhone } from './phone.ts';

const target = { transport: 'UDP' as const, host: VIP, port: 5060 };

function phones(sim: Simulator) {
  const caller = new SimPhone(sim.addNode('1001', ['192.0.2.11']), '1001', target);
  const callee = new SimPhone(sim.addNode('1002', ['192.0.2.12']), '1002', target, { answerAfterMs: 200 });
  const caller2 = new SimPhone(sim.addNode('1003', ['192.0.2.13']), '1003', target);
  return { caller, callee, caller2 };
}

test('hot standby: established calls survive the primary crash, both legs end with correct BYEs', () => {
  const sim = new Simulator({ seed: 41 });
  sim.network.setDefaultFaults({ delayMs: [1, 10] });
  const pair = buildPair(sim);
  pair.promote(pair.a);
  sim.runFor(3000);
  assert.equal(pair.b.ha.readiness().haLink, 'established');

  const { caller, callee, caller2 } = phones(sim);
  for (const p of [caller, callee, caller2]) p.register();
  sim.runFor(1000);
  const calls = 20;
  for (let i = 0; i < calls; i++) {
    sim.clock.setTimer(i * 100, () => (i % 2 ? caller : caller2).call('1002', 20_000));
  }
  sim.runFor(5000);
  assert.equal(pair.a.server.store.callCount, calls, 'all calls established on the primary');
  // The backup holds the identical state, record for record.
  assert.deepEqual(pair.b.server.store.snapshot(), pair.a.server.store.snapshot());
  assert.equal(pair.b.server.status().readyForSwitchover, 1, 'the backup is synchronized');

  // The primary dies; the backup takes the VIP and the primary role.
  pair.nodeA.crash();
  sim.runFor(500);
  pair.promote(pair.b);
  sim.runFor(30_000);

  const done = [...caller.results, ...caller2.results];
  assert.equal(done.length, calls, JSON.stringify(done));
  assert.deepEqual(
    done.filter((r) => r.outcome !== 'completed'),
    [],
    'every caller BYE was answered by the new primary',
  );
  assert.equal(callee.uas.activeSessions, 0, 'every callee leg got its BYE');
  assert.equal(pair.b.server.store.callCount, 0);
});

test('resync: 2,500 calls go to a restarted backup in 5 batches of 500 at 1 s intervals; readiness on time', () => {
  const sim = new Simulator({ seed: 7 });
  // A fixed link delay, so that the arrival times of the batches are their sending times plus a constant.
  sim.network.setDefaultFaults({ delayMs: [2, 2] });
  const pair = buildPair(sim);
  pair.promote(pair.a);
  sim.runFor(2000);
  // The backup goes away; meanwhile the primary gets 2,500 calls (written as records: the sync sees calls).
  pair.nodeB.crash();
  sim.runFor(1000);
  const store = pair.a.server.store;
  for (let i = 0; i < 2500; i++) {
    const connId = newConnId(pair.nodeA.random);
    store.commit({
      type: 'CallCreated',
      call: {
        connId,
        state: 'established',
        callType: 'Internal',
        origin: '1001',
        dialed: '1002',
        parties: [
          { dn: '1001', role: 'Origination', state: 'Established' },
          { dn: '1002', role: 'Destination', state: 'Established' },
        ],
        legs: [],
        deadline: null,
        userData: { n: String(i) },
        multisite: false,
        createdAt: sim.now,
        triedTrunks: [],
      },
    });
  }
  // The backup restarts and connects.
  pair.nodeB.restart();
  const b = member(pair.nodeB, 'SIP_B', 'SIP_A', pair.config);
  const batches: { at: number; size: number }[] = [];
  b.server.store.onRecord((r) => {
    if (r.type !== 'CallCreated') return;
    const last = batches[batches.length - 1];
    if (last && last.at === sim.now) last.size++;
    else batches.push({ at: sim.now, size: 1 });
  });
  let linkUpAt = 0;
  const ready: { at: number; value: number }[] = [];
  sim.runUntil(() => b.ha.readiness().haLink === 'established', { timeoutMs: 10_000 });
  linkUpAt = sim.now;
  const watch = (): void => {
    const r = pair.a.server.status().readyForSwitchover;
    if (ready.length === 0 || ready[ready.length - 1]!.value !== r) ready.push({ at: sim.now, value: r });
    if (sim.now < linkUpAt + 70_000) sim.clock.setTimer(100, watch);
  };
  watch();
  sim.runFor(70_000);

  assert.deepEqual(
    batches.map((x) => x.size),
    [500, 500, 500, 500, 500],
  );
  const gaps = batches.slice(1).map((x, i) => x.at - batches[i]!.at);
  assert.deepEqual(gaps, [1000, 1000, 1000, 1000]);
  assert.deepEqual(b.server.store.snapshot(), store.snapshot());
  // Seed 004: the primary is ready 60 s after the link came up (all calls synced by then), not before.
  assert.equal(ready[0]!.value, 0);
  const up = ready.find((x) => x.value === 1);
  assert.ok(up, JSON.stringify(ready));
  assert.ok(
    up.at - linkUpAt >= 60_000 && up.at - linkUpAt <= 60_000 + 200,
    `ready ${up.at - linkUpAt} ms after link up`,
  );
  assert.equal(b.server.status().readyForUpgrade, 1);
  assert.equal(pair.a.server.status().readyForUpgrade, 0);
});

test('warm standby: registrations survive a failover, calls do not (by design)', () => {
  const sim = new Simulator({ seed: 5 });
  const pair = buildPair(sim, 'warm-standby');
  pair.promote(pair.a);
  sim.runFor(2000);
  const { caller, callee } = phones(sim);
  caller.register();
  callee.register();
  sim.runFor(1000);
  caller.call('1002', 10_000);
  sim.runFor(3000);
  assert.equal(pair.a.server.store.callCount, 1);
  assert.equal(pair.b.server.store.callCount, 0, 'no calls are synchronized in warm standby');
  assert.equal(pair.b.server.store.contactCount, 2, 'registrations are');

  pair.nodeA.crash();
  sim.runFor(500);
  pair.promote(pair.b);
  sim.runFor(1000);
  assert.equal(pair.b.server.store.callCount, 0, 'the call in progress is gone');
  // A new call after the takeover reaches the callee through the registrations the backup kept.
  caller.call('1002', 1000);
  sim.runFor(5000);
  assert.ok(
    caller.results.some((r) => r.outcome === 'completed'),
    JSON.stringify(caller.results),
  );
});

test('a call ringing at the moment of the crash is answered after the takeover', () => {
  const sim = new Simulator({ seed: 43 });
  const pair = buildPair(sim);
  pair.promote(pair.a);
  sim.runFor(2000);
  const caller = new SimPhone(sim.addNode('1001', ['192.0.2.11']), '1001', target);
  const slow = new SimPhone(sim.addNode('1002', ['192.0.2.12']), '1002', target, { answerAfterMs: 6000 });
  caller.register();
  slow.register();
  sim.runFor(1000);
  caller.call('1002', 2000);
  sim.runFor(2000);
  const [call] = [...pair.b.server.store.calls()];
  assert.equal(call?.state, 'ringing', 'ringing, and synced to the backup');
  pair.nodeA.crash();
  sim.runFor(300);
  pair.promote(pair.b);
  sim.runFor(20_000);
  assert.deepEqual(caller.results, [{ dialed: '1002', outcome: 'completed' }]);
  assert.equal(slow.uas.activeSessions, 0);
});

test('a call answered just before the crash, whose 200 never reached the caller, is answered again by the new primary', () => {
  const sim = new Simulator({ seed: 47 });
  const pair = buildPair(sim);
  pair.promote(pair.a);
  sim.runFor(2000);
  const caller = new SimPhone(sim.addNode('1001', ['192.0.2.11']), '1001', target);
  const slow = new SimPhone(sim.addNode('1002', ['192.0.2.12']), '1002', target, { answerAfterMs: 3000 });
  caller.register();
  slow.register();
  sim.runFor(1000);
  caller.call('1002', 2000);
  sim.runFor(1500);
  // The caller is cut off from the VIP just before the callee answers: the primary confirms the call (and the
  // backup has it) but its 200 to the caller is lost; the caller keeps retransmitting its INVITE.
  sim.network.partition(['192.0.2.11'], [VIP]);
  sim.runFor(2500);
  const [call] = [...pair.b.server.store.calls()];
  assert.equal(call?.state, 'established', 'answered, and synced to the backup');
  assert.deepEqual(caller.results, [], 'the caller has not seen the answer');
  pair.nodeA.crash();
  sim.runFor(300);
  pair.promote(pair.b);
  sim.network.heal();
  sim.runFor(30_000);
  // The INVITE retransmission reaches the new primary, which answers it with the call's 200 (same To tag, the
  // callee's SDP): the caller ACKs, talks, and hangs up.
  assert.deepEqual(caller.results, [{ dialed: '1002', outcome: 'completed' }]);
  assert.equal(slow.uas.activeSessions, 0, 'the callee leg got its BYE');
  assert.equal(pair.b.server.store.callCount, 0);
});

test('a call parked on a Routing Point reaches its default-dn on the new primary at its synced deadline', () => {
  const sim = new Simulator({ seed: 44 });
  const pair = buildPair(sim);
  pair.promote(pair.a);
  sim.runFor(2000);
  const caller = new SimPhone(sim.addNode('1001', ['192.0.2.11']), '1001', target);
  const agent = new SimPhone(sim.addNode('1002', ['192.0.2.12']), '1002', target, { answerAfterMs: 100 });
  caller.register();
  agent.register();
  sim.runFor(1000);
  caller.call('5000', 2000);
  sim.runFor(1000);
  const parked = [...pair.b.server.store.calls()][0];
  assert.equal(parked?.state, 'parked');
  const deadline = parked.deadline!.at;
  pair.nodeA.crash();
  sim.runFor(300);
  pair.promote(pair.b);
  sim.runUntil(() => [...pair.b.server.store.calls()].some((c) => c.state === 'established'), {
    timeoutMs: 20_000,
  });
  const answeredAt = sim.now;
  assert.ok(
    answeredAt >= deadline && answeredAt < deadline + 1000,
    `routed at its deadline (${answeredAt - deadline} ms after)`,
  );
  sim.runFor(10_000);
  assert.deepEqual(caller.results, [{ dialed: '5000', outcome: 'completed' }]);
});
