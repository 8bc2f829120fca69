/**
 * The Net interface on real sockets (DESIGN §1: the shell's only network code).
 */
import { connect } from 'node:net';
import type {
  Address,
  Net,
  TcpConnection,
  TcpHandlers,
  TcpServer,
  TcpServerHandlers,
  UdpHandlers,
  UdpSocket,
} from '../net.ts';
import { NodeTcpConnection } from './tcp-connection.ts';
import { NodeTcpServer } from './tcp-server.ts';
import { NodeUdpSocket } from './udp-socket.ts';

export interface NodeNetOptions {
  /** How long a gracefully closed TCP connection waits for the peer's FIN before it is destroyed. Default 5000. */
  tcpCloseTimeoutMs?: number;
}

export class NodeNet implements Net {
  private readonly tcpCloseTimeoutMs: number;

  constructor(options: NodeNetOptions = {}) {
    this.tcpCloseTimeoutMs = options.tcpCloseTimeoutMs ?? 5000;
  }

  bindUdp(local: Address, handlers: UdpHandlers): UdpSocket {
    return new NodeUdpSocket(local, handlers);
  }

  listenTcp(local: Address, handlers: TcpServerHandlers): TcpServer {
    return new NodeTcpServer(local, handlers, { closeTimeoutMs: this.tcpCloseTimeoutMs });
  }

  connectTcp(remote: Address, handlers: TcpHandlers): TcpConnection {
    const socket = connect({ host: remote.host, port: remote.port });
    const conn = new NodeTcpConnection(socket, { ...remote }, true, {
      closeTimeoutMs: this.tcpCloseTimeoutMs,
    });
    conn.attach(handlers);
    return conn;
  }
}
