/**
 * `duet up [--config FILE] [--data-dir DIR]`: the embedded default (SPEC S1 "all in one"; `npm start`; without
 * --config it runs examples/single-host.yaml of this package). Starts,
 * as child processes, one `duet lca --host H` for every host of the file whose address is this machine's
 * (127.x, ::1, localhost, or an address of one of its interfaces), and `duet scs` when the scs host is one of
 * them. The LCAs (and the servers they start) and the SCS share the data directory (default var/):
 * registrations, the SCS's raised alarms. The LCAs start the SIP Servers when the SCS tells them to. Every
 * output line is prefixed with `[scs] ` or `[lca:H] ` (an LCA prefixes its servers' lines itself). A child
 * that dies is restarted (1 s, doubling to 30 s while it keeps dying young). Ctrl-C or SIGTERM stops them all:
 * SIGTERM, up to 10 s, then SIGKILL; exit code 0. A second Ctrl-C kills at once.
 *
 * Each child runs in its own process group (so a terminal's Ctrl-C reaches only `duet up`, which stops the
 * children in order), and the servers an LCA starts inherit that group. When every child has exited, any
 * process still left in one of those groups (a server that outlived its LCA) gets SIGTERM, then SIGKILL
 * after 5 s: `duet up` leaves nothing running behind it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.ts';
import { parseCommandArgs } from './args.ts';
import { readConfigFile } from './config-file.ts';

const USAGE = 'usage: duet up [--config FILE] [--data-dir DIR]';
/** `npm start` = `duet up`: without --config, the single-host example of this package (seed 001). */
const DEFAULT_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '../../examples/single-host.yaml');
const STOP_GRACE_MS = 10_000;
const RESTART_FIRST_MS = 1000;
const RESTART_MAX_MS = 30_000;
/** A child that ran this long before dying restarts after the first delay again. */
const STABLE_MS = 60_000;
/** How long leftovers in the children's process groups get after SIGTERM. */
const SWEEP_GRACE_MS = 5000;

export interface UpOptions {
  /** The duet entry point the children run (tests); default bin/duet.mjs of this package. */
  duetBin?: string;
  /** Where prefixed lines go; default process.stdout / process.stderr. */
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Resolves the run early (tests), as SIGTERM does. */
  stopSignal?: AbortSignal;
}

/** The hosts of the file that are this machine. */
export function localHosts(
  config: Config,
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): string[] {
  return Object.entries(config.hosts)
    .filter(([, h]) => isLocalAddress(h.address, interfaces))
    .map(([name]) => name);
}

export function isLocalAddress(
  address: string,
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): boolean {
  const a = address.toLowerCase();
  if (a === 'localhost' || a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a)) return true;
  for (const list of Object.values(interfaces)) {
    for (const i of list ?? []) if (i.address.toLowerCase() === a) return true;
  }
  return false;
}

/**
 * The children `duet up` runs for the local `hosts`: their LCAs, and the SCS when its host is one of them. All
 * get the same data directory (the servers' registrations under the LCAs, the SCS's alarms).
 */
export function upChildren(
  config: Config,
  file: string,
  hosts: string[],
  dataDir: string,
): { label: string; args: string[] }[] {
  const children = hosts.map((h) => ({
    label: `lca:${h}`,
    args: ['lca', '--config', file, '--host', h, '--data-dir', dataDir],
  }));
  if (hosts.includes(config.scs.host)) {
    children.push({ label: 'scs', args: ['scs', '--config', file, '--data-dir', dataDir] });
  }
  return children;
}

/** Splits a byte stream into lines and hands each one on with a prefix; a partial last line waits. */
export class LinePrefixer {
  private rest = '';

  constructor(
    private readonly prefix: string,
    private readonly write: (line: string) => void,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.rest + chunk.toString();
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    for (const p of parts) this.write(`${this.prefix}${p.replace(/\r$/, '')}\n`);
  }

  flush(): void {
    if (this.rest !== '') this.write(`${this.prefix}${this.rest}\n`);
    this.rest = '';
  }
}

interface Child {
  label: string;
  args: string[];
  proc: ChildProcess | null;
  startedAt: number;
  delayMs: number;
  restartTimer: NodeJS.Timeout | null;
}

