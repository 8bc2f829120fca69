/**
 * A small valid environment for config tests, as plain data: a test changes what it needs and loads the
 * YAML text of the result, so each test reads as "this one change gives this error".
 */
import { stringify } from 'yaml';
import { type LoadResult, loadConfig } from '../../src/config/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests poke at arbitrary paths of the raw document.
export type Raw = any;

export function baseEnvironment(): Raw {
  return {
    hosts: {
      h1: { address: '10.0.0.1' },
      h2: { address: '10.0.0.2', 'lca-port': 4998 },
    },
    applications: {
      SIP_A: { type: 'sip-server', host: 'h1', options: { TServer: {}, 'backup-sync': {}, log: {} } },
      SIP_B: { type: 'sip-server', host: 'h2', options: { TServer: {} } },
      VIP_UP: {
        type: 'script',
        host: 'h1',
        command: '/usr/sbin/ip',
        args: ['addr', 'add', '10.0.0.9/24', 'dev', 'eth0'],
      },
      VIP_DOWN: {
        type: 'script',
        command: '/usr/sbin/ip',
        args: ['addr', 'del', '10.0.0.9/24', 'dev', 'eth0'],
      },
    },
    'ha-pairs': { PAIR: { primary: 'SIP_A', backup: 'SIP_B' } },
    scs: { host: 'h1' },
    dns: {
      '1001': { type: 'Extension', options: { password: 'pw' } },
      '5000': { type: 'Routing Point', options: { 'default-dn': '1001' } },
      '9001': { type: 'Trunk', options: { prefix: '9', contact: '10.0.0.50:5060', 'oos-check': 10 } },
      '7001': {
        type: 'Voice over IP Service',
        options: { 'service-type': 'msml', contact: 'sip:ms@10.0.0.60' },
      },
    },
    agents: { a1: { password: 'x' } },
    alarms: [{ name: 'listener', 'event-id': '00-04200', app: 'SIP_A', reaction: 'switchover' }],
  };
}

export function load(raw: Raw, file = 'test.yaml'): LoadResult {
  return loadConfig(stringify(raw), file);
}

export function tserver(raw: Raw, app = 'SIP_A'): Record<string, unknown> {
  return raw.applications[app].options.TServer;
}

/** The error messages of a load that must fail. */
export function messages(result: LoadResult): string[] {
  if (result.ok) throw new Error('expected the configuration to be refused, but it loaded');
  return result.errors.map((e) => e.message);
}
