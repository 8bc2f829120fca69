/** The configuration layer (SPEC S9): schema, loader, reload rules, docs. */
export type {
  Agent,
  AlarmCondition,
  Application,
  BackupSyncOptions,
  Config,
  Dn,
  DnOptions,
  HaPair,
  Host,
  LogOptions,
  ScriptApp,
  Scs,
  SipServerApp,
  TServerOptions,
} from './config.ts';
export { type ConfigError, formatConfigError } from './config-error.ts';
export { type Change, type ConfigDiff, diffConfig } from './diff.ts';
export { defaultText, renderConfigDocs } from './docs.ts';
export { type LoadResult, loadConfig, validateConfig } from './load.ts';
export { camelCase, type DnType, dnTypes, type OptionSpec, type Registry } from './option.ts';
export type { AlarmReaction } from './option-type.ts';
export { logVerbosities } from './options/log.ts';
export {
  defaultOverflowCodes,
  matchesOverflowCodes,
  type OverflowCodes,
  parseOverflowCodes,
} from './overflow-codes.ts';
export { pairOf, sipServers } from './queries.ts';
export { type Section, sections } from './sections.ts';
export { type TakesEffect, takeEffectRules } from './take-effect.ts';
