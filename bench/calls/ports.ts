/**
 * Free ports on 127.0.0.1: bind UDP port 0, then check that TCP can listen on the same number (a SIP port is
 * both), and release both. A port handed out once in this run is never handed out again, so two servers or
 * sipp instances of one run cannot collide with each other.
 */
import dgram from 'node:dgram';
import net from 'node:net';

const given = new Set<number>();

function udpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await udpPort();
    if (given.has(port) || port < 10000) continue;
    if (!(await tcpFree(port))) continue;
    given.add(port);
    return port;
  }
  throw new Error('no free port found on 127.0.0.1 after 50 attempts (UDP and TCP on the same number)');
}
