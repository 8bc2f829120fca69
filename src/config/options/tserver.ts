/**
 * The `[TServer]` section of a SIP Server application. The first 18 options are seed 000's ("HA
 * Configuration Options"), with its defaults, valid values and take-effect rules exactly; the rest are the
 * SPEC's, with defaults and ranges chosen where the SPEC is silent (the reason is in the description).
 */

import type { OptionSpec, Registry } from '../option.ts';
import { address, bool, nameList, number, overflowCodes, port, text } from '../option-type.ts';
import { defaultOverflowCodes } from '../overflow-codes.ts';

const seed000 = 'seed 000 (HA Configuration Options)';

/**
 * Seed 000 gives these two the same metadata for both places they can be set: the SIP Server application
 * (standalone) and a Voice over IP Service DN with service-type=sip-cluster-nodes. One definition serves both.
 */
export const switchoverOnMsmlOos = {
  type: bool(),
  default: false,
  takesEffect: 'For the next call',
  source: seed000,
  description:
    'What to do when the MSML media servers (Voice over IP Service DNs with service-type=msml) are lost. ' +
    'When true, once every MSML Voice over IP Service DN that counts is out of service (under strict ' +
    'location matching only those of the same or the alternative geo-location), SIP Server checks them once ' +
    'more and, if they are still unresponsive, reports ServiceUnavailable to LCA/SCS so that the SCS switches ' +
    'over. Set on the application (standalone mode) or on a Voice over IP Service DN with ' +
    'service-type=sip-cluster-nodes (SIP Cluster mode).',
} as const satisfies OptionSpec;

export const switchoverOnTrunksOos = {
  type: bool(),
  default: false,
  takesEffect: 'For the next call',
  source: seed000,
  description:
    'What to do when the Trunk DNs are lost. When true, once every Trunk DN that counts is out of service ' +
    '(under strict location matching only those of the same or the alternative geo-location), SIP Server ' +
    'checks them once more and, if they are still unresponsive, reports ServiceUnavailable to LCA/SCS so that ' +
    'the SCS switches over. Set on the application (standalone mode) or on a Voice over IP Service DN with ' +
    'service-type=sip-cluster-nodes (SIP Cluster mode).',
} as const satisfies OptionSpec;

/** The SIP methods `authenticate-requests` may name (the requests a phone DN sends that are challenged). */
export const authenticatedMethods = ['register', 'invite'] as const;
export type AuthenticatedMethod = (typeof authenticatedMethods)[number];

/** `authenticate-requests` on the application; a phone DN's own value (dn.ts) overrides it. */
export const authenticateRequests = {
  type: nameList(authenticatedMethods),
  default: ['register'],
  takesEffect: 'Immediately',
  source: 'SPEC S2.4 (Genesys SIP Server option name)',
  description:
    'The SIP requests from a phone DN (Extension, ACD Position) that are digest-authenticated when the DN ' +
    'has a password: register, invite, or both. A request of a listed method without valid credentials is ' +
    'answered 401 with a challenge (realm "duet", MD5 and SHA-256; both servers of a pair accept each ' +
    "other's nonces), a wrong password 403 (event 10-30009). With invite, a stranger cannot call out " +
    'through the trunks by putting an extension in From. Calls from a Trunk (recognised by its source ' +
    'address) are never challenged, and a DN without a password never is. The default, register, ' +
    "challenges registrations only; invite alone challenges calls but not registrations. A DN's own " +
    'authenticate-requests overrides this value.',
} as const satisfies OptionSpec;

