/**
 * One simulated TCP connection: the two ends and a pipe per direction.
 *
 * What is modelled, and why:
 * - In-order, lossless delivery (TCP retransmits), one link delay per segment, FIFO per direction.
 * - Stream semantics: the bytes of successive writes arrive in chunks that may be split or coalesced
 *   (seeded), so SIP framing over TCP (RFC 3261 §18.3, Content-Length) is exercised for real.
 * - Handshake: SYN takes one link delay; a closed port answers with a reset (ECONNREFUSED at that moment);
 *   an address nobody owns gives EHOSTUNREACH after `hostUnreachableMs` (ARP fails).
 * - Close: close() sends FIN after the data already written; the peer's onClose fires when it arrives and it
 *   answers with its own FIN (Node's allowHalfOpen=false), which closes the first end.
 * - A crash: the kernel sends FIN for the dead process's connections; the peer sees a normal close.
 * - abort(): a reset. What the aborting end had queued is discarded; the RST takes one link delay and is
 *   seen even by a peer that is not reading (ECONNRESET); the aborting end's onClose follows at once.
 * - A reader that stops (pauseReading): what is sent to it waits in the pipe (no window is modelled: the
 *   sender's queuedBytes() is everything not yet delivered), and is delivered in order once it reads again.
 * - A partition holds the segments (retransmission); if it lasts `tcpPartitionTimeoutMs`, both ends give up
 *   with ETIMEDOUT and what was in flight is lost. Healed earlier, the held data goes through.
 */
import type { Address, NetError, TcpHandlers } from '../net.ts';
import { formatAddress } from '../net.ts';
import { simNetError } from './errors.ts';
import type { SimNetwork } from './network.ts';
import type { SimNode } from './node.ts';
import { SimTcpConnection } from './tcp-connection.ts';

export type Segment =
  | { kind: 'syn' }
  | { kind: 'synack' }
  | { kind: 'data'; bytes: Buffer }
  | { kind: 'fin' }
  | { kind: 'rst' };

interface Queued {
  seg: Segment;
  readyAt: number;
}

class Pipe {
  readonly items: Queued[] = [];
  tick: number | undefined;
  lastReadyAt = Number.NEGATIVE_INFINITY;
  /** Data bytes in `items` (not yet delivered). */
  dataBytes = 0;
  constructor(
    readonly fromHost: string,
    readonly toHost: string,
  ) {}
}

export class TcpLink {
  readonly client: SimTcpConnection;
  server: SimTcpConnection | undefined;
  private readonly toServer: Pipe;
  private readonly toClient: Pipe;
  private partitionTimer: number | undefined;
  private unreachableTimer: number | undefined;
  private released = false;

  constructor(
    private readonly network: SimNetwork,
    readonly id: number,
    clientNode: SimNode,
    readonly clientAddr: Address,
    readonly serverAddr: Address,
    handlers: TcpHandlers,
  ) {
    this.client = new SimTcpConnection(this, clientNode, clientAddr, serverAddr, handlers);
    this.toServer = new Pipe(clientAddr.host, serverAddr.host);
    this.toClient = new Pipe(serverAddr.host, clientAddr.host);
  }

  private get sim() {
    return this.network.sim;
  }

  private get tag(): string {
    return `tcp c${this.id}`;
  }

  /** Sends the SYN. */
  start(): void {
    this.network.trace(
      `${this.tag} connect ${formatAddress(this.clientAddr)} > ${formatAddress(this.serverAddr)}`,
    );
    this.enqueue(this.toServer, { kind: 'syn' });
    this.checkPartition();
  }

  /** A connection that cannot even start (no source address): fails on the next tick. */
  failAtOnce(code: 'EADDRNOTAVAIL'): void {
    this.client.node.schedule(0, () =>
      this.finish(this.client, simNetError(code, 'TCP connect to', this.serverAddr)),
    );
  }

  write(ep: SimTcpConnection, data: Uint8Array): void {
    if (ep.finQueued || ep.closed || ep.dead || data.length === 0) return;
    const bytes = Buffer.from(data);
    this.network.stats.tcpBytesWritten += bytes.length;
    if (!ep.established) ep.held.push({ kind: 'data', bytes });
    else this.enqueue(this.pipeFrom(ep), { kind: 'data', bytes });
  }

  close(ep: SimTcpConnection): void {
    if (ep.finQueued || ep.closed || ep.dead) return;
    ep.finQueued = true;
    this.network.trace(`${this.tag} close by ${formatAddress(ep.localAddress)}`);
    if (!ep.established) ep.held.push({ kind: 'fin' });
    else this.enqueue(this.pipeFrom(ep), { kind: 'fin' });
  }

  /** Bytes `ep` wrote that the peer's application has not received: held before the handshake, or in flight. */
  queuedBytes(ep: SimTcpConnection): number {
    if (ep.closed) return 0;
    return heldBytes(ep) + this.pipeFrom(ep).dataBytes;
  }

