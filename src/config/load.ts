/**
 * Reads and validates the environment file (SPEC S9). Every error is collected, so one run of
 * `duet config check` lists them all. Each object is parsed on its own: a broken application does not
 * hide the errors of the next one, and references to it are not reported a second time as missing.
 */
import type { Application, Config, Dn, HaPair, Host, Scs } from './config.ts';
import { type ConfigError, ConfigErrors, type Locate, type Path } from './config-error.ts';
import { crossCheck } from './cross-checks.ts';
import { type DnType, dnTypes } from './option.ts';
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
import { isMapping, isUnset, parseSection } from './section.ts';
import { showValue } from './show-value.ts';
import { suggest } from './suggest.ts';
import { readYaml } from './yaml-source.ts';

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

/** The top-level keys of the file. */
export const topLevelKeys = ['hosts', 'applications', 'ha-pairs', 'scs', 'dns', 'agents', 'alarms'] as const;
export const applicationTypes = ['sip-server', 'script', 'cti-client'] as const;
export const serverSections = ['TServer', 'backup-sync', 'log'] as const;

/** Parses YAML text; `fileName` is only used in messages. */
export function loadConfig(text: string, fileName: string): LoadResult {
  const src = readYaml(text);
  const errors = new ConfigErrors(fileName, src.locate);
  if (src.syntaxErrors.length > 0) {
    for (const e of src.syntaxErrors) errors.addAt(e.line, e.column, e.message);
    return { ok: false, errors: errors.sorted() };
  }
  return validate(src.data, fileName, src.locate);
}

/** Validates a configuration already read into JS values (tests, tools that build one in code). */
export function validateConfig(data: unknown, fileName: string): LoadResult {
  return validate(data, fileName, () => undefined);
}

/** What the cross-reference checks need to know about the raw file besides the objects that parsed. */
export interface RawNames {
  hosts: Set<string>;
  /** Application name -> its declared type (undefined when the type itself was invalid). */
  applications: Map<string, string | undefined>;
  dns: Set<string>;
  /** The raw options of each DN, to tell "set to false" from "not set". */
  dnOptions: Map<string, Record<string, unknown>>;
}

function validate(data: unknown, fileName: string, locate: Locate): LoadResult {
  const errors = new ConfigErrors(fileName, locate);
  if (!isMapping(data)) {
    errors.add([], data, `the file must be a mapping with the keys ${topLevelKeys.join(', ')}`);
    return { ok: false, errors: errors.sorted() };
  }
  for (const key of Object.keys(data)) {
    if (!(topLevelKeys as readonly string[]).includes(key)) {
      const close = suggest(key, topLevelKeys);
      errors.add(
        [key],
        data[key],
        `unknown top-level key${close ? ` (did you mean "${close}"?)` : ''}`,
        true,
      );
    }
  }

  const raw: RawNames = { hosts: new Set(), applications: new Map(), dns: new Set(), dnOptions: new Map() };

  const hosts: Record<string, Host> = {};
  for (const [name, value] of entries(
    data,
    'hosts',
    errors,
    'a mapping of host name to { address, lca-port }',
  )) {
    raw.hosts.add(name);
    const v = parseSection(hostFields, value, ['hosts', name], errors, { noun: 'field' });
    if (v) hosts[name] = { name, ...v };
  }

  const applications: Record<string, Application> = {};
  for (const [name, value] of entries(
    data,
    'applications',
    errors,
    'a mapping of application name to its definition',
  )) {
    const app = parseApplication(name, value, errors);
    raw.applications.set(name, app.declaredType);
    if (app.parsed) applications[name] = app.parsed;
  }

  const haPairs: Record<string, HaPair> = {};
  for (const [name, value] of entries(
    data,
    'ha-pairs',
    errors,
    'a mapping of pair name to { primary, backup }',
    false,
  )) {
    const v = parseSection(haPairFields, value, ['ha-pairs', name], errors, { noun: 'field' });
    if (v) haPairs[name] = { name, ...v };
  }

  let scs: Scs | undefined;
  if (isUnset(data.scs) && Object.keys(haPairs).length > 0) {
    errors.add(
      ['scs'],
      undefined,
      'is required with ha-pairs: { host, port, token, link-secret } of the Solution Control Server',
    );
  } else if (isUnset(data.scs)) {
    // A standalone server (`duet server`, no pair) has no management layer; the SCS fields keep defaults.
    scs = parseSection(scsFields, { host: Object.keys(hosts)[0] ?? 'localhost' }, ['scs'], errors, {
      noun: 'field',
    });
  } else {
    scs = parseSection(scsFields, data.scs, ['scs'], errors, { noun: 'field' });
  }

  const dns: Record<string, Dn> = {};
  for (const [number, value] of entries(
    data,
    'dns',
    errors,
    'a mapping of DN number to { type, options }',
    false,
  )) {
    raw.dns.add(number);
    const path: Path = ['dns', number];
    const head = parseSection(dnFields, value, path, errors, { noun: 'field', extraKeys: ['options'] });
    const rawOptions = isMapping(value) ? value.options : undefined;
    if (isMapping(rawOptions)) raw.dnOptions.set(number, rawOptions);
    const dnType = head?.type ?? declaredDnType(value);
    const options = parseSection(dnOptions, rawOptions, [...path, 'options'], errors, {
      noun: 'option',
      ...(dnType ? { dnType } : {}),
    });
    if (head && options) dns[number] = { number, type: head.type, options };
  }

  const agents: Config['agents'] = {};
  for (const [loginId, value] of entries(
    data,
    'agents',
    errors,
    'a mapping of login id to { password, name }',
    false,
  )) {
    const v = parseSection(agentFields, value, ['agents', loginId], errors, { noun: 'field' });
    if (v) agents[loginId] = { loginId, ...v };
  }

  const alarms: Config['alarms'] = [];
  if (!isUnset(data.alarms)) {
    if (!Array.isArray(data.alarms)) {
      errors.add(
        ['alarms'],
        data.alarms,
        `${showValue(data.alarms)} is not a list of alarm conditions ("- name: ...")`,
      );
    } else {
      data.alarms.forEach((value, i) => {
        const v = parseSection(alarmFields, value, ['alarms', i], errors, { noun: 'field' });
        if (v) alarms.push(v);
      });
    }
  }

  crossCheck({ hosts, applications, haPairs, scs, dns, agents, alarms }, raw, errors);

  if (errors.size > 0 || !scs) return { ok: false, errors: errors.sorted() };
  return { ok: true, config: { file: fileName, hosts, applications, haPairs, scs, dns, agents, alarms } };
}

