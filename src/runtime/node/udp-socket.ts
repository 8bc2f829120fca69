/**
 * UDP over node:dgram. One socket per local address; the family follows the local host's text.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Address, UdpHandlers, UdpSocket } from '../net.ts';
import { plainHost, toNetError } from './errors.ts';

export class NodeUdpSocket implements UdpSocket {
  private readonly socket: Socket;
  private bound = false;
  private closed = false;

  constructor(
    requested: Address,
    private readonly handlers: UdpHandlers,
  ) {
    // reuseAddr stays off: two servers bound to one SIP port would split the traffic between them silently;
    // the second must get EADDRINUSE instead.
    this.socket = createSocket({ type: isIPv6(requested.host) ? 'udp6' : 'udp4', reuseAddr: false });
    this.socket.on('listening', () => {
      if (this.closed) return;
      this.bound = true;
      this.handlers.onListening?.();
    });
    this.socket.on('message', (msg, rinfo) => {
      if (this.closed) return;
      this.handlers.onMessage(msg, { host: plainHost(rinfo.address), port: rinfo.port });
    });
    this.socket.on('error', (err) => {
      if (this.closed) return;
      const wasBound = this.bound;
      // After a failed bind the socket is useless: close it, as the Net contract says.
      if (!wasBound) this.close();
      this.handlers.onError?.(toNetError(err, wasBound ? 'UDP socket' : 'UDP bind', requested));
    });
    this.socket.bind({ address: requested.host, port: requested.port, exclusive: true });
  }

  local(): Address | undefined {
    if (!this.bound || this.closed) return undefined;
    const a = this.socket.address();
    return { host: plainHost(a.address), port: a.port };
  }

  send(data: Uint8Array, to: Address): void {
    if (this.closed) return;
    try {
      this.socket.send(data, to.port, to.host, (err) => {
        if (err && !this.closed) this.handlers.onError?.(toNetError(err, 'UDP send to', to));
      });
    } catch (err) {
      // Synchronous failures (a bad port number) are reported like asynchronous ones.
      this.handlers.onError?.(toNetError(err, 'UDP send to', to));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // Already closed by Node after a bind failure.
    }
  }
}
