/**
 * Seed 000's 18 HA options (and the seeds repeating them: 002, 004), checked against a table written here
 * from the seeds' text: name, default, valid values, "Changes Take Effect". Then the loader is checked to
 * really apply each default and refuse each out-of-range value with the range in the message.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultText, type SipServerApp, sections } from '../../src/config/index.ts';
import { dnOptions } from '../../src/config/options/dn.ts';
import { tserverOptions } from '../../src/config/options/tserver.ts';
import { baseEnvironment, load, messages, tserver } from './environment.ts';

interface SeedRow {
  name: string;
  /** The seed's "Default Value" as our docs print it. */
  defaultText: string;
  /** The value the loaded config holds when the option is absent. */
  loaded: unknown;
  valid: string;
  takesEffect: string;
}

// From seeds/000 (HA Configuration Options). "After SIP Server restart" is recorded as "After restart".
const seed000: SeedRow[] = [
  {
    name: 'backup-init-check',
    defaultText: 'false',
    loaded: false,
    valid: 'true, false',
    takesEffect: 'After restart',
  },
  {
    name: 'backup-init-check-timeout',
    defaultText: '60',
    loaded: 60,
    valid: '15-3600',
    takesEffect: 'After restart',
  },
  {
    name: 'backup-sip-port-check',
    defaultText: 'true',
    loaded: true,
    valid: 'true, false',
    takesEffect: 'After restart',
  },
  {
    name: 'control-vip-scripts',
    defaultText: 'false',
    loaded: false,
    valid: 'true, false',
    takesEffect: 'After restart',
  },
  {
    name: 'control-remote-vip-scripts',
    defaultText: 'true',
    loaded: true,
    valid: 'true, false',
    takesEffect: 'After restart',
  },
  {
    name: 'ha-max-calls-sync-at-once',
    defaultText: '500',
    loaded: 500,
    valid: '200-1000',
    takesEffect: 'When the HA connection is established',
  },
  {
    name: 'network-monitoring-timeout',
    defaultText: '1',
    loaded: 1,
    valid: '1-30',
    takesEffect: 'Immediately',
  },
  {
    name: 'sip-error-codes-overflow',
    defaultText: 'An empty string (503)',
    loaded: ['503'],
    valid:
      'comma-separated patterns of 3 characters, digits or X (any digit); each starts with a digit, X only at the ' +
      'end of a pattern, and a pattern containing X must be the last in the list: 503 / 503,504 / 487,50X / ' +
      '487,5XX are valid, 5X3 and XXX are not',
    takesEffect: 'For the next call',
  },
  {
    name: 'sip-iptakeover-monitoring',
    defaultText: 'false',
    loaded: false,
    valid: 'true, false',
    takesEffect: 'After restart',
  },
  {
    name: 'sip-nic-address',
    defaultText: 'NULL',
    loaded: undefined,
    valid: 'an IP address or FQDN',
    takesEffect: 'After restart',
  },
  {
    name: 'sip-nic-monitoring',
    defaultText: 'false',
    loaded: false,
    valid: 'true, false',
    takesEffect: 'After restart',
  },
  {
    name: 'sip-pass-check',
    defaultText: 'false',
    loaded: false,
    valid: 'true, false',
    takesEffect: 'Immediately',
  },
  {
    name: 'sip-vip-script-down',
    defaultText: 'NULL',
    loaded: undefined,
    valid: 'the name of a script application',
    takesEffect: 'After restart',
  },
  {
    name: 'sip-vip-script-up',
    defaultText: 'NULL',
    loaded: undefined,
    valid: 'the name of a script application',
    takesEffect: 'After restart',
  },
  {
    name: 'switchover-on-msml-oos',
    defaultText: 'false',
    loaded: false,
    valid: 'true, false',
    takesEffect: 'For the next call',
  },
  {
    name: 'switchover-on-trunks-oos',
    defaultText: 'false',
    loaded: false,
    valid: 'true, false',
    takesEffect: 'For the next call',
  },
  {
    name: 'tlib-nic-monitoring',
    defaultText: 'false',
    loaded: false,
    valid: 'true, false',
    takesEffect: 'After restart',
  },
  {
    name: 'vip-state-change-timeout',
    defaultText: '10',
    loaded: 10,
    valid: '3-60',
    takesEffect: 'Immediately',
  },
];

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function loadedTServer(raw = baseEnvironment()): SipServerApp['options']['tserver'] {
  const r = load(raw);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  const app = r.config.applications.SIP_A;
  assert.equal(app?.type, 'sip-server');
  return (app as SipServerApp).options.tserver;
}

