/**
 * The fields of the environment's objects other than server options: hosts, applications, HA pairs, the
 * SCS, DNs, agents and alarm conditions. They have metadata like options, so the docs and reload
 * classification treat every line of the file alike.
 */

import { dnTypes, type Registry } from '../option.ts';
import { address, alarmReaction, eventId, number, oneOf, port, text, textList } from '../option-type.ts';

export const hostFields = {
  address: {
    type: address(),
    required: true,
    takesEffect: 'After restart',
    source: 'SPEC S1',
    description:
      "The host's address: where its LCA and its servers' ports are reached, and the T-Library NIC " +
      'monitored by tlib-nic-monitoring.',
  },
  'lca-port': {
    type: port(),
    default: 4999,
    takesEffect: 'After restart',
    source: 'SPEC S1',
    description: "The port of the host's Local Control Agent (LCA).",
  },
} as const satisfies Registry;

export const sipServerFields = {
  host: {
    type: text('the name of a host'),
    required: true,
    takesEffect: 'After restart',
    source: 'SPEC S1',
    description: 'The host the server runs on (a key of hosts).',
  },
} as const satisfies Registry;

export const scriptFields = {
  host: {
    type: text('the name of a host'),
    defaultText: 'NULL (the host of the server that asks for it)',
    takesEffect: 'Immediately',
    source: 'SPEC S6.1',
    description:
      "The host whose LCA runs the script. When unset, the requesting server's host (a Virtual IP script " +
      'runs where the address moves to or from).',
  },
  command: {
    type: text('an executable path or name'),
    required: true,
    takesEffect: 'Immediately',
    source: 'SPEC S6.1',
    description:
      'The program the LCA runs (no shell: arguments are passed as they are). LCAs run only the scripts ' +
      'configured here.',
  },
  args: {
    type: textList('a list of arguments'),
    default: [] as string[],
    defaultText: '[]',
    takesEffect: 'Immediately',
    source: 'SPEC S6.1',
    description: 'The arguments, e.g. [addr, add, 192.0.2.10/24, dev, eth0].',
  },
  timeout: {
    type: number({ min: 1, max: 3600 }),
    default: 30,
    takesEffect: 'Immediately',
    source: 'Duet',
    description:
      'Seconds after which a script still running is killed and counted as failed, so that a hung script ' +
      'cannot block the next switchover. 30 s is far above what adding an address and sending a gratuitous ' +
      'ARP takes.',
  },
} as const satisfies Registry;

export const ctiClientFields = {
  password: {
    type: text('any text'),
    defaultText: 'NULL (no password)',
    takesEffect: 'Immediately',
    source: 'SPEC S3, S8.4',
    description:
      'The password a CTI client (agent desktop, router) of this name presents in RequestRegisterClient. ' +
      "When unset, the server's TServer password applies if that is set, else none is asked. Checked when a " +
      'client connects; clients already connected stay connected.',
  },
} as const satisfies Registry;

export const haPairFields = {
  primary: {
    type: text('the name of a sip-server application'),
    required: true,
    takesEffect: 'After restart',
    source: 'SPEC S4.1',
    description: 'The server that starts as primary.',
  },
  backup: {
    type: text('the name of a sip-server application'),
    required: true,
    takesEffect: 'After restart',
    source: 'SPEC S4.1',
    description: 'The server that starts as backup.',
  },
  'redundancy-type': {
    type: oneOf(['hot-standby', 'warm-standby']),
    default: 'hot-standby',
    takesEffect: 'After restart',
    source: 'seed 003',
    description:
      'hot-standby: the backup holds a synchronized copy of calls, registrations, device states, ' +
      'subscriptions and agent states, and calls survive a switchover. warm-standby: the backup is ' +
      'initialized and ready but nothing is synchronized; calls are lost, registrations come back from the ' +
      'persistent store.',
  },
} as const satisfies Registry;

export const scsFields = {
  host: {
    type: text('the name of a host'),
    required: true,
    takesEffect: 'After restart',
    source: 'SPEC S1',
    description: 'The host the Solution Control Server runs on.',
  },
  port: {
    type: port(),
    default: 4900,
    takesEffect: 'After restart',
    source: 'SPEC S7',
    description: 'The HTTP port of the management API and the status page.',
  },
  token: {
    type: text('any text of at least 16 characters', /^.{16,}$/),
    defaultText: 'NULL (state-changing requests refused)',
    takesEffect: 'Immediately',
    source: 'SPEC S8.4',
    description:
      'The bearer token required by every state-changing management request (switchover, clearing an ' +
      'alarm). Without one, the API and the status page are read-only. At least 16 characters so that it ' +
      'cannot be guessed.',
  },
  'link-secret': {
    type: text('any text of at least 16 characters', /^.{16,}$/),
    defaultText: 'NULL (a secret is generated per run: one-host deployments only)',
    takesEffect: 'After restart',
    source: 'SPEC S4.2, S8.4',
    description:
      'The shared secret that authenticates the HA link, LCA and SCS links (HMAC challenge). Set it whenever ' +
      'the processes run on more than one host; on one host `duet up` can hand its children a fresh one.',
  },
} as const satisfies Registry;

export const dnFields = {
  type: {
    type: oneOf(dnTypes),
    required: true,
    takesEffect: 'Immediately',
    source: 'SPEC S9',
    description: 'What the DN is; it decides which options it takes.',
  },
} as const satisfies Registry;

export const agentFields = {
  password: {
    type: text('any text'),
    defaultText: 'NULL (no password)',
    takesEffect: 'Immediately',
    source: 'SPEC S3',
    description: 'Checked by RequestAgentLogin when set.',
  },
  name: {
    type: text('any text'),
    defaultText: 'NULL',
    takesEffect: 'Immediately',
    source: 'Duet',
    description: "The agent's display name, shown in status output.",
  },
} as const satisfies Registry;

export const alarmFields = {
  name: {
    type: text('any text'),
    required: true,
    takesEffect: 'Immediately',
    source: 'SPEC S7, seed 001',
    description: "The alarm condition's name, unique in the file.",
  },
  'event-id': {
    type: eventId(),
    required: true,
    takesEffect: 'Immediately',
    source: 'SPEC S7, seed 001',
    description:
      'The log event that raises the alarm, e.g. 00-04200 (listener could not be opened, seed 001).',
  },
  app: {
    type: text('the name of an application'),
    defaultText: 'NULL (any application)',
    takesEffect: 'Immediately',
    source: 'SPEC S7',
    description: 'Only events logged by this application raise the alarm.',
  },
  reaction: {
    type: alarmReaction(),
    defaultText: 'NULL (the alarm is only raised)',
    takesEffect: 'Immediately',
    source: 'SPEC S7',
    description:
      "What the SCS does when the alarm is raised: switchover (of the event's application's pair), restart " +
      '(the application), or script NAME (run that script application).',
  },
  'clear-on': {
    type: eventId(),
    defaultText: 'NULL (cleared by hand)',
    takesEffect: 'Immediately',
    source: 'SPEC S7',
    description:
      'A log event that clears the alarm automatically, e.g. 00-52030 clears an alarm on 00-52029.',
  },
  'cancel-timeout': {
    type: number({ min: 0, max: 86400 }),
    default: 0,
    takesEffect: 'Immediately',
    source: 'SPEC S7, seed 001',
    description:
      'Seconds after which a raised alarm clears itself; 0 (the default) keeps it until an administrator ' +
      'clears it, as seed 001 recommends for 00-04200.',
  },
} as const satisfies Registry;
