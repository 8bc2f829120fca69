/** Small lookups every process needs on a loaded config, written once. */
import type { Config, HaPair, SipServerApp } from './config.ts';

export function sipServers(config: Config): SipServerApp[] {
  return Object.values(config.applications).filter((a): a is SipServerApp => a.type === 'sip-server');
}

/** The pair a server belongs to, and its peer in it. */
export function pairOf(config: Config, app: string): { pair: HaPair; peer: string } | undefined {
  for (const pair of Object.values(config.haPairs)) {
    if (pair.primary === app) return { pair, peer: pair.backup };
    if (pair.backup === app) return { pair, peer: pair.primary };
  }
  return undefined;
}
