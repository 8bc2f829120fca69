/**
 * Active out-of-service detection (SPEC S2.8) on the simulator: a server context probes fake trunks over the
 * simulated network with the virtual clock; what it commits to the store and logs is what the backup, the
 * CTI clients and the operators see.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type OosChange, OosChecker } from '../../../src/server/oos/oos-checker.ts';
import { configWith, FakeTrunk, type ServerHarness, serverHarness } from './harness.ts';

const TRUNK = '192.0.2.50';
const MEDIA = '192.0.2.60';

function dns(trunk: Record<string, unknown> = {}) {
  return {
    '1001': { type: 'Extension', options: {} },
    '9001': {
      type: 'Trunk',
      options: { prefix: '9', contact: `${TRUNK}:5060`, 'oos-check': 10, 'oos-force': 5, ...trunk },
    },
  };
}

function setup(trunkOptions: Record<string, unknown> = {}) {
  const h = serverHarness(configWith(dns(trunkOptions)));
  const trunk = new FakeTrunk(h.sim, 'trunk', TRUNK);
  const checker = new OosChecker(h.ctx);
  const changes: OosChange[] = [];
  checker.onChange((c) => changes.push(c));
  return { h, trunk, checker, changes };
}

function deviceRecords(h: ServerHarness) {
  return h.records.flatMap((r) => (r.type === 'DeviceStateChanged' ? [r.device] : []));
}

function oosEvents(h: ServerHarness) {
  return h.events().filter((e) => e.event === '10-30005' || e.event === '10-30006');
}

describe('OosChecker', () => {
  test('an answering trunk is probed every oos-check seconds and stays in service', () => {
    const { h, trunk, checker } = setup();
    checker.start();
    h.sim.runFor(35_000);
    // Probes at 0, 10, 20, 30 s.
    assert.deepEqual(
      h.sentOptions.map((p) => [p.at - h.sim.startTime, p.host, p.port]),
      [0, 10_000, 20_000, 30_000].map((t) => [t, TRUNK, 5060]),
    );
    assert.equal(trunk.received, 4);
    assert.equal(checker.isInService('9001'), true);
    assert.deepEqual(deviceRecords(h), []);
    const s = checker.statsOf('9001')!;
    assert.equal(s.probesSent, 4);
    assert.equal(s.probesAnswered, 4);
    assert.equal(s.probesFailed, 0);
    assert.equal(s.lastStatus, 200);
    assert.equal(s.oosDetections, 0);
  });

  test('a trunk that stops answering goes out of service within oos-check + oos-force, is still probed, and comes back on the first answer', () => {
    const { h, trunk, checker, changes } = setup();
    checker.start();
    h.sim.runFor(12_000);
    trunk.mode = { kind: 'silent' };
    const stoppedAt = h.sim.now;
    assert.ok(h.sim.runUntil(() => !checker.isInService('9001'), { timeoutMs: 10_000 + 5_000 + 10_000 }));
    // Bound of the brief: oos-check + oos-force (+ one interval for the probe in flight).
    assert.ok(h.sim.now - stoppedAt <= 25_000, `took ${h.sim.now - stoppedAt} ms`);
    // The probe sent at 20 s got no answer by 25 s.
    assert.equal(h.sim.now - h.sim.startTime, 25_000);

    const [down] = deviceRecords(h);
    assert.deepEqual(down, { dn: '9001', inService: false, since: h.sim.now, dnd: false, forwardTo: null });
    assert.deepEqual(
      oosEvents(h).map((e) => [e.event, e.params]),
      [['10-30005', { dnType: 'Trunk', dn: '9001', contact: `${TRUNK}:5060`, seconds: 5 }]],
    );
    assert.deepEqual(
      changes.map((c) => [c.dn, c.inService]),
      [['9001', false]],
    );

    // Out of service, it keeps being probed every interval, and stays out without new records.
    const sentBefore = h.sentOptions.length;
    h.sim.runFor(30_000);
    assert.ok(h.sentOptions.length - sentBefore >= 3, 'probes go on while out of service');
    assert.equal(deviceRecords(h).length, 1);

    trunk.mode = { kind: 'answer', status: 200 };
    const backFrom = h.sim.now;
    assert.ok(h.sim.runUntil(() => checker.isInService('9001'), { timeoutMs: 11_000 }));
    assert.ok(h.sim.now - backFrom <= 10_000 + 1_000);
    const records = deviceRecords(h);
    assert.equal(records.length, 2);
    assert.equal(records[1]!.inService, true);
    assert.deepEqual(
      oosEvents(h).map((e) => e.event),
      ['10-30005', '10-30006'],
    );
    assert.deepEqual(
      changes.map((c) => c.inService),
      [false, true],
    );
    const s = checker.statsOf('9001')!;
    assert.equal(s.oosDetections, 1);
    assert.ok(s.probesFailed >= 4);
    assert.equal(s.inService, true);
    assert.equal(s.lastChangeAt, h.sim.now);
  });

  test('a 503 (any final response) means in service, and brings an out-of-service trunk back', () => {
    const { h, trunk, checker } = setup();
    trunk.mode = { kind: 'answer', status: 503 };
    checker.start();
    h.sim.runFor(60_000);
    assert.equal(checker.isInService('9001'), true);
    assert.deepEqual(deviceRecords(h), []);
    assert.equal(checker.statsOf('9001')!.lastStatus, 503);

    trunk.mode = { kind: 'silent' };
    assert.ok(h.sim.runUntil(() => !checker.isInService('9001'), { timeoutMs: 30_000 }));
    trunk.mode = { kind: 'answer', status: 503 };
    assert.ok(h.sim.runUntil(() => checker.isInService('9001'), { timeoutMs: 11_000 }));
  });

  test('a backup probes nothing; promotion starts probing from the replicated state; demotion stops it', () => {
    const { h, trunk, checker } = setup();
    h.gate.set('Backup');
    checker.start();
    h.sim.runFor(60_000);
    assert.equal(h.sentOptions.length, 0);
    assert.equal(checker.isRunning, false);

    // The primary had found the trunk down; the backup holds that record.
    h.store.commit({
      type: 'DeviceStateChanged',
      device: { dn: '9001', inService: false, since: h.sim.now, dnd: false, forwardTo: null },
    });
    h.gate.set('Primary');
    checker.start();
    h.sim.runFor(1_000);
    assert.equal(h.sentOptions.length, 1);
    assert.equal(checker.isInService('9001'), true, 'the first answer after promotion puts it back');

    h.gate.set('Backup');
    checker.stop();
    const sent = h.sentOptions.length;
    trunk.mode = { kind: 'silent' };
    h.sim.runFor(60_000);
    assert.equal(h.sentOptions.length, sent);
    assert.equal(checker.isInService('9001'), true, 'a backup declares nothing out of service');
  });

  test('a demotion without stop(): the next probe timer sees the gate closed and stops', () => {
    const { h, trunk, checker } = setup();
    checker.start();
    h.sim.runFor(1_000);
    trunk.mode = { kind: 'silent' };
    h.gate.set('Backup');
    h.sim.runFor(60_000);
    assert.equal(h.sentOptions.length, 1);
    assert.equal(checker.isRunning, false);
    assert.deepEqual(deviceRecords(h), []);
  });

  test('answers to probes sent before stop() are ignored', () => {
    const h = serverHarness(configWith(dns()));
    const trunk = new FakeTrunk(h.sim, 'trunk', TRUNK);
    h.sim.network.setDefaultFaults({ delayMs: [3_000, 3_000] });
    const checker = new OosChecker(h.ctx);
    h.store.commit({
      type: 'DeviceStateChanged',
      device: { dn: '9001', inService: false, since: h.sim.now, dnd: false, forwardTo: null },
    });
    checker.start();
    h.sim.runFor(100);
    checker.stop();
    h.sim.runFor(20_000);
    assert.equal(trunk.received, 1);
    assert.equal(checker.isInService('9001'), false);
    assert.equal(checker.statsOf('9001')!.probesAnswered, 0);
  });

  test('a Voice over IP Service with oos-check is probed at its sip: URI; DNs without oos-check are not', () => {
    const h = serverHarness(
      configWith({
        ...dns({ 'oos-check': 0 }),
        '7001': {
          type: 'Voice over IP Service',
          options: {
            'service-type': 'msml',
            contact: `sip:ms@${MEDIA}:5070`,
            'oos-check': 20,
            'oos-force': 8,
          },
        },
      }),
    );
    const media = new FakeTrunk(h.sim, 'media', MEDIA, 5070);
    media.mode = { kind: 'silent' };
    const checker = new OosChecker(h.ctx);
    checker.start();
    h.sim.runFor(50_000);
    assert.deepEqual(new Set(h.sentOptions.map((p) => `${p.host}:${p.port}`)), new Set([`${MEDIA}:5070`]));
    assert.equal(h.sentOptions.length, 3);
    assert.equal(checker.isInService('7001'), false);
    assert.deepEqual(oosEvents(h)[0]!.params, {
      dnType: 'Voice over IP Service',
      dn: '7001',
      contact: `sip:ms@${MEDIA}:5070`,
      seconds: 8,
    });
    assert.deepEqual(
      checker.snapshot().devices.map((d) => d.dn),
      ['7001'],
    );
  });

  test('oos-force below 5 s counts as 5 s', () => {
    const { h, trunk, checker } = setup({ 'oos-force': 0 });
    trunk.mode = { kind: 'silent' };
    checker.start();
    h.sim.runUntil(() => !checker.isInService('9001'));
    assert.equal(h.sim.now - h.sim.startTime, 5_000);
    assert.equal(checker.statsOf('9001')!.oosForce, 5);
  });

  test('a late answer to an older probe still counts when oos-force exceeds oos-check', () => {
    // Answers take 6 s to arrive (3 s each way); probes every 2 s, wait 10 s.
    const { h, checker } = setup({ 'oos-check': 2, 'oos-force': 10 });
    h.sim.network.setDefaultFaults({ delayMs: [3_000, 3_000] });
    checker.start();
    h.sim.runFor(60_000);
    assert.equal(checker.isInService('9001'), true);
    assert.deepEqual(deviceRecords(h), []);
    assert.equal(checker.statsOf('9001')!.probesFailed, 0);
  });

  test('a probe left unanswered does not count when a newer probe was answered within its oos-force', () => {
    const { h, trunk, checker } = setup({ 'oos-check': 2, 'oos-force': 5 });
    trunk.mode = { kind: 'answer', status: 200, every: 2 };
    checker.start();
    h.sim.runFor(60_000);
    const s = checker.statsOf('9001')!;
    assert.ok(s.probesFailed >= 10, `every other probe failed (${s.probesFailed})`);
    assert.equal(checker.isInService('9001'), true);
    assert.deepEqual(deviceRecords(h), []);
  });

  test('isInService is true for a DN the store knows nothing of', () => {
    const { checker } = setup();
    assert.equal(checker.isInService('9999'), true);
    assert.equal(checker.statsOf('1001'), undefined);
  });

  describe('reconfigure', () => {
    test('a new DN is probed at once; a changed contact moves the probes; oos-check 0 stops them and releases the DN', () => {
      const { h, trunk, checker, changes } = setup();
      trunk.mode = { kind: 'silent' };
      checker.start();
      h.sim.runUntil(() => !checker.isInService('9001'));
      const other = new FakeTrunk(h.sim, 'trunk2', '192.0.2.51');

      // A new trunk appears.
      h.setConfig(
        configWith({
          ...dns(),
          '9002': { type: 'Trunk', options: { contact: '192.0.2.51', 'oos-check': 30, 'oos-force': 5 } },
        }),
      );
      checker.reconfigure();
      h.sim.runFor(100);
      assert.equal(other.received, 1);
      assert.equal(checker.isInService('9002'), true);

      // 9001's contact moves to the answering trunk: probed now, back in service.
      h.setConfig(
        configWith({
          ...dns({ contact: '192.0.2.51:5060' }),
          '9002': { type: 'Trunk', options: { contact: '192.0.2.51', 'oos-check': 30, 'oos-force': 5 } },
        }),
      );
      checker.reconfigure();
      h.sim.runFor(100);
      assert.equal(checker.isInService('9001'), true);
      assert.equal(other.received, 2);

      // 9001 fails again at its new address, then probing is turned off: it is released to in service.
      other.mode = { kind: 'silent' };
      h.sim.runUntil(() => !checker.isInService('9001'));
      h.setConfig(configWith({ ...dns({ 'oos-check': 0 }) }));
      checker.reconfigure();
      assert.equal(checker.isInService('9001'), true);
      const sent = h.sentOptions.length;
      h.sim.runFor(60_000);
      assert.equal(h.sentOptions.length, sent, '9001 (oos-check 0) and 9002 (removed) are no longer probed');
      assert.deepEqual(checker.snapshot().devices, []);
      assert.deepEqual(
        changes.map((c) => `${c.dn}:${c.inService}`),
        ['9001:false', '9001:true', '9001:false', '9001:true'],
      );
    });

    test('an unchanged DN keeps its cycle; a new oos-force applies from the next probe', () => {
      const { h, trunk, checker } = setup();
      checker.start();
      h.sim.runFor(4_000);
      h.setConfig(configWith(dns({ 'oos-force': 7 })));
      checker.reconfigure();
      h.sim.runFor(7_000);
      assert.deepEqual(
        h.sentOptions.map((p) => p.at - h.sim.startTime),
        [0, 10_000],
      );
      trunk.mode = { kind: 'silent' };
      h.sim.runUntil(() => !checker.isInService('9001'));
      // The probe at 20 s waited 7 s.
      assert.equal(h.sim.now - h.sim.startTime, 27_000);
    });
  });
});
