/**
 * The simulated network: which node owns which address, bound ports, UDP delivery with seeded loss,
 * duplication, delay and reordering, TCP connections (tcp-link.ts), partitions, and counters.
 * Every random choice comes from one stream derived from the seed, and every delivery is a simulator event,
 * so the same seed gives the same packets in the same order.
 */
import type {
  Address,
  NetError,
  TcpConnection,
  TcpHandlers,
  TcpServerHandlers,
  UdpHandlers,
  UdpSocket,
} from '../net.ts';
import { formatAddress } from '../net.ts';
import type { SeededRandom } from '../random.ts';
import { simNetError } from './errors.ts';
import { describeFaults, FaultTable, type LinkFaults, type LinkSelector } from './faults.ts';
import type { SimNode } from './node.ts';
import { PortTable } from './port-table.ts';
import type { Simulator } from './simulator.ts';
import { TcpLink } from './tcp-link.ts';
import { SimTcpServer } from './tcp-server.ts';
import { SimUdpSocket } from './udp-socket.ts';

export interface SimNetworkOptions {
  /** How long a TCP connection survives a partition before both ends fail with ETIMEDOUT. Default 30000. */
  tcpPartitionTimeoutMs?: number;
  /** How long a TCP connect to an address no node owns takes to fail with EHOSTUNREACH. Default 3000. */
  hostUnreachableMs?: number;
  /** Split and coalesce TCP writes into random chunks (seeded). Default true. */
  splitTcp?: boolean;
}

export interface NetworkStats {
  /** UDP datagrams sent. */
  sent: number;
  /** UDP datagrams handed to a socket (a duplicate counts twice). */
  delivered: number;
  /** UDP datagrams lost: random loss, partition, or nobody bound at the destination. */
  dropped: number;
  /** UDP datagrams duplicated. */
  duplicated: number;
  tcpConnects: number;
  tcpRefused: number;
  tcpTimeouts: number;
  tcpBytesWritten: number;
  tcpBytesDelivered: number;
  tcpBytesLost: number;
}

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

