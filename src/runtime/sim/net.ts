/**
 * A node's view of the simulated network: the Net interface, refused while the node is down.
 */
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
import type { SimNetwork } from './network.ts';
import type { SimNode } from './node.ts';

export class SimNet implements Net {
  constructor(
    private readonly network: SimNetwork,
    private readonly node: SimNode,
  ) {}

  bindUdp(local: Address, handlers: UdpHandlers): UdpSocket {
    this.node.assertAlive('bind a UDP socket');
    return this.network.bindUdp(this.node, local, handlers);
  }

  listenTcp(local: Address, handlers: TcpServerHandlers): TcpServer {
    this.node.assertAlive('listen on TCP');
    return this.network.listenTcp(this.node, local, handlers);
  }

  connectTcp(remote: Address, handlers: TcpHandlers): TcpConnection {
    this.node.assertAlive('open a TCP connection');
    return this.network.connectTcp(this.node, remote, handlers);
  }
}
