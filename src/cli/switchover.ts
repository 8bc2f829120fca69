/**
 * `duet switchover --config FILE [--pair NAME] [--when-ready] [--token T] [--timeout S] [--url URL]`:
 * asks the SCS to switch a pair over (POST /api/switchover) and waits until it is done, then prints the new
 * primary. With --when-ready the SCS waits until both servers report readyForSwitchover 1 (seed 004's upgrade
 * procedure); Ctrl-C while it waits cancels the request. The token comes from --token, else $DUET_TOKEN, else
 * the file's scs.token. Exit 0 when the new primary is in place; 1 when refused (with the reason), when it did
 * not complete, or when the SCS cannot be reached; 130 when cancelled.
 */
import { fetchStatus, postJson, scsBaseUrl } from '../mgmt/scs/client.ts';
import type { PairView } from '../mgmt/scs/pair-controller.ts';
import type { ScsStatus } from '../mgmt/scs/status.ts';
import { parseCommandArgs } from './args.ts';
import { readConfigFile } from './config-file.ts';

const USAGE =
  'usage: duet switchover --config FILE [--pair NAME] [--when-ready] [--token TOKEN] [--timeout SECONDS] [--url URL]';
const POLL_MS = 500;

export async function runSwitchover(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('switchover', USAGE, {
    args: argv,
    options: {
      config: { type: 'string' },
      pair: { type: 'string' },
      'when-ready': { type: 'boolean' },
      token: { type: 'string' },
      timeout: { type: 'string' },
      url: { type: 'string' },
    },
  });
  if (!parsed) return 2;
  const { values } = parsed;
  if (!values.config) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const read = readConfigFile(values.config);
  if (!read.ok) {
    for (const m of read.messages) process.stderr.write(`${m}\n`);
    return 1;
  }
  const config = read.config;
  const pairs = Object.keys(config.haPairs);
  const pair = values.pair ?? (pairs.length === 1 ? pairs[0] : undefined);
  if (pair === undefined) {
    process.stderr.write(
      `duet switchover: name the pair with --pair (pairs: ${pairs.join(', ') || 'none'})\n`,
    );
    return 2;
  }
  if (!pairs.includes(pair)) {
    process.stderr.write(
      `duet switchover: no HA pair named "${pair}" (pairs: ${pairs.join(', ') || 'none'})\n`,
    );
    return 1;
  }
  const whenReady = values['when-ready'] === true;
  const timeoutSec = values.timeout === undefined ? (whenReady ? 0 : 60) : Number(values.timeout);
  if (!Number.isFinite(timeoutSec) || timeoutSec < 0) {
    process.stderr.write(`duet switchover: --timeout must be a number of seconds >= 0 (0 = no limit)\n`);
    return 2;
  }
  const token = values.token ?? process.env.DUET_TOKEN ?? config.scs.token;
  const base = (values.url ?? scsBaseUrl(config)).replace(/\/+$/, '');

  try {
    const answer = await postJson(base, '/api/switchover', { pair, whenReady }, token);
    if (answer.status !== 202) {
      const reason = String(answer.body.error ?? `HTTP ${answer.status}`);
      const hint =
        answer.status === 401
          ? ' (give the operator token with --token or DUET_TOKEN)'
          : answer.status === 403
            ? ' (set scs.token in the configuration to allow switchovers)'
            : '';
      process.stderr.write(`duet switchover: ${pair}: refused: ${reason}${hint}\n`);
      return 1;
    }
    const from = String(answer.body.from);
    const to = String(answer.body.to);
    process.stdout.write(`${pair}: switchover from ${from} to ${to} requested\n`);
    return await follow(base, pair, to, timeoutSec, token);
  } catch (e) {
    process.stderr.write(`duet switchover: ${(e as Error).message}\n`);
    return 1;
  }
}

/** Polls the status until the switchover is over; prints its progress. */
async function follow(
  base: string,
  pair: string,
  to: string,
  timeoutSec: number,
  token: string | undefined,
): Promise<number> {
  const started = Date.now();
  let lastLine = '';
  let cancelled = false;
  const onInt = (): void => {
    cancelled = true;
  };
  process.on('SIGINT', onInt);
  try {
    for (;;) {
      const st = await fetchStatus(base);
      const p = st.pairs.find((x) => x.pair === pair);
      if (!p) throw new Error(`the SCS no longer knows the pair ${pair}`);
      const t = p.transition;
      if (cancelled) {
        if (t?.step === 'waiting-ready') {
          await postJson(base, '/api/switchover/cancel', { pair }, token);
          process.stdout.write(`${pair}: switchover cancelled; ${p.primary ?? 'nobody'} stays primary\n`);
          return 130;
        }
        process.stdout.write(`${pair}: the switchover is already under way; waiting for it to finish\n`);
        cancelled = false;
      }
      const line = progress(p);
      if (line !== lastLine) {
        process.stdout.write(`${pair}: ${line}\n`);
        lastLine = line;
      }
      if (!t) return finished(st, p, to);
      if (timeoutSec > 0 && Date.now() - started > timeoutSec * 1000) {
        process.stderr.write(`duet switchover: ${pair}: not finished after ${timeoutSec} s (${line})\n`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    process.off('SIGINT', onInt);
  }
}

function progress(p: PairView): string {
  const t = p.transition;
  if (!t) return `primary ${p.primary ?? 'none'}`;
  if (t.step === 'waiting-ready') {
    const ready = p.servers.map((s) => `${s.app} ${s.readiness?.readyForSwitchover ?? '?'}`).join(', ');
    return `waiting until both servers are ready for switchover (readyForSwitchover: ${ready})`;
  }
  if (t.step === 'demoting') return `${t.from} is switching to Backup`;
  return `${t.to} is switching to Primary`;
}

function finished(st: ScsStatus, p: PairView, to: string): number {
  const server = p.servers.find((s) => s.app === p.primary);
  if (p.primary === to && server?.mode === 'Primary') {
    process.stdout.write(`${p.pair}: new primary ${to} (host ${server.host})\n`);
    return 0;
  }
  const why = [...st.events]
    .reverse()
    .find((e) => e.text.includes(`Pair ${p.pair}:`) && ['10-62004', '10-62002', '10-62007'].includes(e.id));
  process.stderr.write(
    `duet switchover: ${p.pair}: did not complete; primary is ${p.primary ?? 'none'}` +
      `${why ? `: ${why.text}` : ''}\n`,
  );
  return 1;
}
