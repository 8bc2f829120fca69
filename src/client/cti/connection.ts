/**
 * One connection of the client library to one CTI server: TCP, the framing, the RequestRegisterClient
 * session start, ADDP (answers the server's polls; polls the server itself when addpTimeout > 0), and what
 * the server says about its role. Requests, answers and the choice of the primary belong to CtiClient.
 */
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import { type AddpDialect, GenericAddpKeeper } from '../../runtime/framing/addp.ts';
import { encodeFrame, FrameDecoder, FrameError, notAnObject } from '../../runtime/framing/frame-codec.ts';
import { type Address, formatAddress, type Net, type TcpConnection } from '../../runtime/net.ts';
import {
  CTI_ADDP_ANSWER,
  CTI_ADDP_POLL,
  type CtiAddpMessage,
  type CtiEvent,
  type CtiRole,
} from '../../server/cti/protocol.ts';

type Incoming = CtiEvent | CtiAddpMessage;

/** Events can be large (EventAddressInfo of a busy DN, user data): 16 MiB. */
const MAX_EVENT_FRAME_BYTES = 16 * 1024 * 1024;

/** ADDP frames of the CTI protocol (docs/cti-protocol.md "ADDP"): never handed to the application. */
const ADDP_DIALECT: AddpDialect<{ message: string }> = {
  poll: { message: CTI_ADDP_POLL },
  answer: { message: CTI_ADDP_ANSWER },
  kindOf: (m) =>
    m.message === CTI_ADDP_POLL ? 'poll' : m.message === CTI_ADDP_ANSWER ? 'answer' : undefined,
};

function checkEvent(value: unknown): Incoming | string {
  const bad = notAnObject(value);
  if (bad !== undefined) return bad;
  if (typeof (value as { message?: unknown }).message !== 'string')
    return 'the message has no string "message"';
  return value as Incoming;
}

export type ConnectionPhase = 'connecting' | 'registering' | 'registered' | 'closed';

export interface ServerConnectionOptions {
  address: Address;
  net: Net;
  clock: Clock;
  application: string;
  password: string | undefined;
  /** Seconds; > 0: ask the server to poll us, and poll the server when it is silent that long. */
  addpTimeout: number;
  /** Bound on connect + RequestRegisterClient. */
  registerTimeoutMs: number;
  referenceId(): number;
  /** RequestRegisterClient was answered by EventServerInfo. */
  onRegistered(conn: ServerConnection): void;
  /** Any other message from a registered session (events, answers). */
  onMessage(conn: ServerConnection, msg: CtiEvent): void;
  /**
   * The connection is gone (or never came up). `authFailed`: the server refused our application/password:
   * trying again would fail the same way.
   */
  onDown(conn: ServerConnection, reason: string, authFailed: boolean): void;
}

export class ServerConnection {
  phase: ConnectionPhase = 'connecting';
  /** ServerName from EventServerInfo; "host:port" until then. */
  name: string;
  role: CtiRole | undefined;
  peerName: string | null = null;
  version: string | undefined;
  /** The server said it can act on calls (EventLinkConnected / EventPrimaryChanged, no EventLinkDisconnected since). */
  linkConnected = false;
  /** When this session was registered (clock ms). */
  registeredAt: number | undefined;

  private conn: TcpConnection | undefined;
  private readonly decoder = new FrameDecoder<Incoming>(checkEvent, MAX_EVENT_FRAME_BYTES);
  private registerRef = 0;
  private registerTimer: TimerHandle | undefined;
  private addp: GenericAddpKeeper<{ message: string }> | undefined;
  private downReported = false;

  constructor(private readonly o: ServerConnectionOptions) {
    this.name = formatAddress(o.address);
  }

  get address(): Address {
    return this.o.address;
  }

