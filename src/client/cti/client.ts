/**
 * CtiClient, the `duet/cti` client library (SPEC S3 hot standby, docs/cti-protocol.md "The client library").
 *
 * It connects to both servers of a pair, registers the client on each (RequestRegisterClient), registers
 * every DN the application asked for on each (again after a reconnect), and follows which server is the
 * primary (the one that said EventLinkConnected / EventPrimaryChanged and not EventLinkDisconnected since).
 * Requests go to the primary and resolve with the event that answers them (same ReferenceID); EventError
 * rejects with a CtiError. Its user sees ONE stream of events:
 * - every event the current primary sends (call, agent, DN events, answers): the backup sends no call events,
 *   and events from a server that is not the primary are dropped, so nothing arrives twice;
 * - EventLinkConnected when a primary is first known (and again after an EventLinkDisconnected);
 * - EventPrimaryChanged {ServerName, PreviousPrimary} once per switchover, then the new primary's state of
 *   each registered DN (which the server sends on promotion);
 * - EventLinkDisconnected only when no server has been primary for `primaryWaitMs` (a switchover is quicker).
 * A request made while no server is primary waits for one, up to `primaryWaitMs`, then rejects.
 *
 * It runs on the injected Net and Clock (NodeNet/NodeClock by default), so it also runs in the simulator.
 */
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import { type Address, formatAddress, type Net } from '../../runtime/net.ts';
import { NodeClock } from '../../runtime/node/clock.ts';
import { NodeNet } from '../../runtime/node/net.ts';
import {
  type AgentWorkMode,
  type CallEventName,
  type CtiCallEvent,
  CtiErrorCodes,
  type CtiEvent,
  type CtiEventName,
  type CtiRequest,
  type CtiRequestName,
  type CtiRole,
  type KeyValue,
} from '../../server/cti/protocol.ts';
import { ServerConnection } from './connection.ts';
import { CtiError } from './errors.ts';

/** The event type of a given name: `CtiEventOf<'EventRinging'>` is a call event. */
export type CtiEventOf<M extends CtiEventName> = M extends CallEventName
  ? CtiCallEvent & { message: M }
  : Extract<CtiEvent, { message: M }>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A request as the application writes it: the library adds the ReferenceID. */
export type CtiRequestBody = DistributiveOmit<CtiRequest, 'ReferenceID'>;
type Body<M extends CtiRequestName> = Extract<CtiRequestBody, { message: M }>;

/** What answers a call request: its call event (with the ReferenceID), or EventACK when no event follows. */
export type CallAnswer = CtiCallEvent | CtiEventOf<'EventACK'>;

