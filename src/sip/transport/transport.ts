/**
 * SIP over UDP and TCP on the injected Net (RFC 3261 §18, RFC 3581).
 *
 * - Receiving a request, the server side stamps the top Via with `received` (when the sent-by host is not
 *   the packet's source) and fills an empty `rport` with the source port (§18.2.1, RFC 3581 §4), so responses
 *   find their way back through NAT.
 * - Responses go back per the top Via (§18.2.2): over the connection the request came on when it is still open;
 *   on UDP to `received` (else the sent-by host) and the `rport` value (else the sent-by port), from the
 *   listening socket so that the source port is the one the client sent to.
 * - Requests to a TCP destination reuse an open connection to that address (§18.1.1); a connection is closed
 *   after `idleTimeoutMs` without traffic.
 * - A message that cannot be parsed never throws out of here: a request whose start line and Via, From, To,
 *   Call-ID and CSeq could be read is answered 400 (505 for a bad version) with the fault as the reason
 *   phrase (SPEC S2.1); anything else is dropped and counted. A stream whose framing breaks is closed.
 */
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { Address, Net, NetError, TcpConnection, TcpServer, UdpSocket } from '../../runtime/net.ts';
import { netError } from '../../runtime/net.ts';
import { createResponse } from '../message/build.ts';
import { formatVia, parseVia, viaOf } from '../message/headers.ts';
import { parseMessage } from '../message/parser.ts';
import { serializeMessage } from '../message/serializer.ts';
import type {
  HeaderField,
  ParseLimits,
  SipMessage,
  SipParseError,
  SipRequest,
  SipResponse,
} from '../message/types.ts';
import { StreamFramer } from './stream-framer.ts';
import type { Destination, Inbound, SipSender, TransportProtocol } from './types.ts';

export interface TransportOptions {
  net: Net;
  clock: Clock;
  /** Address to listen on ("0.0.0.0", "127.0.0.1", "::1", ...). */
  host: string;
  /** Port to listen on; 0 picks one (tests). */
  port: number;
  protocols?: TransportProtocol[];
  limits?: Partial<ParseLimits>;
  /** A TCP connection without traffic for this long is closed. Default 300 s. */
  idleTimeoutMs?: number;
  /** Answer unparsable requests with 400/505 (SPEC S2.1). Default true. */
  answerBadRequests?: boolean;
  onMessage(msg: SipMessage, inbound: Inbound): void;
  /** A message was refused (logged by the caller); `answered` when a 400/505 went back. */
  onParseError?(error: SipParseError, inbound: Inbound, answered: boolean): void;
}

export interface TransportStats {
  received: number;
  sent: number;
  parseErrors: number;
  dropped: number;
  connections: number;
}

interface Connection {
  id: number;
  conn: TcpConnection;
  key: string;
  framer: StreamFramer;
  /** Writes queued until an outbound connection is established. */
  pending: Uint8Array[] | null;
  idleTimer: TimerHandle | null;
  errorHandlers: ((err: NetError) => void)[];
}

const UDP_MAX = 65535;

export class SipTransport implements SipSender {
  readonly stats: TransportStats = { received: 0, sent: 0, parseErrors: 0, dropped: 0, connections: 0 };
  private udp: UdpSocket | null = null;
  /** The UDP socket's bound address, asked once: it does not change while the socket is open. */
  private udpLocal: Address | undefined;
  private tcpServer: TcpServer | null = null;
  private readonly byId = new Map<number, Connection>();
  private readonly byRemote = new Map<string, Connection>();
  private nextConnectionId = 1;
  private closed = false;
  private readonly protocols: TransportProtocol[];
  private readonly idleTimeoutMs: number;

  constructor(private readonly opts: TransportOptions) {
    this.protocols = opts.protocols ?? ['UDP', 'TCP'];
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 300_000;
  }

  /**
   * Opens the listening sockets. `done` gets the first error (EADDRINUSE: the caller reports the listener
   * failure, event 00-04200) or nothing once every protocol is listening. On error, whatever opened is closed.
   */
  listen(done: (err?: NetError) => void): void {
    // A transport can be closed and opened again (a server switching Backup -> Primary -> Backup).
    this.closed = false;
    let waiting = this.protocols.length;
    let failed = false;
    const settle = (err?: NetError): void => {
      if (failed) return;
      if (err) {
        failed = true;
        this.close();
        done(err);
        return;
      }
      if (--waiting === 0) done();
    };
    const { net, host } = this.opts;
    let port = this.opts.port;
    const openTcp = (): void => {
      this.tcpServer = net.listenTcp(
        { host, port },
        {
          onListening: () => settle(),
          onError: (err) => settle(err),
          onConnection: (conn) => {
            const c = this.adopt(conn, null);
            return this.handlersFor(c);
          },
        },
      );
    };
    if (this.protocols.includes('UDP')) {
      this.udp = net.bindUdp(
        { host, port },
        {
          onListening: () => {
            // Port 0: TCP listens on the port UDP was given, so one sent-by serves both.
            port = this.udp?.local()?.port ?? port;
            settle();
            if (this.protocols.includes('TCP') && !failed) openTcp();
          },
          onMessage: (data, from) => this.receiveDatagram(data, from),
          onError: (err) => settle(err),
        },
      );
    } else if (this.protocols.includes('TCP')) {
      openTcp();
    }
  }