  start(): void {
    this.registerTimer = this.o.clock.setTimer(this.o.registerTimeoutMs, () => {
      this.registerTimer = undefined;
      this.fail(
        `no EventServerInfo within ${this.o.registerTimeoutMs} ms of connecting to ${formatAddress(this.o.address)}`,
        false,
      );
    });
    this.conn = this.o.net.connectTcp(this.o.address, {
      onConnect: () => this.onConnect(),
      onData: (data) => this.onData(data),
      onClose: (err) =>
        this.down(
          err
            ? err.message
            : this.phase === 'registered'
              ? `the server ${this.name} closed the connection`
              : `the server at ${formatAddress(this.o.address)} closed the connection before EventServerInfo`,
          false,
        ),
    });
  }

  send(msg: object): void {
    this.conn?.write(encodeFrame(msg));
  }

  /** Closes the connection; onDown is not called for a close we asked for. */
  close(): void {
    this.downReported = true;
    this.stopTimers();
    this.phase = 'closed';
    this.linkConnected = false;
    this.conn?.close();
  }

  private onConnect(): void {
    this.phase = 'registering';
    // Polls are answered from the start; we poll the server only when asked to (addpTimeout > 0).
    this.addp = new GenericAddpKeeper({
      clock: this.o.clock,
      timeoutMs: this.o.addpTimeout > 0 ? Math.max(1, Math.round(this.o.addpTimeout * 1000)) : 0,
      send: (m) => this.send(m),
      onDead: () =>
        this.fail(
          `ADDP: nothing from ${this.name} within ${Math.round(this.o.addpTimeout * 1000)} ms of a poll`,
          false,
        ),
      dialect: ADDP_DIALECT,
    });
    this.registerRef = this.o.referenceId();
    const req: Record<string, unknown> = {
      message: 'RequestRegisterClient',
      ReferenceID: this.registerRef,
      ApplicationName: this.o.application,
    };
    if (this.o.password !== undefined) req.Password = this.o.password;
    if (this.o.addpTimeout > 0) req.AddpTimeout = this.o.addpTimeout;
    this.send(req);
  }

  private onData(data: Uint8Array): void {
    if (this.phase === 'closed') return;
    this.decoder.push(data);
    for (;;) {
      let msg: Incoming | undefined;
      try {
        msg = this.decoder.next();
      } catch (err) {
        const detail = err instanceof FrameError ? err.message : String(err);
        this.fail(`${detail} (from ${this.name})`, false);
        return;
      }
      if (msg === undefined) return;
      if (this.addp?.onFrame(msg)) continue;
      this.onMessage(msg as CtiEvent);
      if ((this.phase as ConnectionPhase) === 'closed') return; // a handler closed us
    }
  }

  private onMessage(msg: CtiEvent): void {
    if (this.phase === 'registering') {
      if (msg.ReferenceID !== this.registerRef) return; // nothing else is expected before the answer
      if (msg.message === 'EventServerInfo') {
        this.phase = 'registered';
        this.registeredAt = this.o.clock.now();
        this.name = msg.ServerName;
        this.role = msg.ServerRole;
        this.peerName = msg.PeerName;
        this.version = msg.Version;
        if (this.registerTimer !== undefined) this.o.clock.clearTimer(this.registerTimer);
        this.registerTimer = undefined;
        this.o.onRegistered(this);
        return;
      }
      if (msg.message === 'EventError') {
        this.fail(
          `RequestRegisterClient refused by ${formatAddress(this.o.address)}: ${msg.ErrorMessage} (ErrorCode ${msg.ErrorCode})`,
          true,
        );
        return;
      }
      return;
    }
    if (msg.message === 'EventServerInfo' && msg.ReferenceID === undefined) this.role = msg.ServerRole;
    this.o.onMessage(this, msg);
  }

  private fail(reason: string, authFailed: boolean): void {
    this.conn?.close();
    this.down(reason, authFailed);
  }

  private down(reason: string, authFailed: boolean): void {
    this.stopTimers();
    this.phase = 'closed';
    this.linkConnected = false;
    if (this.downReported) return;
    this.downReported = true;
    this.o.onDown(this, reason, authFailed);
  }

  private stopTimers(): void {
    if (this.registerTimer !== undefined) this.o.clock.clearTimer(this.registerTimer);
    this.registerTimer = undefined;
    this.addp?.stop();
  }
}
