/**
 * Checks across objects: names that refer to other objects, options that only make sense together, and
 * ports that would clash at bind time. Only objects that parsed are checked in depth; a reference to an
 * object that exists in the file but failed to parse is not reported again (its own error says why).
 */
import type { Config, Scs } from './config.ts';
import type { ConfigErrors, Path } from './config-error.ts';
import type { RawNames } from './load.ts';
import { isUnset } from './section.ts';
import { suggest } from './suggest.ts';

type Parsed = Omit<Config, 'file' | 'scs'> & { scs: Scs | undefined };

export function crossCheck(env: Parsed, raw: RawNames, errors: ConfigErrors): void {
  checkHosts(env, raw, errors);
  checkPairs(env, raw, errors);
  checkServerOptions(env, raw, errors);
  checkDns(env, raw, errors);
  checkAlarms(env, raw, errors);
  checkPorts(env, errors);
}

function missing(name: string, what: string, names: Iterable<string>): string {
  const all = [...names];
  const close = suggest(name, all);
  const hint = close
    ? ` (did you mean "${close}"?)`
    : all.length > 0 && all.length <= 10
      ? ` (${what}s: ${all.join(', ')})`
      : '';
  return `"${name}" is not a${/^[aeiou]/.test(what) ? 'n' : ''} ${what} in this file${hint}`;
}

function checkHosts(env: Parsed, raw: RawNames, errors: ConfigErrors): void {
  for (const app of Object.values(env.applications)) {
    if (app.type === 'cti-client') continue; // a client runs anywhere: it names no host
    if (app.host !== undefined && !raw.hosts.has(app.host)) {
      errors.add(['applications', app.name, 'host'], app.host, missing(app.host, 'host', raw.hosts));
    }
  }
  if (env.scs && !raw.hosts.has(env.scs.host)) {
    errors.add(['scs', 'host'], env.scs.host, missing(env.scs.host, 'host', raw.hosts));
  }
}

function sipServerNames(raw: RawNames): string[] {
  return [...raw.applications].filter(([, t]) => t === 'sip-server').map(([n]) => n);
}

function scriptNames(raw: RawNames): string[] {
  return [...raw.applications].filter(([, t]) => t === 'script').map(([n]) => n);
}

/** Checks that `name` is an application of type `type`; false when it is not (error added). */
function checkAppRef(
  name: string,
  type: 'sip-server' | 'script',
  path: Path,
  raw: RawNames,
  errors: ConfigErrors,
): boolean {
  const candidates = type === 'script' ? scriptNames(raw) : sipServerNames(raw);
  if (!raw.applications.has(name)) {
    errors.add(path, name, missing(name, `${type} application`, candidates));
    return false;
  }
  const declared = raw.applications.get(name);
  if (declared !== undefined && declared !== type) {
    errors.add(path, name, `"${name}" is a ${declared} application, not a ${type} application`);
    return false;
  }
  return true;
}

function checkPairs(env: Parsed, raw: RawNames, errors: ConfigErrors): void {
  const memberOf = new Map<string, string>();
  for (const pair of Object.values(env.haPairs)) {
    for (const role of ['primary', 'backup'] as const) {
      const app = pair[role];
      const path: Path = ['ha-pairs', pair.name, role];
      checkAppRef(app, 'sip-server', path, raw, errors);
      const other = memberOf.get(app);
      if (other !== undefined && other !== pair.name) {
        errors.add(
          path,
          app,
          `"${app}" is already in the pair "${other}": a server belongs to one pair only`,
        );
      }
      memberOf.set(app, pair.name);
    }
    if (pair.primary === pair.backup) {
      errors.add(
        ['ha-pairs', pair.name, 'backup'],
        pair.backup,
        'the backup must be another server than the primary',
      );
    }
  }
}

function checkServerOptions(env: Parsed, raw: RawNames, errors: ConfigErrors): void {
  for (const app of Object.values(env.applications)) {
    if (app.type !== 'sip-server') continue;
    const t = app.options.tserver;
    const at = (option: string): Path => ['applications', app.name, 'options', 'TServer', option];
    for (const [option, value] of [
      ['sip-vip-script-up', t.sipVipScriptUp],
      ['sip-vip-script-down', t.sipVipScriptDown],
    ] as const) {
      if (value !== undefined) checkAppRef(value, 'script', at(option), raw, errors);
      else if (t.controlVipScripts) {
        errors.add(
          at(option),
          undefined,
          'is required when control-vip-scripts is true: the name of a script application',
        );
      }
    }
    if (t.sipNicMonitoring && t.sipNicAddress === undefined) {
      errors.add(
        at('sip-nic-address'),
        undefined,
        'is required when sip-nic-monitoring is true: the SIP NIC address',
      );
    }
    if (t.sipIptakeoverMonitoring && t.sipAddress === undefined) {
      errors.add(
        at('sip-address'),
        undefined,
        'is required when sip-iptakeover-monitoring is true: the Virtual IP',
      );
    }
    const sync = app.options.backupSync;
    if (sync.protocol === 'addp' && sync.addpTimeout === 0) {
      errors.add(
        ['applications', app.name, 'options', 'backup-sync', 'addp-timeout'],
        0,
        '0 turns ADDP polling off, but protocol is addp: set a timeout above 0, or protocol: default',
      );
    }
  }
}