describe('seed 000 options', () => {
  test('the table has the 18 options of seed 000, all in the TServer registry', () => {
    assert.equal(seed000.length, 18);
    for (const row of seed000) assert.ok(row.name in tserverOptions, `${row.name} missing from the registry`);
  });

  for (const row of seed000) {
    test(`${row.name}: default ${row.defaultText}, valid ${row.valid.slice(0, 20)}, ${row.takesEffect}`, () => {
      const spec = tserverOptions[row.name as keyof typeof tserverOptions];
      assert.equal(defaultText(spec), row.defaultText);
      assert.equal(spec.type.validValues, row.valid);
      assert.equal(spec.takesEffect, row.takesEffect);
      assert.match(spec.source, /seed 000/);
      assert.deepEqual((loadedTServer() as Record<string, unknown>)[camel(row.name)], row.loaded);
    });
  }

  // Seeds 002 and 004 repeat four of them: same metadata.
  test('seeds 002 and 004 agree with the registry (sources cite them)', () => {
    for (const name of ['backup-init-check', 'backup-init-check-timeout', 'backup-sip-port-check'] as const) {
      assert.match(tserverOptions[name].source, /seed 002/);
    }
    assert.match(tserverOptions['ha-max-calls-sync-at-once'].source, /seed 004/);
  });

  test('switchover-on-*-oos on a DN: same metadata, only on a Voice over IP Service DN', () => {
    for (const name of ['switchover-on-msml-oos', 'switchover-on-trunks-oos'] as const) {
      assert.equal(dnOptions[name].takesEffect, tserverOptions[name].takesEffect);
      assert.equal(dnOptions[name].default, tserverOptions[name].default);
      assert.deepEqual(dnOptions[name].appliesTo, ['Voice over IP Service']);
    }
  });
});

describe('ranges are enforced with the range in the message', () => {
  const ranged: [string, number, number][] = [
    ['backup-init-check-timeout', 15, 3600],
    ['ha-max-calls-sync-at-once', 200, 1000],
    ['network-monitoring-timeout', 1, 30],
    ['vip-state-change-timeout', 3, 60],
    ['sip-port', 1, 65535],
    ['router-timeout', 1, 3600],
  ];
  for (const [name, min, max] of ranged) {
    test(`${name}: ${min} and ${max} accepted, ${min - 1} and ${max + 1} refused`, () => {
      for (const ok of [min, max]) {
        const raw = baseEnvironment();
        tserver(raw)[name] = ok;
        assert.equal((loadedTServer(raw) as Record<string, unknown>)[camel(name)], ok);
      }
      for (const bad of [min - 1, max + 1]) {
        const raw = baseEnvironment();
        tserver(raw)[name] = bad;
        assert.deepEqual(messages(load(raw)), [
          `applications.SIP_A.options.TServer.${name}: ${bad} is not in ${min}-${max}`,
        ]);
      }
    });
  }

  test('a whole number is required where the seed gives whole seconds', () => {
    const raw = baseEnvironment();
    tserver(raw)['network-monitoring-timeout'] = 2.5;
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_A.options.TServer.network-monitoring-timeout: 2.5 is not a whole number in 1-30',
    ]);
  });

  test('text where a number is expected', () => {
    const raw = baseEnvironment();
    tserver(raw)['ha-max-calls-sync-at-once'] = 'many';
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_A.options.TServer.ha-max-calls-sync-at-once: "many" is not a number in 200-1000',
    ]);
  });

  test('numbers may be quoted', () => {
    const raw = baseEnvironment();
    tserver(raw)['ha-max-calls-sync-at-once'] = '700';
    assert.equal(loadedTServer(raw).haMaxCallsSyncAtOnce, 700);
  });

  test('ADDP timeouts take fractions (sub-second detection, SPEC S4.2); the range still holds', () => {
    const raw = baseEnvironment();
    raw.applications.SIP_A.options['backup-sync'] = { protocol: 'addp', 'addp-timeout': 0.25 };
    const r = load(raw);
    assert.ok(r.ok);
    const app = r.config.applications.SIP_A as SipServerApp;
    assert.equal(app.options.backupSync.addpTimeout, 0.25);
    raw.applications.SIP_A.options['backup-sync']['addp-timeout'] = 3600.5;
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_A.options.backup-sync.addp-timeout: 3600.5 is not in 0-3600',
    ]);
  });
});

