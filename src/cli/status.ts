/**
 * `duet status --config FILE [--json] [--url URL]`: what the SCS knows (GET /api/status): each pair's servers
 * with host, mode, status, HA link, calls pending sync, readiness for switchover and upgrade, calls, and
 * whether a switchover now is safe. Exit 0 when the SCS answered, 1 when it could not be reached.
 */
import { fetchStatus, scsBaseUrl } from '../mgmt/scs/client.ts';
import { formatStatus } from '../mgmt/scs/status-text.ts';
import { parseCommandArgs } from './args.ts';
import { readConfigFile } from './config-file.ts';

const USAGE = 'usage: duet status --config FILE [--json] [--url http://HOST:PORT]';

export async function runStatus(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('status', USAGE, {
    args: argv,
    options: { config: { type: 'string' }, json: { type: 'boolean' }, url: { type: 'string' } },
  });
  if (!parsed) return 2;
  const { values } = parsed;
  let base = values.url;
  if (base === undefined) {
    if (!values.config) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const read = readConfigFile(values.config);
    if (!read.ok) {
      for (const m of read.messages) process.stderr.write(`${m}\n`);
      return 1;
    }
    base = scsBaseUrl(read.config);
  }
  try {
    const st = await fetchStatus(base.replace(/\/+$/, ''));
    process.stdout.write(values.json ? `${JSON.stringify(st, null, 2)}\n` : formatStatus(st));
    return 0;
  } catch (e) {
    process.stderr.write(`duet status: ${(e as Error).message}\n`);
    return 1;
  }
}