export interface CtiClientOptions {
  /** One server, or the two servers of a pair (either order: the library finds the primary). */
  servers: Address[];
  /** A `cti-client` application of the config. */
  application: string;
  password?: string;
  /** ADDP in seconds (0 or absent: off): the server polls us, we poll the server, each after that silence. */
  addpTimeout?: number;
  net?: Net;
  clock?: Clock;
  /** How long a request waits for a primary, and how long without one before EventLinkDisconnected. 5000. */
  primaryWaitMs?: number;
  /**
   * How long a request sent waits for its answer. 45000: longer than the server's own bound (RequestTimeout
   * after 40 s), so the server's answer, e.g. RequestFailed for a hold whose re-INVITE timed out, is what the
   * caller sees; the library's own timeout only covers a server that stopped answering altogether.
   */
  requestTimeoutMs?: number;
  /** Bound on the first connection (connect()) and on each connect + RequestRegisterClient. 10000. */
  connectTimeoutMs?: number;
  /** Reconnection backoff: the first retry after reconnectMinMs, doubling up to reconnectMaxMs. 250 / 5000. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** One configured server as the library sees it (`client.servers()`, the 'server' listener). */
export interface ServerStatus {
  address: Address;
  /** ServerName once registered, else "host:port". */
  name: string;
  state: 'connecting' | 'registering' | 'registered' | 'down' | 'refused';
  role: CtiRole | undefined;
  primary: boolean;
  /** Why the last connection ended or failed. */
  lastError: string | undefined;
}

type Settle = { resolve(ev: CtiEvent): void; reject(err: CtiError): void };

interface Pending extends Settle {
  conn: ServerConnection;
  requestName: CtiRequestName;
  timer: TimerHandle;
  /** A request the library makes itself (re-registration of a DN): its answer is not the user's. */
  internal: boolean;
}

interface Waiting extends Settle {
  req: CtiRequestBody;
  timer: TimerHandle;
}

interface Slot {
  address: Address;
  conn: ServerConnection | undefined;
  attempts: number;
  reconnectTimer: TimerHandle | undefined;
  refused: boolean;
  /** The first attempt has ended one way or the other (for connect()). */
  settled: boolean;
  lastError: string | undefined;
}

type EventListener = (ev: CtiEvent) => void;
type ServerListener = (s: ServerStatus) => void;

const SESSION_EVENTS = new Set<string>([
  'EventLinkConnected',
  'EventLinkDisconnected',
  'EventPrimaryChanged',
]);

export class CtiClient implements AsyncIterable<CtiEvent> {
  private readonly net: Net;
  private readonly clock: Clock;
  private readonly ownClock: NodeClock | undefined;
  private readonly slots: Slot[];
  private readonly primaryWaitMs: number;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly dnSet = new Set<string>();
  private readonly pending = new Map<number, Pending>();
  private waiting: Waiting[] = [];
  private readonly eventListeners = new Set<EventListener>();
  private readonly serverListeners = new Set<ServerListener>();
  private nextRef = 1;
  private primarySlot: Slot | undefined;
  private lastPrimaryName: string | undefined;
  private linkUp = false;
  private graceTimer: TimerHandle | undefined;
  private started = false;
  private closed = false;
  private connectWaiters: Settle[] = [];
  private connectTimer: TimerHandle | undefined;

  constructor(private readonly options: CtiClientOptions) {
    if (!Array.isArray(options.servers) || options.servers.length < 1 || options.servers.length > 2) {
      throw new RangeError(
        `CtiClient servers: one server or the two of a pair expected, got ${Array.isArray(options.servers) ? options.servers.length : typeof options.servers}`,
      );
    }
    for (const s of options.servers) {
      if (typeof s?.host !== 'string' || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535) {
        throw new RangeError(
          `CtiClient servers: {host, port} with port 1..65535 expected, got ${JSON.stringify(s)}`,
        );
      }
    }
    if (typeof options.application !== 'string' || options.application === '') {
      throw new RangeError('CtiClient application: the name of a cti-client application is required');
    }
    const addp = options.addpTimeout ?? 0;
    if (typeof addp !== 'number' || !Number.isFinite(addp) || addp < 0) {
      throw new RangeError(`CtiClient addpTimeout: seconds >= 0 expected (0 = off), got ${String(addp)}`);
    }
    this.net = options.net ?? new NodeNet();
    if (options.clock) this.clock = options.clock;
    else this.clock = this.ownClock = new NodeClock();
    this.primaryWaitMs = options.primaryWaitMs ?? 5000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 45_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.reconnectMinMs = options.reconnectMinMs ?? 250;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 5000;
    this.slots = options.servers.map((address) => ({
      address: { host: address.host, port: address.port },
      conn: undefined,
      attempts: 0,
      reconnectTimer: undefined,
      refused: false,
      settled: false,
      lastError: undefined,
    }));
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------------

  /**
   * Connects to every server. Resolves once a primary is known, or once every server has answered or failed
   * its first attempt with at least one registered (e.g. only the backup is up). Rejects, and closes the
   * client, when no server could be registered (wrong password: AuthenticationFailed; nothing listening or
   * no answer within connectTimeoutMs: ServiceUnavailable).
   */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(this.clientError('the client is closed', 'connect'));
    const done = new Promise<void>((resolve, reject) => {
      this.connectWaiters.push({ resolve: () => resolve(), reject });
    });
    if (!this.started) {
      this.started = true;
      this.connectTimer = this.clock.setTimer(this.connectTimeoutMs, () => {
        this.connectTimer = undefined;
        if (!this.slots.some((s) => s.conn?.phase === 'registered')) {
          this.failConnect(`no server registered the client within ${this.connectTimeoutMs} ms`);
        }
      });
      for (const slot of this.slots) this.open(slot);
    } else {
      this.checkConnected();
    }
    return done;
  }

