/**
 * The LCA's hands on a real machine (the thin shell around lca.ts): server processes started as
 * `node bin/duet.mjs server --config FILE --app NAME --data-dir DIR`, their output passed on line by line
 * with a `[NAME] ` prefix (so `duet up` shows every process's log in one stream), and script applications
 * run without a shell, killed on timeout, their output captured and bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScriptApp } from '../../config/config.ts';
import type { KillSignal, ProcessControl, ProcessHandle, ScriptResult, ScriptRunner } from './lca.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where output lines go (process.stdout by default). */
export interface LineWriter {
  write(text: string): unknown;
}

export interface NodeProcessControlOptions {
  /** The configuration file the servers read (the LCA's own). */
  configFile: string;
  dataDir: string;
  /** The duet entry point; default bin/duet.mjs of this package. */
  duetBin?: string;
  /** Where the children's stdout lines go, prefixed; default process.stdout. */
  stdout?: LineWriter;
  /** Where the children's stderr lines go, prefixed; default process.stderr. */
  stderr?: LineWriter;
  /** Extra environment for the children. */
  env?: Record<string, string>;
}

/** A line longer than this is passed on in pieces, so that a child printing no newline cannot fill memory. */
const MAX_LINE = 64 * 1024;

export class NodeProcessControl implements ProcessControl {
  constructor(private readonly options: NodeProcessControlOptions) {}

  start(app: string): ProcessHandle {
    const { configFile, dataDir, duetBin = join(repoRoot, 'bin/duet.mjs') } = this.options;
    const child = spawn(
      process.execPath,
      [duetBin, 'server', '--config', resolve(configFile), '--app', app, '--data-dir', resolve(dataDir)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...this.options.env },
      },
    );
    const prefix = `[${app}] `;
    if (child.stdout) prefixLines(child.stdout, prefix, this.options.stdout ?? process.stdout);
    if (child.stderr) prefixLines(child.stderr, prefix, this.options.stderr ?? process.stderr);
    return new NodeProcessHandle(child);
  }
}

class NodeProcessHandle implements ProcessHandle {
  private readonly callbacks: Array<(code: number | null, signal: string | null) => void> = [];
  private exit: { code: number | null; signal: string | null } | undefined;

  constructor(private readonly child: ChildProcess) {
    child.once('exit', (code, signal) => this.ended(code, signal));
    // A spawn failure (no 'exit' follows): the process never ran.
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) this.ended(null, err.code ?? 'spawn-error');
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  onExit(cb: (code: number | null, signal: string | null) => void): void {
    if (this.exit) cb(this.exit.code, this.exit.signal);
    else this.callbacks.push(cb);
  }

  kill(signal: KillSignal): void {
    if (this.exit !== undefined || this.child.pid === undefined) return;
    try {
      this.child.kill(signal);
    } catch {
      // Already gone: its exit is on its way.
    }
  }

  private ended(code: number | null, signal: string | null): void {
    if (this.exit !== undefined) return;
    this.exit = { code, signal };
    for (const cb of this.callbacks.splice(0)) cb(code, signal);
  }
}

function prefixLines(stream: NodeJS.ReadableStream, prefix: string, out: LineWriter): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    let nl = partial.indexOf('\n');
    while (nl >= 0) {
      out.write(`${prefix}${partial.slice(0, nl + 1)}`);
      partial = partial.slice(nl + 1);
      nl = partial.indexOf('\n');
    }
    while (partial.length > MAX_LINE) {
      out.write(`${prefix}${partial.slice(0, MAX_LINE)}\n`);
      partial = partial.slice(MAX_LINE);
    }
  });
  stream.on('end', () => {
    if (partial.length > 0) out.write(`${prefix}${partial}\n`);
    partial = '';
  });
}

export interface NodeScriptRunnerOptions {
  /** Output kept per run (stdout and stderr interleaved), bytes. Default 16384. */
  maxOutputBytes?: number;
}

/**
 * Runs a script application: `command` with `args`, no shell (nothing in an argument is interpreted), in its
 * own process group so that a timeout kills whatever it started too.
 */
export class NodeScriptRunner implements ScriptRunner {
  private readonly maxOutput: number;

  constructor(options: NodeScriptRunnerOptions = {}) {
    this.maxOutput = options.maxOutputBytes ?? 16 * 1024;
  }

  run(script: ScriptApp, timeoutMs: number, cb: (result: ScriptResult) => void): void {
    let output = '';
    let truncated = false;
    let timedOut = false;
    let finished = false;
    const capture = (chunk: string): void => {
      if (truncated) return;
      const room = this.maxOutput - Buffer.byteLength(output);
      if (Buffer.byteLength(chunk) <= room) {
        output += chunk;
        return;
      }
      output += Buffer.from(chunk).subarray(0, Math.max(0, room)).toString('utf8');
      truncated = true;
    };
    const finish = (exitCode: number | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(drain);
      cb({
        exitCode: timedOut ? null : exitCode,
        timedOut,
        output: truncated ? `${output}\n[output truncated at ${this.maxOutput} bytes]` : output,
      });
    };

    let child: ChildProcess;
    try {
      child = spawn(script.command, script.args, {
        shell: false,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      cb({
        exitCode: null,
        timedOut: false,
        output: `cannot run ${script.command}: ${(e as Error).message}`,
      });
      return;
    }
    child.stdout?.setEncoding('utf8').on('data', capture);
    child.stderr?.setEncoding('utf8').on('data', capture);
    child.once('error', (err) => {
      capture(`cannot run ${script.command}: ${err.message}`);
      finish(null);
    });
    // 'close' waits for the output to be read to the end; a grandchild holding the pipes open after a
    // timeout must not hold the answer, hence the drain limit below.
    child.once('close', (code) => finish(code));
    let drain: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
      drain = setTimeout(() => finish(null), 2000);
    }, timeoutMs);
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
