/**
 * Duet as the server under test: `node bin/duet.mjs server --config FILE --app BENCH` with the generated
 * configuration (duet-config.ts) and `--data-dir` (its contact database) in the run's scratch directory, which
 * is also its working directory, so nothing it writes lands in the repository. Ready when
 * GET /healthz on its http-port answers 200 and its SIP port answers an OPTIONS.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import type { Processes } from './children.ts';
import { DUET_APP, type DuetPorts, duetBenchConfig } from './duet-config.ts';
import type { RunningServer } from './server.ts';
import { probeSip } from './sip-probe.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function httpStatus(port: number, path: string): Promise<number | undefined> {
  return new Promise((done) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 1000 }, (res) => {
      res.resume();
      done(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(undefined));
  });
}

async function waitHealthz(port: number, timeoutMs: number, exited: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: number | undefined;
  while (Date.now() < until) {
    if (exited()) throw new Error('duet server exited before /healthz answered');
    last = await httpStatus(port, '/healthz');
    if (last === 200) return;
    await sleep(200);
  }
  throw new Error(
    `GET http://127.0.0.1:${port}/healthz did not answer 200 within ${timeoutMs} ms (last: ${last ?? 'no answer'})`,
  );
}

export function duetCommand(
  repoRoot: string,
  configFile: string,
  dataDir: string,
): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: [
      join(repoRoot, 'bin/duet.mjs'),
      'server',
      '--config',
      configFile,
      '--app',
      DUET_APP,
      '--data-dir',
      dataDir,
    ],
  };
}

export async function startDuet(
  processes: Processes,
  o: {
    repoRoot: string;
    ports: DuetPorts;
    dir: string;
    registerUsers: readonly string[];
    readyTimeoutMs?: number;
  },
): Promise<RunningServer> {
  mkdirSync(o.dir, { recursive: true });
  const bin = join(o.repoRoot, 'bin/duet.mjs');
  if (!existsSync(bin)) throw new Error(`${bin} not found`);
  const configFile = resolve(o.dir, 'duet.yaml');
  writeFileSync(
    configFile,
    duetBenchConfig({
      ports: o.ports,
      logFile: resolve(o.dir, 'duet-log.jsonl'),
      registerUsers: o.registerUsers,
    }),
  );
  const { command, args } = duetCommand(o.repoRoot, configFile, resolve(o.dir, 'data'));
  const managed = processes.start('duet server', command, args, {
    cwd: o.dir,
    logFile: join(o.dir, 'duet.out'),
  });
  const timeoutMs = o.readyTimeoutMs ?? 30_000;
  try {
    await waitHealthz(o.ports.http, timeoutMs, () => !managed.isRunning());
    await probeSip('127.0.0.1', o.ports.sip, 5000);
  } catch (err) {
    await processes.stop(managed);
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n--- ${command} ${args.join(' ')}\n--- output:\n${managed.tail()}`,
    );
  }
  return { target: 'duet', host: '127.0.0.1', sipPort: o.ports.sip, managed };
}
