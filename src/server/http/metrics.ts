/**
 * The server's Prometheus metrics (SPEC S7: `/metrics` on the HTTP interface). One Registry per server (not
 * prom-client's global one), so two servers in one process (tests, the simulator) do not share counters.
 * The server updates them through the small typed facade below; values that already live elsewhere (calls
 * in the store, trunks' service state) can instead be read at scrape time through `sample`.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export type SipMessageKind = 'request' | 'response';
export type CallResult = 'answered' | 'failed' | 'abandoned';
export type ProbeResult = 'sent' | 'answered' | 'failed';

/** Values read when /metrics is scraped; each is optional (a setter on the facade does the same). */
export interface MetricsSample {
  callsActive?(): number;
  registrationsActive?(): number;
  ctiClients?(): number;
  /** 1 while this server is the primary. */
  primary?(): boolean;
  /** In-service state of each OOS-checked DN. */
  trunksInService?(): Record<string, boolean>;
}

export interface ServerMetricsOptions {
  /** Also export the process metrics of prom-client (CPU, memory, event loop lag). Default false. */
  processMetrics?: boolean;
  /** Labels put on every metric, e.g. `{ app: 'SIP_A' }`. */
  labels?: Record<string, string>;
  sample?: MetricsSample;
}

export interface ServerMetrics {
  readonly registry: Registry;
  messageReceived(kind: SipMessageKind): void;
  messageSent(kind: SipMessageKind): void;
  parseError(): void;
  floodDrop(): void;
  floodEpisode(): void;
  /** A call was created: counts it, and raises calls_active unless that is sampled. */
  callStarted(): void;
  /** A call was released: counts it by result, and lowers calls_active unless that is sampled. */
  callEnded(result: CallResult): void;
  setCallsActive(n: number): void;
  setRegistrationsActive(n: number): void;
  setCtiClients(n: number): void;
  setPrimary(primary: boolean): void;
  setTrunkInService(dn: string, inService: boolean): void;
  /** A DN left the configuration: drop its series. */
  removeTrunk(dn: string): void;
  oosProbe(dn: string, result: ProbeResult): void;
}

/** The metric names, for documentation and tests. */
export const metricNames = [
  'sip_messages_received_total',
  'sip_messages_sent_total',
  'sip_parse_errors_total',
  'sip_flood_drops_total',
  'sip_flood_episodes_total',
  'calls_active',
  'calls_started_total',
  'calls_total',
  'registrations_active',
  'cti_clients',
  'server_primary',
  'trunk_in_service',
  'oos_probes_total',
] as const;

export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  const registry = new Registry();
  if (options.labels !== undefined) registry.setDefaultLabels(options.labels);
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const sample = options.sample ?? {};

  const received = new Counter({
    name: 'sip_messages_received_total',
    help: 'SIP messages received and parsed, by kind (request, response).',
    labelNames: ['kind'] as const,
    registers,
  });
  const sent = new Counter({
    name: 'sip_messages_sent_total',
    help: 'SIP messages sent, retransmissions included, by kind (request, response).',
    labelNames: ['kind'] as const,
    registers,
  });
  const parseErrors = new Counter({
    name: 'sip_parse_errors_total',
    help: 'SIP messages that could not be parsed (answered 400 or dropped; SPEC S2.1).',
    registers,
  });
  const floodDrops = new Counter({
    name: 'sip_flood_drops_total',
    help: 'SIP requests refused because their source exceeded sip-flood-limit (SPEC S8.4).',
    registers,
  });
  const floodEpisodes = new Counter({
    name: 'sip_flood_episodes_total',
    help: 'Times a source started exceeding sip-flood-limit (event 10-30002).',
    registers,
  });
  const callsStarted = new Counter({
    name: 'calls_started_total',
    help: 'Calls created.',
    registers,
  });
  const callsTotal = new Counter({
    name: 'calls_total',
    help: 'Calls that ended, by result (answered, failed, abandoned).',
    labelNames: ['result'] as const,
    registers,
  });
  const oosProbes = new Counter({
    name: 'oos_probes_total',
    help: 'OPTIONS probes of active out-of-service detection (SPEC S2.8), by DN and result.',
    labelNames: ['dn', 'result'] as const,
    registers,
  });

  const sampled = (name: string, help: string, read: (() => number) | undefined): Gauge => {
    return new Gauge({
      name,
      help,
      registers,
      collect:
        read === undefined
          ? undefined
          : function (this: Gauge) {
              this.set(read());
            },
    });
  };
  const callsActive = sampled(
    'calls_active',
    'Calls in progress (in the replicated store).',
    sample.callsActive,
  );
  const registrations = sampled(
    'registrations_active',
    'Unexpired contact bindings (SPEC S2.4).',
    sample.registrationsActive,
  );
  const ctiClients = sampled('cti_clients', 'CTI clients connected (SPEC S3).', sample.ctiClients);
  const primary = sampled(
    'server_primary',
    '1 while this server is the primary of its pair, else 0.',
    sample.primary === undefined ? undefined : () => (sample.primary?.() ? 1 : 0),
  );
  const trunks = new Gauge({
    name: 'trunk_in_service',
    help: '1 while an OOS-checked Trunk or Voice over IP Service DN is in service, else 0 (SPEC S2.8).',
    labelNames: ['dn'] as const,
    registers,
    collect:
      sample.trunksInService === undefined
        ? undefined
        : function (this: Gauge<'dn'>) {
            this.reset();
            for (const [dn, up] of Object.entries(sample.trunksInService?.() ?? {}))
              this.set({ dn }, up ? 1 : 0);
          },
  });

  return {
    registry,
    messageReceived: (kind) => received.inc({ kind }),
    messageSent: (kind) => sent.inc({ kind }),
    parseError: () => parseErrors.inc(),
    floodDrop: () => floodDrops.inc(),
    floodEpisode: () => floodEpisodes.inc(),
    callStarted: () => {
      callsStarted.inc();
      if (sample.callsActive === undefined) callsActive.inc();
    },
    callEnded: (result) => {
      callsTotal.inc({ result });
      if (sample.callsActive === undefined) callsActive.dec();
    },
    setCallsActive: (n) => callsActive.set(n),
    setRegistrationsActive: (n) => registrations.set(n),
    setCtiClients: (n) => ctiClients.set(n),
    setPrimary: (p) => primary.set(p ? 1 : 0),
    setTrunkInService: (dn, up) => trunks.set({ dn }, up ? 1 : 0),
    removeTrunk: (dn) => {
      trunks.remove({ dn });
      for (const result of ['sent', 'answered', 'failed'] as const) oosProbes.remove({ dn, result });
    },
    oosProbe: (dn, result) => oosProbes.inc({ dn, result }),
  };
}
