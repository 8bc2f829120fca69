/**
 * Every process the benchmark starts, so that all of them are stopped by PID at the end, also on error or
 * Ctrl-C. Output goes to a file per process (a pipe nobody reads would stall a busy server). A process's
 * descendants are remembered (PID and start time) when it is stopped, and any that outlive it are killed
 * too: Kamailio's main process normally takes its children down, but a benchmark must not leave a stray
 * worker holding a port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { isSameProcessAlive, type ProcStat, processTree } from './proc.ts';

export interface Managed {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** The last lines of its output, for error messages. */
  tail(lines?: number): string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Processes {
  private readonly live = new Set<Managed>();

  start(
    name: string,
    command: string,
    args: string[],
    opts: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv },
  ): Managed {
    const fd = openSync(opts.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: opts.cwd,
        stdio: ['ignore', fd, fd],
        env: opts.env ?? process.env,
      });
    } finally {
      closeSync(fd);
    }
    let running = true;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        running = false;
        resolve({ code, signal });
      });
      child.once('error', () => {
        running = false;
        resolve({ code: null, signal: null });
      });
    });
    if (child.pid === undefined) throw new Error(`could not start ${name}: ${command} ${args.join(' ')}`);
    const m: Managed = {
      name,
      pid: child.pid,
      child,
      logFile: opts.logFile,
      exited,
      isRunning: () => running,
      tail: (lines = 15) => {
        try {
          return readFileSync(opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
        } catch {
          return '';
        }
      },
    };
    this.live.add(m);
    void exited.then(() => this.live.delete(m));
    return m;
  }

  /** SIGTERM, then SIGKILL after graceMs; then SIGKILL for any descendant that outlived it. */
  async stop(m: Managed, graceMs = 5000): Promise<void> {
    let descendants: ProcStat[] = [];
    if (m.isRunning()) {
      descendants = processTree(m.pid).filter((s) => s.pid !== m.pid);
      m.child.kill('SIGTERM');
      const done = await Promise.race([m.exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        m.child.kill('SIGKILL');
        await m.exited;
      }
    }
    this.live.delete(m);
    for (const d of descendants) {
      if (!isSameProcessAlive(d)) continue;
      try {
        process.kill(d.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  async stopAll(): Promise<void> {
    // Clients first (sipp), servers last, so no server sees a flood of retransmissions while stopping.
    for (const m of [...this.live].reverse()) await this.stop(m);
  }
}