  /** Closes both connections; pending requests reject; iterators end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = (what: string) => this.clientError(`the client was closed ${what}`);
    for (const slot of this.slots) {
      if (slot.reconnectTimer !== undefined) this.clock.clearTimer(slot.reconnectTimer);
      slot.reconnectTimer = undefined;
      slot.conn?.close();
    }
    for (const [ref, p] of this.pending) {
      this.pending.delete(ref);
      this.clock.clearTimer(p.timer);
      p.reject(err(`before ${p.requestName} was answered`));
    }
    for (const w of this.waiting.splice(0)) {
      this.clock.clearTimer(w.timer);
      w.reject(err(`before ${w.req.message} could be sent`));
    }
    for (const w of this.connectWaiters.splice(0)) w.reject(err('while connecting'));
    if (this.graceTimer !== undefined) this.clock.clearTimer(this.graceTimer);
    if (this.connectTimer !== undefined) this.clock.clearTimer(this.connectTimer);
    this.primarySlot = undefined;
    this.ownClock?.clearAll();
    for (const l of [...this.iterators]) l.end();
  }

  // ---- state -------------------------------------------------------------------------------------------------

  /** ServerName of the current primary, if any. */
  get primary(): string | undefined {
    return this.primarySlot?.conn?.name;
  }

  /** The DNs this client registered (re-registered on every server after a reconnect). */
  get dns(): string[] {
    return [...this.dnSet];
  }

  servers(): ServerStatus[] {
    return this.slots.map((s) => this.statusOf(s));
  }

  // ---- events ------------------------------------------------------------------------------------------------

  on(type: 'event', fn: EventListener): this;
  on(type: 'server', fn: ServerListener): this;
  on(type: 'event' | 'server', fn: EventListener | ServerListener): this {
    if (type === 'event') this.eventListeners.add(fn as EventListener);
    else if (type === 'server') this.serverListeners.add(fn as ServerListener);
    else throw new RangeError(`CtiClient.on: 'event' or 'server' expected, got ${String(type)}`);
    return this;
  }

  off(type: 'event' | 'server', fn: EventListener | ServerListener): this {
    if (type === 'event') this.eventListeners.delete(fn as EventListener);
    else this.serverListeners.delete(fn as ServerListener);
    return this;
  }

  private readonly iterators = new Set<EventIterator>();

  /** The event stream as an async iterator, from now on (`for await (const ev of client.events())`). */
  events(): AsyncIterableIterator<CtiEvent> {
    const it = new EventIterator(() => this.iterators.delete(it));
    if (this.closed) it.end();
    else this.iterators.add(it);
    return it;
  }

  [Symbol.asyncIterator](): AsyncIterator<CtiEvent> {
    return this.events();
  }

  /**
   * The first event from now on that `match` accepts; rejects after timeoutMs. Subscribe before the action
   * that causes the event (events are not kept).
   */
  waitForEvent<E extends CtiEvent = CtiEvent>(
    match: (ev: CtiEvent) => boolean,
    timeoutMs = 10_000,
  ): Promise<E> {
    return new Promise<E>((resolve, reject) => {
      const listener: EventListener = (ev) => {
        if (!match(ev)) return;
        this.clock.clearTimer(timer);
        this.off('event', listener);
        resolve(ev as E);
      };
      const timer = this.clock.setTimer(timeoutMs, () => {
        this.off('event', listener);
        reject(this.clientError(`no matching event within ${timeoutMs} ms`));
      });
      this.on('event', listener);
    });
  }

