/**
 * "Every option's invalid value is refused by `duet config check` with its valid range" (issue 6): for every
 * option of every registry (src/config/sections.ts), a config with an invalid value for it is refused, and the
 * message names the option, the value and the valid values. The invalid value is the first of a list of
 * candidates that the option's own schema refuses, so a new option is covered without editing this file; an
 * option that accepts every candidate fails the test (it would accept anything).
 * Then `duet config check` itself, on one file per registry, prints those messages and exits 1.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { OptionSpec } from '../../src/config/option.ts';
import { sections } from '../../src/config/sections.ts';
import { showValue } from '../../src/config/show-value.ts';
import { repoRoot } from '../helpers/processes.ts';
import { baseEnvironment, load, type Raw } from './environment.ts';

/** Values that are wrong for most kinds of option, tried in order. */
const candidates: unknown[] = [
  'not a valid value @@',
  '-5',
  '99999999',
  '1.5',
  { nested: 'map' },
  ['a', 'list'],
];

function invalidValueFor(spec: OptionSpec): unknown {
  return candidates.find((c) => !spec.type.schema.safeParse(c).success);
}

/** A DN of each type, to put a DN option on one it applies to. */
const dnOfType: Record<string, string> = {
  Extension: '1001',
  'ACD Position': '2001',
  'Routing Point': '5000',
  Trunk: '9001',
  'Voice over IP Service': '7100',
};

/** Puts `value` at the place of `option` in section `id`; answers the dotted path of the option. */
function place(raw: Raw, id: string, option: string, spec: OptionSpec, value: unknown): string {
  switch (id) {
    case 'hosts':
      raw.hosts.h1[option] = value;
      return `hosts.h1.${option}`;
    case 'sip-server':
      raw.applications.SIP_A[option] = value;
      return `applications.SIP_A.${option}`;
    case 'TServer':
    case 'backup-sync':
    case 'log':
      raw.applications.SIP_A.options[id] ??= {};
      raw.applications.SIP_A.options[id][option] = value;
      return `applications.SIP_A.options.${id}.${option}`;
    case 'script':
      raw.applications.VIP_UP[option] = value;
      return `applications.VIP_UP.${option}`;
    case 'cti-client':
      raw.applications.DESK[option] = value;
      return `applications.DESK.${option}`;
    case 'ha-pairs':
      raw['ha-pairs'].PAIR[option] = value;
      return `ha-pairs.PAIR.${option}`;
    case 'scs':
      raw.scs[option] = value;
      return `scs.${option}`;
    case 'dns':
      raw.dns['1001'][option] = value;
      return `dns.1001.${option}`;
    case 'dn-options': {
      const dn = dnOfType[spec.appliesTo?.[0] ?? 'Extension']!;
      raw.dns[dn].options ??= {};
      raw.dns[dn].options[option] = value;
      return `dns.${dn}.options.${option}`;
    }
    case 'agents':
      raw.agents.a1[option] = value;
      return `agents.a1.${option}`;
    case 'alarms':
      raw.alarms[0][option] = value;
      return `alarms[0].${option}`;
    default:
      throw new Error(`section ${id} is not known to this test: add where its options go`);
  }
}

function environment(): Raw {
  const raw = baseEnvironment();
  raw.applications.DESK = { type: 'cti-client', password: 'desk-password' };
  raw.dns['2001'] = { type: 'ACD Position' };
  raw.dns['7100'] = {
    type: 'Voice over IP Service',
    options: { 'service-type': 'sip-cluster-nodes', contact: '10.0.0.70' },
  };
  return raw;
}

describe('every option refuses an invalid value, naming the option, the value and the valid values', () => {
  it('the test environment itself loads', () => {
    const r = load(environment());
    assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  });

  for (const section of sections) {
    for (const [option, spec] of Object.entries(section.options)) {
      it(`${section.id}: ${option}`, () => {
        const value = invalidValueFor(spec);
        assert.notEqual(value, undefined, `${option} accepts every candidate value: it has no invalid value`);
        const raw = environment();
        const path = place(raw, section.id, option, spec, value);
        const r = load(raw);
        assert.equal(r.ok, false, `${path}: ${showValue(value)} was accepted`);
        if (r.ok) return;
        const e = r.errors.find((x) => x.path === path);
        assert.ok(e, `no error at ${path}; errors: ${r.errors.map((x) => x.message).join(' | ')}`);
        assert.ok(e.message.includes(option), `the message names the option: ${e.message}`);
        assert.ok(e.message.includes(showValue(value)), `the message names the value: ${e.message}`);
        // The valid values as the docs give them, or without their parenthetical notes ("0-600").
        const core = spec.type.validValues.replace(/\s*\([^)]*\)/g, '');
        assert.ok(
          e.message.includes(spec.type.validValues) || (core !== '' && e.message.includes(core)),
          `the message gives the valid values (${spec.type.validValues}): ${e.message}`,
        );
      });
    }
  }
});

describe('duet config check', () => {
  it('exits 1 and prints option, value and valid values for an invalid value of each registry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-invalid-'));
    for (const section of sections) {
      const [option, spec] = Object.entries(section.options)[0]!;
      const value = invalidValueFor(spec)!;
      const raw = environment();
      const path = place(raw, section.id, option, spec, value);
      const file = join(dir, `${section.id}.yaml`);
      writeFileSync(file, stringify(raw));
      let out = '';
      let code = 0;
      try {
        execFileSync(process.execPath, [join(repoRoot, 'bin/duet.mjs'), 'config', 'check', file], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (e) {
        const x = e as { status: number; stdout: string; stderr: string };
        code = x.status;
        out = `${x.stdout}${x.stderr}`;
      }
      assert.equal(code, 1, `${section.id}: duet config check accepted ${path}=${showValue(value)}`);
      const line = out.split('\n').find((l) => l.includes(path));
      assert.ok(line, `${section.id}: no line names ${path}:\n${out}`);
      assert.ok(line.includes(spec.type.validValues), `${section.id}: ${line}`);
    }
  });
});
