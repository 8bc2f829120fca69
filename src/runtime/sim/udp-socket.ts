/**
 * A simulated UDP socket. Delivery, loss and delay are the network's business; this is the handle.
 */
import type { Address, UdpHandlers, UdpSocket } from '../net.ts';
import type { SimNetwork } from './network.ts';
import type { SimNode, SimResource } from './node.ts';
import { ANY_HOST, isWildcardHost } from './port-table.ts';

export class SimUdpSocket implements UdpSocket, SimResource {
  /** '*' for a wildcard bind, else the host. */
  readonly hostKey: string;
  port = 0;
  private listening = false;
  private closed = false;

  constructor(
    private readonly network: SimNetwork,
    readonly node: SimNode,
    readonly host: string,
    readonly handlers: UdpHandlers,
  ) {
    this.hostKey = isWildcardHost(host) ? ANY_HOST : host;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  local(): Address | undefined {
    return this.listening && !this.closed ? { host: this.host, port: this.port } : undefined;
  }

  /** The address packets leave from: the bound host, or for a wildcard bind the node's matching address. */
  sourceFor(dest: string): Address | undefined {
    const host = this.hostKey === ANY_HOST ? this.node.sourceHostFor(dest) : this.host;
    return host === undefined ? undefined : { host, port: this.port };
  }

  send(data: Uint8Array, to: Address): void {
    if (this.closed) return;
    this.network.sendUdp(this, data, to);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.network.releaseUdp(this);
  }

  kill(): void {
    this.close();
  }

  /** Bound: the network reserved host:port. */
  markBound(port: number): void {
    this.port = port;
  }

  /** The onListening event. */
  markListening(): void {
    if (this.closed) return;
    this.listening = true;
    this.handlers.onListening?.();
  }

  /** A bind failure: the socket is closed from the start. */
  markFailed(): void {
    this.closed = true;
  }

  deliver(data: Uint8Array, from: Address): void {
    if (this.closed) return;
    this.handlers.onMessage(data, from);
  }
}
