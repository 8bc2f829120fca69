/**
 * The project's static checks run as part of `npm test`, so that the README's one test command is the whole
 * gate: the TypeScript typecheck, the linter, and the layering rule of DESIGN §2 (imports point down only).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function run(cmd: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('typecheck (tsc --noEmit) is clean', () => {
  const r = run(join(root, 'node_modules/.bin/tsc'), ['--noEmit', '-p', '.']);
  assert.equal(r.code, 0, r.out);
});

test('lint (biome check) is clean', () => {
  const r = run(join(root, 'node_modules/.bin/biome'), ['check', 'src', 'test', 'bench', 'scripts']);
  assert.equal(r.code, 0, r.out);
});

// DESIGN §2, bottom up. config/ and log/ sit beside runtime's users: usable by all, using nothing above.
const rank: Record<string, number> = {
  runtime: 0,
  config: 1,
  log: 1,
  sip: 2,
  model: 3,
  server: 4,
  ha: 5,
  mgmt: 6,
  client: 7,
  cli: 8,
};

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

function layerOf(file: string): string {
  return relative(join(root, 'src'), file).split('/')[0]!;
}

test('layers import downward only (DESIGN §2)', () => {
  const violations: string[] = [];
  for (const file of sources(join(root, 'src'))) {
    const from = layerOf(file);
    if (!(from in rank)) {
      if (file !== join(root, 'src', 'index.ts'))
        violations.push(`${relative(root, file)}: not in a known layer`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), m[1]!);
      const to = layerOf(target);
      if (to === from) continue;
      if (!(to in rank) || rank[to]! > rank[from]! || (rank[to] === rank[from] && to !== from)) {
        violations.push(`${relative(root, file)} imports ${m[1]} (${from} -> ${to})`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the client library (duet/cti) imports only runtime/ and the CTI protocol', () => {
  const allowed = (target: string) =>
    layerOf(target) === 'runtime' ||
    layerOf(target) === 'client' ||
    target === join(root, 'src/server/cti/protocol.ts');
  const violations: string[] = [];
  for (const file of sources(join(root, 'src/client'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      if (!allowed(resolve(dirname(file), m[1]!))) violations.push(`${relative(root, file)} imports ${m[1]}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the core reads no clock and does no I/O', () => {
  const core = ['sip', 'model', 'ha'];
  const forbidden =
    /\b(Date\.now|new Date\(\)|setTimeout|setInterval|Math\.random|from 'node:(fs|net|dgram|child_process|http)')/;
  const hits: string[] = [];
  for (const file of sources(join(root, 'src'))) {
    if (!core.includes(layerOf(file))) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (forbidden.test(line) && !line.trim().startsWith('//') && !line.trim().startsWith('*')) {
          hits.push(`${relative(root, file)}:${i + 1}: ${line.trim()}`);
        }
      });
  }
  assert.deepEqual(hits, []);
});
