/**
 * The typed configuration that loadConfig returns: defaults filled, option names in camelCase (DESIGN §3),
 * every type derived from the option registries so that adding an option to a registry adds it here.
 */
import type { DnType, ValuesOf } from './option.ts';
import type { backupSyncOptions } from './options/backup-sync.ts';
import type { dnOptions } from './options/dn.ts';
import type {
  agentFields,
  alarmFields,
  ctiClientFields,
  haPairFields,
  hostFields,
  scriptFields,
  scsFields,
  sipServerFields,
} from './options/environment.ts';
import type { logOptions } from './options/log.ts';
import type { tserverOptions } from './options/tserver.ts';

export type TServerOptions = ValuesOf<typeof tserverOptions>;
export type BackupSyncOptions = ValuesOf<typeof backupSyncOptions>;
export type LogOptions = ValuesOf<typeof logOptions>;
export type DnOptions = ValuesOf<typeof dnOptions>;

export type Host = { name: string } & ValuesOf<typeof hostFields>;

export type SipServerApp = {
  name: string;
  type: 'sip-server';
  options: { tserver: TServerOptions; backupSync: BackupSyncOptions; log: LogOptions };
} & ValuesOf<typeof sipServerFields>;

export type ScriptApp = { name: string; type: 'script' } & ValuesOf<typeof scriptFields>;

/** A CTI client application (SPEC S3): a name and password that T-Library-style clients register with. */
export type CtiClientApp = { name: string; type: 'cti-client' } & ValuesOf<typeof ctiClientFields>;

export type Application = SipServerApp | ScriptApp | CtiClientApp;

export type HaPair = { name: string } & ValuesOf<typeof haPairFields>;

export type Scs = ValuesOf<typeof scsFields>;

export type Dn = { number: string; type: DnType; options: DnOptions };

export type Agent = { loginId: string } & ValuesOf<typeof agentFields>;

export type AlarmCondition = ValuesOf<typeof alarmFields>;

export interface Config {
  /** The file it was read from, as given to loadConfig. */
  file: string;
  hosts: Record<string, Host>;
  applications: Record<string, Application>;
  haPairs: Record<string, HaPair>;
  scs: Scs;
  dns: Record<string, Dn>;
  agents: Record<string, Agent>;
  alarms: AlarmCondition[];
}
