/**
 * What a server costs, read from /proc: CPU time (utime+stime, in clock ticks) and memory (VmRSS and Pss)
 * summed over the server's process tree. A tree, because Kamailio is a main process and its forked children
 * (UDP workers, timers) and Duet's node process may have helpers (tsx's esbuild service); a process that is
 * not a descendant of the server's PID is never counted.
 *
 * Pss next to RSS: Kamailio's children share one shared-memory segment (-m), and summing their RSS counts
 * each shared page once per process that touched it; Pss divides a shared page among its sharers, so the sum
 * of Pss is the memory the tree really holds (proc(5), /proc/pid/smaps_rollup).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  /** Start time after boot, clock ticks: with the PID, identifies a process even if its PID is reused. */
  startTime: number;
}

/** Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses: split after the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open)
    throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const pid = Number(text.slice(0, open).trim());
  // Fields from 3 (state) on; proc(5) numbers them from 1, so field n is rest[n - 3].
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const field = (n: number): number => {
    const v = Number(rest[n - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc/${pid}/stat: field ${n} is not a number`);
    return v;
  };
  return { pid, ppid: field(4), cpuTicks: field(14) + field(15), startTime: field(22) };
}

/** Reads one "Key:   123 kB" line from /proc/<pid>/status or smaps_rollup; kB, or undefined when absent. */
export function parseKbField(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone between listing and reading
  }
}

/** The process and all its live descendants. */
export function processTree(root: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) all.push(s);
  }
  const byParent = new Map<number, ProcStat[]>();
  for (const s of all) {
    const list = byParent.get(s.ppid) ?? [];
    list.push(s);
    byParent.set(s.ppid, list);
  }
  const rootStat = all.find((s) => s.pid === root);
  if (!rootStat) return [];
  const tree = [rootStat];
  for (let i = 0; i < tree.length; i++) {
    for (const child of byParent.get(tree[i]!.pid) ?? []) tree.push(child);
  }
  return tree;
}

/** CPU ticks used so far by the tree (live processes only). */
export function treeCpuTicks(root: number): number {
  return processTree(root).reduce((sum, s) => sum + s.cpuTicks, 0);
}

export interface Memory {
  /** Sum of VmRSS over the tree, KiB. */
  rssKiB: number;
  /** Sum of Pss over the tree, KiB. */
  pssKiB: number;
}

export function treeMemory(root: number): Memory {
  let rssKiB = 0;
  let pssKiB = 0;
  for (const s of processTree(root)) {
    try {
      rssKiB += parseKbField(readFileSync(`/proc/${s.pid}/status`, 'utf8'), 'VmRSS') ?? 0;
      pssKiB += parseKbField(readFileSync(`/proc/${s.pid}/smaps_rollup`, 'utf8'), 'Pss') ?? 0;
    } catch {
      // exited while being read: it holds no memory any more
    }
  }
  return { rssKiB, pssKiB };
}

/** True while the process with this PID and start time exists (a reused PID is another process). */
export function isSameProcessAlive(p: Pick<ProcStat, 'pid' | 'startTime'>): boolean {
  const s = readStat(p.pid);
  return s !== undefined && s.startTime === p.startTime;
}
