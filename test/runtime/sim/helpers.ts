/** Small helpers shared by the simulator tests. */
import type { Address, NetError, TcpConnection, TcpServer, UdpSocket } from '../../../src/runtime/net.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';

export const A = '192.0.2.1';
export const B = '192.0.2.2';
export const C = '198.51.100.1';

export interface Received {
  data: string;
  from: Address;
  at: number;
}

/** A UDP socket that records what it receives. */
export function udpSink(
  node: SimNode,
  local: Address,
): { sock: UdpSocket; got: Received[]; errors: NetError[]; listening: () => boolean } {
  const got: Received[] = [];
  const errors: NetError[] = [];
  let listening = false;
  const sock = node.net.bindUdp(local, {
    onListening: () => {
      listening = true;
    },
    onMessage: (d, from) => got.push({ data: Buffer.from(d).toString(), from, at: node.clock.now() }),
    onError: (e) => errors.push(e),
  });
  return { sock, got, errors, listening: () => listening };
}

export interface TcpEndLog {
  conn: TcpConnection;
  data: string[];
  connects: number;
  closes: Array<NetError | undefined>;
  closedAt?: number;
}

/** A TCP listener whose accepted connections record everything; `echo` writes back what arrives. */
export function tcpServer(
  node: SimNode,
  local: Address,
  opts: { echo?: boolean } = {},
): { server: TcpServer; accepted: TcpEndLog[]; errors: NetError[] } {
  const accepted: TcpEndLog[] = [];
  const errors: NetError[] = [];
  const server = node.net.listenTcp(local, {
    onConnection: (conn) => {
      const end: TcpEndLog = { conn, data: [], connects: 0, closes: [] };
      accepted.push(end);
      return {
        onData: (d) => {
          end.data.push(Buffer.from(d).toString());
          if (opts.echo) conn.write(d);
        },
        onClose: (e) => {
          end.closes.push(e);
          end.closedAt = node.clock.now();
        },
      };
    },
    onError: (e) => errors.push(e),
  });
  return { server, accepted, errors };
}

export function tcpClient(node: SimNode, remote: Address): TcpEndLog {
  const end = { data: [], connects: 0, closes: [] } as unknown as TcpEndLog;
  end.conn = node.net.connectTcp(remote, {
    onConnect: () => {
      end.connects++;
    },
    onData: (d) => end.data.push(Buffer.from(d).toString()),
    onClose: (e) => {
      end.closes.push(e);
      end.closedAt = node.clock.now();
    },
  });
  return end;
}
