/**
 * Where a call goes (SPEC S2.5-S2.7): the dialed digits resolved against the DNs of the configuration, and for
 * numbers that are no DN, the outbound trunks by longest prefix, in-service state, geo-location and priority.
 */
import type { Config, Dn } from '../../config/config.ts';
import type { Destination } from '../../sip/transport/types.ts';

export type Target =
  | { kind: 'phone'; dn: string }
  | { kind: 'routing-point'; dn: string }
  | { kind: 'trunks'; trunks: string[] }
  | { kind: 'none'; status: 404 | 480 | 503; reason: string };

export interface Origin {
  dn: string;
  /** Inbound: from a Trunk DN (only DNs may be reached); Internal: from a phone DN. */
  callType: 'Internal' | 'Inbound';
}

/**
 * Resolves the dialed number. `rotation` gives round-robin among trunks of equal priority (S2.7): the caller
 * passes a counter it increments per call.
 */
export function resolveTarget(
  config: Config,
  dialed: string,
  origin: Origin,
  isInService: (dn: string) => boolean,
  rotation: number,
): Target {
  const dn = config.dns[dialed];
  if (dn) {
    switch (dn.type) {
      case 'Extension':
      case 'ACD Position':
        return { kind: 'phone', dn: dn.number };
      case 'Routing Point':
        return { kind: 'routing-point', dn: dn.number };
      default:
        // Trunks and services are reached through routing, not by dialing their DN.
        return { kind: 'none', status: 404, reason: `DN ${dialed} is a ${dn.type}, not a destination` };
    }
  }
  if (origin.callType === 'Inbound') {
    // Inbound from a trunk: only our DNs can be reached (S2.7); no trunk-to-trunk tromboning.
    return { kind: 'none', status: 404, reason: `no DN ${dialed}` };
  }
  const originGeo = config.dns[origin.dn]?.options.geoLocation;
  const ordered = selectTrunks(Object.values(config.dns), dialed, isInService, originGeo, rotation);
  if (ordered.matched === 0)
    return { kind: 'none', status: 404, reason: `no DN or trunk prefix matches ${dialed}` };
  if (ordered.trunks.length === 0) {
    return { kind: 'none', status: 503, reason: `every trunk for ${dialed} is out of service` };
  }
  return { kind: 'trunks', trunks: ordered.trunks };
}

/**
 * Trunks for `dialed`, best first: those whose prefix begins the dialed digits with the longest such prefix;
 * out-of-service ones skipped; trunks of the caller's geo-location ahead of the others; then by priority
 * (smaller first), equal priorities rotated.
 */
export function selectTrunks(
  dns: readonly Dn[],
  dialed: string,
  isInService: (dn: string) => boolean,
  geoLocation: string | undefined,
  rotation: number,
): { trunks: string[]; matched: number } {
  const candidates = dns.filter(
    (d) => d.type === 'Trunk' && d.options.prefix !== undefined && dialed.startsWith(d.options.prefix),
  );
  if (candidates.length === 0) return { trunks: [], matched: 0 };
  const longest = Math.max(...candidates.map((d) => d.options.prefix!.length));
  const best = candidates.filter((d) => d.options.prefix!.length === longest);
  const live = best.filter((d) => isInService(d.number));
  const geoRank = (d: Dn): number => (geoLocation && d.options.geoLocation === geoLocation ? 0 : 1);
  const groups = new Map<string, Dn[]>();
  for (const d of live) {
    const key = `${geoRank(d)}:${String(d.options.priority).padStart(5, '0')}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const trunks: string[] = [];
  for (const key of [...groups.keys()].sort()) {
    const group = groups.get(key)!.sort((a, b) => (a.number < b.number ? -1 : 1));
    const shift = rotation % group.length;
    trunks.push(...[...group.slice(shift), ...group.slice(0, shift)].map((d) => d.number));
  }
  return { trunks, matched: best.length };
}

/** A Trunk or service DN's `contact` as a Request-URI for `user` and the address to send to. */
export function contactTarget(
  contact: string,
  user: string,
): { uri: string; destination: Destination } | undefined {
  let host: string;
  let port = 5060;
  let transport: 'UDP' | 'TCP' = 'UDP';
  const sip = /^sips?:(?:[^@;?]*@)?(\[[^\]]+\]|[^:;?]+)(?::(\d+))?([^?]*)/i.exec(contact);
  if (sip) {
    host = sip[1]!;
    if (sip[2]) port = Number(sip[2]);
    if (/;transport=tcp/i.test(sip[3] ?? '')) transport = 'TCP';
  } else {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(contact);
    if (!m) return undefined;
    host = m[1]!;
    if (m[2]) port = Number(m[2]);
  }
  const bare = host.replace(/^\[|\]$/g, '');
  const shown = bare.includes(':') ? `[${bare}]` : bare;
  return {
    uri: `sip:${user}@${shown}:${port}${transport === 'TCP' ? ';transport=tcp' : ''}`,
    destination: { transport, host: bare, port },
  };
}

/** The address each Trunk DN's contact names, per DN table (a configuration is never changed in place). */
const trunkAddresses = new WeakMap<Config['dns'], { dn: string; host: string; port: number }[]>();

function trunkAddressesOf(config: Config): { dn: string; host: string; port: number }[] {
  let list = trunkAddresses.get(config.dns);
  if (list === undefined) {
    list = [];
    for (const dn of Object.values(config.dns)) {
      if (dn.type !== 'Trunk' || !dn.options.contact) continue;
      const t = contactTarget(dn.options.contact, 'x');
      if (t) list.push({ dn: dn.number, host: t.destination.host, port: t.destination.port });
    }
    trunkAddresses.set(config.dns, list);
  }
  return list;
}

/**
 * The Trunk DN whose contact is this source address (S2.7: trunks are trusted by source address). Asked for
 * every INVITE, so the trunks' addresses are worked out once per configuration, not per call from every DN.
 */
export function trunkAt(config: Config, host: string, port: number): string | undefined {
  let byHost: string | undefined;
  let hostMatches = 0;
  for (const t of trunkAddressesOf(config)) {
    if (t.host !== host) continue;
    if (t.port === port) return t.dn;
    byHost = t.dn;
    hostMatches++;
  }
  // A trunk may send from another port than it listens on; the host alone decides when it is unambiguous.
  return hostMatches === 1 ? byHost : undefined;
}
