/**
 * The SCS's alarms on disk (SPEC S7): a small JSON file in its data directory (`duet scs --data-dir`, default
 * var/), so that a restarted SCS still lists the alarms an operator has not handled yet.
 *
 * - Written whole after every change, atomically: to FILE.tmp (fsynced), then renamed over FILE. A crash leaves
 *   either the old file or the new one, never half of one.
 * - Read once at start. No file: nothing to restore. A file that cannot be read, is not JSON, or is not the
 *   format below is moved aside to FILE.unreadable (kept for the operator; the next save would overwrite it)
 *   and ignored: the SCS starts without saved alarms and says so (event 10-63007), it does not stop.
 *
 * Format: {"format": "duet-scs-alarms", "version": 1, "next": N, "active": [AlarmView...], "cleared": [...]}.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { AlarmSnapshot, AlarmView } from './alarms.ts';

/** The file's name in the data directory. */
export const ALARM_FILE = 'scs-alarms.json';
const FORMAT = 'duet-scs-alarms';
const VERSION = 1;

export type AlarmLoad =
  | { ok: true; snapshot: AlarmSnapshot | null }
  | { ok: false; reason: string; keptAs: string | null };

/** Where the Scs keeps its alarms (ScsOptions.alarmStore). */
export interface AlarmStore {
  /** Shown in events. */
  readonly file: string;
  /** The saved alarms, null when there are none; never throws. */
  load(): AlarmLoad;
  /** Replaces the saved alarms; throws when it cannot (the Scs logs 10-63008). */
  save(snapshot: AlarmSnapshot): void;
}

export class FileAlarmStore implements AlarmStore {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, ALARM_FILE);
  }

  load(): AlarmLoad {
    let text: string;
    try {
      if (!existsSync(this.file)) return { ok: true, snapshot: null };
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      return { ok: false, reason: (e as Error).message, keptAs: null };
    }
    const parsed = parseAlarmFile(text);
    if (typeof parsed !== 'string') return { ok: true, snapshot: parsed };
    const keptAs = `${this.file}.unreadable`;
    try {
      renameSync(this.file, keptAs);
      return { ok: false, reason: parsed, keptAs };
    } catch {
      return { ok: false, reason: parsed, keptAs: null };
    }
  }

  save(snapshot: AlarmSnapshot): void {
    const tmp = `${this.file}.tmp`;
    const text = `${JSON.stringify(
      {
        format: FORMAT,
        version: VERSION,
        next: snapshot.next,
        active: snapshot.active,
        cleared: snapshot.cleared,
      },
      null,
      1,
    )}\n`;
    let fd: number | null = null;
    try {
      fd = openSync(tmp, 'w', 0o600);
      writeSync(fd, text);
      fsyncSync(fd);
      closeSync(fd);
      fd = null;
      renameSync(tmp, this.file);
    } catch (e) {
      if (fd !== null) closeSync(fd);
      try {
        rmSync(tmp, { force: true });
      } catch {
        // A directory in its place (cannot happen by our own doing): left alone.
      }
      throw e;
    }
    // The rename itself reaches the disk with the directory (best effort: not every platform allows it).
    try {
      const dir = openSync(dirname(this.file), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch {
      // ignored
    }
  }
}

/** The saved alarms, or why the text is not a valid alarm file. */
export function parseAlarmFile(text: string): AlarmSnapshot | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (!isObject(doc)) return 'not a JSON object';
  if (doc.format !== FORMAT) return `"format" is ${JSON.stringify(doc.format)}, expected "${FORMAT}"`;
  if (doc.version !== VERSION) return `"version" is ${JSON.stringify(doc.version)}, expected ${VERSION}`;
  if (typeof doc.next !== 'number' || !Number.isInteger(doc.next) || doc.next < 1) {
    return `"next" is ${JSON.stringify(doc.next)}, expected an integer >= 1`;
  }
  const lists: Record<'active' | 'cleared', AlarmView[]> = { active: [], cleared: [] };
  for (const key of ['active', 'cleared'] as const) {
    const list = doc[key];
    if (!Array.isArray(list)) return `"${key}" is not a list`;
    const ids = new Set<string>();
    for (const [i, item] of list.entries()) {
      const bad = alarmProblem(item, key === 'cleared');
      if (bad) return `${key}[${i}]: ${bad}`;
      const a = item as AlarmView;
      if (ids.has(a.id)) return `${key}[${i}]: alarm id ${a.id} appears twice`;
      ids.add(a.id);
      lists[key].push(a);
    }
  }
  return { next: doc.next, active: lists.active, cleared: lists.cleared };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const STRINGS = ['id', 'condition', 'eventId', 'app', 'text'] as const;
const NUMBERS = ['raisedAt', 'lastAt', 'count'] as const;
const NULLABLE_STRINGS = ['reaction', 'reactionState', 'clearOn'] as const;

function alarmProblem(v: unknown, cleared: boolean): string | null {
  if (!isObject(v)) return 'not an object';
  for (const k of STRINGS) if (typeof v[k] !== 'string' || v[k] === '') return `"${k}" is not a string`;
  for (const k of NUMBERS)
    if (typeof v[k] !== 'number' || !Number.isFinite(v[k])) return `"${k}" is not a number`;
  for (const k of NULLABLE_STRINGS) {
    if (v[k] !== null && typeof v[k] !== 'string') return `"${k}" is neither a string nor null`;
  }
  if (v.cancelAt !== null && (typeof v.cancelAt !== 'number' || !Number.isFinite(v.cancelAt))) {
    return '"cancelAt" is neither a number nor null';
  }
  if (!isObject(v.params)) return '"params" is not an object';
  if (cleared) {
    if (typeof v.clearedAt !== 'number') return '"clearedAt" is not a number';
    if (typeof v.clearedBy !== 'string') return '"clearedBy" is not a string';
  }
  return null;
}
