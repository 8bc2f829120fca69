/**
 * Every registry with where it sits in the file: the table of contents of docs/configuration.md, and the
 * map diffConfig walks.
 */
import type { Registry } from './option.ts';
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

export interface Section {
  /** The section's name: the seeds' for server options (TServer, backup-sync, log). */
  readonly id: string;
  /** Where in the file, e.g. `applications.NAME.options.TServer`. */
  readonly where: string;
  readonly about: string;
  readonly options: Registry;
}

export const sections: readonly Section[] = [
  {
    id: 'hosts',
    where: 'hosts.NAME',
    about: 'A machine. Each runs one LCA; servers and the SCS name the host they run on.',
    options: hostFields,
  },
  {
    id: 'sip-server',
    where: 'applications.NAME (type: sip-server)',
    about: 'A SIP Server application: one server of a pair. Its options are in the three sections below.',
    options: sipServerFields,
  },
  {
    id: 'TServer',
    where: 'applications.NAME.options.TServer',
    about: "The SIP Server's options: the seeds' HA options, then the SPEC's ports and limits.",
    options: tserverOptions,
  },
  {
    id: 'backup-sync',
    where: 'applications.NAME.options.backup-sync',
    about: 'The HA link to the other server of the pair.',
    options: backupSyncOptions,
  },
  {
    id: 'log',
    where: 'applications.NAME.options.log',
    about: 'Logging: JSON lines with stable event IDs.',
    options: logOptions,
  },
  {
    id: 'script',
    where: 'applications.NAME (type: script)',
    about: 'A script an LCA may run: Virtual IP up/down, alarm reactions. LCAs run nothing else.',
    options: scriptFields,
  },
  {
    id: 'cti-client',
    where: 'applications.NAME (type: cti-client)',
    about: 'A CTI client application (agent desktop, router): the name and password it registers with.',
    options: ctiClientFields,
  },
  {
    id: 'ha-pairs',
    where: 'ha-pairs.NAME',
    about: 'A primary/backup pair of SIP Server applications.',
    options: haPairFields,
  },
  {
    id: 'scs',
    where: 'scs',
    about: 'The Solution Control Server: management API, status page, switchover and alarm logic.',
    options: scsFields,
  },
  {
    id: 'dns',
    where: 'dns.NUMBER',
    about: "The switch's DNs, keyed by number.",
    options: dnFields,
  },
  {
    id: 'dn-options',
    where: 'dns.NUMBER.options',
    about: 'Options of a DN; each applies to the DN types listed.',
    options: dnOptions,
  },
  {
    id: 'agents',
    where: 'agents.LOGIN_ID',
    about: 'Agent logins, keyed by login id.',
    options: agentFields,
  },
  {
    id: 'alarms',
    where: 'alarms[] (a list)',
    about: 'Alarm conditions, evaluated by the SCS: a log event raises the alarm, a reaction may run.',
    options: alarmFields,
  },
];
