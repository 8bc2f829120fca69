/**
 * The one registry of log events (SPEC S7). Operators build alarm conditions on these IDs, so an ID never
 * changes meaning. The seeds' IDs (00-xxxxx) keep the meaning the seeds give them; Duet's own events use
 * 10-xxxxx, by area:
 *   10-1xxxx server lifecycle and status    10-5xxxx configuration
 *   10-2xxxx HA: roles, link, sync          10-6xxxx management: LCA, SCS, scripts, alarms
 *   10-3xxxx SIP, devices, monitoring       10-7xxxx CTI clients
 *   10-4xxxx calls and registrations
 * A template names its parameters in braces; logger.event() requires exactly those.
 */

export const eventLevels = ['Alarm', 'Standard', 'Interaction', 'Trace'] as const;
export type EventLevel = (typeof eventLevels)[number];

export interface EventSpec {
  readonly level: EventLevel;
  /** A stable kebab-case name, for reading logs without the table. */
  readonly name: string;
  readonly template: string;
  /** What it means and where it comes from. */
  readonly meaning: string;
}

export const logEvents = {
  // The seeds' events.
  '00-04200': {
    level: 'Alarm',
    name: 'sip-listener-failed',
    template: 'SIP listener could not be opened on {address}:{port}: {reason}',
    meaning:
      'Seed 001: the server could not open its listening port (it stays Running in an HA pair and the SCS gives ' +
      'the primary role to the other server). The seed recommends an alarm condition on this ID.',
  },
  '00-52027': {
    level: 'Standard',
    name: 'sip-nic-failure',
    template: 'SIP NIC {address} failure detected: {reason}',
    meaning:
      'Seed 001: SIP NIC status monitoring (sip-nic-monitoring) found the SIP NIC address missing or down.',
  },
  '00-52028': {
    level: 'Standard',
    name: 'sip-nic-success',
    template: 'SIP NIC {address} is up',
    meaning: 'Seed 001: the SIP NIC is present again (or at the first check).',
  },
  '00-52029': {
    level: 'Standard',
    name: 'virtual-ip-failure',
    template: 'Virtual IP {address} failure detected: expected {expected} on this host as {role}',
    meaning:
      'Seed 001: Virtual IP monitoring (sip-iptakeover-monitoring) found the VIP absent on the primary, or ' +
      'present on the backup.',
  },
  '00-52030': {
    level: 'Standard',
    name: 'virtual-ip-success',
    template: 'Virtual IP {address} is {expected} on this host as {role}',
    meaning: 'Seed 001: the Virtual IP is where it should be again.',
  },

  // 10-1xxxx: server lifecycle and status.
  '10-10001': {
    level: 'Standard',
    name: 'server-started',
    template: 'SIP Server {app} started in mode {mode} (Duet {version})',
    meaning: 'A SIP Server process started.',
  },
  '10-10002': {
    level: 'Standard',
    name: 'server-stopped',
    template: 'SIP Server {app} stopped: {reason}',
    meaning: 'A SIP Server process stopped in order.',
  },
  '10-10003': {
    level: 'Standard',
    name: 'status-changed',
    template: '{app} status changed from {from} to {to}',
    meaning: 'Initializing, Running, ServiceUnavailable, Stopping, Stopped (SPEC S4.1).',
  },
  '10-10004': {
    level: 'Alarm',
    name: 'service-unavailable',
    template: '{app} reports ServiceUnavailable: {reason}',
    meaning:
      'A monitor (sip-pass-check, NIC, VIP, trunks OOS, backup init check) made the server unavailable.',
  },
  '10-10006': {
    level: 'Alarm',
    name: 'backup-sip-port-check-failed',
    template: 'Backup {app} could not open SIP port {address}:{port}: {reason}',
    meaning: 'backup-sip-port-check (seed 002): the backup could not open the SIP port.',
  },
  '10-10007': {
    level: 'Alarm',
    name: 'app-terminated',
    template: '{app} terminated unexpectedly: {reason}',
    meaning:
      'The LCA saw a server process exit without being told to stop it. Seed 001 counts unexpected ' +
      'terminations among the conditions its 00-04200 alarm watches; configure an alarm on this ID too.',
  },
  '10-10008': {
    level: 'Alarm',
    name: 'http-listener-failed',
    template: 'HTTP interface could not be opened on {address}:{port}: {reason}',
    meaning:
      'http-port could not be opened (in use, address not present): logged once per episode; the server ' +
      'tries again every 5 s and logs 10-10009 when it opens (with backup-init-check, "http" is failed until then).',
  },
  '10-10009': {
    level: 'Standard',
    name: 'http-listening',
    template: 'HTTP interface listening on {address}:{port}',
    meaning:
      'The HTTP interface (http-port) is open: at the start, or after the retries that followed 10-10008.',
  },

  // 10-2xxxx: HA.
  '10-20001': {
    level: 'Standard',
    name: 'role-changed',
    template: '{app} changed mode from {from} to {to}: {reason}',
    meaning: 'Primary, Backup, Exiting (SPEC S4.1).',
  },
  '10-20002': {
    level: 'Standard',
    name: 'ha-link-up',
    template: 'HA link with {peer} established ({address})',
    meaning: 'The backup connected to the primary and both authenticated.',
  },
  '10-20003': {
    level: 'Alarm',
    name: 'ha-link-down',
    template: 'HA link with {peer} lost: {reason}',
    meaning: 'The HA link closed, or ADDP found the peer silent.',
  },
  '10-20004': {
    level: 'Alarm',
    name: 'ha-link-refused',
    template: 'HA link peer {address} refused: {reason}',
    meaning: 'A peer failed the HMAC challenge or spoke out of protocol (SPEC S4.2).',
  },
  '10-20005': {
    level: 'Standard',
    name: 'sync-started',
    template: 'Missing-call sync with {peer} started: {calls} calls to send in batches of {batch}',
    meaning: 'Seed 004: after the HA link came up, the calls missing on the backup are sent.',
  },
  '10-20006': {
    level: 'Trace',
    name: 'sync-progress',
    template: 'Missing-call sync with {peer}: {sent} of {total} calls sent',
    meaning: 'One batch of the missing-call sync was sent.',
  },
  '10-20007': {
    level: 'Standard',
    name: 'sync-completed',
    template: 'Missing-call sync with {peer} completed: {calls} calls sent, {removed} stale calls removed',
    meaning: 'The backup holds every call of the primary (seed 004 readiness condition).',
  },
  '10-20008': {
    level: 'Standard',
    name: 'switchover',
    template: 'Pair {pair}: {kind} from {from} to {to}: {reason}',
    meaning: 'A switchover (planned) or failover (unplanned) was performed by the SCS (SPEC S4.5).',
  },
  '10-20009': {
    level: 'Alarm',
    name: 'double-failure',
    template:
      'Pair {pair}: switchover while readiness was 0 (double failure): {calls} calls not yet synchronized are released',
    meaning: 'Seed 004: a switchover before both servers were ready for it.',
  },
  '10-20010': {
    level: 'Alarm',
    name: 'role-flapping',
    template: '{app} changed mode {count} times within {seconds} s',
    meaning: 'haflip-detect-timeout: the role is bouncing between the servers.',
  },
  '10-20011': {
    level: 'Alarm',
    name: 'both-primary',
    template: 'SCS unreachable and both {app} and {peer} are primary: {loser} switches to backup',
    meaning: 'SCS connection monitoring (control-vip-scripts, seed 001).',
  },
  '10-20012': {
    level: 'Standard',
    name: 'readiness-changed',
    template: '{app} readiness for switchover is now {ready}',
    meaning: 'Seed 004 readiness flag changed (1 or 0).',
  },
  '10-20013': {
    level: 'Trace',
    name: 'addp-trace',
    template: 'ADDP {direction} {what} on the HA link with {peer}',
    meaning: 'addp-trace: an ADDP poll or answer.',
  },
  '10-20014': {
    level: 'Alarm',
    name: 'ha-listener-failed',
    template: 'HA port {port} could not be opened: {reason}',
    meaning: 'The backup cannot reach this server over the HA link until the port opens (SPEC S4.2).',
  },
  '10-20015': {
    level: 'Standard',
    name: 'ha-sync-diverged',
    template: 'HA link with {peer} closed to resync: {reason}',
    meaning: 'A record arrived out of sequence or did not fit the backup state; the next link resyncs.',
  },
  '10-20016': {
    level: 'Standard',
    name: 'ha-peer-takeover',
    template: '{app} steps down: its backup {peer} was made primary by the SCS',
    meaning:
      'The primary lost the SCS (its LCA) and the SCS promoted the backup: no split brain (SPEC S8.3).',
  },
  '10-20017': {
    level: 'Alarm',
    name: 'ha-dual-primary',
    template: '{app} and {peer} are both primary; {loser} steps down: {reason}',
    meaning:
      'SPEC S5 SCS connection monitoring, S8.3: a primary without a backup probes its peer; two primaries that ' +
      'see each other over the HA link keep one, by a fixed rule (the one that cannot reach the SCS steps down).',
  },

  // 10-3xxxx: SIP, devices, monitoring.
  '10-30001': {
    level: 'Trace',
    name: 'sip-parse-error',
    template: 'Unparseable SIP message from {source}: {reason}',
    meaning: 'A message was answered with 400 or dropped (SPEC S2.1); it affected nothing else.',
  },
  '10-30002': {
    level: 'Standard',
    name: 'sip-flood-limit',
    template: 'SIP flood limit: {source} sent more than {limit} requests/s; requests dropped',
    meaning: 'sip-flood-limit reached for a source address (SPEC S8.4). Logged once per episode.',
  },
  '10-30003': {
    level: 'Standard',
    name: 'sip-listener-opened',
    template: 'SIP listener opened on {address}:{port} ({transport})',
    meaning: 'The primary opened the SIP port.',
  },
  '10-30004': {
    level: 'Standard',
    name: 'sip-listener-closed',
    template: 'SIP listener on {address}:{port} closed: {reason}',
    meaning: 'The SIP port was closed (switch to backup, stop).',
  },
  '10-30005': {
    level: 'Standard',
    name: 'dn-out-of-service',
    template: '{dnType} DN {dn} ({contact}) is out of service: no answer to OPTIONS within {seconds} s',
    meaning: 'Active out-of-service detection (oos-check, oos-force; SPEC S2.8).',
  },
  '10-30006': {
    level: 'Standard',
    name: 'dn-back-in-service',
    template: '{dnType} DN {dn} ({contact}) is back in service',
    meaning: 'An out-of-service device answered a probe.',
  },
  '10-30007': {
    level: 'Alarm',
    name: 'all-services-out-of-service',
    template: 'All {kind} DNs that count are out of service ({count}); reporting ServiceUnavailable',
    meaning: 'switchover-on-trunks-oos / switchover-on-msml-oos (seed 000).',
  },
  '10-30008': {
    level: 'Alarm',
    name: 'sip-traffic-lost',
    template:
      'No SIP traffic for {seconds} s and every OOS-checked device failed; reporting ServiceUnavailable',
    meaning: 'sip-pass-check (seeds 000, 001).',
  },
  '10-30009': {
    level: 'Standard',
    name: 'sip-auth-failed',
    template: 'Digest authentication failed for DN {dn} from {source}: {reason}',
    meaning: 'A REGISTER or INVITE failed authentication (SPEC S2.4).',
  },

  // 10-30010..10-30029: Virtual IP scripts, network monitoring, backup initialization checks (src/server/monitor).
  '10-30010': {
    level: 'Standard',
    name: 'vip-script-started',
    template: 'Virtual IP script {script} run on host {host} ({purpose}, attempt {attempt} of {attempts})',
    meaning:
      'control-vip-scripts / sip-iptakeover-monitoring (SPEC S6.1, S5): the server asked an LCA to run a ' +
      'Virtual IP script.',
  },
  '10-30011': {
    level: 'Standard',
    name: 'vip-script-attempt-failed',
    template: 'Virtual IP script {script} attempt {attempt} of {attempts} failed: {reason}',
    meaning:
      'The script exited non-zero, did not answer, or the Virtual IP state did not change within ' +
      'vip-state-change-timeout; it is run again while attempts remain.',
  },
  '10-30012': {
    level: 'Alarm',
    name: 'vip-script-failed',
    template:
      'Virtual IP script {script} declared failed after {attempts} attempts (not run again until the next role change): {reason}',
    meaning:
      'SPEC S6.1: every attempt failed. A local script failing also makes the server report ' +
      'ServiceUnavailable (health condition "vip").',
  },
  '10-30013': {
    level: 'Standard',
    name: 'vip-script-succeeded',
    template: 'Virtual IP script {script} done on host {host}: {result} (attempt {attempt})',
    meaning:
      'A Virtual IP script did its job: the Virtual IP is where it should be (or the remote run exited 0).',
  },
  '10-30014': {
    level: 'Alarm',
    name: 'tlib-nic-failure',
    template: 'T-Library NIC {address} failure detected: {reason}',
    meaning:
      "tlib-nic-monitoring (SPEC S5): the address of the server's host is not on an up interface; the server " +
      'reports ServiceUnavailable (health condition "tlib-nic").',
  },
  '10-30015': {
    level: 'Standard',
    name: 'tlib-nic-success',
    template: 'T-Library NIC {address} is up',
    meaning: 'The T-Library NIC is present again (or at the first check).',
  },
  '10-30016': {
    level: 'Alarm',
    name: 'backup-init-check-failed',
    template: 'Backup initialization check failed: {reason}; reporting ServiceUnavailable',
    meaning:
      'backup-init-check (SPEC S6.2): a component of this backup failed or did not finish initializing ' +
      'within backup-init-check-timeout (health condition "backup-init"); the SCS will not promote it.',
  },
  '10-30017': {
    level: 'Standard',
    name: 'backup-init-check-passed',
    template: 'Backup initialization check passed: {components}',
    meaning: 'Every component of this backup reported itself initialized.',
  },
  '10-30018': {
    level: 'Standard',
    name: 'backup-sip-port-check',
    template: 'Backup SIP port check on {address}:{port}: {result}',
    meaning:
      'backup-sip-port-check (SPEC S6.2): the backup opened the SIP port, processed nothing and closed it at ' +
      'once (or could not open it: ServiceUnavailable).',
  },

  // 10-30030..10-30049: sip-pass-check and trunk/MSML out of service (src/server/monitor).
  '10-30030': {
    level: 'Standard',
    name: 'sip-traffic-resumed',
    template: 'SIP traffic received again after {seconds} s; sip-pass-check no longer fails',
    meaning: 'sip-pass-check: a SIP message arrived while the check failed (seeds 000, 001).',
  },
  '10-30031': {
    level: 'Standard',
    name: 'sip-pass-check-timeout-doubled',
    template:
      'Primary again without SIP traffic since giving it up (double switchover): sip-pass-check timeout is now {seconds} s ({multiplier}x)',
    meaning: 'sip-pass-check: the double-switchover rule doubles the effective timeout, up to 4x (seed 001).',
  },
  '10-30032': {
    level: 'Standard',
    name: 'services-recheck',
    template: 'All {kind} DNs that count are out of service ({count}); probing them once more',
    meaning:
      'switchover-on-trunks-oos / switchover-on-msml-oos: the re-check before ServiceUnavailable (seed 000).',
  },
  '10-30033': {
    level: 'Standard',
    name: 'services-available-again',
    template: 'A {kind} DN that counts is in service again ({dn}); no longer reporting ServiceUnavailable',
    meaning: 'switchover-on-trunks-oos / switchover-on-msml-oos: the condition cleared.',
  },
  // 10-4xxxx: calls and registrations.
  '10-40001': {
    level: 'Interaction',
    name: 'contact-registered',
    template: 'DN {dn} registered {contact}, expires in {expires} s',
    meaning: 'REGISTER accepted.',
  },
  '10-40002': {
    level: 'Interaction',
    name: 'contact-removed',
    template: 'DN {dn} contact {contact} removed: {reason}',
    meaning: 'Unregistered or expired.',
  },
  '10-40003': {
    level: 'Interaction',
    name: 'call-created',
    template: 'Call {connId} created: {from} -> {to}',
    meaning: 'A new call (ConnID) exists.',
  },
  '10-40004': {
    level: 'Interaction',
    name: 'call-released',
    template: 'Call {connId} released: {reason}',
    meaning: 'The call ended.',
  },
  '10-40005': {
    level: 'Interaction',
    name: 'call-routed',
    template: 'Call {connId} on Routing Point {dn} routed to {dest}',
    meaning: 'RequestRouteCall, or default-dn after router-timeout.',
  },
  '10-40006': {
    level: 'Standard',
    name: 'route-timeout',
    template: 'Call {connId} on Routing Point {dn}: no route within {seconds} s; {outcome}',
    meaning: 'router-timeout expired (SPEC S2.6).',
  },
  '10-40007': {
    level: 'Interaction',
    name: 'call-overflow',
    template: 'Call {connId}: trunk {dn} answered {status}; trying the next trunk',
    meaning: 'sip-error-codes-overflow matched (seed 000).',
  },
  '10-40030': {
    level: 'Interaction',
    name: 'call-control-request',
    template: 'Call control {request} by DN {dn} on call {connId}: {outcome}',
    meaning: 'A third-party call-control request (CTI) was accepted and started.',
  },
  '10-40031': {
    level: 'Interaction',
    name: 'third-party-call',
    template: 'Call {connId}: third-party call from DN {dn} to {dest}; ringing the origin phone first',
    meaning: "RequestMakeCall or RequestInitiateTransfer: the origin DN's phone gets an auto-answer INVITE.",
  },
  '10-40032': {
    level: 'Standard',
    name: 'call-control-reinvite-failed',
    template: 'Call {connId}: the re-INVITE to {dn} for {purpose} failed: {status} {reason}',
    meaning:
      'A hold, retrieve or transfer could not change the media of a party; the call keeps its media (a ' +
      'failed transfer ends the call). Purpose "connect": the phone of a RequestMakeCall refused the media ' +
      'of the answered destination; the call ends.',
  },
  '10-40033': {
    level: 'Interaction',
    name: 'call-transferred',
    template: 'Call {connId}: DN {dn} transferred the call to {to} (consultation call {consultConnId})',
    meaning: 'RequestCompleteTransfer: the held and the consulted parties are joined.',
  },
  '10-40034': {
    level: 'Standard',
    name: 'remote-answer-failed',
    template: 'DN {dn}: the phone refused NOTIFY Event: talk: {status} {reason}',
    meaning:
      'RequestAnswerCall on a DN with sip-cti-control=talk: the phone did not accept the remote answer; ' +
      'check that it supports it.',
  },
  '10-40035': {
    level: 'Interaction',
    name: 'call-single-step-transferred',
    template: 'Call {connId}: DN {dn} transferred the call to {dest} (single step)',
    meaning: 'RequestSingleStepTransfer.',
  },
  '10-40020': {
    level: 'Standard',
    name: 'contact-persistence-failed',
    template: 'Contact store: {operation} of DN {dn} contact {contact} failed: {reason}',
    meaning:
      'Writing a registration to the persistent contact store failed (disk full, file removed). The binding ' +
      'still holds in memory and on the backup, but a restart with no peer would not know it (SPEC S2.4).',
  },
  '10-40021': {
    level: 'Standard',
    name: 'contacts-restored',
    template: 'Contact store: restored {restored} unexpired bindings, dropped {dropped} expired',
    meaning: 'At start, registrations read back from the persistent contact store (SPEC S2.4).',
  },

  // 10-5xxxx: configuration.
  '10-50001': {
    level: 'Standard',
    name: 'config-loaded',
    template: 'Configuration {file} loaded',
    meaning: 'At start.',
  },
  '10-50002': {
    level: 'Standard',
    name: 'config-reloaded',
    template:
      'Configuration {file} reloaded: {applied} applied, {nextCall} for the next call, {onHaConnection} when the HA connection is established, {pendingRestart} pending restart',
    meaning: 'SIGHUP or `duet config reload` (SPEC S9).',
  },
  '10-50003': {
    level: 'Standard',
    name: 'option-pending-restart',
    template: 'Option {option} changed from {from} to {to}; it takes effect after restart',
    meaning: 'One line per change that waits for a restart.',
  },
  '10-50004': {
    level: 'Standard',
    name: 'config-rejected',
    template: 'Configuration {file} not reloaded, {count} errors; the first: {first}',
    meaning: 'The running configuration is kept.',
  },

  // 10-6xxxx: management.
  '10-60001': {
    level: 'Standard',
    name: 'lca-connected',
    template: 'LCA of host {host} connected',
    meaning: 'The SCS reached an LCA.',
  },
  '10-60002': {
    level: 'Alarm',
    name: 'lca-lost',
    template: 'LCA of host {host} lost: {reason}',
    meaning: 'The SCS lost an LCA (disconnect-switchover-timeout counts from here).',
  },
  '10-60003': {
    level: 'Standard',
    name: 'script-run',
    template: 'Script {script} run on {host}: exit code {code}',
    meaning: 'An LCA ran a configured script.',
  },
  '10-60004': {
    level: 'Alarm',
    name: 'script-failed',
    template: 'Script {script} on {host} failed after {attempts} attempts: {reason}',
    meaning: 'vip-state-change-timeout: the script did not change the VIP state; it is not run again.',
  },
  '10-60007': {
    level: 'Standard',
    name: 'management-request',
    template: '{action} requested from {source}',
    meaning: 'A state-changing management request was accepted.',
  },
  '10-60008': {
    level: 'Alarm',
    name: 'management-refused',
    template: '{action} from {source} refused: {reason}',
    meaning:
      'A management request or inter-process link failed authentication, or an LCA was asked for an unconfigured script.',
  },

  // 10-61xxx: the Local Control Agent (mgmt/lca).
  '10-61001': {
    level: 'Standard',
    name: 'lca-listening',
    template: 'LCA of host {host} listening on {address}',
    meaning: 'The LCA opened its lca-port: servers of the host and the SCS can connect.',
  },
  '10-61002': {
    level: 'Alarm',
    name: 'lca-listen-failed',
    template: 'LCA of host {host} could not listen on {address}: {reason}',
    meaning: 'The lca-port could not be opened (in use, or not an address of this machine).',
  },
  '10-61003': {
    level: 'Standard',
    name: 'lca-scs-connected',
    template: 'SCS {peer} connected to the LCA of host {host} from {address}',
    meaning: 'An authenticated SCS link opened; the LCA sent it the state of every application of the host.',
  },
  '10-61004': {
    level: 'Alarm',
    name: 'lca-scs-lost',
    template: 'SCS {peer} lost by the LCA of host {host}: {reason}',
    meaning: 'The SCS link closed. The servers keep running in their modes; the SCS reconnects.',
  },
  '10-61005': {
    level: 'Standard',
    name: 'lca-app-started',
    template: 'LCA of host {host} started {app} (pid {pid}), mode {mode}',
    meaning: 'The SCS asked for a server process and the LCA started it.',
  },
  '10-61006': {
    level: 'Standard',
    name: 'lca-app-exited',
    template: '{app} (pid {pid}) exited: {exit}',
    meaning:
      'A server process of the host ended, seen by its exit or by its LCA link closing (whichever came first). ' +
      'An exit the LCA did not ask for is also logged as 10-10007.',
  },
  '10-61007': {
    level: 'Standard',
    name: 'lca-app-registered',
    template: '{app} (pid {pid}) registered with the LCA of host {host}',
    meaning: 'A server of the host connected to its LCA and authenticated.',
  },
  '10-61008': {
    level: 'Standard',
    name: 'lca-app-start-failed',
    template: 'LCA of host {host} could not start {app}: {reason}',
    meaning: 'Spawning the server process failed.',
  },
  '10-61009': {
    level: 'Standard',
    name: 'lca-app-killed',
    template: '{app} (pid {pid}) killed with {signal}: {reason}',
    meaning:
      'A server did not stop within the grace period after SIGTERM, or its LCA link died while the process ' +
      'lived on (a hung server must not keep acting as primary once reported dead).',
  },
  '10-61010': {
    level: 'Alarm',
    name: 'link-secret-missing',
    template: 'No scs.link-secret in {file}: {component} authenticates its links with the built-in default',
    meaning:
      'Without scs.link-secret every process uses a default secret known to anyone who reads the source: set ' +
      'one whenever processes run on more than one host (SPEC S8.4).',
  },
  '10-61012': {
    level: 'Standard',
    name: 'lca-start-held',
    template:
      'LCA of host {host}: start-app {app} held {ms} ms: a server that outlived the previous LCA may register',
    meaning:
      'A restarted LCA does not know the servers that outlived its predecessor until they re-register (they ' +
      'retry every second): a start-app in that window waits, so that no duplicate process is started.',
  },
  '10-61011': {
    level: 'Standard',
    name: 'lca-command-refused',
    template: 'LCA of host {host} refused {command} from {source}: {reason}',
    meaning:
      'An SCS command or a server registration named an application this LCA does not manage (unknown, not ' +
      'a sip-server, or of another host), or was malformed.',
  },

  // 10-62xxx: the SCS (pair decisions, management API).
  '10-62001': {
    level: 'Standard',
    name: 'pair-primary-assigned',
    template: 'Pair {pair}: {app} is the primary ({reason})',
    meaning:
      'The SCS chose the primary of a pair at its start (or adopted the one already reporting Primary after an SCS restart).',
  },
  '10-62002': {
    level: 'Alarm',
    name: 'failover-blocked',
    template: 'Pair {pair}: {app} {reason}, but {peer} is not Running ({state}): nothing promoted, waiting',
    meaning:
      'SPEC S4.5: a backup that is not Running is never promoted. Logged once per episode; the SCS fails over as ' +
      'soon as the backup is Running, or keeps the primary if it recovers.',
  },
  '10-62003': {
    level: 'Standard',
    name: 'switchover-waiting-ready',
    template:
      'Pair {pair}: switchover waits until both servers are ready (readyForSwitchover: {app} {ready}, {peer} {peerReady})',
    meaning: 'duet switchover --when-ready (seed 004 upgrade procedure).',
  },
  '10-62004': {
    level: 'Standard',
    name: 'switchover-not-performed',
    template: 'Pair {pair}: switchover not performed: {reason}',
    meaning:
      'A switchover request was refused, cancelled, or abandoned because the backup stopped being Running.',
  },
  '10-62005': {
    level: 'Alarm',
    name: 'split-brain-demotion',
    template: 'Pair {pair}: both {app} and {peer} report Primary; {app} is told Backup',
    meaning: "SPEC S8.3: the server that is not the SCS's chosen primary is demoted at once.",
  },
  '10-62006': {
    level: 'Standard',
    name: 'app-start-requested',
    template: 'Pair {pair}: starting {app} on host {host} as Backup: {reason}',
    meaning: 'The SCS asked an LCA to start (or restart) a server; a dead server comes back as Backup.',
  },
  '10-62007': {
    level: 'Standard',
    name: 'demote-timeout',
    template: 'Pair {pair}: {app} did not confirm Backup within {seconds} s; promoting {peer} anyway',
    meaning: 'The old primary did not report mode Backup in time during a switchover or failover.',
  },
  '10-62008': {
    level: 'Standard',
    name: 'switchover-completed',
    template: 'Pair {pair}: {app} confirmed Primary {ms} ms after the {kind} began',
    meaning: 'The new primary reported mode Primary: the switchover or failover is complete.',
  },
  '10-62009': {
    level: 'Alarm',
    name: 'stale-primary-stopped',
    template: 'Pair {pair}: {app} still reports Primary {seconds} s after it was told Backup; stopping it',
    meaning: 'SPEC S8.3: a server that will not leave the primary role is stopped (and restarted as Backup).',
  },
  '10-62010': {
    level: 'Standard',
    name: 'scs-started',
    template: 'Solution Control Server started: {pairs} HA pairs, {hosts} hosts',
    meaning: 'duet scs started and connects to every LCA.',
  },
  '10-62011': {
    level: 'Standard',
    name: 'scs-api-listening',
    template: 'Management API and status page on http://{address}',
    meaning: 'The SCS HTTP interface is listening (scs.port).',
  },
  '10-62012': {
    level: 'Standard',
    name: 'scs-stopped',
    template: 'Solution Control Server stopped: {reason}',
    meaning: 'duet scs stopped in order.',
  },
  '10-62014': {
    level: 'Standard',
    name: 'pair-primary-held',
    template:
      'Pair {pair}: Primary held from {app} ({why}) while {peer}, which may hold the calls, is unknown; up to {seconds} s',
    meaning:
      'A failed primary was restarted empty while its synced peer is unreachable (its LCA lost): the peer is ' +
      'given the chance to come back first, so that its calls are not swept by a resync from an empty primary.',
  },
  '10-62013': {
    level: 'Standard',
    name: 'lca-message-ignored',
    template: 'LCA of host {host}: message ignored: {reason}',
    meaning: 'SPEC S8.1: a malformed or unexpected message from an LCA changes nothing.',
  },

  // 10-63001..10-63099: alarms at the SCS (src/mgmt/scs/alarms.ts).
  '10-63001': {
    level: 'Alarm',
    name: 'alarm-raised',
    template: 'Alarm {alarm} raised by condition {condition}: event {event} of {app}: {text}',
    meaning: 'SPEC S7: a log event matched an alarm condition of the config (event-id, app).',
  },
  '10-63002': {
    level: 'Standard',
    name: 'alarm-cleared',
    template: 'Alarm {alarm} ({condition}) cleared: {how}',
    meaning:
      'SPEC S7: an alarm was cleared by an administrator (CLI, API, status page), by its clear-on event, or ' +
      'by its cancel-timeout.',
  },
  '10-63003': {
    level: 'Standard',
    name: 'alarm-reaction-run',
    template: 'Alarm {alarm} ({condition}): reaction {reaction}: {detail}',
    meaning: 'SPEC S7: an alarm reaction (switchover, restart, script NAME) was carried out.',
  },
  '10-63004': {
    level: 'Alarm',
    name: 'alarm-reaction-failed',
    template: 'Alarm {alarm} ({condition}): reaction {reaction} failed: {reason}',
    meaning: 'SPEC S7: an alarm reaction could not be carried out (no such pair, LCA down, script failed).',
  },
  '10-63005': {
    level: 'Standard',
    name: 'alarm-repeated',
    template: 'Alarm {alarm} ({condition}) raised again by event {event} of {app} ({count} times)',
    meaning: 'SPEC S7: the event of an alarm that is still raised happened again; its count went up.',
  },
  '10-63006': {
    level: 'Standard',
    name: 'alarms-restored',
    template: 'Restored {count} raised alarms ({ids}) and {cleared} cleared ones from {file}',
    meaning:
      'The SCS started with the alarms saved in its data directory by the SCS before it (same ids, counts, ' +
      'raise times; cancel-timeouts still counted from the raise; reactions are not run again).',
  },
  '10-63007': {
    level: 'Alarm',
    name: 'alarm-file-unreadable',
    template: 'Alarm file {file} is unreadable and was ignored ({reason}); {kept}',
    meaning:
      'The SCS could not read the alarms saved in its data directory: it starts without them (raised alarms ' +
      'of before the restart are not listed). The file is kept aside for inspection.',
  },
  '10-63008': {
    level: 'Alarm',
    name: 'alarm-file-write-failed',
    template: 'Alarms could not be saved to {file}: {reason}; a restart of the SCS would forget them',
    meaning:
      'The SCS could not write its alarm file (disk full, permissions, data directory removed). It keeps ' +
      'trying at every change; logged once until a save succeeds again.',
  },

  // 10-7xxxx: CTI clients.
  '10-70001': {
    level: 'Interaction',
    name: 'cti-client-connected',
    template: 'CTI client {client} connected from {source}',
    meaning: 'A T-Library-style client connected.',
  },
  '10-70002': {
    level: 'Interaction',
    name: 'cti-client-disconnected',
    template: 'CTI client {client} disconnected: {reason}',
    meaning: 'A client connection closed.',
  },
  '10-70003': {
    level: 'Standard',
    name: 'cti-client-refused',
    template: 'CTI client from {source} refused: {reason}',
    meaning: 'Wrong password, or a malformed first message.',
  },
  '10-70004': {
    level: 'Interaction',
    name: 'cti-agent-state',
    template: 'Agent {agent} on DN {dn}: {status}',
    meaning:
      'A CTI request changed an agent state (login, ready, not ready, after-call work, logout); synced.',
  },
  '10-70005': {
    level: 'Standard',
    name: 'cti-listening',
    template: 'CTI server listening on {address}:{port} ({transport})',
    meaning: 'The CTI port (cti-port, TCP) or cti-ws-port (WebSocket) is open; it stays open in both roles.',
  },
  '10-70006': {
    level: 'Alarm',
    name: 'cti-listener-failed',
    template: 'CTI listener could not be opened on {address}:{port} ({transport}): {reason}',
    meaning:
      'cti-port or cti-ws-port could not be opened (in use, address missing): CTI clients cannot connect.',
  },
  '10-70007': {
    level: 'Alarm',
    name: 'cti-client-not-reading',
    template:
      'CTI client {client} at {address} ({transport}) closed: {queued} bytes of events queued unread, over the limit of {limit}',
    meaning:
      'A client stopped reading its connection (hung desktop, dead network without a FIN, too slow for the ' +
      'event rate), so its events piled up in the server; the server closed it rather than buffer without ' +
      'bound. The client library reconnects and registers its DNs again; events of the gap are lost (query ' +
      'the DNs). Counted in tLibClientsStatistics totals.closedNotReading. Repeated for one client: check it.',
  },
} as const satisfies Record<string, EventSpec>;

export type EventId = keyof typeof logEvents;

/** The parameter names of a template: `'on {address}:{port}'` -> `'address' | 'port'`. */
export type TemplateParams<S extends string> = S extends `${string}{${infer P}}${infer Rest}`
  ? P | TemplateParams<Rest>
  : never;

export type ParamValue = string | number | boolean;

export type EventParams<Id extends EventId> = {
  [K in TemplateParams<(typeof logEvents)[Id]['template']>]: ParamValue;
};

export function isEventId(id: string): id is EventId {
  return Object.hasOwn(logEvents, id);
}