  /** A reset: what `ep` queued is lost, the peer gets ECONNRESET after one link delay, `ep` closes at once. */
  abort(ep: SimTcpConnection): void {
    if (ep.closed || ep.dead) return;
    const lost = heldBytes(ep) + this.clearPipe(this.pipeFrom(ep));
    this.network.stats.tcpBytesLost += heldBytes(ep);
    ep.held = [];
    ep.finQueued = true;
    this.network.trace(`${this.tag} reset by ${formatAddress(ep.localAddress)}, ${lost}B discarded`);
    const peer = ep === this.client ? this.server : this.client;
    if (peer !== undefined && !peer.closed) this.enqueue(this.pipeFrom(ep), { kind: 'rst' });
    if (this.unreachableTimer !== undefined) {
      this.sim.cancel(this.unreachableTimer);
      this.unreachableTimer = undefined;
    }
    ep.node.schedule(0, () => this.finish(ep, undefined));
  }

  /** `ep`'s application reads again: what waited for it goes on. */
  resumed(ep: SimTcpConnection): void {
    this.kick(ep === this.client ? this.toClient : this.toServer);
  }

  /** The owning process died: the kernel closes the socket; the dead end is never called back. */
  kill(ep: SimTcpConnection): void {
    if (ep.closed) return;
    ep.dead = true;
    ep.closed = true;
    ep.held = [];
    if (ep === this.client && this.server === undefined) {
      // The SYN never arrived: nothing on the other side to tell.
      this.clearPipe(this.toServer);
      if (this.unreachableTimer !== undefined) this.sim.cancel(this.unreachableTimer);
    } else if (!ep.finQueued) {
      ep.finQueued = true;
      this.enqueue(this.pipeFrom(ep), { kind: 'fin' });
    }
    this.network.trace(`${this.tag} closed ${formatAddress(ep.localAddress)} (process died)`);
    this.releaseIfDone();
  }

  /** Called when a partition starts and when the link is created. */
  checkPartition(): void {
    if (this.released || this.partitionTimer !== undefined) return;
    if (!this.network.isBlocked(this.clientAddr.host, this.serverAddr.host)) return;
    this.partitionTimer = this.sim.schedule(this.network.tcpPartitionTimeoutMs, () =>
      this.partitionTimeout(),
    );
  }

  /** The partition is gone: held segments go through. */
  healed(): void {
    if (this.partitionTimer !== undefined) {
      this.sim.cancel(this.partitionTimer);
      this.partitionTimer = undefined;
    }
    this.kick(this.toServer);
    this.kick(this.toClient);
  }

  private partitionTimeout(): void {
    this.partitionTimer = undefined;
    const held = heldBytes(this.client);
    this.client.held = [];
    this.network.stats.tcpBytesLost += held;
    const lost = this.clearPipe(this.toServer) + this.clearPipe(this.toClient) + held;
    this.network.stats.tcpTimeouts++;
    this.network.trace(`${this.tag} timeout across partition, ${lost}B lost`);
    this.finish(this.client, simNetError('ETIMEDOUT', 'TCP connection to', this.serverAddr));
    if (this.server !== undefined) {
      this.finish(this.server, simNetError('ETIMEDOUT', 'TCP connection from', this.clientAddr));
    }
  }

  private pipeFrom(ep: SimTcpConnection): Pipe {
    return ep === this.client ? this.toServer : this.toClient;
  }

  private enqueue(pipe: Pipe, seg: Segment): void {
    const delay = this.network.linkDelay(pipe.fromHost, pipe.toHost);
    const readyAt = Math.max(this.sim.now + delay, pipe.lastReadyAt);
    pipe.lastReadyAt = readyAt;
    pipe.items.push({ seg, readyAt });
    if (seg.kind === 'data') pipe.dataBytes += seg.bytes.length;
    this.kick(pipe);
  }

  private kick(pipe: Pipe): void {
    if (pipe.tick !== undefined || pipe.items.length === 0) return;
    if (this.network.isBlocked(pipe.fromHost, pipe.toHost)) return;
    pipe.tick = this.sim.at(pipe.items[0]!.readyAt, () => this.pump(pipe));
  }

  /** Returns the data bytes dropped. */
  private clearPipe(pipe: Pipe): number {
    if (pipe.tick !== undefined) this.sim.cancel(pipe.tick);
    pipe.tick = undefined;
    let lost = 0;
    for (const q of pipe.items) if (q.seg.kind === 'data') lost += q.seg.bytes.length;
    pipe.items.length = 0;
    pipe.dataBytes = 0;
    pipe.lastReadyAt = Number.NEGATIVE_INFINITY;
    this.network.stats.tcpBytesLost += lost;
    return lost;
  }

  private pump(pipe: Pipe): void {
    pipe.tick = undefined;
    if (this.network.isBlocked(pipe.fromHost, pipe.toHost)) return; // held until heal() or the timeout
    const head = pipe.items[0];
    if (head === undefined) return;
    if (head.readyAt > this.sim.now) {
      this.kick(pipe);
      return;
    }
    const target = pipe === this.toServer ? this.server : this.client;
    // A reader that stopped takes nothing more (the data, and the FIN behind it, wait); a reset still arrives.
    if (target?.readingPaused && !target.closed && (head.seg.kind === 'data' || head.seg.kind === 'fin')) {
      return; // resumed() kicks the pipe again
    }
    switch (head.seg.kind) {
      case 'syn':
        pipe.items.shift();
        this.arriveSyn();
        break;
      case 'synack':
        pipe.items.shift();
        this.arriveSynAck();
        break;
      case 'fin':
        pipe.items.shift();
        this.arriveFin(target);
        break;
      case 'data':
        this.arriveData(pipe, target);
        break;
      case 'rst':
        pipe.items.shift();
        this.arriveRst(target);
        break;
    }
    this.kick(pipe);
  }