  // ---- requests ----------------------------------------------------------------------------------------------

  /**
   * Sends any request to the current primary (waiting up to primaryWaitMs for one) and resolves with the
   * event that answers it; EventError rejects with a CtiError.
   */
  request(req: CtiRequestBody): Promise<CtiEvent> {
    if (this.closed) return Promise.reject(this.clientError('the client is closed', req.message));
    return new Promise<CtiEvent>((resolve, reject) => {
      const conn = this.primarySlot?.conn;
      if (conn !== undefined) {
        this.send(conn, req, { resolve, reject }, false);
        return;
      }
      const w: Waiting = {
        req,
        resolve,
        reject,
        timer: this.clock.setTimer(this.primaryWaitMs, () => {
          this.waiting = this.waiting.filter((x) => x !== w);
          reject(
            this.clientError(
              `no primary server within ${this.primaryWaitMs} ms (${this.describeServers()})`,
              req.message,
            ),
          );
        }),
      };
      this.waiting.push(w);
    });
  }

  /**
   * Registers a DN on every server (RequestRegisterAddress), and again on each after a reconnect. Resolves
   * with the primary's EventRegistered (or another server's when there is no primary); rejects when every
   * server refused (e.g. InvalidDn), and then the DN is forgotten.
   */
  async register(dn: string): Promise<CtiEventOf<'EventRegistered'>> {
    this.dnSet.add(dn);
    return (await this.onEveryServer({ message: 'RequestRegisterAddress', ThisDN: dn }, () =>
      this.dnSet.delete(dn),
    )) as CtiEventOf<'EventRegistered'>;
  }

  async unregister(dn: string): Promise<CtiEventOf<'EventUnregistered'>> {
    this.dnSet.delete(dn);
    return (await this.onEveryServer({
      message: 'RequestUnregisterAddress',
      ThisDN: dn,
    })) as CtiEventOf<'EventUnregistered'>;
  }

  loginAgent(
    dn: string,
    agentId: string,
    opts: { password?: string; workMode?: AgentWorkMode } = {},
  ): Promise<CtiEventOf<'EventAgentLogin'>> {
    const req: Body<'RequestAgentLogin'> = { message: 'RequestAgentLogin', ThisDN: dn, AgentID: agentId };
    if (opts.password !== undefined) req.Password = opts.password;
    if (opts.workMode !== undefined) req.AgentWorkMode = opts.workMode;
    return this.typed(req);
  }

  ready(dn: string, workMode?: AgentWorkMode): Promise<CtiEventOf<'EventAgentReady'>> {
    const req: Body<'RequestAgentReady'> = { message: 'RequestAgentReady', ThisDN: dn };
    if (workMode !== undefined) req.AgentWorkMode = workMode;
    return this.typed(req);
  }

  notReady(
    dn: string,
    reasons?: KeyValue,
    workMode?: AgentWorkMode,
  ): Promise<CtiEventOf<'EventAgentNotReady'>> {
    const req: Body<'RequestAgentNotReady'> = { message: 'RequestAgentNotReady', ThisDN: dn };
    if (reasons !== undefined) req.Reasons = reasons;
    if (workMode !== undefined) req.AgentWorkMode = workMode;
    return this.typed(req);
  }

  /** Not ready in after-call work (RequestAgentNotReady with AgentWorkMode AfterCallWork). */
  afterCallWork(dn: string, reasons?: KeyValue): Promise<CtiEventOf<'EventAgentNotReady'>> {
    return this.notReady(dn, reasons, 'AfterCallWork');
  }

