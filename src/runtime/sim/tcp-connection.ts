/**
 * One end of a simulated TCP connection. The behaviour (handshake, ordered delivery, FIN, timeouts) lives in
 * the TcpLink both ends share; this is the handle the application holds.
 */
import type { Address, TcpConnection, TcpHandlers } from '../net.ts';
import type { SimNode, SimResource } from './node.ts';
import type { Segment, TcpLink } from './tcp-link.ts';

export class SimTcpConnection implements TcpConnection, SimResource {
  /** Handshake complete (an accepted end is established from the start). */
  established = false;
  /** Our FIN is on its way (close() called, or the peer's FIN answered): nothing more may be written. */
  finQueued = false;
  /** Terminal: onClose has been delivered (or suppressed because the process died). */
  closed = false;
  /** The owning process crashed: its handlers are never called again. */
  dead = false;
  /**
   * The application stopped reading (pauseReading): data and FIN for this end wait in the pipe, so the
   * peer's queuedBytes() grows, as when a process stops reading a socket whose buffers then fill up.
   */
  readingPaused = false;
  /** What an outbound end wrote or closed before the handshake completed (Node buffers it the same way). */
  held: Segment[] = [];
  handlers: TcpHandlers | undefined;

  constructor(
    private readonly link: TcpLink,
    readonly node: SimNode,
    readonly localAddress: Address,
    readonly remoteAddress: Address,
    handlers?: TcpHandlers,
  ) {
    this.handlers = handlers;
  }

  get id(): number {
    return this.link.id;
  }

  local(): Address | undefined {
    return this.established ? { ...this.localAddress } : undefined;
  }

  remote(): Address {
    return { ...this.remoteAddress };
  }

  write(data: Uint8Array): void {
    this.link.write(this, data);
  }

  /** Bytes this end wrote that the peer's application has not received yet (in flight, or held unread). */
  queuedBytes(): number {
    return this.link.queuedBytes(this);
  }

  close(): void {
    this.link.close(this);
  }

  abort(): void {
    this.link.abort(this);
  }

  /**
   * Simulator only: this end's application stops reading (a hung process, a stuck UI thread). Nothing more is
   * delivered to it until resumeReading(); a reset from the peer still arrives (the kernel handles it).
   */
  pauseReading(): void {
    this.readingPaused = true;
  }

  resumeReading(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    this.link.resumed(this);
  }

  kill(): void {
    this.link.kill(this);
  }
}
