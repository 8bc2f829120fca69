/**
 * Third-party call control across a failover (issue 5): a call made with makeCall is established on the
 * primary; the backup refuses call control and emits no call events; the primary crashes; on the new primary
 * the call, taken from the synced store, is held, retrieved and released, and both SIP legs end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Simulator } from '../../src/runtime/sim/simulator.ts';
import type { CallEvent } from '../../src/server/b2bua/call-events.ts';
import { CtiPhone } from './cti-phone.ts';
import { buildPair, VIP } from './pair.ts';

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
  assert.deepEqual(agent.log, ['INVITE nosdp auto', 'ACK sdp', 'BYE']);
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
