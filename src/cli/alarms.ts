/**
 * `duet alarms [--config FILE | --scs URL] [--json]` lists the alarms the SCS has raised (GET /api/alarms);
 * `duet alarms [--config FILE | --scs URL] [--token T] clear ID` clears one by hand (POST
 * /api/alarms/ID/clear). The SCS is found as `duet status` finds it (the file's scs host and scs.port, or
 * --scs / --url); the token comes from --token, else $DUET_TOKEN, else the file's scs.token. Exit 0 on success,
 * 1 when refused (with the SCS's reason) or the SCS cannot be reached, 2 on a usage error.
 */
import { fetchAlarms, postJson, scsBaseUrl } from '../mgmt/scs/client.ts';
import { formatAlarms } from '../mgmt/scs/status-text.ts';
import { parseCommandArgs } from './args.ts';
import { readConfigFile } from './config-file.ts';

const USAGE =
  'usage: duet alarms [--config FILE | --scs http://HOST:PORT] [--json]\n' +
  '       duet alarms [--config FILE | --scs http://HOST:PORT] [--token TOKEN] clear ID';

export async function runAlarms(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('alarms', USAGE, {
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      scs: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const clearing = positionals[0] === 'clear';
  if (positionals.length > 0 && !(clearing && positionals.length === 2)) {
    process.stderr.write(`duet alarms: unexpected ${JSON.stringify(positionals.join(' '))}\n${USAGE}\n`);
    return 2;
  }
  let base = values.scs ?? values.url;
  let fileToken: string | undefined;
  if (values.config !== undefined) {
    const read = readConfigFile(values.config);
    if (!read.ok) {
      for (const m of read.messages) process.stderr.write(`${m}\n`);
      return 1;
    }
    base ??= scsBaseUrl(read.config);
    fileToken = read.config.scs.token;
  }
  if (base === undefined) {
    process.stderr.write(`duet alarms: give --config FILE or --scs URL\n${USAGE}\n`);
    return 2;
  }
  base = base.replace(/\/+$/, '');
  try {
    if (!clearing) {
      const { alarms, cleared } = await fetchAlarms(base);
      process.stdout.write(
        values.json ? `${JSON.stringify({ alarms, cleared }, null, 2)}\n` : formatAlarms(alarms, cleared),
      );
      return 0;
    }
    const id = positionals[1]!;
    const token = values.token ?? process.env.DUET_TOKEN ?? fileToken;
    const answer = await postJson(base, `/api/alarms/${encodeURIComponent(id)}/clear`, {}, token);
    if (answer.status !== 200) {
      const reason = String(answer.body.error ?? `HTTP ${answer.status}`);
      const hint = answer.status === 401 && token === undefined ? ' (give --token or set DUET_TOKEN)' : '';
      process.stderr.write(`duet alarms: clear ${id} refused: ${reason}${hint}\n`);
      return 1;
    }
    process.stdout.write(`Alarm ${id} cleared.\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`duet alarms: ${(e as Error).message}\n`);
    return 1;
  }
}
