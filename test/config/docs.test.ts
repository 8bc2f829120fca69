/**
 * docs/configuration.md is generated from the registries and must be current (SPEC S9).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderConfigDocs, sections } from '../../src/config/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/gen-config-docs.ts');

function run(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8' });
}

test('docs/configuration.md is current (gen-config-docs --check)', () => {
  const r = run('--check');
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('--check fails, with the command to fix it, on a stale file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-docs-'));
  try {
    const stale = join(dir, 'configuration.md');
    writeFileSync(
      stale,
      readFileSync(join(root, 'docs/configuration.md'), 'utf8').replace('| 500 |', '| 400 |'),
    );
    const r = run('--check', '--file', stale);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /out of date: run "node --import tsx scripts\/gen-config-docs.ts"/);
    const missing = run('--check', '--file', join(dir, 'none.md'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every option appears with its default, valid values, rule and source', () => {
  const doc = renderConfigDocs();
  const block = (heading: string) => {
    const start = doc.indexOf(`\n${heading}\n`);
    assert.ok(start >= 0, `no heading ${heading}`);
    const end = doc.indexOf('\n### ', start + 1);
    return doc.slice(start, end < 0 ? undefined : end);
  };
  const ha = block('### ha-max-calls-sync-at-once');
  assert.match(ha, /\| Default \| 500 \|/);
  assert.match(ha, /\| Valid values \| 200-1000 \|/);
  assert.match(ha, /\| Takes effect \| When the HA connection is established \|/);
  assert.match(ha, /\| Source \| seed 000 .*seed 004 \|/);
  let count = 0;
  for (const s of sections) {
    for (const name of Object.keys(s.options)) {
      const heading = s.id === 'TServer' || s.id === 'dn-options' ? `### ${name}` : `### ${s.id}: ${name}`;
      assert.ok(doc.includes(`\n${heading}\n`), heading);
      count++;
    }
  }
  assert.equal(doc.match(/\| Takes effect \|/g)?.length, count);
});