export async function runUp(argv: string[], options: UpOptions = {}): Promise<number> {
  const parsed = parseCommandArgs('up', USAGE, {
    args: argv,
    options: { config: { type: 'string' }, 'data-dir': { type: 'string' } },
  });
  if (!parsed) return 2;
  const { values } = parsed;
  const file = resolve(values.config ?? DEFAULT_CONFIG);
  const read = readConfigFile(file);
  if (!read.ok) {
    for (const m of read.messages) process.stderr.write(`${m}\n`);
    return 1;
  }
  const config = read.config;
  const out = options.out ?? ((l: string) => process.stdout.write(l));
  const err = options.err ?? ((l: string) => process.stderr.write(l));
  const say = (text: string) => out(`[up] ${text}\n`);

  const hosts = localHosts(config);
  if (hosts.length === 0) {
    const all = Object.entries(config.hosts).map(([n, h]) => `${n} (${h.address})`);
    process.stderr.write(
      `duet up: no host of ${file} is this machine (hosts: ${all.join(', ') || 'none'}); ` +
        'run "duet lca --host NAME" on each host instead\n',
    );
    return 1;
  }
  const dataDir = resolve(values['data-dir'] ?? 'var');
  const duetBin = options.duetBin ?? join(dirname(fileURLToPath(import.meta.url)), '../../bin/duet.mjs');

  const children: Child[] = upChildren(config, file, hosts, dataDir).map((c) => ({
    ...c,
    proc: null,
    startedAt: 0,
    delayMs: RESTART_FIRST_MS,
    restartTimer: null,
  }));
  if (!hosts.includes(config.scs.host)) {
    say(`the SCS runs on host ${config.scs.host}, not on this machine: not started here`);
  }

  let stopping = false;
  /** Process groups of every child started (the child's pid): swept at the end. */
  const groups = new Set<number>();
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((r) => {
    finish = r;
  });

  const start = (c: Child): void => {
    c.restartTimer = null;
    if (stopping) return;
    const proc = spawn(process.execPath, [duetBin, ...c.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    c.proc = proc;
    if (proc.pid !== undefined) groups.add(proc.pid);
    c.startedAt = Date.now();
    const o = new LinePrefixer(`[${c.label}] `, out);
    const e = new LinePrefixer(`[${c.label}] `, err);
    proc.stdout?.on('data', (d: Buffer) => o.push(d));
    proc.stderr?.on('data', (d: Buffer) => e.push(d));
    proc.on('error', (error) => say(`${c.label}: cannot start: ${error.message}`));
    proc.on('close', (code, signal) => {
      o.flush();
      e.flush();
      c.proc = null;
      if (stopping) {
        if (children.every((x) => x.proc === null)) finish(0);
        return;
      }
      const ranMs = Date.now() - c.startedAt;
      if (ranMs >= STABLE_MS) c.delayMs = RESTART_FIRST_MS;
      say(`${c.label} exited (${signal ?? `code ${code}`}); restarting in ${c.delayMs / 1000} s`);
      c.restartTimer = setTimeout(() => start(c), c.delayMs);
      c.delayMs = Math.min(c.delayMs * 2, RESTART_MAX_MS);
    });
  };

  const stop = (why: string): void => {
    if (stopping) {
      // A second Ctrl-C: no more waiting.
      for (const c of children) c.proc?.kill('SIGKILL');
      return;
    }
    stopping = true;
    say(`stopping (${why})`);
    for (const c of children) {
      if (c.restartTimer) clearTimeout(c.restartTimer);
      c.restartTimer = null;
      c.proc?.kill('SIGTERM');
    }
    if (children.every((c) => c.proc === null)) {
      finish(0);
      return;
    }
    const killer = setTimeout(() => {
      for (const c of children) {
        if (c.proc) {
          say(`${c.label} did not stop within ${STOP_GRACE_MS / 1000} s: SIGKILL`);
          c.proc.kill('SIGKILL');
        }
      }
    }, STOP_GRACE_MS);
    void done.then(() => clearTimeout(killer));
  };

  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  options.stopSignal?.addEventListener('abort', () => stop('asked to stop'), { once: true });

  say(
    `starting ${children.map((c) => c.label).join(', ')} from ${file}` +
      (hosts.includes(config.scs.host)
        ? `; status: duet status --config ${file}, or http://${config.hosts[config.scs.host]!.address}:${config.scs.port}/`
        : ''),
  );
  // LCAs first, so that the SCS finds them listening.
  for (const c of children) if (c.label !== 'scs') start(c);
  const scs = children.find((c) => c.label === 'scs');
  if (scs) scs.restartTimer = setTimeout(() => start(scs), 300);

  const code = await done;
  await sweep(groups, say);
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  say('all stopped');
  return code;
}

/** Stops whatever is left in the children's process groups: SIGTERM, then SIGKILL after SWEEP_GRACE_MS. */
async function sweep(groups: Set<number>, say: (text: string) => void): Promise<void> {
  const alive = (g: number): boolean => {
    try {
      process.kill(-g, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (g: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(-g, sig);
    } catch {
      // ESRCH: the group is empty.
    }
  };
  let left = [...groups].filter(alive);
  if (left.length === 0) return;
  say(`processes left behind in ${left.length} process group(s): SIGTERM`);
  for (const g of left) signal(g, 'SIGTERM');
  const deadline = Date.now() + SWEEP_GRACE_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = left.filter(alive);
    if (left.length === 0) return;
  }
  say(`still running after ${SWEEP_GRACE_MS / 1000} s: SIGKILL`);
  for (const g of left) signal(g, 'SIGKILL');
}
