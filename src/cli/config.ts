/**
 * `duet config check FILE`: validates an environment file and prints every error at once (SPEC S9), each
 * with its path, the bad value and the valid range; exit 0 when valid, 1 when not, 2 on usage errors.
 */
import { readConfigFile } from './config-file.ts';

export function runConfig(argv: string[]): number {
  const [sub, file, ...extra] = argv;
  if (sub !== 'check' || !file || extra.length > 0) {
    process.stderr.write('usage: duet config check FILE\n');
    return 2;
  }
  const read = readConfigFile(file);
  if (!read.ok) {
    for (const m of read.messages) process.stderr.write(`${m}\n`);
    process.stderr.write(`${file}: ${read.messages.length} error${read.messages.length === 1 ? '' : 's'}\n`);
    return 1;
  }
  const c = read.config;
  const servers = Object.values(c.applications).filter((a) => a.type === 'sip-server').length;
  process.stdout.write(
    `${file}: valid (${Object.keys(c.hosts).length} hosts, ${servers} SIP servers, ` +
      `${Object.keys(c.haPairs).length} HA pairs, ${Object.keys(c.dns).length} DNs)\n`,
  );
  return 0;
}
