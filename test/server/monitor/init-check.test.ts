import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.ts';
import { InitCheck } from '../../../src/server/monitor/init-check.ts';
import { Monitors } from '../../../src/server/monitor/monitors.ts';
import type { Role } from '../../../src/server/role-gate.ts';
import { FakeHost, world } from './fakes.ts';

function setup(enabled = true, role: Role = 'Backup') {
  const w = world();
  let current = role;
  const check = new InitCheck({
    clock: w.clock,
    logger: w.logger,
    health: w.health,
    enabled,
    timeoutMs: 15_000,
    role: () => current,
  });
  return { w, check, setRole: (r: Role) => (current = r) };
}

describe('InitCheck (backup-init-check)', () => {
  test('a component not initialized within the timeout: 10-30016 and ServiceUnavailable; ready later clears it', () => {
    const { w, check } = setup();
    const sip = check.component('sip');
    const model = check.component('model');
    const http = check.component('http');
    check.start();
    sip.ready();
    model.ready();
    w.sim.runFor(14_900);
    assert.equal(w.health.ok, true, 'still within backup-init-check-timeout');
    w.sim.runFor(200);
    assert.deepEqual(w.events('10-30016'), ['10-30016']);
    assert.match(String(w.params('10-30016')[0]!.reason), /http not initialized within 15 s/);
    assert.deepEqual(
      w.health.problems().map((p) => p.condition),
      ['backup-init'],
    );
    http.ready();
    assert.equal(w.health.ok, true);
    assert.deepEqual(w.events('10-30017'), ['10-30017']);
    assert.deepEqual(w.params('10-30017')[0], { components: 'sip, model, http' });
  });

  test('a component that fails makes the backup ServiceUnavailable at once', () => {
    const { w, check } = setup();
    const http = check.component('http');
    check.component('cti');
    check.start();
    http.failed('EADDRINUSE: 192.0.2.1:8081');
    assert.equal(w.health.ok, false);
    assert.match(w.health.problems()[0]!.reason, /http failed \(EADDRINUSE: 192.0.2.1:8081\)/);
  });

  test('a failed component that becomes ready later (its port opened by a retry) clears it, in the same process', () => {
    const { w, check } = setup();
    const sip = check.component('sip');
    const http = check.component('http');
    const cti = check.component('cti');
    check.start();
    sip.ready();
    cti.ready();
    http.failed('listen EADDRINUSE: address already in use 127.0.0.1:8081');
    // Long past the timeout: the failure stays until the component reports ready.
    w.sim.runFor(120_000);
    assert.equal(w.health.ok, false);
    assert.deepEqual(w.events('10-30016', '10-30017'), ['10-30016']);
    http.ready();
    assert.equal(w.health.ok, true);
    assert.deepEqual(w.events('10-30016', '10-30017'), ['10-30016', '10-30017']);
    assert.deepEqual(check.snapshot(), { sip: 'ready', http: 'ready', cti: 'ready' });
    // One component's retry opening while another still fails does not clear it.
    const two = setup();
    const a = two.check.component('http');
    const b = two.check.component('cti');
    two.check.start();
    a.failed('EADDRINUSE');
    b.failed('EADDRNOTAVAIL');
    a.ready();
    assert.equal(two.w.health.ok, false);
    assert.match(two.w.health.problems()[0]!.reason, /^cti failed \(EADDRNOTAVAIL\)$/);
    b.ready();
    assert.equal(two.w.health.ok, true);
  });

  test('every component ready in time: passed, and nothing happens at the timeout', () => {
    const { w, check } = setup();
    const a = check.component('sip');
    const b = check.component('model');
    check.start();
    a.ready();
    b.ready();
    w.sim.runFor(60_000);
    assert.deepEqual(w.events('10-30016', '10-30017'), ['10-30017']);
    assert.equal(w.health.ok, true);
  });

  test('only a backup is judged; disabled, nothing is', () => {
    const p = setup(true, 'Primary');
    p.check.component('http');
    p.check.start();
    p.w.sim.runFor(20_000);
    assert.equal(p.w.health.ok, true, 'a primary is not judged');
    p.setRole('Backup');
    p.check.roleChanged();
    assert.equal(p.w.health.ok, false, 'the same server made backup is');

    const off = setup(false);
    off.check.component('http').failed('boom');
    off.check.start();
    off.w.sim.runFor(20_000);
    assert.equal(off.w.health.ok, true);
    assert.deepEqual(off.w.events('10-30016'), []);
  });
});

describe('backup-sip-port-check: when it applies (SPEC S6.2)', () => {
  const raw = (a: Record<string, unknown>, oneHost = false) => ({
    hosts: { A: { address: '192.0.2.1' }, B: { address: '192.0.2.2' } },
    applications: {
      SIP_A: { type: 'sip-server', host: 'A', options: { TServer: a } },
      SIP_B: {
        type: 'sip-server',
        host: oneHost ? 'A' : 'B',
        options: { TServer: oneHost ? { 'http-port': 8082, 'ha-port': 7002, 'cti-port': 3002 } : {} },
      },
      UP: { type: 'script', command: '/bin/true' },
      DOWN: { type: 'script', command: '/bin/true' },
    },
    'ha-pairs': { P: { primary: 'SIP_A', backup: 'SIP_B' } },
    scs: { host: 'A', 'link-secret': 'a-secret-of-sixteen-chars' },
  });
  const applies = (r: ReturnType<typeof raw>): boolean => {
    const loaded = loadConfig(stringify(r), 'env.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    const w = world();
    return new Monitors({
      clock: w.clock,
      addresses: new FakeHost(),
      logger: w.logger,
      health: w.health,
      config: () => loaded.config,
      app: 'SIP_A',
      role: () => 'Backup',
    }).sipPortCheckApplies();
  };
  test('on with backup-init-check on two hosts; off without it, with control-vip-scripts, or on one address', () => {
    assert.equal(applies(raw({ 'backup-init-check': true })), true);
    assert.equal(applies(raw({})), false);
    assert.equal(applies(raw({ 'backup-init-check': true, 'backup-sip-port-check': false })), false);
    assert.equal(
      applies(
        raw({
          'backup-init-check': true,
          'control-vip-scripts': true,
          'sip-vip-script-up': 'UP',
          'sip-vip-script-down': 'DOWN',
        }),
      ),
      false,
    );
    assert.equal(applies(raw({ 'backup-init-check': true }, true)), false, 'single host');
  });

  test('a backup whose SIP port cannot be opened reports ServiceUnavailable; one that can passes', () => {
    for (const fail of [true, false]) {
      const loaded = loadConfig(
        stringify(raw({ 'backup-init-check': true, 'backup-init-check-timeout': 15 })),
        'e.yaml',
      );
      assert.ok(loaded.ok);
      const w = world();
      const m = new Monitors({
        clock: w.clock,
        addresses: new FakeHost(),
        logger: w.logger,
        health: w.health,
        config: () => loaded.config,
        app: 'SIP_A',
        role: () => 'Backup',
        checkSipPort: (done) =>
          done(fail ? Object.assign(new Error('address in use'), { code: 'EADDRINUSE' }) : undefined),
      });
      m.start();
      m.roleGiven('Backup');
      assert.equal(w.events('10-30018').length, 1);
      assert.equal(w.health.ok, !fail, fail ? 'port taken' : 'port free');
      m.stop();
    }
  });
});
