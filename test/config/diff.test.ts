/**
 * diffConfig sorts each change by its option's take-effect rule (SPEC S9), for SIGHUP reload.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Config, type ConfigDiff, diffConfig } from '../../src/config/index.ts';
import { baseEnvironment, load, type Raw, tserver } from './environment.ts';

function config(raw: Raw): Config {
  const r = load(raw);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

function paths(d: ConfigDiff): Record<keyof ConfigDiff, string[]> {
  return {
    applied: d.applied.map((c) => c.path),
    pendingRestart: d.pendingRestart.map((c) => c.path),
    onHaConnection: d.onHaConnection.map((c) => c.path),
    nextCall: d.nextCall.map((c) => c.path),
  };
}

describe('diffConfig', () => {
  test('identical files: no change', () => {
    assert.deepEqual(paths(diffConfig(config(baseEnvironment()), config(baseEnvironment()))), {
      applied: [],
      pendingRestart: [],
      onHaConnection: [],
      nextCall: [],
    });
  });

  test('each TServer change lands in the bucket of its seed rule', () => {
    const next = baseEnvironment();
    Object.assign(tserver(next), {
      'sip-pass-check': true, // Immediately
      'vip-state-change-timeout': 20, // Immediately
      'sip-error-codes-overflow': '503,504', // For the next call
      'ha-max-calls-sync-at-once': 800, // When the HA connection is established
      'backup-init-check': true, // After restart
      'control-vip-scripts': true, // After SIP Server restart
      'sip-vip-script-up': 'VIP_UP',
      'sip-vip-script-down': 'VIP_DOWN',
    });
    const d = diffConfig(config(baseEnvironment()), config(next));
    const t = 'applications.SIP_A.options.TServer';
    assert.deepEqual(paths(d), {
      applied: [`${t}.sip-pass-check`, `${t}.vip-state-change-timeout`],
      pendingRestart: [
        `${t}.backup-init-check`,
        `${t}.control-vip-scripts`,
        `${t}.sip-vip-script-down`,
        `${t}.sip-vip-script-up`,
      ],
      onHaConnection: [`${t}.ha-max-calls-sync-at-once`],
      nextCall: [`${t}.sip-error-codes-overflow`],
    });
    assert.deepEqual(d.onHaConnection[0], {
      path: `${t}.ha-max-calls-sync-at-once`,
      from: 500,
      to: 800,
      takesEffect: 'When the HA connection is established',
    });
    assert.deepEqual(d.nextCall[0]?.from, ['503']);
    assert.deepEqual(d.nextCall[0]?.to, ['503', '504']);
  });

  test('writing the default explicitly is no change', () => {
    const next = baseEnvironment();
    tserver(next)['ha-max-calls-sync-at-once'] = 500;
    tserver(next)['sip-error-codes-overflow'] = '503';
    const d = diffConfig(config(baseEnvironment()), config(next));
    assert.equal(d.applied.length + d.pendingRestart.length + d.onHaConnection.length + d.nextCall.length, 0);
  });

  test('backup-sync and log options', () => {
    const next = baseEnvironment();
    next.applications.SIP_A.options['backup-sync'] = { protocol: 'addp', 'addp-timeout': 2 };
    next.applications.SIP_A.options.log = { verbose: 'trace' };
    const p = paths(diffConfig(config(baseEnvironment()), config(next)));
    assert.deepEqual(p.onHaConnection, [
      'applications.SIP_A.options.backup-sync.protocol',
      'applications.SIP_A.options.backup-sync.addp-timeout',
    ]);
    assert.deepEqual(p.applied, ['applications.SIP_A.options.log.verbose']);
  });

  test('DNs: options by their rule; a DN added or removed at once', () => {
    const next = baseEnvironment();
    next.dns['9001'].options['oos-check'] = 30; // Immediately
    next.dns['9001'].options.priority = 3; // For the next call
    next.dns['1002'] = { type: 'Extension' };
    delete next.dns['1001'];
    next.dns['5000'].options['default-dn'] = '1002';
    const d = diffConfig(config(baseEnvironment()), config(next));
    assert.deepEqual(paths(d), {
      applied: ['dns.1001', 'dns.9001.options.oos-check', 'dns.1002'],
      pendingRestart: [],
      onHaConnection: [],
      nextCall: ['dns.5000.options.default-dn', 'dns.9001.options.priority'],
    });
    assert.equal(d.applied[0]?.to, undefined);
    assert.equal(d.applied[2]?.from, undefined);
  });

  test('hosts, applications, pairs and the SCS need a restart', () => {
    const next = baseEnvironment();
    next.hosts.h2['lca-port'] = 4997;
    next.hosts.h3 = { address: '10.0.0.3' };
    next.applications.SIP_C = { type: 'sip-server', host: 'h3' };
    next['ha-pairs'].PAIR['redundancy-type'] = 'warm-standby';
    next.scs.port = 4901;
    const p = paths(diffConfig(config(baseEnvironment()), config(next)));
    assert.deepEqual(p.pendingRestart, [
      'hosts.h2.lca-port',
      'hosts.h3',
      'applications.SIP_C',
      'ha-pairs.PAIR.redundancy-type',
      'scs.port',
    ]);
    assert.deepEqual(p.applied, []);
  });

  test('script, agent and alarm changes apply at once', () => {
    const next = baseEnvironment();
    next.applications.VIP_UP.args = ['addr', 'add', '10.0.0.10/24', 'dev', 'eth0'];
    next.agents.a1.password = 'y';
    next.alarms[0].reaction = 'restart';
    const p = paths(diffConfig(config(baseEnvironment()), config(next)));
    assert.deepEqual(p.applied, [
      'applications.VIP_UP.args',
      'agents.a1.password',
      'alarms.listener.reaction',
    ]);
  });
});