  logout(dn: string): Promise<CtiEventOf<'EventAgentLogout'>> {
    return this.typed({ message: 'RequestAgentLogout', ThisDN: dn });
  }

  /** Third-party call from dn's phone to destination: resolves with the first call event (EventDialing). */
  makeCall(dn: string, destination: string, userData?: KeyValue): Promise<CtiCallEvent> {
    const req: Body<'RequestMakeCall'> = { message: 'RequestMakeCall', ThisDN: dn, OtherDN: destination };
    if (userData !== undefined) req.UserData = userData;
    return this.typed(req);
  }

  answer(dn: string, connId: string): Promise<CallAnswer> {
    return this.typed({ message: 'RequestAnswerCall', ThisDN: dn, ConnID: connId });
  }

  release(dn: string, connId: string): Promise<CallAnswer> {
    return this.typed({ message: 'RequestReleaseCall', ThisDN: dn, ConnID: connId });
  }

  hold(dn: string, connId: string): Promise<CallAnswer> {
    return this.typed({ message: 'RequestHoldCall', ThisDN: dn, ConnID: connId });
  }

  retrieve(dn: string, connId: string): Promise<CallAnswer> {
    return this.typed({ message: 'RequestRetrieveCall', ThisDN: dn, ConnID: connId });
  }

  /** Holds connId and calls destination from dn: resolves with the consultation call's first event. */
  initiateTransfer(
    dn: string,
    connId: string,
    destination: string,
    userData?: KeyValue,
  ): Promise<CtiCallEvent> {
    const req: Body<'RequestInitiateTransfer'> = {
      message: 'RequestInitiateTransfer',
      ThisDN: dn,
      ConnID: connId,
      OtherDN: destination,
    };
    if (userData !== undefined) req.UserData = userData;
    return this.typed(req);
  }

  completeTransfer(dn: string, heldConnId: string, consultConnId: string): Promise<CallAnswer> {
    return this.typed({
      message: 'RequestCompleteTransfer',
      ThisDN: dn,
      ConnID: heldConnId,
      TransferConnID: consultConnId,
    });
  }

  singleStepTransfer(dn: string, connId: string, destination: string): Promise<CallAnswer> {
    return this.typed({
      message: 'RequestSingleStepTransfer',
      ThisDN: dn,
      ConnID: connId,
      OtherDN: destination,
    });
  }

  /** Routes a call parked on a Routing Point (EventRouteRequest) to destination. */
  routeCall(routingPoint: string, connId: string, destination: string): Promise<CallAnswer> {
    return this.typed({
      message: 'RequestRouteCall',
      ThisDN: routingPoint,
      ConnID: connId,
      OtherDN: destination,
    });
  }

  attachUserData(dn: string, connId: string, data: KeyValue): Promise<CallAnswer> {
    return this.typed({ message: 'RequestAttachUserData', ThisDN: dn, ConnID: connId, UserData: data });
  }

  updateUserData(dn: string, connId: string, data: KeyValue): Promise<CallAnswer> {
    return this.typed({ message: 'RequestUpdateUserData', ThisDN: dn, ConnID: connId, UserData: data });
  }

  queryAddress(dn: string): Promise<CtiEventOf<'EventAddressInfo'>> {
    return this.typed({ message: 'RequestQueryAddress', ThisDN: dn });
  }

  queryServer(): Promise<CtiEventOf<'EventServerInfo'>> {
    return this.typed({ message: 'RequestQueryServer' });
  }

  // ---- internals ---------------------------------------------------------------------------------------------

  private typed<E extends CtiEvent>(req: CtiRequestBody): Promise<E> {
    return this.request(req) as Promise<E>;
  }

