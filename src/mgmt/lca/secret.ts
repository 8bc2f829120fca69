/**
 * The shared secret of the management and HA links (SPEC S8.4), chosen in one place so that every process
 * (LCA, SCS, servers) agrees and the rule can be tightened once.
 */
import type { Config } from '../../config/config.ts';

/**
 * Used when the file has no `scs.link-secret`. Anyone who reads this source knows it, so it only keeps
 * processes of different deployments apart; it is NOT authentication. Its use is logged (10-61010).
 */
export const INSECURE_DEFAULT_SECRET = 'duet-insecure-default';

export function linkSecretOf(config: Config): { secret: string; insecure: boolean } {
  const configured = config.scs.linkSecret;
  return configured === undefined
    ? { secret: INSECURE_DEFAULT_SECRET, insecure: true }
    : { secret: configured, insecure: false };
}
