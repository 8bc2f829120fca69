/**
 * One TCP connection over node:net, outbound or accepted. onClose is called exactly once, whatever ends it.
 */
import type { Socket } from 'node:net';
import type { Address, NetError, TcpConnection, TcpHandlers } from '../net.ts';
import { plainHost, toNetError } from './errors.ts';

export interface NodeTcpConnectionOptions {
  /** After close(), how long to wait for the peer's FIN before destroying the socket, so onClose surely follows. */
  closeTimeoutMs: number;
}

export class NodeTcpConnection implements TcpConnection {
  private handlers: TcpHandlers | undefined;
  private localAddress: Address | undefined;
  private closing = false;
  private closed = false;
  private lastError: NetError | undefined;

  /**
   * `outbound` connections report onConnect; accepted ones are attached to their handlers by the server
   * (`attach`) once the application has returned them from onConnection.
   */
  constructor(
    private readonly socket: Socket,
    private readonly remoteAddress: Address,
    private readonly outbound: boolean,
    private readonly options: NodeTcpConnectionOptions,
  ) {
    // SIP messages are written whole; Nagle would only delay them (RFC 3261 §18 has no use for it).
    socket.setNoDelay(true);
    if (!outbound) this.captureLocal();
  }

  attach(handlers: TcpHandlers): void {
    this.handlers = handlers;
    const s = this.socket;
    s.on('connect', () => {
      this.captureLocal();
      if (!this.closed) this.handlers?.onConnect?.();
    });
    s.on('data', (chunk: Buffer) => {
      if (!this.closed) this.handlers?.onData(chunk);
    });
    s.on('error', (err) => {
      this.lastError ??= toNetError(
        err,
        this.outbound ? 'TCP connection to' : 'TCP connection from',
        this.remoteAddress,
      );
    });
    s.on('close', () => this.finish(this.lastError));
  }

  local(): Address | undefined {
    return this.localAddress;
  }

  remote(): Address {
    return this.remoteAddress;
  }

  write(data: Uint8Array): void {
    if (this.closing || this.closed || this.socket.destroyed) return;
    this.socket.write(data);
  }

  queuedBytes(): number {
    return this.closed || this.socket.destroyed ? 0 : this.socket.writableLength;
  }

  abort(): void {
    if (this.closed || this.socket.destroyed) return;
    this.closing = true;
    // A socket still connecting has nothing to reset: plain destroy.
    if (this.socket.connecting) this.socket.destroy();
    else this.socket.resetAndDestroy();
  }

  close(): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), this.options.closeTimeoutMs);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  private captureLocal(): void {
    if (this.socket.localAddress !== undefined && this.socket.localPort !== undefined) {
      this.localAddress = { host: plainHost(this.socket.localAddress), port: this.socket.localPort };
    }
  }

  private finish(err: NetError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers?.onClose(err);
  }
}
