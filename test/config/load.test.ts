/**
 * loadConfig: the example loads; errors come all at once, each with path, value, valid values and line;
 * unknown names are refused with a suggestion; references between objects are checked.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  formatConfigError,
  loadConfig,
  pairOf,
  type SipServerApp,
  sipServers,
  validateConfig,
} from '../../src/config/index.ts';
import { baseEnvironment, load, messages, tserver } from './environment.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('examples/single-host.yaml', () => {
  const text = readFileSync(join(root, 'examples/single-host.yaml'), 'utf8');
  const r = loadConfig(text, 'examples/single-host.yaml');

  test('loads', () => {
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  });

  test('is the single-host pair of seed 001: one host, both servers on 127.0.0.1:5060', () => {
    assert.ok(r.ok);
    const c = r.config;
    assert.deepEqual(Object.keys(c.hosts), ['localhost']);
    assert.equal(c.hosts.localhost?.address, '127.0.0.1');
    assert.equal(c.hosts.localhost?.lcaPort, 4999);
    const a = c.applications.SIP_A as SipServerApp;
    const b = c.applications.SIP_B as SipServerApp;
    assert.equal(a.host, 'localhost');
    assert.equal(b.host, 'localhost');
    assert.equal(a.options.tserver.sipPort, 5060);
    assert.equal(b.options.tserver.sipPort, 5060);
    assert.notEqual(a.options.tserver.httpPort, b.options.tserver.httpPort);
    assert.notEqual(a.options.tserver.haPort, b.options.tserver.haPort);
    assert.notEqual(a.options.tserver.ctiPort, b.options.tserver.ctiPort);
    assert.deepEqual(c.haPairs.SIP_PAIR, {
      name: 'SIP_PAIR',
      primary: 'SIP_A',
      backup: 'SIP_B',
      redundancyType: 'hot-standby',
    });
    assert.equal(c.scs.host, 'localhost');
  });

  test('has extensions 1001-1004, routing point 5000 -> 1001, two trunks on prefix 9', () => {
    assert.ok(r.ok);
    const dns = r.config.dns;
    for (const n of ['1001', '1002', '1003', '1004']) assert.equal(dns[n]?.type, 'Extension');
    assert.ok(dns['1001']?.options.password);
    assert.equal(dns['5000']?.type, 'Routing Point');
    assert.equal(dns['5000']?.options.defaultDn, '1001');
    const trunks = Object.values(dns).filter((d) => d.type === 'Trunk');
    assert.deepEqual(
      trunks.map((t) => [t.options.prefix, t.options.priority, t.options.contact]),
      [
        ['9', 1, '127.0.0.1:5080'],
        ['9', 2, '127.0.0.1:5081'],
      ],
    );
    for (const t of trunks) assert.ok(t.options.oosCheck > 0 && t.options.oosForce > 0);
  });
});

describe('errors', () => {
  test('a file with 3 errors reports all 3, in file order, with lines', () => {
    const raw = baseEnvironment();
    tserver(raw)['ha-max-calls-sync-at-once'] = 1500;
    tserver(raw, 'SIP_B')['vip-state-change-timeout'] = 2;
    raw.dns['9001'].options['oos-check'] = -1;
    const r = load(raw, 'env.yaml');
    assert.ok(!r.ok);
    assert.deepEqual(
      r.errors.map((e) => e.message),
      [
        'applications.SIP_A.options.TServer.ha-max-calls-sync-at-once: 1500 is not in 200-1000',
        'applications.SIP_B.options.TServer.vip-state-change-timeout: 2 is not in 3-60',
        'dns.9001.options.oos-check: -1 is not in 0-3600',
      ],
    );
    assert.deepEqual(
      r.errors.map((e) => [e.path, e.value]),
      [
        ['applications.SIP_A.options.TServer.ha-max-calls-sync-at-once', '1500'],
        ['applications.SIP_B.options.TServer.vip-state-change-timeout', '2'],
        ['dns.9001.options.oos-check', '-1'],
      ],
    );
    for (const e of r.errors) {
      assert.equal(e.file, 'env.yaml');
      assert.ok(e.line !== undefined && e.line > 1);
    }
    assert.ok(r.errors[0]!.line! < r.errors[1]!.line! && r.errors[1]!.line! < r.errors[2]!.line!);
  });

  test('the line and column point at the value', () => {
    const text = [
      'hosts:',
      '  h1: { address: 10.0.0.1 }',
      'applications:',
      '  SIP_A:',
      '    type: sip-server',
      '    host: h1',
      '    options:',
      '      TServer:',
      '        ha-max-calls-sync-at-once: 1500',
      'scs: { host: h1 }',
    ].join('\n');
    const r = loadConfig(text, 'duet.yaml');
    assert.ok(!r.ok);
    assert.equal(r.errors.length, 1);
    assert.equal(
      formatConfigError(r.errors[0]!),
      'duet.yaml:9:36: applications.SIP_A.options.TServer.ha-max-calls-sync-at-once: 1500 is not in 200-1000',
    );
  });

  test('YAML syntax errors carry line and column', () => {
    const r = loadConfig('hosts:\n  h1: { address: 10.0.0.1\nscs: {host: h1}\n', 'broken.yaml');
    assert.ok(!r.ok);
    assert.ok(r.errors.length >= 1);
    const e = r.errors[0]!;
    assert.match(e.message, /^YAML syntax error: /);
    assert.equal(typeof e.line, 'number');
    assert.equal(typeof e.column, 'number');
    assert.match(formatConfigError(e), /^broken\.yaml:\d+:\d+: YAML syntax error: /);
  });

  test('duplicate keys are a syntax error, not a silent override', () => {
    const r = loadConfig(
      'hosts:\n  h1: { address: 10.0.0.1 }\n  h1: { address: 10.0.0.2 }\nscs: {host: h1}\n',
      'dup.yaml',
    );
    assert.ok(!r.ok);
    assert.equal(r.errors[0]?.line, 3);
    assert.match(r.errors[0]!.message, /unique/);
  });

  test('unknown option names are errors, with "did you mean" when close', () => {
    const raw = baseEnvironment();
    tserver(raw)['ha-max-call-sync-at-once'] = 300;
    tserver(raw)['completely-unrelated'] = 1;
    raw.applications.SIP_A.options.backupsync = {};
    raw.dns['1001'].options.pasword = 'x';
    raw.scs.prot = 1;
    raw.host = {};
    // In file order: `host` was added last, so it is written at the end of the file.
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_A.options.TServer.ha-max-call-sync-at-once: unknown option (did you mean "ha-max-calls-sync-at-once"?)',
      'applications.SIP_A.options.TServer.completely-unrelated: unknown option',
      'applications.SIP_A.options.backupsync: unknown section (did you mean "backup-sync"?)',
      'scs.prot: unknown field (did you mean "port"?)',
      'dns.1001.options.pasword: unknown option (did you mean "password"?)',
      'host: unknown top-level key (did you mean "hosts"?)',
    ]);
  });

  test('a missing required field says what is expected', () => {
    const raw = baseEnvironment();
    delete raw.hosts.h2.address;
    delete raw.scs;
    // Something missing is located at its parent: the file itself for scs (line 1), so it comes first.
    assert.deepEqual(messages(load(raw)), [
      'scs: is required with ha-pairs: { host, port, token, link-secret } of the Solution Control Server',
      'hosts.h2.address: is required: an IP address or FQDN',
    ]);
  });

  test('a broken object does not hide the errors of the others', () => {
    const raw = baseEnvironment();
    raw.applications.SIP_A.type = 'sip-sever';
    tserver(raw, 'SIP_B')['sip-port'] = 70000;
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_A.type: "sip-sever" is not one of: sip-server, script, cti-client (did you mean "sip-server"?)',
      'applications.SIP_B.options.TServer.sip-port: 70000 is not in 1-65535',
    ]);
  });

  test('validateConfig takes JS values (numbers and booleans, not only text)', () => {
    const raw = baseEnvironment();
    tserver(raw)['sip-pass-check'] = true;
    tserver(raw)['ha-max-calls-sync-at-once'] = 300;
    const r = validateConfig(raw, 'in-code');
    assert.ok(r.ok);
    const t = (r.config.applications.SIP_A as SipServerApp).options.tserver;
    assert.equal(t.sipPassCheck, true);
    assert.equal(t.haMaxCallsSyncAtOnce, 300);
    assert.equal(r.config.file, 'in-code');
  });
});

describe('values keep what the user wrote', () => {
  test('prefix 09 keeps its zero, password "no" stays text', () => {
    const text = readFileSync(join(root, 'examples/single-host.yaml'), 'utf8')
      .replace('prefix: "9"\n      priority: 1', 'prefix: 09\n      priority: 1')
      .replace('password: secret1002', 'password: no');
    const r = loadConfig(text, 'x.yaml');
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
    assert.equal(r.config.dns['9001']?.options.prefix, '09');
    assert.equal(r.config.dns['1002']?.options.password, 'no');
  });
});

describe('cross-reference checks', () => {
  test('ha-pair members must exist and be sip-server applications', () => {
    const raw = baseEnvironment();
    raw['ha-pairs'].PAIR.backup = 'SIP_C';
    raw['ha-pairs'].OTHER = { primary: 'VIP_UP', backup: 'SIP_A' };
    assert.deepEqual(messages(load(raw)), [
      'ha-pairs.PAIR.backup: "SIP_C" is not a sip-server application in this file (did you mean "SIP_A"?)',
      'ha-pairs.OTHER.primary: "VIP_UP" is a script application, not a sip-server application',
      'ha-pairs.OTHER.backup: "SIP_A" is already in the pair "PAIR": a server belongs to one pair only',
    ]);
  });

  test('a pair of one server twice is refused', () => {
    const raw = baseEnvironment();
    raw['ha-pairs'].PAIR.backup = 'SIP_A';
    assert.deepEqual(messages(load(raw)), [
      'ha-pairs.PAIR.backup: the backup must be another server than the primary',
    ]);
  });

  test('VIP scripts must name script applications; control-vip-scripts needs both', () => {
    const raw = baseEnvironment();
    // The missing one is located at its section (TServer), before the line of sip-vip-script-up.
    tserver(raw)['control-vip-scripts'] = true;
    tserver(raw)['sip-vip-script-up'] = 'VIP_UPP';
    tserver(raw, 'SIP_B')['sip-vip-script-up'] = 'SIP_A';
    tserver(raw, 'SIP_B')['sip-vip-script-down'] = 'VIP_DOWN';
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_A.options.TServer.sip-vip-script-down: is required when control-vip-scripts is true: the name of a script application',
      'applications.SIP_A.options.TServer.sip-vip-script-up: "VIP_UPP" is not a script application in this file (did you mean "VIP_UP"?)',
      'applications.SIP_B.options.TServer.sip-vip-script-up: "SIP_A" is a sip-server application, not a script application',
    ]);
  });

  test('monitoring options need the address they monitor', () => {
    const raw = baseEnvironment();
    tserver(raw)['sip-nic-monitoring'] = true;
    tserver(raw)['sip-iptakeover-monitoring'] = true;
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_A.options.TServer.sip-nic-address: is required when sip-nic-monitoring is true: the SIP NIC address',
      'applications.SIP_A.options.TServer.sip-address: is required when sip-iptakeover-monitoring is true: the Virtual IP',
    ]);
  });

  test('protocol addp with addp-timeout 0 is contradictory', () => {
    const raw = baseEnvironment();
    raw.applications.SIP_A.options['backup-sync'] = { protocol: 'addp', 'addp-timeout': 0 };
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_A.options.backup-sync.addp-timeout: 0 turns ADDP polling off, but protocol is addp: set a timeout above 0, or protocol: default',
    ]);
  });

  test('application and SCS hosts must exist', () => {
    const raw = baseEnvironment();
    raw.applications.SIP_B.host = 'h3';
    raw.scs.host = 'nowhere';
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_B.host: "h3" is not a host in this file (did you mean "h1"?)',
      'scs.host: "nowhere" is not a host in this file (hosts: h1, h2)',
    ]);
  });

  test('default-dn must be a DN of the file', () => {
    const raw = baseEnvironment();
    raw.dns['5000'].options['default-dn'] = '1009';
    assert.deepEqual(messages(load(raw)), [
      'dns.5000.options.default-dn: "1009" is not a DN in this file (did you mean "1001"?)',
    ]);
  });

  test('DN options apply to their DN types only', () => {
    const raw = baseEnvironment();
    raw.dns['1001'].options.prefix = '9';
    raw.dns['9001'].options['default-dn'] = '1001';
    assert.deepEqual(messages(load(raw)), [
      'dns.1001.options.prefix: does not apply to a Extension DN (it applies to: Trunk)',
      'dns.9001.options.default-dn: does not apply to a Trunk DN (it applies to: Routing Point)',
    ]);
  });

  test('switchover-on-*-oos on a DN: only a Voice over IP Service with service-type=sip-cluster-nodes', () => {
    const raw = baseEnvironment();
    raw.dns['7001'].options['switchover-on-trunks-oos'] = true;
    assert.deepEqual(messages(load(raw)), [
      'dns.7001.options.switchover-on-trunks-oos: applies only to a Voice over IP Service DN with service-type=sip-cluster-nodes (this one is msml)',
    ]);
    raw.dns['7001'].options['service-type'] = 'sip-cluster-nodes';
    const r = load(raw);
    assert.ok(r.ok);
    assert.equal(r.config.dns['7001']?.options.switchoverOnTrunksOos, true);
  });

  test('trunks and services need a contact; services a service-type', () => {
    const raw = baseEnvironment();
    delete raw.dns['9001'].options.contact;
    delete raw.dns['7001'].options['service-type'];
    assert.deepEqual(messages(load(raw)), [
      'dns.7001.options.service-type: is required on a Voice over IP Service DN: softswitch, msml, sip-cluster-nodes',
      'dns.9001.options.contact: is required on a Trunk DN: host, host:port or a sip: URI',
    ]);
  });

  test('alarms: unique names, known applications, reaction scripts that are scripts', () => {
    const raw = baseEnvironment();
    raw.alarms.push(
      { name: 'listener', 'event-id': '00-04200', app: 'SIP_Z', reaction: 'script SIP_B' },
      { name: 'vip', 'event-id': '0052029', reaction: 'reboot' },
    );
    assert.deepEqual(messages(load(raw)), [
      'alarms[1].name: "listener" is already the name of alarms[0]',
      'alarms[1].app: "SIP_Z" is not an application in this file (did you mean "SIP_A"?)',
      'alarms[1].reaction: "SIP_B" is a sip-server application, not a script application',
      'alarms[2].event-id: 0052029 is not a log event ID like 00-04200 (valid: a log event ID: NN-NNNNN, e.g. 00-04200)',
      'alarms[2].reaction: "reboot" is not switchover, restart or "script NAME" (valid: switchover, restart, or script NAME (NAME: a script application))',
    ]);
  });

  test('alarm reactions are parsed', () => {
    const raw = baseEnvironment();
    raw.alarms.push({
      name: 'vip',
      'event-id': '00-52029',
      reaction: 'script VIP_UP',
      'clear-on': '00-52030',
    });
    const r = load(raw);
    assert.ok(r.ok);
    assert.deepEqual(r.config.alarms[0]?.reaction, { kind: 'switchover' });
    assert.deepEqual(r.config.alarms[1], {
      name: 'vip',
      eventId: '00-52029',
      reaction: { kind: 'script', script: 'VIP_UP' },
      clearOn: '00-52030',
      cancelTimeout: 0,
    });
  });
});

describe('ports', () => {
  function oneHost() {
    const raw = baseEnvironment();
    raw.applications.SIP_B.host = 'h1';
    Object.assign(tserver(raw, 'SIP_B'), { 'http-port': 8082, 'ha-port': 7002, 'cti-port': 3002 });
    return raw;
  }

  test('the two servers of a pair on one host share sip-port (seed 001)', () => {
    const r = load(oneHost());
    assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  });

  test('any other port used twice on one host is refused', () => {
    const raw = oneHost();
    tserver(raw, 'SIP_B')['http-port'] = 8080;
    tserver(raw, 'SIP_B')['cti-port'] = 4999;
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_B.options.TServer.http-port: port 8080 on 10.0.0.1 is already used by applications.SIP_A.options.TServer.http-port',
      'applications.SIP_B.options.TServer.cti-port: port 4999 on 10.0.0.1 is already used by hosts.h1.lca-port',
    ]);
  });

  test('two servers that are not a pair may not share sip-port on one host', () => {
    const raw = oneHost();
    delete raw['ha-pairs'];
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_B.options.TServer.sip-port: port 5060 on 10.0.0.1 is already used by applications.SIP_A.options.TServer.sip-port',
    ]);
  });

  test('two host names with one address share the ports', () => {
    const raw = baseEnvironment();
    raw.hosts.h2.address = '10.0.0.1';
    assert.ok(
      messages(load(raw)).includes(
        'applications.SIP_B.options.TServer.http-port: port 8080 on 10.0.0.1 is already used by applications.SIP_A.options.TServer.http-port',
      ),
    );
  });
});

describe('cti-client applications (SPEC S3)', () => {
  test('a name with an optional password; no host needed', () => {
    const raw = baseEnvironment();
    raw.applications.Desktop1 = { type: 'cti-client', password: 'desk-pw' };
    raw.applications.Router1 = { type: 'cti-client' };
    const r = load(raw);
    assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
    assert.deepEqual(r.config.applications.Desktop1, {
      name: 'Desktop1',
      type: 'cti-client',
      password: 'desk-pw',
    });
    assert.deepEqual(r.config.applications.Router1, { name: 'Router1', type: 'cti-client' });
    assert.deepEqual(
      sipServers(r.config).map((a) => a.name),
      ['SIP_A', 'SIP_B'],
      'a CTI client is not a server',
    );
  });

  test('unknown fields are refused; a cti-client is not a pair member or a script', () => {
    const raw = baseEnvironment();
    raw.applications.Desktop1 = { type: 'cti-client', pasword: 'x', host: 'h1' };
    raw.applications.Router1 = { type: 'cti-client' };
    raw['ha-pairs'].PAIR.backup = 'Router1';
    tserver(raw)['sip-vip-script-up'] = 'Router1';
    const m = messages(load(raw));
    assert.ok(
      m.some((x) => /^applications\.Desktop1\.pasword: unknown field.*did you mean "password"/.test(x)),
      m.join('\n'),
    );
    assert.ok(
      m.some((x) => /^applications\.Desktop1\.host: unknown field/.test(x)),
      m.join('\n'),
    );
    assert.ok(
      m.includes('ha-pairs.PAIR.backup: "Router1" is a cti-client application, not a sip-server application'),
      m.join('\n'),
    );
    assert.ok(
      m.includes(
        'applications.SIP_A.options.TServer.sip-vip-script-up: "Router1" is a cti-client application, not a script application',
      ),
      m.join('\n'),
    );
  });

  test('the example has a desktop and a router client', () => {
    const text = readFileSync(join(root, 'examples/single-host.yaml'), 'utf8');
    const r = loadConfig(text, 'examples/single-host.yaml');
    assert.ok(r.ok);
    assert.deepEqual(
      Object.values(r.config.applications)
        .filter((a) => a.type === 'cti-client')
        .map((a) => a.name),
      ['Desktop1', 'Router1'],
    );
  });
});

describe('queries', () => {
  test('sipServers and pairOf', () => {
    const r = load(baseEnvironment());
    assert.ok(r.ok);
    assert.deepEqual(
      sipServers(r.config).map((a) => a.name),
      ['SIP_A', 'SIP_B'],
    );
    assert.equal(pairOf(r.config, 'SIP_B')?.peer, 'SIP_A');
    assert.equal(pairOf(r.config, 'SIP_A')?.pair.name, 'PAIR');
    assert.equal(pairOf(r.config, 'VIP_UP'), undefined);
  });

  test('defaults are not shared between two loads', () => {
    const a = load(baseEnvironment());
    const b = load(baseEnvironment());
    assert.ok(a.ok && b.ok);
    const raw = baseEnvironment();
    delete raw.applications.VIP_DOWN.args;
    const c = load(raw);
    const d = load(raw);
    assert.ok(c.ok && d.ok);
    const argsC = (c.config.applications.VIP_DOWN as { args: string[] }).args;
    const argsD = (d.config.applications.VIP_DOWN as { args: string[] }).args;
    assert.deepEqual(argsC, []);
    assert.notEqual(argsC, argsD);
  });
});
