/**
 * Options of a DN (`dns.NUMBER.options`). The seeds name most of them without giving their metadata (it is
 * in the SIP Server Deployment Guide, not in the HA guide), so defaults, ranges and take-effect rules are
 * ours except where a seed states them; each description says which DN types take the option.
 */

import type { DnType, Registry } from '../option.ts';
import { bool, contact, number, oneOf, text } from '../option-type.ts';
import { authenticateRequests, switchoverOnMsmlOos, switchoverOnTrunksOos } from './tserver.ts';

const phones: readonly DnType[] = ['Extension', 'ACD Position'];
const services: readonly DnType[] = ['Trunk', 'Voice over IP Service'];

export const serviceTypes = ['softswitch', 'msml', 'sip-cluster-nodes'] as const;

export const dnOptions = {
  password: {
    type: text('any text'),
    defaultText: 'NULL (no authentication)',
    takesEffect: 'Immediately',
    source: 'SPEC S2.4',
    appliesTo: phones,
    description:
      'Digest authentication password of the phone of this DN. The requests named by authenticate-requests ' +
      '(REGISTER by default; INVITE too with register,invite) are challenged. Without a password nothing ' +
      'from the DN is challenged.',
  },
  'authenticate-requests': {
    type: authenticateRequests.type,
    defaultText: "the application's authenticate-requests (register)",
    takesEffect: 'Immediately',
    source: authenticateRequests.source,
    appliesTo: phones,
    description:
      "Overrides the application's authenticate-requests for this DN: the requests (register, invite) that " +
      'are challenged when the DN has a password. E.g. register on a DN whose phone cannot answer a ' +
      'challenge to an INVITE, under an application set to register,invite.',
  },
  contact: {
    type: contact(),
    defaultText: 'NULL',
    takesEffect: 'For the next call',
    source: 'SPEC S2.7',
    appliesTo: [...phones, ...services],
    description:
      'Where the device is reached: host, host:port or a SIP URI. Required for a Trunk and a Voice over IP ' +
      "Service; on a phone DN, a fixed contact used instead of a registration. Requests from a Trunk's " +
      'address are trusted without authentication.',
  },
  prefix: {
    type: text('digits (0-9, *, #), optionally after a +', /^\+?[0-9*#]+$/),
    defaultText: 'NULL (matches no dialed number)',
    takesEffect: 'For the next call',
    source: 'SPEC S2.7',
    appliesTo: ['Trunk'],
    description:
      'Outbound calls whose dialed digits begin with this prefix may use the trunk; the longest matching ' +
      'prefix wins.',
  },
  priority: {
    type: number({ min: 0, max: 65535 }),
    default: 0,
    takesEffect: 'For the next call',
    source: 'SPEC S2.7',
    appliesTo: services,
    description:
      'Among trunks with the same longest prefix, the smaller priority is tried first; ties alternate.',
  },
  'geo-location': {
    type: text('any text'),
    defaultText: 'NULL',
    takesEffect: 'For the next call',
    source: 'SPEC S2.7, seed 000',
    appliesTo: [...phones, ...services],
    description:
      'The location of the device. With strict location matching, a call only uses trunks and media services ' +
      'of its own (or its alternative) location, and only those count for switchover-on-trunks-oos and ' +
      'switchover-on-msml-oos.',
  },
  'oos-check': {
    type: number({ min: 0, max: 3600 }),
    default: 0,
    takesEffect: 'Immediately',
    source: 'SPEC S2.8, seeds 000, 001',
    appliesTo: services,
    description:
      'Active out-of-service detection: seconds between OPTIONS probes to the device; 0 turns probing off. ' +
      'Any final response means in service. Only the primary probes.',
  },
  'oos-force': {
    type: number({ min: 0, max: 3600 }),
    default: 0,
    takesEffect: 'Immediately',
    source: 'SPEC S2.8, seeds 000, 001',
    appliesTo: services,
    description:
      'Seconds to wait for an answer to a probe before the device is out of service. For sip-pass-check, ' +
      'a value below 5 counts as 5.',
  },
  'service-type': {
    type: oneOf(serviceTypes),
    defaultText: 'NULL (required on a Voice over IP Service DN)',
    takesEffect: 'For the next call',
    source: 'SPEC S2.5, seed 000',
    appliesTo: ['Voice over IP Service'],
    description:
      'What the Voice over IP Service is: softswitch (a SIP peer calls are routed to), msml (a media server), ' +
      'sip-cluster-nodes (the SIP Cluster nodes; switchover-on-trunks-oos and switchover-on-msml-oos may be ' +
      'set on this DN).',
  },
  'default-dn': {
    type: text('the number of a DN', /^\+?[0-9*#A-Za-z_.-]+$/),
    defaultText: 'NULL (reject with 480)',
    takesEffect: 'For the next call',
    source: 'SPEC S2.6',
    appliesTo: ['Routing Point'],
    description:
      'Where a call parked on this Routing Point goes when no router answers within router-timeout. Without ' +
      'one the call is rejected with 480.',
  },
  'router-timeout': {
    type: number({ min: 1, max: 3600 }),
    defaultText: "the application's router-timeout (10)",
    takesEffect: 'For the next call',
    source: 'SPEC S2.6',
    appliesTo: ['Routing Point'],
    description:
      'Seconds a parked call waits for RequestRouteCall on this Routing Point; overrides the server-level value.',
  },
  'sip-hold-rfc3264': {
    type: bool(),
    default: false,
    takesEffect: 'For the next call',
    source: 'SPEC S2.5',
    appliesTo: [...phones, ...services],
    description:
      'How a call to this device is put on hold: true per RFC 3264 (a=sendonly / a=inactive), false the ' +
      'RFC 2543 way (c=0.0.0.0), which older devices need.',
  },
  'sip-cti-control': {
    type: text('a comma list of talk, hold (or empty)', /^\s*((talk|hold)\s*(,\s*(talk|hold)\s*)*)?$/i),
    defaultText: 'empty (the phone takes no remote control)',
    takesEffect: 'For the next call',
    source: 'Duet (Genesys/BroadSoft convention)',
    appliesTo: phones,
    description:
      'What the phone lets the server do by an out-of-dialog NOTIFY: talk (it answers a ringing call on ' +
      'Event: talk, which RequestAnswerCall needs); hold is accepted for compatibility, but Duet holds a ' +
      'call by re-INVITE whatever the value. Without talk, RequestAnswerCall on the DN is refused as not ' +
      'supported.',
  },
  multisite: {
    type: bool(),
    default: false,
    takesEffect: 'For the next call',
    source: 'seed 004',
    appliesTo: ['Trunk'],
    description:
      'The trunk leads to another site. Calls through it are multisite calls: readiness for switchover waits ' +
      'for the multisite calls that existed before the HA link came up to finish, instead of syncing them.',
  },
  'switchover-on-trunks-oos': { ...switchoverOnTrunksOos, appliesTo: ['Voice over IP Service'] },
  'switchover-on-msml-oos': { ...switchoverOnMsmlOos, appliesTo: ['Voice over IP Service'] },
} as const satisfies Registry;
