/**
 * A simulated TCP listener. Connection setup is done by the network (see tcp-link.ts).
 */
import type { Address, TcpServer, TcpServerHandlers } from '../net.ts';
import type { SimNetwork } from './network.ts';
import type { SimNode, SimResource } from './node.ts';
import { ANY_HOST, isWildcardHost } from './port-table.ts';

export class SimTcpServer implements TcpServer, SimResource {
  readonly hostKey: string;
  port = 0;
  private listening = false;
  private closed = false;

  constructor(
    private readonly network: SimNetwork,
    readonly node: SimNode,
    readonly host: string,
    readonly handlers: TcpServerHandlers,
  ) {
    this.hostKey = isWildcardHost(host) ? ANY_HOST : host;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  local(): Address | undefined {
    return this.listening && !this.closed ? { host: this.host, port: this.port } : undefined;
  }

  /** Stops accepting; established connections stay up (as with node:net). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.network.releaseTcpServer(this);
  }

  kill(): void {
    this.close();
  }

  markBound(port: number): void {
    this.port = port;
  }

  markListening(): void {
    if (this.closed) return;
    this.listening = true;
    this.handlers.onListening?.();
  }

  markFailed(): void {
    this.closed = true;
  }
}
