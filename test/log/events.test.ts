/**
 * The event registry (SPEC S7): stable IDs, the seeds' IDs with their meaning, well-formed templates, and
 * every event renderable with exactly its parameters (a missing one is a programming error).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  eventLevels,
  LogEventError,
  logEvents,
  renderTemplate,
  templateParams,
} from '../../src/log/index.ts';

const entries = Object.entries(logEvents);

describe('registry', () => {
  test('IDs are NN-NNNNN; names unique and kebab-case', () => {
    const names = new Set<string>();
    for (const [id, e] of entries) {
      assert.match(id, /^\d{2}-\d{5}$/, id);
      assert.match(e.name, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, `${id}: ${e.name}`);
      assert.ok(!names.has(e.name), `${id}: name ${e.name} used twice`);
      names.add(e.name);
      assert.ok((eventLevels as readonly string[]).includes(e.level), `${id}: level ${e.level}`);
      assert.ok(e.meaning.length > 0, `${id}: meaning`);
    }
  });

  test("the seeds' IDs keep their meaning (seed 001)", () => {
    const seeds: Record<string, [string, RegExp]> = {
      '00-04200': ['sip-listener-failed', /listener could not be opened/],
      '00-52027': ['sip-nic-failure', /SIP NIC .* failure/],
      '00-52028': ['sip-nic-success', /SIP NIC .* is up/],
      '00-52029': ['virtual-ip-failure', /Virtual IP .* failure/],
      '00-52030': ['virtual-ip-success', /Virtual IP .* is/],
    };
    for (const [id, [name, text]] of Object.entries(seeds)) {
      const e = logEvents[id as keyof typeof logEvents];
      assert.ok(e, `${id} missing`);
      assert.equal(e.name, name);
      assert.match(e.template, text);
    }
    // Seed 001 calls the NIC and VIP events "Standard-level".
    for (const id of ['00-52027', '00-52028', '00-52029', '00-52030'] as const) {
      assert.equal(logEvents[id].level, 'Standard', id);
    }
    assert.equal(
      logEvents['00-04200'].template,
      'SIP listener could not be opened on {address}:{port}: {reason}',
    );
  });

  test("only the seeds' IDs are in 00-; ours are in 10-", () => {
    const seedIds = ['00-04200', '00-52027', '00-52028', '00-52029', '00-52030'];
    for (const [id] of entries) {
      if (id.startsWith('00-')) assert.ok(seedIds.includes(id), `${id} is in the seeds' range`);
      else assert.match(id, /^10-[1-7]\d{4}$/, id);
    }
  });

  test('templates: only {identifier} placeholders, no stray braces', () => {
    for (const [id, e] of entries) {
      const stripped = e.template.replace(/\{[A-Za-z][A-Za-z0-9]*\}/g, '');
      assert.ok(!/[{}]/.test(stripped), `${id}: stray brace in "${e.template}"`);
    }
  });
});

describe('rendering the whole registry', () => {
  for (const [id, e] of entries) {
    test(`${id} ${e.name}`, () => {
      const params = Object.fromEntries(templateParams(e.template).map((p, i) => [p, `v${i}`]));
      const text = renderTemplate(e.template, params);
      assert.ok(!/\{[A-Za-z]/.test(text), text);
      for (const v of Object.values(params)) assert.ok(text.includes(v));
      for (const missing of Object.keys(params)) {
        const fewer = { ...params };
        delete fewer[missing];
        assert.throws(
          () => renderTemplate(e.template, fewer),
          (err: unknown) => err instanceof LogEventError && err.message.includes(`"${missing}"`),
        );
      }
    });
  }
});

test('templateParams lists each name once, in order', () => {
  assert.deepEqual(templateParams('{a} {b} {a}:{c}'), ['a', 'b', 'c']);
  assert.deepEqual(templateParams('no parameters'), []);
});

// Every `.event('NN-NNNNN'` written in src/ must name a registered event: caught here, in one place, even
// where a call site escapes the type check (a cast, a computed ID).
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const callPattern = /\.event\(\s*['"`](\d{2}-\d{5})['"`]/g;

function idsUsedIn(text: string): string[] {
  return [...text.matchAll(callPattern)].map((m) => m[1]!);
}

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

test('the call-site scanner finds event IDs', () => {
  assert.deepEqual(idsUsedIn(`log.event('00-04200', {}); this.logger.event(\n  "10-99999", x)`), [
    '00-04200',
    '10-99999',
  ]);
});

test('every event ID used in src/ is registered', () => {
  const unknown: string[] = [];
  for (const file of sources(join(root, 'src'))) {
    for (const id of idsUsedIn(readFileSync(file, 'utf8'))) {
      if (!Object.hasOwn(logEvents, id)) unknown.push(`${relative(root, file)}: ${id}`);
    }
  }
  assert.deepEqual(unknown, []);
});
