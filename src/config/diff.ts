/**
 * What a reload (SIGHUP, `duet config reload`) changes, sorted by when each change takes effect (SPEC S9):
 * options by their registry's rule; whole objects added or removed by what they are (a new DN or agent can
 * be used at once; a new host, application or pair needs the processes restarted).
 */
import type { Config } from './config.ts';
import { camelCase, type Registry } from './option.ts';
import { backupSyncOptions } from './options/backup-sync.ts';
import { dnOptions } from './options/dn.ts';
import {
  agentFields,
  alarmFields,
  ctiClientFields,
  dnFields,
  haPairFields,
  hostFields,
  scriptFields,
  scsFields,
  sipServerFields,
} from './options/environment.ts';
import { logOptions } from './options/log.ts';
import { tserverOptions } from './options/tserver.ts';
import type { TakesEffect } from './take-effect.ts';

export interface Change {
  /** Dotted path as in the file: `applications.SIP_A.options.TServer.sip-pass-check`, or `dns.1005`. */
  path: string;
  /** undefined when the option or object is new. */
  from: unknown;
  /** undefined when the option or object was removed. */
  to: unknown;
  takesEffect: TakesEffect;
}

export interface ConfigDiff {
  /** Immediately. */
  applied: Change[];
  /** After restart: reported as pending until the process restarts. */
  pendingRestart: Change[];
  /** When the HA connection is (next) established. */
  onHaConnection: Change[];
  /** For the next call: calls in progress keep the old value. */
  nextCall: Change[];
}

export function diffConfig(old: Config, next: Config): ConfigDiff {
  const changes: Change[] = [];
  const add = (path: string, from: unknown, to: unknown, takesEffect: TakesEffect): void => {
    changes.push({ path, from, to, takesEffect });
  };
  const fields = (registry: Registry, base: string, a: object, b: object): void => {
    for (const [name, spec] of Object.entries(registry)) {
      const key = camelCase(name);
      const x = (a as Record<string, unknown>)[key];
      const y = (b as Record<string, unknown>)[key];
      if (!sameValue(x, y)) add(`${base}.${name}`, x, y, spec.takesEffect);
    }
  };
  const objects = <T extends object>(
    base: string,
    a: Record<string, T>,
    b: Record<string, T>,
    addedOrRemoved: TakesEffect,
    compare: (path: string, x: T, y: T) => void,
  ): void => {
    for (const [name, x] of Object.entries(a)) {
      const y = b[name];
      if (y === undefined) add(`${base}.${name}`, x, undefined, addedOrRemoved);
      else compare(`${base}.${name}`, x, y);
    }
    for (const [name, y] of Object.entries(b)) {
      if (!(name in a)) add(`${base}.${name}`, undefined, y, addedOrRemoved);
    }
  };

  objects('hosts', old.hosts, next.hosts, 'After restart', (p, x, y) => fields(hostFields, p, x, y));
  objects('applications', old.applications, next.applications, 'After restart', (p, x, y) => {
    if (x.type !== y.type) {
      add(`${p}.type`, x.type, y.type, 'After restart');
    } else if (x.type === 'sip-server' && y.type === 'sip-server') {
      fields(sipServerFields, p, x, y);
      fields(tserverOptions, `${p}.options.TServer`, x.options.tserver, y.options.tserver);
      fields(backupSyncOptions, `${p}.options.backup-sync`, x.options.backupSync, y.options.backupSync);
      fields(logOptions, `${p}.options.log`, x.options.log, y.options.log);
    } else if (x.type === 'script' && y.type === 'script') {
      fields(scriptFields, p, x, y);
    } else if (x.type === 'cti-client' && y.type === 'cti-client') {
      fields(ctiClientFields, p, x, y);
    }
  });
  objects('ha-pairs', old.haPairs, next.haPairs, 'After restart', (p, x, y) => fields(haPairFields, p, x, y));
  fields(scsFields, 'scs', old.scs, next.scs);
  objects('dns', old.dns, next.dns, 'Immediately', (p, x, y) => {
    fields(dnFields, p, x, y);
    fields(dnOptions, `${p}.options`, x.options, y.options);
  });
  objects('agents', old.agents, next.agents, 'Immediately', (p, x, y) => fields(agentFields, p, x, y));
  const byName = (list: Config['alarms']) => Object.fromEntries(list.map((a) => [a.name, a]));
  objects('alarms', byName(old.alarms), byName(next.alarms), 'Immediately', (p, x, y) =>
    fields(alarmFields, p, x, y),
  );

  const pick = (rule: TakesEffect) => changes.filter((c) => c.takesEffect === rule);
  return {
    applied: pick('Immediately'),
    pendingRestart: pick('After restart'),
    onHaConnection: pick('When the HA connection is established'),
    nextCall: pick('For the next call'),
  };
}

/** Structural equality of config values (plain strings, numbers, booleans, arrays and records). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
