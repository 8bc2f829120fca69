/**
 * The environment of the HA world: hosts A and B (one SIP Server each, and an LCA each), host S for the SCS
 * (with its own LCA, as every host of a real deployment has), one hot-standby pair whose sip-address is the
 * Virtual IP, and the phones' Extension DNs.
 */
import type { Config } from '../../../src/config/config.ts';
import { loadConfig } from '../../../src/config/load.ts';

export const HOST_A = '192.0.2.1';
export const HOST_B = '192.0.2.2';
export const HOST_S = '192.0.2.3';
export const VIP = '192.0.2.100';
export const SECRET = 'simulated-world-secret-0123456789';

export function phoneDn(i: number): string {
  return String(1001 + i);
}

export function phoneAddress(i: number): string {
  return `192.0.2.${11 + i}`;
}

export function worldConfig(phones: number): Config {
  const dns = Array.from({ length: phones }, (_, i) => `  "${phoneDn(i)}": { type: Extension }`).join('\n');
  const server = (host: string) => `
    type: sip-server
    host: ${host}
    options:
      TServer: { sip-address: ${VIP}, sip-port: 5060, http-port: 8080, ha-port: 7001, ha-max-calls-sync-at-once: 500, no-answer-timeout: 30 }
      backup-sync: { protocol: addp, addp-timeout: 0.5, addp-remote-timeout: 0.5 }
      log: { verbose: standard }`;
  const text = `
hosts:
  A: { address: ${HOST_A} }
  B: { address: ${HOST_B} }
  S: { address: ${HOST_S} }
applications:
  SIP_A:${server('A')}
  SIP_B:${server('B')}
ha-pairs:
  PAIR: { primary: SIP_A, backup: SIP_B, redundancy-type: hot-standby }
scs: { host: S, link-secret: ${SECRET} }
dns:
${dns}
`;
  const r = loadConfig(text, 'world.yaml');
  if (!r.ok) throw new Error(`world config refused: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.config;
}
