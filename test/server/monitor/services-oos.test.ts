import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Config, SipServerApp } from '../../../src/config/config.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { ServiceHealth } from '../../../src/server/health.ts';
import { countedServices, ServicesOosMonitor } from '../../../src/server/monitor/services-oos.ts';
import { baseEnvironment, load, type Raw } from '../../config/environment.ts';
import { ManualClock } from '../../sip/transaction/helpers.ts';

function configOf(edit: (raw: Raw) => void): Config {
  const raw = baseEnvironment();
  raw.dns['9002'] = { type: 'Trunk', options: { prefix: '8', contact: '10.0.0.51', 'oos-check': 10 } };
  raw.dns['7002'] = {
    type: 'Voice over IP Service',
    options: { 'service-type': 'msml', contact: '10.0.0.61' },
  };
  edit(raw);
  const r = load(raw);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

function rig(config: Config) {
  const clock = new ManualClock();
  const lines: string[] = [];
  const logger = createLogger({
    app: 'SIP_A',
    level: 'all',
    clock,
    destination: { write: (l) => lines.push(l) },
  });
  const health = new ServiceHealth();
  const out = new Set<string>();
  const probed: string[][] = [];
  const state = { config };
  const monitor = new ServicesOosMonitor({
    clock,
    logger,
    health,
    config: () => state.config,
    app: () => state.config.applications.SIP_A as SipServerApp,
    isInService: (dn) => !out.has(dn),
    probeAgain: (dns) => {
      probed.push([...dns]);
      return 5000;
    },
  });
  const events = (): string[] =>
    lines
      .flatMap((l) => l.split('\n').filter(Boolean))
      .map((l) => (JSON.parse(l) as { event?: string }).event ?? '');
  const down = (...dns: string[]): void => {
    for (const d of dns) out.add(d);
    monitor.evaluate();
  };
  const up = (...dns: string[]): void => {
    for (const d of dns) out.delete(d);
    monitor.evaluate();
  };
  return { clock, health, monitor, events, probed, down, up, state };
}

describe('countedServices', () => {
  it('is off by default, on from the application or a sip-cluster-nodes DN', () => {
    const plain = configOf(() => {});
    const app = plain.applications.SIP_A as SipServerApp;
    assert.equal(countedServices(plain, app, 'trunks').enabled, false);
    const onApp = configOf((raw) => {
      raw.applications.SIP_A.options.TServer['switchover-on-trunks-oos'] = true;
    });
    assert.deepEqual(countedServices(onApp, onApp.applications.SIP_A as SipServerApp, 'trunks'), {
      enabled: true,
      locations: null,
      dns: ['9001', '9002'],
    });
    const cluster = configOf((raw) => {
      raw.dns['7100'] = {
        type: 'Voice over IP Service',
        options: {
          'service-type': 'sip-cluster-nodes',
          contact: '10.0.0.70',
          'switchover-on-msml-oos': true,
        },
      };
    });
    const c = countedServices(cluster, cluster.applications.SIP_A as SipServerApp, 'msml');
    assert.deepEqual(c, { enabled: true, locations: null, dns: ['7001', '7002'] });
  });

  it('strict location: a cluster DN with a geo-location counts its own location and DNs of none', () => {
    const cfg = configOf((raw) => {
      raw.dns['9001'].options['geo-location'] = 'paris';
      raw.dns['9002'].options['geo-location'] = 'lyon';
      raw.dns['9003'] = { type: 'Trunk', options: { prefix: '7', contact: '10.0.0.52' } };
      raw.dns['7100'] = {
        type: 'Voice over IP Service',
        options: {
          'service-type': 'sip-cluster-nodes',
          contact: '10.0.0.70',
          'geo-location': 'paris',
          'switchover-on-trunks-oos': true,
        },
      };
    });
    const c = countedServices(cfg, cfg.applications.SIP_A as SipServerApp, 'trunks');
    assert.deepEqual(c, { enabled: true, locations: ['paris'], dns: ['9001', '9003'] });
  });
});

describe('ServicesOosMonitor', () => {
  const trunksOn = (raw: Raw): void => {
    raw.applications.SIP_A.options.TServer['switchover-on-trunks-oos'] = true;
  };

  it('re-checks once all trunks are out, then fails; one back in service clears it', () => {
    const r = rig(configOf(trunksOn));
    r.monitor.becomePrimary();
    r.down('9001');
    assert.equal(r.probed.length, 0, 'one trunk is still in service');
    r.down('9002');
    assert.deepEqual(r.probed, [['9001', '9002']]);
    assert.ok(r.events().includes('10-30032'));
    r.clock.advance(5000);
    assert.equal(r.health.ok, true, 'still waiting for the re-check probes');
    r.clock.advance(500);
    assert.equal(r.health.ok, false);
    assert.deepEqual(
      r.health.problems().map((p) => p.condition),
      ['trunks-oos'],
    );
    assert.ok(r.events().includes('10-30007'));
    r.up('9002');
    assert.equal(r.health.ok, true);
    assert.ok(r.events().includes('10-30033'));
  });

  it('an answer to the re-check keeps the server in service', () => {
    const r = rig(configOf(trunksOn));
    r.monitor.becomePrimary();
    r.down('9001', '9002');
    r.clock.advance(2000);
    r.up('9001');
    r.clock.advance(10_000);
    assert.equal(r.health.ok, true);
    assert.ok(!r.events().includes('10-30007'));
  });

  it('msml: only MSML Voice over IP Service DNs count', () => {
    const r = rig(
      configOf((raw) => {
        raw.applications.SIP_A.options.TServer['switchover-on-msml-oos'] = true;
      }),
    );
    r.monitor.becomePrimary();
    r.down('9001', '9002');
    r.clock.advance(10_000);
    assert.equal(r.health.ok, true, 'trunks do not count for msml');
    r.down('7001', '7002');
    r.clock.advance(5500);
    assert.deepEqual(
      r.health.problems().map((p) => p.condition),
      ['msml-oos'],
    );
  });

  it('is read at use: turning the option off clears it, on again fails again', () => {
    const on = configOf(trunksOn);
    const r = rig(on);
    r.monitor.becomePrimary();
    r.down('9001', '9002');
    r.clock.advance(5500);
    assert.equal(r.health.ok, false);
    r.state.config = configOf(() => {});
    r.monitor.evaluate();
    assert.equal(r.health.ok, true);
    r.state.config = on;
    r.monitor.evaluate();
    r.clock.advance(5500);
    assert.equal(r.health.ok, false);
  });

  it('a backup judges nothing: its condition clears when it is demoted', () => {
    const r = rig(configOf(trunksOn));
    r.down('9001', '9002');
    r.clock.advance(10_000);
    assert.equal(r.health.ok, true, 'never primary');
    r.monitor.becomePrimary();
    r.clock.advance(5500);
    assert.equal(r.health.ok, false);
    r.monitor.becomeBackup();
    assert.equal(r.health.ok, true);
  });
});
