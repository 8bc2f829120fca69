/**
 * The timing tap of bench/cti: a UDP relay between sipp (the network) and Duet, in the bench's own process,
 * so that "the INVITE arrived" and "EventRinging arrived at the client" are read on one clock
 * (performance.now()) without trusting sipp's timestamps or parsing the server's log.
 *
 * Duet knows the tap's address as trunk 9001's contact, so the calls it forwards are inbound calls from that
 * trunk. Datagrams from sipp go to Duet, datagrams from Duet go back to sipp. For each initial INVITE (no To
 * tag) the first arrival is recorded under its caller number (the From user part, unique per call in
 * bench/cti/uac.xml), which Duet reports as EventRinging's OtherDN. The relay adds one loopback hop (tens of
 * microseconds) to what is measured: the figure is pessimistic by that much.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface Tap {
  port: number;
  /** Caller number -> performance.now() when its INVITE reached the tap. */
  arrivals: Map<string, number>;
  forwarded: number;
  close(): Promise<void>;
}

const INVITE = Buffer.from('INVITE ');

function header(text: string, name: string, compact: string): string | undefined {
  const re = new RegExp(`^(?:${name}|${compact})[ \\t]*:[ \\t]*(.*)$`, 'im');
  return re.exec(text)?.[1];
}

export function startTap(o: { port: number; server: { host: string; port: number } }): Promise<Tap> {
  const sock: Socket = createSocket('udp4');
  let sipp: RemoteInfo | undefined;
  const tap: Tap = {
    port: o.port,
    arrivals: new Map(),
    forwarded: 0,
    close: () => new Promise((done) => sock.close(() => done())),
  };
  sock.on('message', (msg, from) => {
    const fromServer = from.port === o.server.port && from.address === o.server.host;
    if (!fromServer) {
      if (msg.subarray(0, INVITE.length).equals(INVITE)) {
        const at = performance.now();
        const text = msg.toString('latin1');
        const to = header(text, 'To', 't') ?? '';
        if (!/;\s*tag=/i.test(to)) {
          const fromHeader = header(text, 'From', 'f') ?? '';
          const user = /sips?:([^@;>]+)@/i.exec(fromHeader)?.[1];
          if (user !== undefined && !tap.arrivals.has(user)) tap.arrivals.set(user, at);
        }
      }
      sipp = from;
      sock.send(msg, o.server.port, o.server.host);
      tap.forwarded++;
    } else if (sipp !== undefined) {
      sock.send(msg, sipp.port, sipp.address);
    }
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(o.port, '127.0.0.1', () => {
      sock.setRecvBufferSize(4 * 1024 * 1024);
      resolve(tap);
    });
  });
}