  private send(conn: ServerConnection, req: CtiRequestBody, settle: Settle, internal: boolean): void {
    const ref = this.nextRef++;
    const timer = this.clock.setTimer(this.requestTimeoutMs, () => {
      if (!this.pending.delete(ref)) return;
      settle.reject(
        this.clientError(`no answer from ${conn.name} within ${this.requestTimeoutMs} ms`, req.message, ref),
      );
    });
    this.pending.set(ref, { ...settle, conn, requestName: req.message, timer, internal });
    conn.send({ ...req, ReferenceID: ref });
  }

  /** Sends a request to every registered server; see register(). */
  private async onEveryServer(req: CtiRequestBody, refusedEverywhere?: () => void): Promise<CtiEvent> {
    if (this.closed) throw this.clientError('the client is closed', req.message);
    await this.anyRegistered(req.message);
    const targets = this.slots.filter((s) => s.conn?.phase === 'registered');
    const results = await Promise.allSettled(
      targets.map(
        (s) =>
          new Promise<CtiEvent>((resolve, reject) => {
            this.send(s.conn!, req, { resolve, reject }, false);
          }),
      ),
    );
    const primaryIndex = this.primarySlot ? targets.indexOf(this.primarySlot) : -1;
    const order = primaryIndex >= 0 ? [primaryIndex, ...targets.keys()] : [...targets.keys()];
    for (const i of order) {
      const r = results[i]!;
      if (r.status === 'fulfilled') return r.value;
    }
    const errors = results.map((r) => (r as PromiseRejectedResult).reason as CtiError);
    if (errors.every((e) => e instanceof CtiError && e.origin === 'server')) refusedEverywhere?.();
    throw errors[order[0]!]!;
  }