  /** The address a protocol listens on (after listen). */
  local(protocol: TransportProtocol = 'UDP'): Address | undefined {
    return protocol === 'UDP' ? this.udp?.local() : this.tcpServer?.local();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.udp?.close();
    this.udp = null;
    this.udpLocal = undefined;
    this.tcpServer?.close();
    this.tcpServer = null;
    for (const c of [...this.byId.values()]) c.conn.close();
  }

  sendRequest(req: SipRequest, dest: Destination, onError?: (err: NetError) => void): void {
    this.send(serializeMessage(req), dest, onError);
  }

  sendResponse(res: SipResponse, inbound: Inbound, onError?: (err: NetError) => void): void {
    const bytes = serializeMessage(res);
    if (inbound.transport !== 'UDP' && inbound.connectionId !== undefined) {
      const c = this.byId.get(inbound.connectionId);
      if (c) {
        this.write(c, bytes, onError);
        return;
      }
    }
    // The Via field is the request's, shared by createResponse, with the view its parse left on it (viaOf).
    const viaField = res.headers.find((h) => h.name === 'Via');
    const via = (viaField ? viaOf(viaField) : parseVia(''))[0];
    if (!via) {
      this.stats.dropped++;
      onError?.(netError('EINVAL', 'response has no Via'));
      return;
    }
    const host = stripBrackets(typeof via.params.received === 'string' ? via.params.received : via.host);
    const rport = via.params.rport;
    const port = typeof rport === 'string' && rport !== '' ? Number(rport) : (via.port ?? 5060);
    this.send(bytes, { transport: inbound.transport, host, port }, onError);
  }

  private send(bytes: Uint8Array, dest: Destination, onError?: (err: NetError) => void): void {
    if (this.closed) {
      onError?.(netError('ECLOSED', 'transport is closed'));
      return;
    }
    if (dest.transport === 'UDP') {
      if (!this.udp) {
        onError?.(netError('ENOTCONN', 'UDP is not enabled on this transport'));
        return;
      }
      if (bytes.length > UDP_MAX) {
        onError?.(netError('EMSGSIZE', `message of ${bytes.length} bytes is too large for UDP`));
        return;
      }
      this.stats.sent++;
      this.udp.send(bytes, { host: dest.host, port: dest.port });
      return;
    }
    const key = remoteKey(dest.host, dest.port);
    this.write(this.byRemote.get(key) ?? this.connect(dest, key), bytes, onError);
  }

  /** Opens an outbound connection; writes queue until it is established. */
  private connect(dest: Destination, key: string): Connection {
    let c: Connection | undefined;
    const conn = this.opts.net.connectTcp(
      { host: stripBrackets(dest.host), port: dest.port },
      {
        onConnect: () => {
          if (!c?.pending) return;
          const queued = c.pending;
          c.pending = null;
          for (const b of queued) c.conn.write(b);
        },
        onData: (data) => this.receiveStream(c, data),
        onClose: (err) => this.dropConnection(c, err),
      },
    );
    c = this.adopt(conn, key);
    c.pending = [];
    return c;
  }

  private write(c: Connection, bytes: Uint8Array, onError?: (err: NetError) => void): void {
    this.stats.sent++;
    if (onError) c.errorHandlers.push(onError);
    this.touch(c);
    if (c.pending) c.pending.push(bytes);
    else c.conn.write(bytes);
  }

  private adopt(conn: TcpConnection, key: string | null): Connection {
    const id = this.nextConnectionId++;
    const remote = conn.remote();
    const c: Connection = {
      id,
      conn,
      key: key ?? remoteKey(remote.host, remote.port),
      framer: new StreamFramer(
        this.opts.limits?.maxLineBytes ? this.opts.limits.maxLineBytes * 4 : undefined,
        this.opts.limits?.maxMessageBytes,
      ),
      pending: null,
      idleTimer: null,
      errorHandlers: [],
    };
    this.byId.set(id, c);
    this.byRemote.set(c.key, c);
    this.stats.connections++;
    this.touch(c);
    return c;
  }

  private handlersFor(c: Connection): { onData(d: Uint8Array): void; onClose(err?: NetError): void } {
    return {
      onData: (data) => this.receiveStream(c, data),
      onClose: (err) => this.dropConnection(c, err),
    };
  }

