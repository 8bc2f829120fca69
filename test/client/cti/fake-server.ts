/**
 * A small fake CTI server on a real loopback socket, for testing the client library alone: the session
 * (RequestRegisterClient with a password), DN registration, a role (Primary/Backup) with the promotion
 * sequence, ADDP answers, and whatever a test scripts with `onRequest`. It is NOT the server: its answers are
 * only what the library needs to be exercised against (docs/cti-protocol.md).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { CtiEvent, CtiRole } from '../../../src/server/cti/protocol.ts';

const CODE_NAMES: Record<number, string> = {
  41: 'UnknownRequest',
  45: 'DnNotRegistered',
  46: 'InvalidDn',
  53: 'BackupMode',
};

export type Msg = Record<string, unknown> & { message: string; ReferenceID?: number };

export interface FakeClient {
  socket: Socket;
  application: string | undefined;
  dns: Set<string>;
  requests: Msg[];
  addpTimeout: number | undefined;
}

export function frame(msg: object): Buffer {
  const body = Buffer.from(JSON.stringify(msg), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

export interface FakeServerOptions {
  name: string;
  role: CtiRole;
  peerName?: string;
  application?: string;
  password?: string;
  port?: number;
}

export class FakeCtiServer {
  readonly clients = new Set<FakeClient>();
  /** Every request received, in order, by any client (ADDP excluded). */
  readonly requests: Msg[] = [];
  role: CtiRole;
  /** When true, the server reads nothing and answers nothing (a hung peer that keeps the socket open). */
  frozen = false;
  /** A test's own answer; return undefined for the default behaviour. */
  onRequest: ((req: Msg, client: FakeClient) => CtiEvent[] | undefined) | undefined;
  port = 0;
  private server: Server | undefined;

  constructor(readonly o: FakeServerOptions) {
    this.role = o.role;
  }

  async start(): Promise<this> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const addr = server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    return this;
  }

  /** Like a SIGKILL: every connection reset, the port closed. */
  async kill(): Promise<void> {
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** The promotion sequence of a new primary (docs/cti-protocol.md "Hot standby"). */
  promote(previous: string | null, stateOf?: (dn: string) => CtiEvent[]): void {
    this.role = 'Primary';
    for (const c of this.clients) {
      if (c.application === undefined) continue;
      this.send(c, { message: 'EventLinkConnected' });
      this.send(c, { message: 'EventPrimaryChanged', ServerName: this.o.name, PreviousPrimary: previous });
      for (const dn of c.dns) for (const ev of stateOf?.(dn) ?? []) this.send(c, ev);
    }
  }

  demote(): void {
    this.role = 'Backup';
    for (const c of this.clients)
      if (c.application !== undefined) this.send(c, { message: 'EventLinkDisconnected' });
  }

  /** An unsolicited event to every client registered on ev.ThisDN (whatever the role: tests decide). */
  toDn(dn: string, ev: object): void {
    for (const c of this.clients) if (c.dns.has(dn)) this.send(c, ev);
  }

  send(c: FakeClient, msg: object): void {
    if (!c.socket.destroyed) c.socket.write(frame(msg));
  }

  private accept(socket: Socket): void {
    const client: FakeClient = {
      socket,
      application: undefined,
      dns: new Set(),
      requests: [],
      addpTimeout: undefined,
    };
    this.clients.add(client);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      if (this.frozen) return;
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0);
        if (buf.length < 4 + len) break;
        const msg = JSON.parse(buf.subarray(4, 4 + len).toString('utf8')) as Msg;
        buf = buf.subarray(4 + len);
        this.handle(client, msg);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.clients.delete(client));
  }

  private handle(c: FakeClient, req: Msg): void {
    if (req.message === 'AddpPoll') {
      this.send(c, { message: 'AddpAnswer' });
      return;
    }
    if (req.message === 'AddpAnswer') return;
    this.requests.push(req);
    c.requests.push(req);
    const ref = req.ReferenceID;
    if (c.application === undefined) {
      if (
        req.message !== 'RequestRegisterClient' ||
        req.ApplicationName !== (this.o.application ?? 'Desktop') ||
        (this.o.password !== undefined && req.Password !== this.o.password)
      ) {
        this.send(c, {
          message: 'EventError',
          ReferenceID: ref,
          ErrorCode: 43,
          ErrorMessage: 'authentication failed: unknown application or wrong password',
          RequestName: req.message,
        });
        c.socket.end();
        return;
      }
      c.application = req.ApplicationName as string;
      c.addpTimeout = req.AddpTimeout as number | undefined;
      this.send(c, {
        message: 'EventServerInfo',
        ReferenceID: ref,
        ServerName: this.o.name,
        ServerRole: this.role,
        PeerName: this.o.peerName ?? null,
        Version: 'fake',
      });
      if (this.role === 'Primary') this.send(c, { message: 'EventLinkConnected' });
      return;
    }
    const scripted = this.onRequest?.(req, c);
    if (scripted !== undefined) {
      for (const ev of scripted) this.send(c, ev);
      return;
    }
    const dn = req.ThisDN as string | undefined;
    switch (req.message) {
      case 'RequestRegisterAddress':
        if (dn === 'bad') {
          this.error(c, req, 46, `DN ${dn} is not in the config`);
          return;
        }
        c.dns.add(dn!);
        this.send(c, { message: 'EventRegistered', ReferenceID: ref, ThisDN: dn, DNType: 'Extension' });
        return;
      case 'RequestUnregisterAddress':
        c.dns.delete(dn!);
        this.send(c, { message: 'EventUnregistered', ReferenceID: ref, ThisDN: dn });
        return;
      case 'RequestQueryServer':
        this.send(c, {
          message: 'EventServerInfo',
          ReferenceID: ref,
          ServerName: this.o.name,
          ServerRole: this.role,
          PeerName: this.o.peerName ?? null,
          Version: 'fake',
        });
        return;
    }
    if (dn !== undefined && !c.dns.has(dn)) {
      this.error(c, req, 45, `DN ${dn} is not registered by this client`);
      return;
    }
    if (this.role === 'Backup') {
      this.error(c, req, 53, `${this.o.name} is the backup`);
      return;
    }
    switch (req.message) {
      case 'RequestAgentLogin':
        this.send(c, {
          message: 'EventAgentLogin',
          ReferenceID: ref,
          ThisDN: dn,
          AgentID: req.AgentID,
          AgentWorkMode: req.AgentWorkMode ?? 'ManualIn',
        });
        return;
      case 'RequestAgentReady':
        this.send(c, {
          message: 'EventAgentReady',
          ReferenceID: ref,
          ThisDN: dn,
          AgentID: 'a',
          AgentWorkMode: 'ManualIn',
        });
        return;
      default:
        this.error(c, req, 41, `unknown request ${req.message}`);
    }
  }

  private error(c: FakeClient, req: Msg, code: number, text: string): void {
    this.send(c, {
      message: 'EventError',
      ReferenceID: req.ReferenceID,
      ErrorCode: code,
      // As the real server does: the code's name, then the detail.
      ErrorMessage: `${CODE_NAMES[code] ?? 'Error'}: ${text}`,
      RequestName: req.message,
    });
  }
}
