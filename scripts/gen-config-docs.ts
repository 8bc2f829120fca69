/**
 * Writes docs/configuration.md from the option registries (SPEC S9).
 *   node --import tsx scripts/gen-config-docs.ts           write the file
 *   node --import tsx scripts/gen-config-docs.ts --check   exit 1 if the file is not current
 *   --file PATH   another target (tests check a stale copy without touching the real one)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigDocs } from '../src/config/docs.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fileArg = process.argv.indexOf('--file');
const target =
  fileArg >= 0 && process.argv[fileArg + 1]
    ? process.argv[fileArg + 1]!
    : join(root, 'docs', 'configuration.md');
const shown = relative(process.cwd(), target) || target;
const expected = renderConfigDocs();

if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
  if (current !== expected) {
    process.stderr.write(
      `${shown} is ${current === undefined ? 'missing' : 'out of date'}: run "node --import tsx scripts/gen-config-docs.ts" and commit the result.\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`${shown} is current.\n`);
} else {
  writeFileSync(target, expected);
  process.stdout.write(`wrote ${shown}\n`);
}
