/**
 * A TCP listener over node:net; every accepted socket becomes a NodeTcpConnection.
 */
import { createServer, type Server } from 'node:net';
import type { Address, TcpServer, TcpServerHandlers } from '../net.ts';
import { plainHost, toNetError } from './errors.ts';
import { NodeTcpConnection, type NodeTcpConnectionOptions } from './tcp-connection.ts';

export class NodeTcpServer implements TcpServer {
  private readonly server: Server;
  private listening = false;
  private closed = false;

  constructor(requested: Address, handlers: TcpServerHandlers, options: NodeTcpConnectionOptions) {
    this.server = createServer((socket) => {
      if (this.closed) {
        socket.destroy();
        return;
      }
      const remote = { host: plainHost(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
      const conn = new NodeTcpConnection(socket, remote, false, options);
      conn.attach(handlers.onConnection(conn));
    });
    this.server.on('listening', () => {
      if (this.closed) return;
      this.listening = true;
      handlers.onListening?.();
    });
    this.server.on('error', (err) => {
      if (this.closed) return;
      const wasListening = this.listening;
      if (!wasListening) this.close();
      handlers.onError?.(toNetError(err, wasListening ? 'TCP server' : 'TCP listen on', requested));
    });
    // exclusive: never share the port with cluster workers; a second listener must fail with EADDRINUSE.
    this.server.listen({ host: requested.host, port: requested.port, exclusive: true });
  }

  local(): Address | undefined {
    if (!this.listening || this.closed) return undefined;
    const a = this.server.address();
    if (a === null || typeof a === 'string') return undefined;
    return { host: plainHost(a.address), port: a.port };
  }

  /** Stops accepting; connections already accepted stay open (as with node:net). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
  }
}
