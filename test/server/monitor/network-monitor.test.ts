import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NetworkMonitor, type NetworkSettings } from '../../../src/server/monitor/network-monitor.ts';
import { FakeHost, world } from './fakes.ts';

function setup(settings: NetworkSettings) {
  const w = world();
  const host = new FakeHost('192.0.2.1', '192.0.2.11', 'fe80::1');
  let vipChecks = 0;
  const monitor = new NetworkMonitor({
    clock: w.clock,
    addresses: host,
    logger: w.logger,
    health: w.health,
    settings: () => settings,
    checkVip: () => {
      vipChecks++;
    },
  });
  return { w, host, monitor, settings, vipChecks: () => vipChecks };
}

describe('NetworkMonitor', () => {
  test('SIP NIC: 00-52028 at the first check, 00-52027 + ServiceUnavailable when removed, 00-52028 when back', () => {
    const { w, host, monitor } = setup({ intervalMs: 1000, sipNic: '192.0.2.11', tlibNic: undefined });
    monitor.start();
    assert.deepEqual(w.events('00-52027', '00-52028'), ['00-52028']);
    host.set.delete('192.0.2.11');
    w.sim.runFor(900);
    assert.equal(w.health.ok, true, 'not checked again before network-monitoring-timeout');
    w.sim.runFor(200);
    assert.deepEqual(w.events('00-52027', '00-52028'), ['00-52028', '00-52027']);
    assert.deepEqual(w.params('00-52027')[0], {
      address: '192.0.2.11',
      reason: '192.0.2.11 is not on any up interface of this host',
    });
    assert.deepEqual(
      w.health.problems().map((p) => p.condition),
      ['sip-nic'],
    );
    w.sim.runFor(5000);
    assert.equal(w.events('00-52027').length, 1, 'logged once per failure');
    host.set.add('192.0.2.11');
    w.sim.runFor(1000);
    assert.deepEqual(w.events('00-52027', '00-52028'), ['00-52028', '00-52027', '00-52028']);
    assert.equal(w.health.ok, true);
    monitor.stop();
  });

  test('T-Library NIC (the host address): 10-30014 / 10-30015 and health "tlib-nic"; the VIP check runs each tick', () => {
    const { w, host, monitor, vipChecks } = setup({
      intervalMs: 1000,
      sipNic: undefined,
      tlibNic: '192.0.2.1',
    });
    monitor.start();
    host.set.delete('192.0.2.1');
    w.sim.runFor(1000);
    assert.deepEqual(w.events('10-30014', '10-30015'), ['10-30015', '10-30014']);
    assert.deepEqual(
      w.health.problems().map((p) => p.condition),
      ['tlib-nic'],
    );
    assert.equal(vipChecks(), 2);
    monitor.stop();
    w.sim.runFor(5000);
    assert.equal(vipChecks(), 2, 'stopped');
  });

  test('network-monitoring-timeout is read at every check (takes effect immediately)', () => {
    const { w, host, monitor, settings } = setup({
      intervalMs: 1000,
      sipNic: '192.0.2.11',
      tlibNic: undefined,
    });
    monitor.start();
    w.sim.runFor(1000); // the check at 1 s arms the next one with the interval read then
    settings.intervalMs = 10_000;
    w.sim.runFor(1000);
    host.set.delete('192.0.2.11');
    w.sim.runFor(8000);
    assert.equal(w.events('00-52027').length, 0, 'the next check is 10 s after the last one');
    w.sim.runFor(2000);
    assert.equal(w.events('00-52027').length, 1);
    monitor.stop();
  });

  test('IPv6 addresses are compared in one spelling', () => {
    const { w, monitor } = setup({ intervalMs: 1000, sipNic: 'FE80:0:0::1', tlibNic: undefined });
    monitor.start();
    assert.deepEqual(w.events('00-52027', '00-52028'), ['00-52028']);
    monitor.stop();
  });
});
