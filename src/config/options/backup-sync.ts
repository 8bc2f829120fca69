/**
 * The `[backup-sync]` section: the HA link between the two servers of a pair (SPEC S4.2). ADDP polls only
 * when the link is idle; timeouts take fractions so that a dead peer can be detected in under a second.
 */

import type { Registry } from '../option.ts';
import { number, oneOf } from '../option-type.ts';

export const backupSyncOptions = {
  protocol: {
    type: oneOf(['default', 'addp']),
    default: 'default',
    takesEffect: 'When the HA connection is established',
    source: 'SPEC S4.2',
    description:
      'How a dead HA link is detected: default relies on TCP alone (a peer that vanishes without closing the ' +
      'connection is noticed only by the SCS); addp adds the Advanced Disconnect Detection Protocol polls, ' +
      'which seed 003 recommends for hot standby.',
  },
  'addp-timeout': {
    type: number({ min: 0, max: 3600, fractions: true }),
    default: 10,
    takesEffect: 'When the HA connection is established',
    source: 'SPEC S4.2',
    description:
      'With protocol addp: seconds of silence on the link after which this server sends a poll, and then ' +
      'waits as long again for any answer before it closes the link. 0 turns the polls off.',
  },
  'addp-remote-timeout': {
    type: number({ min: 0, max: 3600, fractions: true }),
    default: 0,
    takesEffect: 'When the HA connection is established',
    source: 'SPEC S4.2',
    description:
      'With protocol addp: the timeout this server asks its peer to use for its own polls of this side. 0 (the ' +
      'default) asks for none.',
  },
  'addp-trace': {
    type: oneOf(['off', 'local', 'remote', 'full']),
    default: 'off',
    takesEffect: 'When the HA connection is established',
    source: 'SPEC S4.2',
    description:
      'Which ADDP polls and answers are logged (at Trace level): off, local (this side), remote (the peer), ' +
      'full (both).',
  },
} as const satisfies Registry;
