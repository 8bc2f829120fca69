import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DUET_APP, duetBenchConfig } from '../../../bench/calls/duet-config.ts';
import { registerUsers } from '../../../bench/calls/users.ts';
import { loadConfig } from '../../../src/config/index.ts';

const ports = { sip: 40001, http: 40002, ha: 40003, cti: 40004, lca: 40005, scs: 40006 };

test('the generated configuration loads, with one server alone on the given ports', () => {
  const text = duetBenchConfig({ ports, logFile: '/tmp/bench.jsonl', registerUsers: registerUsers(1000) });
  const r = loadConfig(text, 'bench.yaml');
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors.slice(0, 3)));
  const app = r.config.applications[DUET_APP];
  assert.ok(app && app.type === 'sip-server');
  assert.equal(app.options.tserver.sipPort, 40001);
  assert.equal(app.options.tserver.sipAddress, '127.0.0.1');
  assert.equal(app.options.tserver.httpPort, 40002);
  assert.equal(app.options.log.output, '/tmp/bench.jsonl');
  assert.deepEqual(Object.keys(r.config.haPairs), [], 'in no HA pair');
});

test('the caller 1000, the callee 2000 and every REGISTER user are Extensions without a password', () => {
  const r = loadConfig(
    duetBenchConfig({ ports, logFile: 'x.jsonl', registerUsers: registerUsers(5) }),
    'b.yaml',
  );
  assert.ok(r.ok);
  assert.deepEqual(Object.keys(r.config.dns).sort(), [
    '1000',
    '2000',
    '3000',
    '3001',
    '3002',
    '3003',
    '3004',
  ]);
  for (const dn of Object.values(r.config.dns)) {
    assert.equal(dn.type, 'Extension');
    assert.equal(dn.options.password, undefined);
  }
});
