/**
 * Third-party call control across a failover (issue 5): a call made with makeCall is established on the
 * primary; the backup refuses call control and emits no call events; the primary crashes; on the new primary
 * the call, taken from the synced store, is held, retrieved and released, and both SIP legs end. And a made
 * call whose destination still rings when the primary crashes: the new primary connects the media when the
 * destination answers (the origin phone, ACKed on hold at once, is re-INVITEd with the destination's media).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Simulator } from '../../src/runtime/sim/simulator.ts';
import type { CallEvent } from '../../src/server/b2bua/call-events.ts';
import { CtiPhone, mediaOf } from './cti-phone.ts';
import { buildPair, HOST_A, HOST_B, member, pairConfig, VIP } from './pair.ts';

const target = { transport: 'UDP' as const, host: VIP, port: 5060 };

test('makeCall, primary crash: the new primary holds, retrieves and releases the call; both legs end', () => {
  const sim = new Simulator({ seed: 51 });
  sim.network.setDefaultFaults({ delayMs: [1, 10] });
  const pair = buildPair(sim);
  pair.promote(pair.a);
  sim.runFor(3000);
  const onA: CallEvent[] = [];
  const onB: CallEvent[] = [];
  pair.a.server.b2bua.onCallEvent((e) => onA.push(e));
  pair.b.server.b2bua.onCallEvent((e) => onB.push(e));

  const agent = new CtiPhone(sim.addNode('1001', ['192.0.2.11']), '1001', target);
  const customer = new CtiPhone(sim.addNode('1002', ['192.0.2.12']), '1002', target, { answerAfterMs: 300 });
  agent.register();
  customer.register();
  sim.runFor(1000);

  const refused = pair.b.server.b2bua.makeCall('1001', '1002', {});
  assert.ok(!refused.ok && refused.kind === 'backup-mode', JSON.stringify(refused));
  const made = pair.a.server.b2bua.makeCall('1001', '1002', { order: '77' });
  assert.ok(made.ok, JSON.stringify(made));
  sim.runFor(3000);
  assert.deepEqual(
    onA.map((e) => `${e.type} ${e.thisDn}`),
    ['Dialing 1001', 'Ringing 1002', 'Established 1002', 'Established 1001'],
  );
  assert.equal(onB.length, 0, 'the backup sends no call events');
  assert.deepEqual(pair.b.server.store.snapshot(), pair.a.server.store.snapshot());
  assert.deepEqual(pair.b.server.b2bua.callsOf('1001'), pair.a.server.b2bua.callsOf('1001'));
  const onBackup = pair.b.server.b2bua.releaseCall(made.connId, '1001');
  assert.ok(!onBackup.ok && onBackup.kind === 'backup-mode');

  pair.nodeA.crash();
  sim.runFor(500);
  pair.promote(pair.b);
  sim.runFor(500);
  const b2bua = pair.b.server.b2bua;
  assert.deepEqual(
    b2bua.callsOf('1002').map((c) => [c.connId, c.partyState, c.otherDn, c.userData]),
    [[made.connId, 'Established', '1001', { order: '77' }]],
  );
  assert.deepEqual(b2bua.holdCall(made.connId, '1001'), { ok: true });
  sim.runFor(1000);
  assert.equal(customer.activeCalls[0]?.held, true);
  assert.deepEqual(b2bua.retrieveCall(made.connId, '1001'), { ok: true });
  sim.runFor(1000);
  assert.equal(customer.activeCalls[0]?.held, false);
  assert.deepEqual(b2bua.releaseCall(made.connId, '1001'), { ok: true });
  sim.runFor(2000);
  assert.deepEqual(
    onB.map((e) => `${e.type} ${e.thisDn} ${e.connId === made.connId}`),
    ['Held 1001 true', 'Retrieved 1001 true', 'Released 1001 true', 'Released 1002 true'],
  );
  assert.deepEqual(agent.log, ['INVITE nosdp auto', 'ACK sdp', 'reINVITE active', 'ACK', 'BYE']);
  assert.deepEqual(customer.log, [
    'INVITE sdp',
    'ACK',
    'reINVITE hold',
    'ACK',
    'reINVITE active',
    'ACK',
    'BYE',
  ]);
  assert.equal(agent.activeCalls.length + customer.activeCalls.length, 0);
  assert.equal(pair.b.server.store.callCount, 0);
});

test('makeCall to a number that rings 45 s, primary crash while it rings: the new primary connects the call on the answer', () => {
  const sim = new Simulator({ seed: 52 });
  sim.network.setDefaultFaults({ delayMs: [1, 10] });
  const TRUNK_HOST = '192.0.2.50';
  const config = pairConfig(
    'hot-standby',
    `  "T1": { type: Trunk, options: { contact: "${TRUNK_HOST}:5060", prefix: "9" } }`,
  );
  const nodeA = sim.addNode('SIP_A', [HOST_A]);
  const nodeB = sim.addNode('SIP_B', [HOST_B]);
  const a = member(nodeA, 'SIP_A', 'SIP_B', config);
  const b = member(nodeB, 'SIP_B', 'SIP_A', config);
  nodeA.addHost(VIP);
  a.gate.set('Primary');
  sim.runFor(3000);
  const onA: CallEvent[] = [];
  const onB: CallEvent[] = [];
  a.server.b2bua.onCallEvent((e) => onA.push(e));
  b.server.b2bua.onCallEvent((e) => onB.push(e));

  const agent = new CtiPhone(sim.addNode('1001', ['192.0.2.11']), '1001', target);
  const carrier = new CtiPhone(sim.addNode('trunk', [TRUNK_HOST]), 'carrier', target, {
    answerAfterMs: 45_000,
  });
  agent.register();
  sim.runFor(1000);

  const made = a.server.b2bua.makeCall('1001', '95551234', { order: '78' });
  assert.ok(made.ok, JSON.stringify(made));
  sim.runFor(10_000);
  assert.deepEqual(
    onA.map((e) => `${e.type} ${e.thisDn}`),
    ['Dialing 1001', 'NetworkReached 1001'],
  );
  assert.deepEqual(agent.log, ['INVITE nosdp auto', 'ACK sdp'], 'the agent phone is ACKed (on hold) at once');
  assert.deepEqual(b.server.store.snapshot(), a.server.store.snapshot());

  nodeA.crash();
  sim.runFor(500);
  nodeA.removeHost(VIP);
  nodeB.addHost(VIP);
  b.gate.set('Primary');
  // The carrier answers 45 s after the INVITE, to the new primary; the agent phone was up all along.
  sim.runFor(40_000);
  assert.deepEqual(
    onB.map((e) => `${e.type} ${e.thisDn} ${e.connId === made.connId} ${e.userData.order}`),
    ['Established 1001 true 78'],
  );
  assert.deepEqual(agent.log, ['INVITE nosdp auto', 'ACK sdp', 'reINVITE active', 'ACK']);
  assert.deepEqual(carrier.log, ['INVITE sdp', 'ACK']);
  assert.equal(mediaOf(agent.activeCalls[0]!.remoteSdp), carrier.media, "the carrier's media");
  assert.equal(mediaOf(carrier.activeCalls[0]!.remoteSdp), agent.media, "the agent phone's media");
  assert.equal(agent.activeCalls[0]!.held, false);
  assert.deepEqual(
    b.server.b2bua.callsOf('1001').map((c) => [c.connId, c.partyState, c.otherDn]),
    [[made.connId, 'Established', '95551234']],
  );

  // The call works on the new primary: hold and release.
  assert.deepEqual(b.server.b2bua.holdCall(made.connId, '1001'), { ok: true });
  sim.runFor(1000);
  assert.equal(carrier.activeCalls[0]?.held, true);
  assert.deepEqual(b.server.b2bua.releaseCall(made.connId, '1001'), { ok: true });
  sim.runFor(2000);
  assert.equal(agent.log.at(-1), 'BYE');
  assert.equal(carrier.log.at(-1), 'BYE');
  assert.equal(agent.activeCalls.length + carrier.activeCalls.length, 0);
  assert.equal(b.server.store.callCount, 0);
});