describe('booleans', () => {
  for (const [written, value] of [
    [true, true],
    [false, false],
    ['true', true],
    ['false', false],
  ] as const) {
    test(`${JSON.stringify(written)} reads as ${value}`, () => {
      const raw = baseEnvironment();
      tserver(raw)['sip-pass-check'] = written;
      assert.equal(loadedTServer(raw).sipPassCheck, value);
    });
  }
  for (const bad of ['yes', 'on', '1', 'TRUE']) {
    test(`"${bad}" is refused`, () => {
      const raw = baseEnvironment();
      tserver(raw)['sip-pass-check'] = bad;
      const shown = /^\d+$/.test(bad) ? bad : `"${bad}"`;
      assert.deepEqual(messages(load(raw)), [
        `applications.SIP_A.options.TServer.sip-pass-check: ${shown} is not true or false (valid: true, false)`,
      ]);
    });
  }
});

describe('other values', () => {
  test('an enumerated value suggests the close one', () => {
    const raw = baseEnvironment();
    raw.applications.SIP_A.options.log = { verbose: 'interactoin' };
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_A.options.log.verbose: "interactoin" is not one of: none, standard, interaction, trace, all ' +
        '(did you mean "interaction"?)',
    ]);
  });

  test('sip-nic-address takes an IP address or FQDN', () => {
    for (const ok of ['192.0.2.1', '2001:db8::1', 'sip-nic.example.com']) {
      const raw = baseEnvironment();
      tserver(raw)['sip-nic-address'] = ok;
      assert.equal(loadedTServer(raw).sipNicAddress, ok);
    }
    const raw = baseEnvironment();
    tserver(raw)['sip-nic-address'] = '300.1.2.3';
    assert.deepEqual(messages(load(raw)), [
      'applications.SIP_A.options.TServer.sip-nic-address: "300.1.2.3" is not an IP address or FQDN',
    ]);
  });

  test('an empty value means "not set": the default applies', () => {
    const raw = baseEnvironment();
    tserver(raw)['ha-max-calls-sync-at-once'] = '';
    tserver(raw)['sip-nic-address'] = null;
    const t = loadedTServer(raw);
    assert.equal(t.haMaxCallsSyncAtOnce, 500);
    assert.equal(t.sipNicAddress, undefined);
  });

  test('the typed config: numbers are numbers, unset options are possibly undefined', () => {
    const t = loadedTServer();
    const batch: number = t.haMaxCallsSyncAtOnce;
    const check: boolean = t.backupInitCheck;
    // @ts-expect-error: sip-nic-address has no default (NULL), so it may be undefined
    const nic: string = t.sipNicAddress;
    assert.equal(batch + (check ? 1 : 0), 500);
    assert.equal(nic, undefined);
  });

  test('every registry entry has a description, a source and a valid take-effect rule', () => {
    const rules = [
      'Immediately',
      'For the next call',
      'When the HA connection is established',
      'After restart',
    ];
    for (const section of sections) {
      for (const [name, spec] of Object.entries(section.options)) {
        assert.ok(spec.description.length > 20, `${section.id}.${name}: description`);
        assert.ok(spec.source.length > 0, `${section.id}.${name}: source`);
        assert.ok(rules.includes(spec.takesEffect), `${section.id}.${name}: ${spec.takesEffect}`);
        assert.ok(!(spec.required && 'default' in spec), `${section.id}.${name}: required with a default`);
      }
    }
  });
});