export class SimNetwork {
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    tcpConnects: 0,
    tcpRefused: 0,
    tcpTimeouts: 0,
    tcpBytesWritten: 0,
    tcpBytesDelivered: 0,
    tcpBytesLost: 0,
  };
  readonly tcpPartitionTimeoutMs: number;
  readonly hostUnreachableMs: number;
  readonly splitTcp: boolean;

  private readonly random: SeededRandom;
  private readonly faults = new FaultTable();
  private partitions: Array<readonly [ReadonlySet<string>, ReadonlySet<string>]> = [];
  private readonly owners = new Map<string, SimNode>();
  private readonly udpPorts = new Map<SimNode, PortTable<SimUdpSocket>>();
  private readonly tcpPorts = new Map<SimNode, PortTable<SimTcpServer>>();
  /** host:port of outbound TCP connections, per node, so ephemeral ports are not reused while in use. */
  private readonly tcpOutbound = new Map<SimNode, Set<number>>();
  private readonly nextEphemeral = new Map<SimNode, number>();
  /** Per host pair: the latest UDP delivery time, to keep a link FIFO unless reordering is on. */
  private readonly udpFifo = new Map<string, number>();
  private readonly links = new Map<number, TcpLink>();
  private packetSeq = 0;
  private linkSeq = 0;

  constructor(
    readonly sim: Simulator,
    options: SimNetworkOptions = {},
  ) {
    this.tcpPartitionTimeoutMs = options.tcpPartitionTimeoutMs ?? 30_000;
    this.hostUnreachableMs = options.hostUnreachableMs ?? 3000;
    this.splitTcp = options.splitTcp ?? true;
    this.random = sim.deriveRandom('network');
  }

  // ---- faults and partitions ----

  /** Changes the faults of every link that has no rule of its own. Defaults: no loss, delay [1,5] ms, FIFO. */
  setDefaultFaults(faults: Partial<LinkFaults>): void {
    this.faults.setDefaults(faults);
    this.trace(`faults default ${describeFaults(faults)}`);
  }

  /** Faults for one direction (`from` → `to`; a missing end means any host). Replaces that selector's rule. */
  setFaults(selector: LinkSelector, faults: Partial<LinkFaults>): void {
    this.faults.set(selector, faults);
    this.trace(`faults ${selector.from ?? '*'}>${selector.to ?? '*'} ${describeFaults(faults)}`);
  }

  /** Removes one selector's rule, or all rules (the defaults stay). */
  clearFaults(selector?: LinkSelector): void {
    this.faults.clear(selector);
    this.trace(selector ? `faults ${selector.from ?? '*'}>${selector.to ?? '*'} cleared` : 'faults cleared');
  }

  faultsFor(from: string, to: string): LinkFaults {
    return this.faults.resolve(from, to);
  }

  /** Cuts every host of `a` off from every host of `b`, both ways. Partitions add up until heal(). */
  partition(a: readonly string[], b: readonly string[]): void {
    const sa = new Set(a);
    const sb = new Set(b);
    const both = [...sa].filter((h) => sb.has(h));
    if (both.length > 0) throw new Error(`partition: ${both.join(', ')} cannot be on both sides`);
    this.partitions.push([sa, sb]);
    this.trace(`partition [${a.join(' ')}] | [${b.join(' ')}]`);
    for (const link of this.links.values()) link.checkPartition();
  }

  /** Removes every partition; TCP data held across them goes through. */
  heal(): void {
    if (this.partitions.length === 0) return;
    this.partitions = [];
    this.trace('heal');
    for (const link of [...this.links.values()]) link.healed();
  }

  isBlocked(x: string, y: string): boolean {
    for (const [a, b] of this.partitions) {
      if ((a.has(x) && b.has(y)) || (b.has(x) && a.has(y))) return true;
    }
    return false;
  }

  // ---- addresses ----

  assignHost(host: string, node: SimNode): void {
    const owner = this.owners.get(host);
    if (owner !== undefined && owner !== node) {
      throw new Error(`address ${host} already belongs to node "${owner.name}"; removeHost() it there first`);
    }
    this.owners.set(host, node);
    this.trace(`host ${host} on ${node.name}`);
  }

  unassignHost(host: string, node: SimNode): void {
    if (this.owners.get(host) !== node) return;
    this.owners.delete(host);
    this.trace(`host ${host} off ${node.name}`);
  }

  ownerOf(host: string): SimNode | undefined {
    return this.owners.get(host);
  }

  // ---- UDP ----

  bindUdp(node: SimNode, local: Address, handlers: UdpHandlers): UdpSocket {
    checkPort(local.port, 'bindUdp');
    const sock = new SimUdpSocket(this, node, local.host, handlers);
    const table = tableOf(this.udpPorts, node);
    const port = this.claimPort(node, local.port, (p) => table.isFree(sock.hostKey, p));
    const err = this.bindError(node, local, port, 'UDP bind');
    if (err !== undefined) {
      sock.markFailed();
      this.trace(`udp bind ${node.name} ${formatAddress(local)} failed ${err.code}`);
      node.schedule(0, () => handlers.onError?.(err));
      return sock;
    }
    sock.markBound(port!);
    table.add(sock.hostKey, port!, sock);
    node.own(sock);
    this.trace(`udp bind ${node.name} ${formatAddress({ host: local.host, port: port! })}`);
    node.schedule(0, () => sock.markListening());
    return sock;
  }

  releaseUdp(sock: SimUdpSocket): void {
    tableOf(this.udpPorts, sock.node).remove(sock.hostKey, sock.port, sock);
    sock.node.disown(sock);
  }

  sendUdp(sock: SimUdpSocket, data: Uint8Array, to: Address): void {
    const from = sock.sourceFor(to.host);
    if (from === undefined) return; // a node without addresses has nowhere to send from
    const id = ++this.packetSeq;
    const payload = Buffer.from(data);
    this.stats.sent++;
    this.trace(
      `udp #${id} ${formatAddress(from)} > ${formatAddress(to)} ${payload.length}B${preview(payload)}`,
    );
    if (this.isBlocked(from.host, to.host)) {
      this.drop(id, 'partition');
      return;
    }
    const f = this.faults.resolve(from.host, to.host);
    if (f.loss > 0 && this.random.next() < f.loss) {
      this.drop(id, 'loss');
      return;
    }
    let copies = 1;
    if (f.duplicate > 0 && this.random.next() < f.duplicate) {
      copies = 2;
      this.stats.duplicated++;
      this.trace(`udp #${id} duplicated`);
    }
    for (let i = 0; i < copies; i++) {
      const at = this.udpDeliveryTime(from.host, to.host, f);
      this.sim.at(at, () => this.deliverUdp(id, from, to, payload));
    }
  }

  private deliverUdp(id: number, from: Address, to: Address, payload: Buffer): void {
    if (this.isBlocked(from.host, to.host)) {
      this.drop(id, 'partition');
      return;
    }
    const node = this.owners.get(to.host);
    if (node === undefined) {
      this.drop(id, 'no such host');
      return;
    }
    if (!node.alive) {
      this.drop(id, 'host down');
      return;
    }
    const sock = tableOf(this.udpPorts, node).lookup(to.host, to.port);
    if (sock === undefined || sock.isClosed) {
      this.drop(id, 'port unreachable');
      return;
    }
    this.stats.delivered++;
    this.trace(`udp #${id} delivered ${formatAddress(to)}`);
    sock.deliver(Buffer.from(payload), { ...from });
  }

  private drop(id: number, why: string): void {
    this.stats.dropped++;
    this.trace(`udp #${id} dropped (${why})`);
  }

  private udpDeliveryTime(from: string, to: string, f: LinkFaults): number {
    let at = this.sim.now + this.sampleDelay(f.delayMs);
    if (!f.reorder) {
      const key = `${from}>${to}`;
      at = Math.max(at, this.udpFifo.get(key) ?? at);
      this.udpFifo.set(key, at);
    }
    return at;
  }

  // ---- TCP ----

  listenTcp(node: SimNode, local: Address, handlers: TcpServerHandlers): SimTcpServer {
    checkPort(local.port, 'listenTcp');
    const server = new SimTcpServer(this, node, local.host, handlers);
    const table = tableOf(this.tcpPorts, node);
    const outbound = tableOf(this.tcpOutbound, node, () => new Set<number>());
    const port = this.claimPort(node, local.port, (p) => table.isFree(server.hostKey, p) && !outbound.has(p));
    const err = this.bindError(node, local, port, 'TCP listen on');
    if (err !== undefined) {
      server.markFailed();
      this.trace(`tcp listen ${node.name} ${formatAddress(local)} failed ${err.code}`);
      node.schedule(0, () => handlers.onError?.(err));
      return server;
    }
    server.markBound(port!);
    table.add(server.hostKey, port!, server);
    node.own(server);
    this.trace(`tcp listen ${node.name} ${formatAddress({ host: local.host, port: port! })}`);
    node.schedule(0, () => server.markListening());
    return server;
  }

  releaseTcpServer(server: SimTcpServer): void {
    tableOf(this.tcpPorts, server.node).remove(server.hostKey, server.port, server);
    server.node.disown(server);
  }

  listenerFor(node: SimNode, addr: Address): SimTcpServer | undefined {
    const server = tableOf(this.tcpPorts, node).lookup(addr.host, addr.port);
    return server?.isClosed ? undefined : server;
  }

  connectTcp(node: SimNode, remote: Address, handlers: TcpHandlers): TcpConnection {
    checkPort(remote.port, 'connectTcp');
    const id = ++this.linkSeq;
    const host = node.sourceHostFor(remote.host);
    const listeners = tableOf(this.tcpPorts, node);
    const outbound = tableOf(this.tcpOutbound, node, () => new Set<number>());
    const port =
      host === undefined
        ? undefined
        : this.ephemeral(node, (p) => !listeners.isPortUsed(p) && !outbound.has(p));
    if (host === undefined || port === undefined) {
      const link = new TcpLink(this, id, node, { host: host ?? '0.0.0.0', port: 0 }, { ...remote }, handlers);
      this.links.set(id, link);
      link.failAtOnce('EADDRNOTAVAIL');
      return link.client;
    }
    outbound.add(port);
    const link = new TcpLink(this, id, node, { host, port }, { ...remote }, handlers);
    this.links.set(id, link);
    node.own(link.client);
    link.start();
    return link.client;
  }

  /** A connection is over at both ends. */
  releaseLink(link: TcpLink): void {
    this.links.delete(link.id);
    const node = link.client.node;
    this.tcpOutbound.get(node)?.delete(link.clientAddr.port);
  }

  /** Connections not yet closed at both ends. */
  get openConnections(): number {
    return this.links.size;
  }

  // ---- shared helpers (used by TcpLink) ----

  /** One-way delay for a segment or datagram on this direction. */
  linkDelay(from: string, to: string): number {
    return this.sampleDelay(this.faults.resolve(from, to).delayMs);
  }

  /** How many of `total` ready bytes the next TCP chunk carries. */
  chunkSize(total: number): number {
    if (!this.splitTcp || total <= 1 || this.random.next() < 0.5) return total;
    return 1 + this.random.int(total - 1);
  }

  trace(text: string): void {
    this.sim.trace(text);
  }

  private sampleDelay([min, max]: readonly [number, number]): number {
    if (min === max) return min;
    if (Number.isInteger(min) && Number.isInteger(max)) return min + this.random.int(max - min + 1);
    return min + this.random.next() * (max - min);
  }

  /** The port to bind: the requested one, or for port 0 an ephemeral one; undefined if none is free. */
  private claimPort(node: SimNode, requested: number, free: (port: number) => boolean): number | undefined {
    if (requested !== 0) return free(requested) ? requested : undefined;
    return this.ephemeral(node, free);
  }

  private ephemeral(node: SimNode, free: (port: number) => boolean): number | undefined {
    let next = this.nextEphemeral.get(node) ?? EPHEMERAL_FIRST;
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = next;
      next = next === 65535 ? EPHEMERAL_FIRST : next + 1;
      if (free(port)) {
        this.nextEphemeral.set(node, next);
        return port;
      }
    }
    return undefined;
  }

  private bindError(
    node: SimNode,
    local: Address,
    port: number | undefined,
    action: string,
  ): NetError | undefined {
    if (local.host !== '0.0.0.0' && local.host !== '::' && !node.hasHost(local.host)) {
      return simNetError('EADDRNOTAVAIL', action, local);
    }
    if (port === undefined) return simNetError('EADDRINUSE', action, local);
    return undefined;
  }
}

function tableOf<K, V>(map: Map<K, V>, key: K, make?: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make ? make() : (new PortTable() as V);
    map.set(key, v);
  }
  return v;
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${what}: port must be an integer in 0..65535, got ${port}`);
  }
}

/** The first line of a text payload ("INVITE sip:bob@example.com SIP/2.0"), to make the log readable. */
function preview(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length && i < 60; i++) {
    const c = data[i]!;
    if (c === 13 || c === 10) break;
    if (c < 32 || c > 126) return '';
    s += String.fromCharCode(c);
  }
  return s === '' ? '' : ` "${s}"`;
}
