/** What the figures were measured on, for the results file: they mean nothing without it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpus: number;
  model: string;
  memGiB: number;
  kernel: string;
  node: string;
  sipp: string;
  kamailio: string;
  commit: string;
  clkTck: number;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // sipp -v exits non-zero after printing its version
    const e = err as { stdout?: string };
    return e.stdout ?? '';
  }
}

export function clockTicks(): number {
  const v = Number(run('getconf', ['CLK_TCK']).trim());
  if (!(v > 0)) throw new Error('getconf CLK_TCK gave no positive number: cannot convert CPU ticks to time');
  return v;
}

export function describeMachine(repoRoot: string): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  const sipp = /SIPp v[\w.-]*\w/.exec(run('sipp', ['-v']))?.[0] ?? 'sipp (version unknown)';
  const kamailio = /kamailio [\d.]+/.exec(run('/usr/sbin/kamailio', ['-v']))?.[0] ?? 'kamailio (not found)';
  // Read-only git: the commit, and whether the tree had changes on top of it when the figures were taken.
  const head = run('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']).trim() || 'unknown';
  const dirty = run('git', [
    '-C',
    repoRoot,
    'status',
    '--porcelain',
    '--untracked-files=no',
    '--',
    'src',
    'bench',
    'bin',
  ]).trim();
  const commit = dirty ? `${head} + uncommitted changes` : head;
  return {
    cpus: os.availableParallelism(),
    model,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    node: process.version,
    sipp,
    kamailio,
    commit,
    clkTck: clockTicks(),
  };
}