function checkDns(env: Parsed, raw: RawNames, errors: ConfigErrors): void {
  for (const dn of Object.values(env.dns)) {
    const at = (option: string): Path => ['dns', dn.number, 'options', option];
    const o = dn.options;
    if (o.defaultDn !== undefined && !raw.dns.has(o.defaultDn)) {
      errors.add(at('default-dn'), o.defaultDn, missing(o.defaultDn, 'DN', raw.dns));
    }
    if ((dn.type === 'Trunk' || dn.type === 'Voice over IP Service') && o.contact === undefined) {
      errors.add(at('contact'), undefined, `is required on a ${dn.type} DN: host, host:port or a sip: URI`);
    }
    if (dn.type === 'Voice over IP Service') {
      if (o.serviceType === undefined) {
        errors.add(
          at('service-type'),
          undefined,
          'is required on a Voice over IP Service DN: softswitch, msml, sip-cluster-nodes',
        );
      } else if (o.serviceType !== 'sip-cluster-nodes') {
        // Seed 000: on a DN these two options belong to the VOIP Service DN with service-type=sip-cluster-nodes.
        const rawOptions = raw.dnOptions.get(dn.number) ?? {};
        for (const option of ['switchover-on-trunks-oos', 'switchover-on-msml-oos']) {
          if (!isUnset(rawOptions[option])) {
            errors.add(
              at(option),
              rawOptions[option],
              `applies only to a Voice over IP Service DN with service-type=sip-cluster-nodes (this one is ${o.serviceType})`,
            );
          }
        }
      }
    }
  }
}

function checkAlarms(env: Parsed, raw: RawNames, errors: ConfigErrors): void {
  const seen = new Map<string, number>();
  env.alarms.forEach((alarm, i) => {
    const first = seen.get(alarm.name);
    if (first !== undefined) {
      errors.add(
        ['alarms', i, 'name'],
        alarm.name,
        `"${alarm.name}" is already the name of alarms[${first}]`,
      );
    } else {
      seen.set(alarm.name, i);
    }
    if (alarm.app !== undefined && !raw.applications.has(alarm.app)) {
      errors.add(['alarms', i, 'app'], alarm.app, missing(alarm.app, 'application', raw.applications.keys()));
    }
    if (alarm.reaction?.kind === 'script') {
      checkAppRef(alarm.reaction.script, 'script', ['alarms', i, 'reaction'], raw, errors);
    }
  });
}

interface PortUse {
  port: number;
  path: Path;
  /** For a sip-port: the pair the server belongs to, if any (two servers of one pair may share it). */
  sipPair?: string | undefined;
}

/**
 * Ports are grouped by host address (two host names with the same address share ports). The one allowed
 * overlap is seed 001's single-host pair: its two servers use the same sip-port, since only the primary
 * opens it.
 */
function checkPorts(env: Parsed, errors: ConfigErrors): void {
  const pairOf = new Map<string, string>();
  for (const pair of Object.values(env.haPairs)) {
    pairOf.set(pair.primary, pair.name);
    pairOf.set(pair.backup, pair.name);
  }
  const byAddress = new Map<string, PortUse[]>();
  const use = (hostName: string | undefined, u: PortUse): void => {
    const host = hostName === undefined ? undefined : env.hosts[hostName];
    if (!host) return;
    const list = byAddress.get(host.address) ?? [];
    list.push(u);
    byAddress.set(host.address, list);
  };
  for (const host of Object.values(env.hosts))
    use(host.name, { port: host.lcaPort, path: ['hosts', host.name, 'lca-port'] });
  if (env.scs) use(env.scs.host, { port: env.scs.port, path: ['scs', 'port'] });
  for (const app of Object.values(env.applications)) {
    if (app.type !== 'sip-server') continue;
    const t = app.options.tserver;
    const at = (option: string): Path => ['applications', app.name, 'options', 'TServer', option];
    use(app.host, { port: t.sipPort, path: at('sip-port'), sipPair: pairOf.get(app.name) });
    use(app.host, { port: t.httpPort, path: at('http-port') });
    use(app.host, { port: t.haPort, path: at('ha-port') });
    use(app.host, { port: t.ctiPort, path: at('cti-port') });
    if (t.ctiWsPort !== 0) use(app.host, { port: t.ctiWsPort, path: at('cti-ws-port') });
  }
  for (const [address, uses] of byAddress) {
    const first = new Map<number, PortUse>();
    for (const u of uses) {
      const earlier = first.get(u.port);
      if (!earlier) {
        first.set(u.port, u);
        continue;
      }
      const sharedSip = u.sipPair !== undefined && earlier.sipPair === u.sipPair;
      if (sharedSip) continue;
      const name = (p: Path) => p.join('.');
      errors.add(u.path, u.port, `port ${u.port} on ${address} is already used by ${name(earlier.path)}`);
    }
  }
}