  /** Resolves when some server is registered, waiting up to primaryWaitMs. */
  private anyRegistered(requestName: string): Promise<void> {
    if (this.slots.some((s) => s.conn?.phase === 'registered')) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const started = this.clock.now();
      const poll = () => {
        if (this.closed) reject(this.clientError('the client is closed', requestName));
        else if (this.slots.some((s) => s.conn?.phase === 'registered')) resolve();
        else if (this.clock.now() - started >= this.primaryWaitMs)
          reject(
            this.clientError(
              `no server connected within ${this.primaryWaitMs} ms (${this.describeServers()})`,
              requestName,
            ),
          );
        else this.clock.setTimer(50, poll);
      };
      poll();
    });
  }

  private open(slot: Slot): void {
    if (this.closed) return;
    const conn = new ServerConnection({
      address: slot.address,
      net: this.net,
      clock: this.clock,
      application: this.options.application,
      password: this.options.password,
      addpTimeout: this.options.addpTimeout ?? 0,
      registerTimeoutMs: this.connectTimeoutMs,
      referenceId: () => this.nextRef++,
      onRegistered: (c) => this.onRegistered(slot, c),
      onMessage: (c, msg) => this.onMessage(slot, c, msg),
      onDown: (c, reason, refused) => this.onDown(slot, c, reason, refused),
    });
    slot.conn = conn;
    conn.start();
    this.notifyServer(slot);
  }

  private onRegistered(slot: Slot, conn: ServerConnection): void {
    slot.attempts = 0;
    slot.settled = true;
    slot.lastError = undefined;
    for (const dn of this.dnSet) {
      this.send(
        conn,
        { message: 'RequestRegisterAddress', ThisDN: dn },
        { resolve: () => {}, reject: (e) => (slot.lastError = `re-registering DN ${dn}: ${e.message}`) },
        true,
      );
    }
    this.notifyServer(slot);
    this.checkConnected();
  }

  private onMessage(slot: Slot, conn: ServerConnection, msg: CtiEvent): void {
    if (slot.conn !== conn) return;
    if (msg.ReferenceID !== undefined) {
      const p = this.pending.get(msg.ReferenceID);
      if (p !== undefined && p.conn === conn) {
        this.pending.delete(msg.ReferenceID);
        this.clock.clearTimer(p.timer);
        if (msg.message === 'EventError') {
          p.reject(
            new CtiError({
              code: msg.ErrorCode,
              message: msg.ErrorMessage,
              requestName: msg.RequestName ?? p.requestName,
              referenceId: msg.ReferenceID,
              server: conn.name,
              origin: 'server',
            }),
          );
        } else {
          p.resolve(msg);
        }
        if (p.internal) return;
      }
    }
    switch (msg.message) {
      case 'EventLinkConnected':
      case 'EventPrimaryChanged':
        conn.linkConnected = true;
        conn.role = 'Primary';
        this.becomePrimary(slot);
        return;
      case 'EventLinkDisconnected':
        conn.linkConnected = false;
        if (this.primarySlot === slot) this.lostPrimary();
        this.notifyServer(slot);
        return;
      case 'EventServerInfo':
        if (msg.ServerRole === 'Backup' && this.primarySlot === slot && msg.ReferenceID === undefined) {
          conn.linkConnected = false;
          this.lostPrimary();
        }
        break;
    }
    if (this.primarySlot === slot && !SESSION_EVENTS.has(msg.message)) this.emit(msg);
  }

  private onDown(slot: Slot, conn: ServerConnection, reason: string, refused: boolean): void {
    if (slot.conn !== conn) return;
    slot.lastError = reason;
    for (const [ref, p] of this.pending) {
      if (p.conn !== conn) continue;
      this.pending.delete(ref);
      this.clock.clearTimer(p.timer);
      p.reject(
        this.clientError(
          `the connection to ${conn.name} was lost before the answer: ${reason}`,
          p.requestName,
          ref,
        ),
      );
    }
    if (this.primarySlot === slot) this.lostPrimary();
    if (refused) slot.refused = true;
    const wasFirst = !slot.settled;
    slot.settled = true;
    if (!refused && !this.closed) {
      const delay = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** slot.attempts);
      slot.attempts++;
      slot.reconnectTimer = this.clock.setTimer(delay, () => {
        slot.reconnectTimer = undefined;
        this.open(slot);
      });
    }
    this.notifyServer(slot);
    if (wasFirst) this.checkConnected();
  }

  private becomePrimary(slot: Slot): void {
    this.notifyServer(slot);
    if (this.primarySlot === slot) return;
    const old = this.primarySlot;
    if (old?.conn) {
      // Superseded: whatever the old one still sends is not the primary's any more.
      old.conn.linkConnected = false;
      this.notifyServer(old);
    }
    this.primarySlot = slot;
    if (this.graceTimer !== undefined) this.clock.clearTimer(this.graceTimer);
    this.graceTimer = undefined;
    const name = slot.conn!.name;
    if (!this.linkUp) {
      this.linkUp = true;
      this.emit({ message: 'EventLinkConnected' });
    }
    if (this.lastPrimaryName !== undefined && this.lastPrimaryName !== name) {
      this.emit({ message: 'EventPrimaryChanged', ServerName: name, PreviousPrimary: this.lastPrimaryName });
    }
    this.lastPrimaryName = name;
    const queued = this.waiting.splice(0);
    for (const w of queued) {
      this.clock.clearTimer(w.timer);
      this.send(slot.conn!, w.req, w, false);
    }
    this.checkConnected();
  }

  private lostPrimary(): void {
    const old = this.primarySlot;
    this.primarySlot = undefined;
    if (old) this.notifyServer(old);
    const other = this.slots.find((s) => s !== old && s.conn?.phase === 'registered' && s.conn.linkConnected);
    if (other) {
      this.becomePrimary(other);
      return;
    }
    if (this.graceTimer !== undefined || this.closed) return;
    this.graceTimer = this.clock.setTimer(this.primaryWaitMs, () => {
      this.graceTimer = undefined;
      if (this.primarySlot === undefined && this.linkUp) {
        this.linkUp = false;
        this.emit({ message: 'EventLinkDisconnected' });
      }
    });
  }

  private checkConnected(): void {
    if (this.connectWaiters.length === 0) return;
    const registered = this.slots.some((s) => s.conn?.phase === 'registered');
    const allSettled = this.slots.every((s) => s.settled);
    if (this.primarySlot !== undefined || (registered && allSettled)) {
      if (this.connectTimer !== undefined) this.clock.clearTimer(this.connectTimer);
      this.connectTimer = undefined;
      for (const w of this.connectWaiters.splice(0)) w.resolve({ message: 'EventLinkConnected' });
      return;
    }
    if (allSettled && !registered) {
      const refusedAll = this.slots.every((s) => s.refused);
      this.failConnect(
        this.slots.map((s) => `${formatAddress(s.address)}: ${s.lastError ?? 'no answer'}`).join('; '),
        refusedAll ? CtiErrorCodes.AuthenticationFailed : CtiErrorCodes.ServiceUnavailable,
      );
    }
  }

  private failConnect(detail: string, code: number = CtiErrorCodes.ServiceUnavailable): void {
    const err = new CtiError({
      code,
      message: `could not connect: ${detail}`,
      requestName: 'RequestRegisterClient',
      origin: 'client',
    });
    const waiters = this.connectWaiters.splice(0);
    this.close();
    for (const w of waiters) w.reject(err);
  }

  private emit(ev: CtiEvent): void {
    for (const it of this.iterators) it.push(ev);
    for (const l of [...this.eventListeners]) {
      try {
        l(ev);
      } catch (err) {
        // A listener's bug is its own: rethrown outside the client's socket callback, as EventEmitter would.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  private statusOf(s: Slot): ServerStatus {
    const c = s.conn;
    const state: ServerStatus['state'] = s.refused
      ? 'refused'
      : c === undefined || c.phase === 'closed'
        ? 'down'
        : c.phase;
    return {
      address: { ...s.address },
      name: c?.name ?? formatAddress(s.address),
      state,
      role: c?.phase === 'registered' ? c.role : undefined,
      primary: this.primarySlot === s,
      lastError: s.lastError,
    };
  }

  private notifyServer(slot: Slot): void {
    if (this.serverListeners.size === 0) return;
    const status = this.statusOf(slot);
    for (const l of [...this.serverListeners]) l(status);
  }

  private describeServers(): string {
    return this.slots
      .map((s) => {
        const st = this.statusOf(s);
        const what =
          st.state === 'registered'
            ? st.role === 'Primary'
              ? 'Primary, link disconnected'
              : (st.role ?? 'registered')
            : `${st.state}${st.lastError ? `: ${st.lastError}` : ''}`;
        return `${st.name}: ${what}`;
      })
      .join('; ');
  }

  private clientError(message: string, requestName?: string, referenceId?: number): CtiError {
    return new CtiError({
      code: CtiErrorCodes.ServiceUnavailable,
      message,
      requestName,
      referenceId,
      origin: 'client',
    });
  }
}

/** One `events()` iterator: a queue of the events since it was created. */
class EventIterator implements AsyncIterableIterator<CtiEvent> {
  private readonly queue: CtiEvent[] = [];
  private readonly takers: Array<(r: IteratorResult<CtiEvent>) => void> = [];
  private ended = false;

  constructor(private readonly detach: () => void) {}

  push(ev: CtiEvent): void {
    const take = this.takers.shift();
    if (take) take({ value: ev, done: false });
    else this.queue.push(ev);
  }

  end(): void {
    this.ended = true;
    this.detach();
    for (const take of this.takers.splice(0)) take({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<CtiEvent>> {
    const ev = this.queue.shift();
    if (ev !== undefined) return Promise.resolve({ value: ev, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.takers.push(resolve));
  }

  return(): Promise<IteratorResult<CtiEvent>> {
    this.end();
    this.queue.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<CtiEvent> {
    return this;
  }
}
