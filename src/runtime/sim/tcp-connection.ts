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

  close(): void {
    this.link.close(this);
  }

  kill(): void {
    this.link.kill(this);
  }
}