function declaredDnType(value: unknown): DnType | undefined {
  const t = isMapping(value) ? value.type : undefined;
  return (dnTypes as readonly unknown[]).includes(t) ? (t as DnType) : undefined;
}

function entries(
  data: Record<string, unknown>,
  key: string,
  errors: ConfigErrors,
  what: string,
  required = true,
): [string, unknown][] {
  const value = data[key];
  if (isUnset(value)) {
    if (required) errors.add([key], undefined, `is required: ${what}`);
    return [];
  }
  if (!isMapping(value)) {
    errors.add([key], value, `${showValue(value)} is not ${what}`);
    return [];
  }
  return Object.entries(value);
}

function parseApplication(
  name: string,
  value: unknown,
  errors: ConfigErrors,
): { declaredType: string | undefined; parsed: Application | undefined } {
  const path: Path = ['applications', name];
  if (!isMapping(value)) {
    errors.add(
      path,
      value,
      `${showValue(value)} is not a mapping: write "type: sip-server", "type: script" or "type: cti-client" below it`,
    );
    return { declaredType: undefined, parsed: undefined };
  }
  const type = value.type;
  if (type === 'sip-server') {
    const head = parseSection(sipServerFields, value, path, errors, {
      noun: 'field',
      extraKeys: ['type', 'options'],
    });
    const opts = isUnset(value.options) ? {} : value.options;
    const optionsPath: Path = [...path, 'options'];
    if (!isMapping(opts)) {
      errors.add(
        optionsPath,
        opts,
        `${showValue(opts)} is not a mapping of the sections ${serverSections.join(', ')}`,
      );
      return { declaredType: type, parsed: undefined };
    }
    for (const key of Object.keys(opts)) {
      if (!(serverSections as readonly string[]).includes(key)) {
        const close = suggest(key, serverSections);
        errors.add(
          [...optionsPath, key],
          opts[key],
          `unknown section${close ? ` (did you mean "${close}"?)` : ''}`,
          true,
        );
      }
    }
    const tserver = parseSection(tserverOptions, opts.TServer, [...optionsPath, 'TServer'], errors, {
      noun: 'option',
    });
    const backupSync = parseSection(
      backupSyncOptions,
      opts['backup-sync'],
      [...optionsPath, 'backup-sync'],
      errors,
      {
        noun: 'option',
      },
    );
    const log = parseSection(logOptions, opts.log, [...optionsPath, 'log'], errors, { noun: 'option' });
    if (!head || !tserver || !backupSync || !log) return { declaredType: type, parsed: undefined };
    return { declaredType: type, parsed: { name, type, ...head, options: { tserver, backupSync, log } } };
  }
  if (type === 'script') {
    const v = parseSection(scriptFields, value, path, errors, { noun: 'field', extraKeys: ['type'] });
    return { declaredType: type, parsed: v ? { name, type, ...v } : undefined };
  }
  if (type === 'cti-client') {
    const v = parseSection(ctiClientFields, value, path, errors, { noun: 'field', extraKeys: ['type'] });
    return { declaredType: type, parsed: v ? { name, type, ...v } : undefined };
  }
  if (isUnset(type)) {
    errors.add([...path, 'type'], undefined, `is required: ${applicationTypes.join(' or ')}`);
  } else {
    const close = typeof type === 'string' ? suggest(type, applicationTypes) : undefined;
    errors.add(
      [...path, 'type'],
      type,
      `${showValue(type)} is not one of: ${applicationTypes.join(', ')}${close ? ` (did you mean "${close}"?)` : ''}`,
    );
  }
  return { declaredType: undefined, parsed: undefined };
}