  private arriveSyn(): void {
    const node = this.network.ownerOf(this.serverAddr.host);
    if (node === undefined) {
      this.network.trace(`${this.tag} no node owns ${this.serverAddr.host}`);
      this.unreachableTimer = this.sim.schedule(this.network.hostUnreachableMs, () => {
        this.unreachableTimer = undefined;
        this.finish(this.client, simNetError('EHOSTUNREACH', 'TCP connect to', this.serverAddr));
      });
      return;
    }
    const listener = node.alive ? this.network.listenerFor(node, this.serverAddr) : undefined;
    if (listener === undefined) {
      this.network.stats.tcpRefused++;
      this.network.trace(`${this.tag} refused by ${formatAddress(this.serverAddr)}`);
      this.finish(this.client, simNetError('ECONNREFUSED', 'TCP connect to', this.serverAddr));
      return;
    }
    const server = new SimTcpConnection(this, node, this.serverAddr, this.clientAddr);
    server.established = true;
    this.server = server;
    node.own(server);
    this.network.stats.tcpConnects++;
    this.network.trace(`${this.tag} accepted by ${node.name}`);
    // The SYN-ACK goes first so that whatever the server writes from onConnection follows it.
    this.enqueue(this.toClient, { kind: 'synack' });
    server.handlers = listener.handlers.onConnection(server);
  }

  private arriveSynAck(): void {
    const c = this.client;
    if (c.closed) return;
    c.established = true;
    this.network.trace(`${this.tag} established`);
    const held = c.held;
    c.held = [];
    for (const seg of held) this.enqueue(this.toServer, seg);
    c.handlers?.onConnect?.();
  }

  private arriveFin(target: SimTcpConnection | undefined): void {
    if (target === undefined || target.closed) return;
    if (!target.finQueued) {
      // allowHalfOpen=false: the receiving end closes its side too, after what it already wrote.
      target.finQueued = true;
      this.enqueue(this.pipeFrom(target), { kind: 'fin' });
    }
    this.finish(target, undefined);
  }

  private arriveRst(target: SimTcpConnection | undefined): void {
    if (target === undefined || target.closed) return;
    target.finQueued = true;
    this.network.stats.tcpBytesLost += heldBytes(target);
    target.held = [];
    this.clearPipe(this.pipeFrom(target));
    const other = target === this.client ? this.serverAddr : this.clientAddr;
    this.finish(
      target,
      simNetError('ECONNRESET', target === this.client ? 'TCP connection to' : 'TCP connection from', other),
    );
  }

  private arriveData(pipe: Pipe, target: SimTcpConnection | undefined): void {
    const now = this.sim.now;
    const parts: Buffer[] = [];
    while (pipe.items.length > 0) {
      const q = pipe.items[0]!;
      if (q.seg.kind !== 'data' || q.readyAt > now) break;
      parts.push(q.seg.bytes);
      pipe.items.shift();
    }
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const n = this.network.chunkSize(all.length);
    if (n < all.length) pipe.items.unshift({ seg: { kind: 'data', bytes: all.subarray(n) }, readyAt: now });
    const chunk = all.subarray(0, n);
    pipe.dataBytes -= n;
    if (target === undefined || target.closed) {
      this.network.stats.tcpBytesLost += chunk.length;
      return;
    }
    this.network.stats.tcpBytesDelivered += chunk.length;
    this.network.trace(
      `${this.tag} data ${formatAddress(target.remoteAddress)} > ${formatAddress(target.localAddress)} ${chunk.length}B`,
    );
    target.handlers?.onData(chunk);
  }

  private finish(ep: SimTcpConnection, err: NetError | undefined): void {
    if (ep.closed) return;
    ep.closed = true;
    ep.finQueued = true;
    ep.node.disown(ep);
    this.network.trace(`${this.tag} closed ${formatAddress(ep.localAddress)}${err ? ` ${err.code}` : ''}`);
    ep.handlers?.onClose(err);
    this.releaseIfDone();
  }

  private releaseIfDone(): void {
    if (this.released || !this.client.closed || (this.server !== undefined && !this.server.closed)) return;
    this.released = true;
    if (this.partitionTimer !== undefined) this.sim.cancel(this.partitionTimer);
    this.partitionTimer = undefined;
    this.clearPipe(this.toServer);
    this.clearPipe(this.toClient);
    this.network.releaseLink(this);
  }
}

function heldBytes(ep: SimTcpConnection): number {
  let n = 0;
  for (const seg of ep.held) if (seg.kind === 'data') n += seg.bytes.length;
  return n;
}
