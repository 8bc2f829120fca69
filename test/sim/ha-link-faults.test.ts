/**
 * Bad input on the HA link (SPEC S8.1, S8.4): a peer that cannot prove the pair's secret is refused and
 * logged; a record out of sequence (what a corrupt stream looks like to the backup) closes the link, and the
 * pair resyncs to identical stores; a partition is noticed by ADDP and healed by a resync.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectLink } from '../../src/ha/link/link.ts';
import { Simulator } from '../../src/runtime/sim/simulator.ts';
import { buildPair, HOST_A, HOST_B, VIP } from './pair.ts';
import { SimPhone } from './phone.ts';

test('an HA peer without the secret is refused and logged', () => {
  const sim = new Simulator({ seed: 3 });
  const pair = buildPair(sim);
  pair.promote(pair.a);
  sim.runFor(1000);
  const rogue = sim.addNode('rogue', ['192.0.2.66']);
  let failed = '';
  connectLink(
    rogue.net,
    rogue.clock,
    rogue.random,
    { host: HOST_A, port: 7001 },
    { secret: 'guess', name: 'SIP_B', protocol: 'ha' },
    {
      onOpen: () => assert.fail('a peer without the secret must not get in'),
      onMessage: () => {},
      onClose: () => {},
      onFailed: (reason) => {
        failed = reason.kind;
      },
    },
  );
  sim.runFor(2000);
  assert.equal(failed, 'handshake-failed');
  assert.ok(
    pair.a.events.some((e) => e.event === '10-20004'),
    'refusal logged',
  );
  assert.equal(pair.b.ha.readiness().haLink, 'established', 'the real backup is unaffected');
});

test('a record out of sequence closes the link; the pair resyncs to identical stores', () => {
  const sim = new Simulator({ seed: 4 });
  const pair = buildPair(sim);
  pair.promote(pair.a);
  sim.runFor(1000);
  const target = { transport: 'UDP' as const, host: VIP, port: 5060 };
  const caller = new SimPhone(sim.addNode('1001', ['192.0.2.11']), '1001', target);
  const callee = new SimPhone(sim.addNode('1002', ['192.0.2.12']), '1002', target);
  caller.register();
  callee.register();
  sim.runFor(1000);
  for (let i = 0; i < 5; i++) caller.call('1002', 30_000);
  sim.runFor(2000);
  // Corrupt the stream: the primary's next record number jumps.
  const link = (pair.a.ha as unknown as { link: { send(m: unknown): void } }).link;
  link.send({
    type: 'rec',
    n: 99_999,
    record: { type: 'CallReleased', connId: '0000000000000000', cause: 'x' },
  });
  sim.runFor(200);
  assert.ok(
    pair.b.events.some((e) => e.event === '10-20015'),
    'the backup closed the link to resync',
  );
  sim.runFor(5000);
  assert.equal(pair.b.ha.readiness().haLink, 'established', 'reconnected');
  assert.deepEqual(pair.b.server.store.snapshot(), pair.a.server.store.snapshot());
  assert.equal(pair.b.server.store.callCount, 5);
});

test('a partition between the servers is noticed by ADDP, and healing resyncs what changed meanwhile', () => {
  const sim = new Simulator({ seed: 6 });
  const pair = buildPair(sim);
  pair.promote(pair.a);
  sim.runFor(1000);
  const target = { transport: 'UDP' as const, host: VIP, port: 5060 };
  const caller = new SimPhone(sim.addNode('1001', ['192.0.2.11']), '1001', target);
  const callee = new SimPhone(sim.addNode('1002', ['192.0.2.12']), '1002', target);
  caller.register();
  callee.register();
  sim.runFor(1000);
  sim.network.partition([HOST_A], [HOST_B]);
  const cut = sim.now;
  sim.runUntil(() => pair.b.ha.readiness().haLink !== 'established', { timeoutMs: 5000 });
  assert.ok(sim.now - cut <= 1000 + 50, `noticed within 2 x addp-timeout (${sim.now - cut} ms)`);
  for (let i = 0; i < 3; i++) caller.call('1002', 30_000);
  sim.runFor(3000);
  assert.equal(pair.b.server.store.callCount, 0, 'nothing reached the backup');
  sim.network.heal();
  sim.runFor(5000);
  assert.deepEqual(pair.b.server.store.snapshot(), pair.a.server.store.snapshot());
  assert.equal(pair.b.server.store.callCount, 3);
});
