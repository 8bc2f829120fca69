/**
 * The network, injected (DESIGN §1). Callback-based, never Promise-based, so that the simulator decides the
 * exact order in which every delivery, connection and close is seen: a run is reproducible from its seed.
 *
 * Node adapter: runtime/node/net.ts. Simulator: runtime/sim/network.ts.
 */
export interface Address {
  /** IPv4 dotted quad or IPv6 text without brackets ("::1"). */
  host: string;
  port: number;
}

/** Errors carry the errno-style code a caller can act on: EADDRINUSE, EADDRNOTAVAIL, ECONNREFUSED, ... */
export interface NetError extends Error {
  code: string;
}

export interface UdpHandlers {
  /** The socket is bound; `local()` is now known (port 0 resolves to the chosen port). */
  onListening?(): void;
  onMessage(data: Uint8Array, from: Address): void;
  /** Bind failure (EADDRINUSE, ...) or a send error. After a bind failure the socket is closed. */
  onError?(err: NetError): void;
}

export interface UdpSocket {
  local(): Address | undefined;
  /** Fire and forget, like UDP. A send to an unreachable destination is silently lost. */
  send(data: Uint8Array, to: Address): void;
  close(): void;
}

export interface TcpHandlers {
  /** Outbound connections only: the connection is established. */
  onConnect?(): void;
  onData(data: Uint8Array): void;
  /** The connection is gone (closed by either side, reset, or refused). Called exactly once. */
  onClose(err?: NetError): void;
}

export interface TcpConnection {
  local(): Address | undefined;
  remote(): Address;
  write(data: Uint8Array): void;
  /**
   * Bytes written and not yet taken by the network: what grows without bound when the peer stops reading
   * (Node: `socket.writableLength`, once the kernel's buffers are full; simulator: bytes not yet delivered to
   * the peer's application). 0 once closed. A writer that must not buffer without bound checks it.
   */
  queuedBytes(): number;
  /** Graceful close; onClose follows. */
  close(): void;
  /**
   * Abortive close (RST): what is queued is discarded and the peer sees the connection end at once, even if
   * it is not reading (ECONNRESET; on Node a peer that was paused may see a plain end of stream instead);
   * onClose follows, without an error. For a peer that will never read what a graceful close would still
   * try to deliver first.
   */
  abort(): void;
}

export interface TcpServerHandlers {
  onListening?(): void;
  /** A peer connected: return the handlers for its data. */
  onConnection(conn: TcpConnection): TcpHandlers;
  onError?(err: NetError): void;
}

export interface TcpServer {
  local(): Address | undefined;
  close(): void;
}

export interface Net {
  bindUdp(local: Address, handlers: UdpHandlers): UdpSocket;
  listenTcp(local: Address, handlers: TcpServerHandlers): TcpServer;
  connectTcp(remote: Address, handlers: TcpHandlers): TcpConnection;
}

export function netError(code: string, message: string): NetError {
  const err = new Error(message) as NetError;
  err.code = code;
  return err;
}

export function formatAddress(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
