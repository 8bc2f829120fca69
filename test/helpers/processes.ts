/**
 * Real processes for integration tests: start `duet` subcommands and sipp, wait for what they print, and
 * always stop them by PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Started {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first stdout line that matches, or rejects after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export function startDuet(args: string[]): Started {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/duet.mjs'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    let nl = partial.indexOf('\n');
    while (nl >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
      nl = partial.indexOf('\n');
    }
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  return {
    child,
    lines,
    waitFor(pattern, timeoutMs = 15_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolveLine(line);
          },
        });
      });
    },
    stop() {
      return stopChild(child);
    },
  };
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill(signal);
  });
}

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Parsed from sipp's -trace_stat CSV, last row: SuccessfulCall(C), FailedCall(C), ... */
  stats: Record<string, string>;
  /** sipp's -trace_err log: why calls failed (unexpected messages, timeouts). */
  errors: string;
}

/** Runs sipp to completion (bounded by -timeout) in a scratch directory and reads its final statistics. */
export function runSipp(args: string[], timeoutS = 60): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-sipp-'));
  const child = spawn(
    'sipp',
    [
      ...args,
      '-nostdin',
      '-timeout',
      `${timeoutS}s`,
      '-timeout_error',
      '-trace_err',
      '-trace_stat',
      '-stf',
      join(dir, 'stat.csv'),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  return new Promise((done) => {
    child.once('exit', async (code) => {
      const { readFileSync, existsSync, readdirSync } = await import('node:fs');
      const file = join(dir, 'stat.csv');
      const stats: Record<string, string> = {};
      if (existsSync(file)) {
        const rows = readFileSync(file, 'utf8').trim().split('\n');
        const head = rows[0]?.split(';') ?? [];
        const last = rows[rows.length - 1]?.split(';') ?? [];
        head.forEach((h, i) => {
          stats[h] = last[i] ?? '';
        });
      }
      const errors = readdirSync(dir)
        .filter((f) => f.endsWith('_errors.log'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('\n');
      done({ code, stdout, stderr, stats, errors });
    });
  });
}