  private touch(c: Connection): void {
    if (c.idleTimer !== null) this.opts.clock.clearTimer(c.idleTimer);
    c.idleTimer = this.opts.clock.setTimer(this.idleTimeoutMs, () => {
      c.idleTimer = null;
      c.conn.close();
    });
  }

  private dropConnection(c: Connection | undefined, err?: NetError): void {
    if (!c || !this.byId.has(c.id)) return;
    this.byId.delete(c.id);
    if (this.byRemote.get(c.key) === c) this.byRemote.delete(c.key);
    this.stats.connections--;
    if (c.idleTimer !== null) this.opts.clock.clearTimer(c.idleTimer);
    // Requests still queued or in flight on this connection learn that it failed (§17.1.4 transport error).
    if (err || c.pending) {
      const e = err ?? netError('ECONNRESET', 'connection closed before it was established');
      for (const h of c.errorHandlers) h(e);
    }
  }

  private receiveDatagram(data: Uint8Array, from: Address): void {
    if (this.udpLocal === undefined) this.udpLocal = this.udp?.local();
    const local = this.udpLocal ?? { host: this.opts.host, port: this.opts.port };
    const inbound: Inbound = { transport: 'UDP', source: from, local };
    if (isKeepalive(data)) return;
    this.deliver(parseMessage(data, { limits: this.opts.limits }), inbound);
  }

  private receiveStream(c: Connection | undefined, data: Uint8Array): void {
    if (!c) return;
    this.touch(c);
    const inbound: Inbound = {
      transport: 'TCP',
      source: c.conn.remote(),
      local: c.conn.local() ?? { host: this.opts.host, port: this.opts.port },
      connectionId: c.id,
    };
    for (const ev of c.framer.push(data)) {
      if (ev.kind === 'ping') {
        c.conn.write(Buffer.from('\r\n'));
      } else if (ev.kind === 'message') {
        this.deliver(parseMessage(ev.bytes, { limits: this.opts.limits, stream: true }), inbound);
      } else {
        this.stats.parseErrors++;
        this.opts.onParseError?.({ code: 'BAD_CONTENT_LENGTH', reason: ev.reason }, inbound, false);
        c.conn.close();
        return;
      }
    }
  }

  private deliver(result: ReturnType<typeof parseMessage>, inbound: Inbound): void {
    if (!result.ok) {
      this.stats.parseErrors++;
      const { error } = result;
      let answered = false;
      if (error.request && error.request.method !== 'ACK' && this.opts.answerBadRequests !== false) {
        stampVia(error.request, inbound);
        const res = createResponse(error.request, error.status ?? 400, phrase(error.reason));
        this.sendResponse(res, inbound);
        answered = true;
      } else {
        this.stats.dropped++;
      }
      this.opts.onParseError?.(error, inbound, answered);
      return;
    }
    this.stats.received++;
    const msg = result.message;
    if (msg.kind === 'request' && !stampVia(msg, inbound)) {
      this.stats.dropped++;
      return;
    }
    this.opts.onMessage(msg, inbound);
  }
}

/**
 * §18.2.1 and RFC 3581 §4: add `received` when the sent-by host differs from the source address (always when
 * rport is asked for), and fill an empty rport with the source port. Returns false when there is no Via.
 */
function stampVia(req: SipRequest, inbound: Inbound): boolean {
  const index = req.headers.findIndex((h) => h.name === 'Via');
  if (index < 0) return false;
  const field = req.headers[index] as HeaderField;
  // The parsed view of the field (kept by the parser): read, never changed; a stamped Via is a new field.
  const vias = viaOf(field);
  const top = vias[0];
  if (!top) return false;
  const source = inbound.source.host;
  const rportAsked = 'rport' in top.params;
  const addReceived = (stripBrackets(top.host) !== source || rportAsked) && top.params.received !== source;
  const fillRport = rportAsked && (top.params.rport === null || top.params.rport === '');
  if (addReceived || fillRport) {
    const params = { ...top.params };
    if (addReceived) params.received = source;
    if (fillRport) params.rport = String(inbound.source.port);
    const stamped = [{ ...top, params }, ...vias.slice(1)];
    req.headers[index] = { name: 'Via', value: stamped.map(formatVia).join(', ') };
  }
  return true;
}

/** A reason phrase may not hold CR/LF; keep it one readable line. */
function phrase(reason: string): string {
  const oneLine = reason.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  return oneLine.length > 200 ? `${oneLine.slice(0, 197)}...` : oneLine;
}

function isKeepalive(data: Uint8Array): boolean {
  for (const b of data) if (b !== 13 && b !== 10 && b !== 0) return false;
  return true;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function remoteKey(host: string, port: number): string {
  return `${stripBrackets(host).toLowerCase()}|${port}`;
}