export const tserverOptions = {
  'backup-init-check': {
    type: bool(),
    default: false,
    takesEffect: 'After restart',
    source: `${seed000}, seed 002`,
    description:
      'When true, a SIP Server in Backup mode verifies that all its internal components (the SIP stack, the ' +
      'call model, the CTI server, the HTTP/statistics interface) finished initializing and can give service ' +
      'once it is promoted. If one does not finish within backup-init-check-timeout, the server reports ' +
      'ServiceUnavailable to LCA/SCS.',
  },
  'backup-init-check-timeout': {
    type: number({ min: 15, max: 3600 }),
    default: 60,
    takesEffect: 'After restart',
    source: `${seed000}, seed 002`,
    description:
      'Restricted option. Seconds within which the internal components must finish initializing when ' +
      'backup-init-check is true.',
  },
  'backup-sip-port-check': {
    type: bool(),
    default: true,
    takesEffect: 'After restart',
    source: `${seed000}, seed 002`,
    description:
      'When true, a SIP Server in Backup mode tries to open the SIP port; if it opens, it processes no SIP ' +
      'message and closes the port at once; if it does not, the server reports ServiceUnavailable to LCA/SCS. ' +
      'Works only when backup-init-check is true; disabled in the IP Address Takeover configuration ' +
      '(control-vip-scripts true) and when both servers share one host.',
  },
  'control-vip-scripts': {
    type: bool(),
    default: false,
    takesEffect: 'After restart',
    source: seed000,
    description:
      'Hot standby. When true, SIP Server itself has its LCA run the Virtual IP scripts: sip-vip-script-up ' +
      'when it switches to primary, sip-vip-script-down when it switches to backup. Also enables SCS ' +
      'connection monitoring: when the SCS is unreachable and both servers find themselves primary, one of ' +
      'them switches to backup.',
  },
  'control-remote-vip-scripts': {
    type: bool(),
    default: true,
    takesEffect: 'After restart',
    source: seed000,
    description:
      'When only one server of the pair is started, the other host may still hold the Virtual IP. When true, ' +
      "SIP Server connects to the other host's LCA and runs the other server's sip-vip-script-down there. " +
      'Applies only when control-vip-scripts is true. Reserved: change it only when asked to by support.',
  },
  'ha-max-calls-sync-at-once': {
    type: number({ min: 200, max: 1000 }),
    default: 500,
    takesEffect: 'When the HA connection is established',
    source: `${seed000}, seed 004`,
    description:
      'After the HA link is established, the largest number of calls the primary sends to the backup in one ' +
      'batch before pausing 1 second. Only calls missing on the backup are sent this way.',
  },
  'network-monitoring-timeout': {
    type: number({ min: 1, max: 30 }),
    default: 1,
    takesEffect: 'Immediately',
    source: seed000,
    description:
      'Interval, in seconds, of the network status checks: the SIP NIC (when sip-nic-address is set), the ' +
      'T-Library NIC (when tlib-nic-monitoring is true) and the Virtual IP (when sip-iptakeover-monitoring is ' +
      'true).',
  },
  'sip-error-codes-overflow': {
    type: overflowCodes(),
    default: defaultOverflowCodes,
    defaultText: 'An empty string (503)',
    takesEffect: 'For the next call',
    source: seed000,
    description:
      'When an initial INVITE gets a negative final response whose code matches one of these patterns, SIP ' +
      'Server tries an alternative trunk or softswitch for the call.',
  },
  'sip-iptakeover-monitoring': {
    type: bool(),
    default: false,
    takesEffect: 'After restart',
    source: seed000,
    description:
      'Hot standby with IP Address Takeover. When true, the Virtual IP (taken from sip-address) is monitored: ' +
      'the primary checks it is present on its host, the backup that it is absent; on a mismatch the matching ' +
      'Virtual IP script runs, and if the problem persists the server reports ServiceUnavailable. Events ' +
      '00-52029 (failure) and 00-52030 (success). Requires sip-address.',
  },
  'sip-nic-address': {
    type: address(),
    defaultText: 'NULL',
    takesEffect: 'After restart',
    source: seed000,
    description:
      'With a NIC dedicated to SIP traffic, separate from the T-Library network: the IP address of that NIC on ' +
      "this server's host. It must be present on the host whatever the server's role; with IP Address " +
      "Takeover it is the NIC's own address, not the Virtual IP.",
  },
  'sip-nic-monitoring': {
    type: bool(),
    default: false,
    takesEffect: 'After restart',
    source: seed000,
    description:
      'When true, the SIP NIC (sip-nic-address) is monitored; on failure the server reports ' +
      'ServiceUnavailable. Events 00-52027 (failure) and 00-52028 (success). Requires sip-nic-address.',
  },
  'sip-pass-check': {
    type: bool(),
    default: false,
    takesEffect: 'Immediately',
    source: `${seed000}, seed 001`,
    description:
      'When true, the primary tracks every SIP message it receives, including answers to the active ' +
      'out-of-service checks. When every device with an active OOS check has failed and no other SIP message ' +
      'has arrived for the effective timeout (the largest oos-check + oos-force over the service DNs, with ' +
      'oos-force below 5 taken as 5), it reports ServiceUnavailable and the SCS switches over. When neither ' +
      'server receives traffic, each double switchover doubles the effective timeout, up to four times the ' +
      'initial one (seed 001; seed 000 says "up to two times", i.e. two doublings), until one server sees ' +
      'traffic and stays primary.',
  },
  'sip-vip-script-down': {
    type: text('the name of a script application'),
    defaultText: 'NULL',
    takesEffect: 'After restart',
    source: seed000,
    description:
      'With control-vip-scripts true: the script application that removes the Virtual IP when this server ' +
      'switches to backup (e.g. SIP_SERVER_PRIMARY_VIP_DOWN for the primary, SIP_SERVER_BACKUP_VIP_DOWN for ' +
      'the backup).',
  },
  'sip-vip-script-up': {
    type: text('the name of a script application'),
    defaultText: 'NULL',
    takesEffect: 'After restart',
    source: seed000,
    description:
      'With control-vip-scripts true: the script application that brings up the Virtual IP when this server ' +
      'switches to primary (e.g. SIP_SERVER_PRIMARY_VIP_UP for the primary, SIP_SERVER_BACKUP_VIP_UP for the ' +
      'backup).',
  },
  'switchover-on-msml-oos': switchoverOnMsmlOos,
  'switchover-on-trunks-oos': switchoverOnTrunksOos,
  'tlib-nic-monitoring': {
    type: bool(),
    default: false,
    takesEffect: 'After restart',
    source: seed000,
    description:
      "When true, the T-Library NIC is monitored: its address is the address of the server's host. A NIC " +
      'failure makes the server switch to backup.',
  },
  'vip-state-change-timeout': {
    type: number({ min: 3, max: 60 }),
    default: 10,
    takesEffect: 'Immediately',
    source: seed000,
    description:
      'Seconds a Virtual IP script is given to change the Virtual IP state. If the state has not changed, the ' +
      'script is run again; after several failed attempts the script is declared failed (logged, alarm) and ' +
      'not run again.',
  },

  // The SPEC's options.
  'sip-port': {
    type: port(),
    default: 5060,
    takesEffect: 'After restart',
    source: 'SPEC S2.2',
    description:
      'The SIP port, UDP and TCP. Only the primary listens on it, so both servers of a pair on one host may ' +
      'use the same port.',
  },
  'sip-address': {
    type: address(),
    defaultText: "the address of the application's host",
    takesEffect: 'After restart',
    source: 'SPEC S2.2, S5',
    description:
      'The address the SIP port is opened on, and the Virtual IP with IP Address Takeover ' +
      "(sip-iptakeover-monitoring). When unset, the address of the application's host.",
  },
  'http-port': {
    type: port(),
    default: 8080,
    takesEffect: 'After restart',
    source: 'SPEC S7',
    description:
      'The HTTP interface: /server?sipServer (status, readiness for switchover and upgrade), statistics, ' +
      '/metrics, /healthz. The default suits one server per host; two servers on one host need distinct values.',
  },
  'ha-port': {
    type: port(),
    default: 7001,
    takesEffect: 'After restart',
    source: 'SPEC S4.2',
    description:
      "The HA link: the backup connects to the primary's ha-port. The default suits one server per host; two " +
      'servers on one host need distinct values.',
  },
  'cti-port': {
    type: port(),
    default: 3000,
    takesEffect: 'After restart',
    source: 'SPEC S3',
    description:
      'The CTI (T-Library-style) client port, TCP. The default suits one server per host; two servers on one ' +
      'host need distinct values.',
  },
  'cti-ws-port': {
    type: port({ zeroOff: true }),
    default: 0,
    takesEffect: 'After restart',
    source: 'SPEC S3',
    description: 'The CTI client port over WebSocket; 0 (the default) opens none.',
  },
  'router-timeout': {
    type: number({ min: 1, max: 3600 }),
    default: 10,
    takesEffect: 'For the next call',
    source: 'SPEC S2.6',
    description:
      "Seconds a call parked on a Routing Point waits for RequestRouteCall before it goes to the DN's " +
      "default-dn (or is rejected with 480). The server-level default; a Routing Point's own router-timeout " +
      'overrides it.',
  },
  'disconnect-switchover-timeout': {
    type: number({ min: 0, max: 600, fractions: true }),
    default: 0,
    takesEffect: 'Immediately',
    source: 'SPEC S4.5',
    description:
      "Seconds the SCS waits, after losing the LCA of this server's host, before failing over to the backup. " +
      '0 (the default) fails over at once: the process is presumed gone with its host. A value above 0 rides ' +
      'out a short network blip at the cost of a longer outage when the host really died.',
  },
  'haflip-detect-timeout': {
    type: number({ min: 0, max: 3600 }),
    default: 10,
    takesEffect: 'Immediately',
    source: 'SPEC S4.5',
    description:
      'Role flapping detection: two role changes of this server within this many seconds are logged as a ' +
      'flip (an alarm can react to it). 0 turns detection off. 10 s is long enough to catch a pair bouncing ' +
      'between failovers and short enough not to flag two planned switchovers.',
  },
  'no-answer-timeout': {
    type: number({ min: 0, max: 3600 }),
    default: 30,
    takesEffect: 'For the next call',
    source: 'SPEC S2.5',
    description:
      'Seconds a call may ring at an Extension or ACD Position before it is abandoned as not answered: the ' +
      'ringing leg is cancelled and the caller gets 480 Temporarily Unavailable. 0 rings until the caller ' +
      'gives up.',
  },
  'sip-flood-limit': {
    type: number({ min: 0, max: 100000 }),
    default: 0,
    takesEffect: 'Immediately',
    source: 'SPEC S8.4',
    description:
      'The most SIP requests per second accepted from one source address; requests above it are answered ' +
      '503 with Retry-After (an ACK is dropped) and counted (the retransmissions of a request already in ' +
      'progress are not counted). 0 (the default) is no ' +
      'limit, because a trunk or a load generator legitimately sends everything from one address: set it to ' +
      'a value above the busiest trunk on a server that faces untrusted networks.',
  },
  'authenticate-requests': authenticateRequests,
  password: {
    type: text('any text'),
    defaultText: 'NULL (no password)',
    takesEffect: 'Immediately',
    source: 'SPEC S8.4',
    description:
      'When set, CTI clients must present this password when they connect (new connections; clients already ' +
      'connected stay connected).',
  },
} as const satisfies Registry;
