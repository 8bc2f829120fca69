/**
 * The CTI server (SPEC S3, issue 5): the T-Library-style client interface of one SIP Server. Clients (agent
 * desktops, routers) connect over TCP (tcp-listener.ts) or WebSocket (ws-listener.ts), register as a
 * `cti-client` application, register DNs, and then receive the events of those DNs and send requests.
 *
 * This is the core: no I/O of its own (transports feed it through CtiConnection), time from the injected
 * Clock, so it runs in the simulator with the rest of the server. What it decides:
 * - the session: RequestRegisterClient first (name + password from the config), ADDP, errors;
 * - agent state (agents.ts), committed as AgentStateChanged records through the store, so the backup has it;
 * - call requests go to the B2BUA (CallControl); call events come back from it (onCallEvent) and go to every
 *   client registered on the event's DN, the requester's copy carrying its ReferenceID;
 * - the pair (SPEC S3 "hot standby on the client side"): the backup accepts registrations and queries and
 *   answers call and agent requests with EventError BackupMode; it sends no call events. On promotion every
 *   client gets EventLinkConnected, EventPrimaryChanged, then the state of each DN it registered.
 * - backpressure: a client whose unread output passes CTI_MAX_QUEUED_BYTES is closed (10-70007), so one
 *   client that stops reading cannot grow the server's memory without bound.
 */
import type { Config, Dn } from '../../config/config.ts';
import { pairOf } from '../../config/queries.ts';
import type { Logger } from '../../log/logger.ts';
import type { AgentState } from '../../model/agent.ts';
import type { PartyState } from '../../model/call/party.ts';
import type { Store } from '../../model/store/store.ts';
import type { Clock } from '../../runtime/clock.ts';
import { type AddpDialect, GenericAddpKeeper } from '../../runtime/framing/addp.ts';
import type {
  AsyncControlRequest,
  CallControlErrorKind,
  CallControlResult,
  CallEvent,
  CallEventType,
  RequestFailure,
} from '../b2bua/call-events.ts';
import type { Role, RoleGate } from '../role-gate.ts';
import {
  type AgentDecision,
  agentEvent,
  agentOnDn,
  decideLogin,
  decideLogout,
  decideNotReady,
  decideReady,
  statusEvent,
  workModeOf,
} from './agents.ts';
import type { CallControl, DnCall } from './call-control.ts';
import type { CtiAcceptor, CtiConnection, CtiConnectionHandlers } from './connection.ts';
import {
  type AgentWorkMode,
  type CallEventName,
  CTI_ADDP_ANSWER,
  CTI_ADDP_POLL,
  type CtiCallEvent,
  type CtiErrorCode,
  CtiErrorCodes,
  type CtiEvent,
  type KeyValue,
} from './protocol.ts';

export interface CtiServerOptions {
  clock: Clock;
  /** The configuration in force (read at use: reloads apply to new requests). */
  config(): Config;
  /** This server's application name (EventServerInfo ServerName). */
  app: string;
  logger: Logger;
  store: Store;
  gate: RoleGate;
  /** The B2BUA's call control; without it call requests are refused (ServiceUnavailable). */
  calls?: CallControl;
  /** Whether a DN is in service (the OOS checker's view); default: always. */
  isInService?(dn: string): boolean;
  /** Whether the SIP port is open: EventLinkConnected at registration needs it (default: the gate). */
  sipOpen?(): boolean;
  version?: string;
  /** A connection must send RequestRegisterClient within this, ms (default 30 s), or is closed. */
  registerTimeoutMs?: number;
  /**
   * A call request accepted by the B2BUA and answered by no event within this, ms (default 40 s: longer than
   * any SIP transaction, 32 s), gets EventError RequestTimeout.
   */
  requestTimeoutMs?: number;
}

/** Default bound on the answer of an accepted call request (see CtiServerOptions.requestTimeoutMs). */
export const CTI_REQUEST_TIMEOUT_MS = 40_000;

/**
 * The most a client may leave unread in the server: past it, the client is closed (log 10-70007) instead of
 * buffered without bound. 4 MiB is some 15,000 call events, hundreds of times what a client that reads
 * ever has queued (a takeover's resync of a 1,000-DN router is under 1 MiB); 500 clients stuck at once
 * would hold 2 GiB at worst. On TCP the kernel's socket buffers (a few MiB) fill first and are not counted.
 */
export const CTI_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export interface CtiClientStats {
  name: string | null;
  address: string;
  transport: 'tcp' | 'ws';
  registeredDns: string[];
  requests: number;
  eventsSent: number;
  /** Bytes sent and not yet taken by the network (grows while the client does not read). */
  queuedBytes: number;
  /** Clock time (ms) the connection was accepted. */
  connectedSince: number;
}

export interface CtiStatistics {
  clients: CtiClientStats[];
  totals: {
    clients: number;
    registeredClients: number;
    requests: number;
    eventsSent: number;
    /** Clients closed since the start because their unread output passed CTI_MAX_QUEUED_BYTES (10-70007). */
    closedNotReading: number;
  };
}

/** One client connection and what it registered. */
interface Session {
  id: number;
  conn: CtiConnection;
  state: 'new' | 'registered' | 'closed';
  name: string | null;
  dns: Set<string>;
  requests: number;
  eventsSent: number;
  connectedSince: number;
  addp: GenericAddpKeeper<unknown>;
  registerTimer?: ReturnType<Clock['setTimer']>;
  /** Why we closed it (when we did), for the log. */
  closeReason?: string;
}

/** A ReferenceID waiting for the call event that answers its request (see onCallEvent). */
interface Pending {
  session: Session;
  ref: number;
  requestName: string;
  dn: string;
  /** The call; null while a MakeCall/InitiateTransfer has not returned its new ConnID. */
  connId: string | null;
  /** For a new call: the ConnID of the call it was made from, whose events are not the answer. */
  notConnId?: string;
  /** The event types that answer (any for a new call); EventReleased always does (the request failed). */
  types: Set<CallEventName> | 'any';
  /** The safety net: EventError RequestTimeout when nothing answered in time. */
  timer?: ReturnType<Clock['setTimer']>;
}

/** The request each asynchronous B2BUA failure answers. */
const failedRequestNames: Record<AsyncControlRequest, string> = {
  answer: 'RequestAnswerCall',
  hold: 'RequestHoldCall',
  retrieve: 'RequestRetrieveCall',
};

/** A request refused: sent as EventError with the request's name and ReferenceID. */
class Refusal extends Error {
  constructor(
    readonly code: CtiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const codeNames = Object.fromEntries(Object.entries(CtiErrorCodes).map(([k, v]) => [v, k])) as Record<
  number,
  string
>;

const errorCodeOf: Record<CallControlErrorKind, CtiErrorCode> = {
  'no-such-call': CtiErrorCodes.InvalidConnId,
  'not-a-party': CtiErrorCodes.InvalidConnId,
  'invalid-state': CtiErrorCodes.InvalidState,
  'invalid-destination': CtiErrorCodes.InvalidDestination,
  'no-contact': CtiErrorCodes.InvalidDestination,
  'not-supported': CtiErrorCodes.NotSupported,
  'backup-mode': CtiErrorCodes.BackupMode,
};

const workModes: readonly AgentWorkMode[] = ['Unknown', 'ManualIn', 'AutoIn', 'AfterCallWork'];

const addpDialect: AddpDialect<unknown> = {
  poll: { message: CTI_ADDP_POLL },
  answer: { message: CTI_ADDP_ANSWER },
  kindOf(msg) {
    if (typeof msg !== 'object' || msg === null) return undefined;
    const m = (msg as { message?: unknown }).message;
    return m === CTI_ADDP_POLL ? 'poll' : m === CTI_ADDP_ANSWER ? 'answer' : undefined;
  },
};

/** The party state a DN holds in a call -> the call event that tells a client about it after a takeover. */
const eventOfPartyState: Partial<Record<PartyState, CallEventName>> = {
  Dialing: 'EventDialing',
  Ringing: 'EventRinging',
  Queued: 'EventRouteRequest',
  Established: 'EventEstablished',
  Held: 'EventHeld',
};

type Req = Record<string, unknown>;
type Handler = (s: Session, req: Req, ref: number) => void;

export class CtiServer implements CtiAcceptor {
  private readonly sessions = new Set<Session>();
  /** DN -> the sessions registered on it: the fan-out index. */
  private readonly byDn = new Map<string, Set<Session>>();
  private pending: Pending[] = [];
  /** The request being handed to the B2BUA: events it emits synchronously may be its answer. */
  private inflight: Pending | undefined;
  private nextId = 1;
  private closedNotReading = 0;
  private readonly handlers: Record<string, Handler>;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeFailures: () => void;

  constructor(private readonly o: CtiServerOptions) {
    this.unsubscribe = o.gate.onChange((role) => this.onRoleChange(role));
    this.unsubscribeFailures = o.calls?.onRequestFailed?.((f) => this.onRequestFailed(f)) ?? (() => {});
    this.handlers = {
      RequestRegisterClient: (s, _req, ref) => {
        this.send(
          s,
          this.error(
            CtiErrorCodes.InvalidState,
            'the client is already registered',
            'RequestRegisterClient',
            ref,
          ),
        );
      },
      RequestRegisterAddress: (s, req, ref) => this.registerAddress(s, req, ref),
      RequestUnregisterAddress: (s, req, ref) => this.unregisterAddress(s, req, ref),
      RequestQueryAddress: (s, req, ref) => this.queryAddress(s, req, ref),
      RequestQueryServer: (s, _req, ref) => this.send(s, { ...this.serverInfo(), ReferenceID: ref }),
      RequestAgentLogin: (s, req, ref) => this.agentLogin(s, req, ref),
      RequestAgentReady: (s, req, ref) =>
        this.agentChange(s, req, ref, 'EventAgentReady', (dn) =>
          decideReady(o.store, dn, this.workMode(req), o.clock.now()),
        ),
      RequestAgentNotReady: (s, req, ref) =>
        this.agentChange(s, req, ref, 'EventAgentNotReady', (dn) =>
          decideNotReady(
            o.store,
            dn,
            this.workMode(req),
            this.keyValue(req, 'Reasons', false),
            o.clock.now(),
          ),
        ),
      RequestAgentLogout: (s, req, ref) =>
        this.agentChange(s, req, ref, 'EventAgentLogout', (dn) => decideLogout(o.store, dn, o.clock.now())),
      RequestMakeCall: (s, req, ref) => {
        const dn = this.callRequestDn(s, req);
        const dest = this.text(req, 'OtherDN');
        const data = this.keyValue(req, 'UserData', false) ?? {};
        this.control(s, req, ref, dn, null, 'any', (c) => c.makeCall(dn, dest, data));
      },
      RequestAnswerCall: (s, req, ref) =>
        this.simpleCall(s, req, ref, 'EventEstablished', (c, id, dn) => c.answerCall(id, dn)),
      RequestReleaseCall: (s, req, ref) =>
        this.simpleCall(s, req, ref, 'EventReleased', (c, id, dn) => c.releaseCall(id, dn)),
      RequestHoldCall: (s, req, ref) =>
        this.simpleCall(s, req, ref, 'EventHeld', (c, id, dn) => c.holdCall(id, dn)),
      RequestRetrieveCall: (s, req, ref) =>
        this.simpleCall(s, req, ref, 'EventRetrieved', (c, id, dn) => c.retrieveCall(id, dn)),
      RequestInitiateTransfer: (s, req, ref) => {
        const dn = this.callRequestDn(s, req);
        const connId = this.text(req, 'ConnID');
        const dest = this.text(req, 'OtherDN');
        const data = this.keyValue(req, 'UserData', false) ?? {};
        this.control(s, req, ref, dn, null, 'any', (c) => c.initiateTransfer(connId, dn, dest, data), connId);
      },
      RequestCompleteTransfer: (s, req, ref) => {
        const dn = this.callRequestDn(s, req);
        const connId = this.text(req, 'ConnID');
        const consult = this.text(req, 'TransferConnID');
        this.control(s, req, ref, dn, connId, new Set(['EventReleased']), (c) =>
          c.completeTransfer(connId, consult, dn),
        );
      },
      RequestSingleStepTransfer: (s, req, ref) => {
        const dest = this.text(req, 'OtherDN');
        this.simpleCall(s, req, ref, 'EventReleased', (c, id, dn) => c.singleStepTransfer(id, dn, dest));
      },
      RequestRouteCall: (s, req, ref) => {
        const dest = this.text(req, 'OtherDN');
        this.simpleCall(s, req, ref, 'EventRouteUsed', (c, id, dn) => c.routeParked(id, dest, dn));
      },
      RequestAttachUserData: (s, req, ref) => this.userData(s, req, ref, 'attach'),
      RequestUpdateUserData: (s, req, ref) => this.userData(s, req, ref, 'update'),
    };
  }

  // ---- connections ------------------------------------------------------------------------------------------

  accept(conn: CtiConnection): CtiConnectionHandlers {
    const s: Session = {
      id: this.nextId++,
      conn,
      state: 'new',
      name: null,
      dns: new Set(),
      requests: 0,
      eventsSent: 0,
      connectedSince: this.o.clock.now(),
      addp: this.addpKeeper(conn, 0, () => {}),
    };
    this.sessions.add(s);
    s.registerTimer = this.o.clock.setTimer(this.o.registerTimeoutMs ?? 30_000, () => {
      s.registerTimer = undefined;
      if (s.state === 'new')
        this.refuse(s, CtiErrorCodes.NotRegisteredClient, 'no RequestRegisterClient in time');
    });
    return {
      onMessage: (value) => this.onMessage(s, value),
      onUnreadable: (detail) => {
        if (s.state === 'closed') return;
        s.addp.touch();
        if (s.state === 'new') this.refuse(s, CtiErrorCodes.InvalidMessage, detail);
        else this.send(s, this.error(CtiErrorCodes.InvalidMessage, detail));
      },
      onBrokenStream: (detail) => {
        if (s.state === 'closed') return;
        this.send(s, this.error(CtiErrorCodes.InvalidMessage, `${detail}; the connection is closed`));
        if (s.state === 'new') this.o.logger.event('10-70003', { source: conn.remote, reason: detail });
        this.close(s, `bad frame: ${detail}`);
      },
      onClose: (reason) => this.onClosed(s, reason),
    };
  }

  private addpKeeper(conn: CtiConnection, timeoutMs: number, onDead: () => void): GenericAddpKeeper<unknown> {
    return new GenericAddpKeeper<unknown>({
      clock: this.o.clock,
      timeoutMs,
      send: (m) => conn.send(m as object),
      onDead,
      dialect: addpDialect,
    });
  }

  /** Closes a session from our side (the transport's onClose follows). */
  private close(s: Session, reason: string): void {
    if (s.state === 'closed') return;
    s.closeReason ??= reason;
    s.conn.close();
    // A transport that does not call back synchronously still leaves a consistent state here.
    this.onClosed(s, reason);
  }

  private onClosed(s: Session, reason: string): void {
    if (s.state === 'closed') return;
    const wasRegistered = s.state === 'registered';
    s.state = 'closed';
    s.addp.stop();
    if (s.registerTimer !== undefined) this.o.clock.clearTimer(s.registerTimer);
    for (const dn of s.dns) this.unindex(s, dn);
    s.dns.clear();
    this.sessions.delete(s);
    this.dropPending((p) => p.session === s);
    if (wasRegistered) {
      this.o.logger.event('10-70002', { client: s.name ?? '?', reason: s.closeReason ?? reason });
    }
  }

  /** Refuses a connection that has not registered: EventError, log 10-70003, close. */
  private refuse(s: Session, code: CtiErrorCode, detail: string, ref?: number): void {
    this.send(s, this.error(code, detail, 'RequestRegisterClient', ref));
    this.o.logger.event('10-70003', { source: s.conn.remote, reason: detail });
    this.close(s, detail);
  }

  private send(s: Session, ev: CtiEvent | object): void {
    if (s.state === 'closed') return;
    s.eventsSent++;
    s.conn.send(ev);
    const queued = s.conn.queuedBytes();
    if (queued > CTI_MAX_QUEUED_BYTES) this.closeNotReading(s, queued);
  }

  /**
   * The client does not read what it is sent: close it rather than buffer its events without bound. Reset,
   * not a graceful close: a FIN would wait behind megabytes it will never read.
   */
  private closeNotReading(s: Session, queued: number): void {
    this.closedNotReading++;
    this.o.logger.event('10-70007', {
      client: s.name ?? '(not registered)',
      address: s.conn.remote,
      transport: s.conn.transport === 'tcp' ? 'TCP' : 'WebSocket',
      queued,
      limit: CTI_MAX_QUEUED_BYTES,
    });
    s.closeReason = `not reading: ${queued} bytes of events queued unread (limit ${CTI_MAX_QUEUED_BYTES})`;
    s.conn.abort();
    this.onClosed(s, s.closeReason);
  }

  private error(code: CtiErrorCode, detail: string, requestName?: string, ref?: number): CtiEvent {
    const ev: CtiEvent = {
      message: 'EventError',
      ErrorCode: code,
      ErrorMessage: `${codeNames[code]}: ${detail}`,
    };
    if (requestName !== undefined) ev.RequestName = requestName;
    if (ref !== undefined) ev.ReferenceID = ref;
    return ev;
  }

  // ---- messages ---------------------------------------------------------------------------------------------

  private onMessage(s: Session, value: unknown): void {
    if (s.state === 'closed') return;
    if (s.addp.onFrame(value)) return;
    if (s.state === 'new') {
      this.registerClient(s, value);
      return;
    }
    s.requests++;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.send(s, this.error(CtiErrorCodes.InvalidMessage, 'a message must be a JSON object'));
      return;
    }
    const req = value as Req;
    const name = req.message;
    if (typeof name !== 'string') {
      this.send(s, this.error(CtiErrorCodes.InvalidMessage, 'the message has no string "message" field'));
      return;
    }
    const refOk = isReferenceId(req.ReferenceID);
    const handler = Object.hasOwn(this.handlers, name) ? this.handlers[name] : undefined;
    if (!handler) {
      this.send(
        s,
        this.error(
          CtiErrorCodes.UnknownRequest,
          `"${name.slice(0, 80)}" is not a request this server knows`,
          name.slice(0, 80),
          refOk ? (req.ReferenceID as number) : undefined,
        ),
      );
      return;
    }
    if (!refOk) {
      this.send(
        s,
        this.error(CtiErrorCodes.InvalidAttribute, 'ReferenceID must be a positive integer', name),
      );
      return;
    }
    const ref = req.ReferenceID as number;
    try {
      handler(s, req, ref);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      this.send(s, this.error(err.code, err.message, name, ref));
    }
  }

  private registerClient(s: Session, value: unknown): void {
    const req = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as Req;
    if (req.message !== 'RequestRegisterClient') {
      const what =
        typeof req.message === 'string' ? `${req.message.slice(0, 80)}` : 'a message without "message"';
      this.refuse(
        s,
        CtiErrorCodes.NotRegisteredClient,
        `the first message must be RequestRegisterClient, not ${what}`,
        isReferenceId(req.ReferenceID) ? (req.ReferenceID as number) : undefined,
      );
      return;
    }
    if (!isReferenceId(req.ReferenceID)) {
      this.refuse(s, CtiErrorCodes.InvalidAttribute, 'ReferenceID must be a positive integer');
      return;
    }
    const ref = req.ReferenceID as number;
    const name = req.ApplicationName;
    const addpTimeout = req.AddpTimeout ?? 0;
    if (typeof name !== 'string' || name === '') {
      this.refuse(s, CtiErrorCodes.InvalidAttribute, 'ApplicationName must be a non-empty string', ref);
      return;
    }
    if (
      typeof addpTimeout !== 'number' ||
      !Number.isFinite(addpTimeout) ||
      addpTimeout < 0 ||
      addpTimeout > 3600
    ) {
      this.refuse(s, CtiErrorCodes.InvalidAttribute, 'AddpTimeout must be seconds in 0-3600', ref);
      return;
    }
    const config = this.o.config();
    const app = config.applications[name];
    // The same answer for an unknown name and a wrong password: a stranger learns neither.
    const expected = app?.type === 'cti-client' ? (app.password ?? this.serverPassword(config)) : undefined;
    const given = req.Password;
    if (app?.type !== 'cti-client' || (expected !== undefined && given !== expected)) {
      this.refuse(
        s,
        CtiErrorCodes.AuthenticationFailed,
        app?.type !== 'cti-client'
          ? `unknown application or wrong password (application "${name.slice(0, 80)}")`
          : `unknown application or wrong password (application "${name}")`,
        ref,
      );
      return;
    }
    s.state = 'registered';
    s.name = name;
    if (s.registerTimer !== undefined) this.o.clock.clearTimer(s.registerTimer);
    s.registerTimer = undefined;
    s.addp.stop();
    s.addp = this.addpKeeper(s.conn, addpTimeout > 0 ? Math.max(1, Math.round(addpTimeout * 1000)) : 0, () =>
      this.close(s, 'ADDP timeout: the client stopped answering'),
    );
    this.o.logger.event('10-70001', { client: name, source: `${s.conn.remote} (${s.conn.transport})` });
    this.send(s, { ...this.serverInfo(), ReferenceID: ref });
    if (this.o.gate.mayAct() && (this.o.sipOpen?.() ?? true)) this.send(s, { message: 'EventLinkConnected' });
  }

  private serverPassword(config: Config): string | undefined {
    const app = config.applications[this.o.app];
    return app?.type === 'sip-server' ? app.options.tserver.password : undefined;
  }

  private serverInfo(): CtiEvent {
    return {
      message: 'EventServerInfo',
      ServerName: this.o.app,
      ServerRole: this.o.gate.role,
      PeerName: pairOf(this.o.config(), this.o.app)?.peer ?? null,
      Version: this.o.version ?? '0.1.0',
    };
  }

  // ---- field checks (throw Refusal) ---------------------------------------------------------------------------

  private text(req: Req, field: string): string {
    const v = req[field];
    if (typeof v !== 'string' || v === '') {
      throw new Refusal(CtiErrorCodes.InvalidAttribute, `${field} must be a non-empty string`);
    }
    return v;
  }

  private keyValue(req: Req, field: string, required: boolean): KeyValue | undefined {
    const v = req[field];
    if (v === undefined && !required) return undefined;
    if (
      typeof v !== 'object' ||
      v === null ||
      Array.isArray(v) ||
      !Object.values(v).every((x) => typeof x === 'string')
    ) {
      throw new Refusal(CtiErrorCodes.InvalidAttribute, `${field} must be an object of string values`);
    }
    return v as KeyValue;
  }

  private workMode(req: Req): AgentWorkMode | undefined {
    const v = req.AgentWorkMode;
    if (v === undefined) return undefined;
    if (!workModes.includes(v as AgentWorkMode)) {
      throw new Refusal(
        CtiErrorCodes.InvalidAttribute,
        `AgentWorkMode must be one of ${workModes.join(', ')}`,
      );
    }
    return v as AgentWorkMode;
  }

  /** ThisDN, which this client must have registered. */
  private registeredDn(s: Session, req: Req): string {
    const dn = this.text(req, 'ThisDN');
    if (!s.dns.has(dn)) {
      throw new Refusal(
        CtiErrorCodes.DnNotRegistered,
        `DN ${dn.slice(0, 80)} is not registered by this client (RequestRegisterAddress first)`,
      );
    }
    return dn;
  }

  /** Agent and call requests act: only the primary takes them. */
  private mustAct(): void {
    if (!this.o.gate.mayAct()) {
      throw new Refusal(
        CtiErrorCodes.BackupMode,
        `${this.o.app} is the backup: send the request to the primary`,
      );
    }
  }

  private configDn(dn: string): Dn {
    const d = this.o.config().dns[dn];
    if (!d) throw new Refusal(CtiErrorCodes.InvalidDn, `DN ${dn.slice(0, 80)} is not in the config`);
    return d;
  }

  // ---- registration and queries -------------------------------------------------------------------------------

  private registerAddress(s: Session, req: Req, ref: number): void {
    const dn = this.text(req, 'ThisDN');
    const d = this.configDn(dn);
    s.dns.add(dn);
    let set = this.byDn.get(dn);
    if (!set) this.byDn.set(dn, (set = new Set()));
    set.add(s);
    this.send(s, { message: 'EventRegistered', ThisDN: dn, DNType: d.type, ReferenceID: ref });
    // The DN's state follows, as after a promotion: a client that (re)connects — after a network cut, after
    // being closed for not reading — learns what it missed without a query. The backup sends no call events.
    if (this.o.gate.mayAct()) for (const ev of this.dnState(dn)) this.send(s, ev);
  }

  private unregisterAddress(s: Session, req: Req, ref: number): void {
    const dn = this.registeredDn(s, req);
    s.dns.delete(dn);
    this.unindex(s, dn);
    this.dropPending((p) => p.session === s && p.dn === dn);
    this.send(s, { message: 'EventUnregistered', ThisDN: dn, ReferenceID: ref });
  }

  private unindex(s: Session, dn: string): void {
    const set = this.byDn.get(dn);
    set?.delete(s);
    if (set?.size === 0) this.byDn.delete(dn);
  }

  private queryAddress(s: Session, req: Req, ref: number): void {
    const dn = this.registeredDn(s, req);
    const d = this.configDn(dn);
    const agent = agentOnDn(this.o.store, dn);
    this.send(s, {
      message: 'EventAddressInfo',
      ThisDN: dn,
      DNType: d.type,
      InService: this.o.isInService?.(dn) ?? true,
      Agent: agent
        ? {
            AgentID: agent.agentId,
            Status: agent.status,
            AgentWorkMode: workModeOf(agent),
            ...(agent.reasons ? { Reasons: { ...agent.reasons } } : {}),
          }
        : null,
      Calls: this.callsOf(dn).map((c) => ({
        ConnID: c.connId,
        PartyState: c.partyState,
        OtherDN: c.otherDn,
        CallType: c.callType,
      })),
      ReferenceID: ref,
    });
  }

  /** The calls a DN is a party of: the B2BUA's view when it has one, else read from the store. */
  private callsOf(dn: string): DnCall[] {
    if (this.o.calls) return this.o.calls.callsOf(dn);
    const out: DnCall[] = [];
    for (const call of this.o.store.calls()) {
      const party = [...call.parties].reverse().find((p) => p.dn === dn);
      if (!party || party.state === 'Released') continue;
      const other = call.parties.find((p) => p.dn !== dn && p.state !== 'Released');
      out.push({
        connId: call.connId,
        partyState: party.state,
        otherDn: other?.dn ?? (call.origin === dn ? call.dialed : call.origin),
        callType: call.callType,
        userData: { ...call.userData },
      });
    }
    return out;
  }

  // ---- agents -------------------------------------------------------------------------------------------------

  private agentLogin(s: Session, req: Req, ref: number): void {
    const dn = this.registeredDn(s, req);
    const agentId = this.text(req, 'AgentID');
    const password = req.Password;
    if (password !== undefined && typeof password !== 'string') {
      throw new Refusal(CtiErrorCodes.InvalidAttribute, 'Password must be a string');
    }
    const mode = this.workMode(req);
    this.mustAct();
    const state = this.decided(
      decideLogin(this.o.store, this.o.config(), dn, agentId, password, mode, this.o.clock.now()),
    );
    this.commitAgent(state);
    this.toDn(dn, agentEvent('EventAgentLogin', state), s, ref);
    if (state.status === 'Ready') this.toDn(dn, agentEvent('EventAgentReady', state));
  }

  private agentChange(
    s: Session,
    req: Req,
    ref: number,
    event: 'EventAgentReady' | 'EventAgentNotReady' | 'EventAgentLogout',
    decide: (dn: string) => AgentDecision,
  ): void {
    const dn = this.registeredDn(s, req);
    const decision = decide(dn); // checks the fields before the role: a bad request is told what is wrong
    this.mustAct();
    const state = this.decided(decision);
    this.commitAgent(state);
    this.toDn(dn, agentEvent(event, state), s, ref);
  }

  private decided(d: AgentDecision): AgentState {
    if (!d.ok) throw new Refusal(d.code, d.message);
    return d.state;
  }

  private commitAgent(state: AgentState): void {
    // Agent requests are refused on the backup before they get here; the gate is asked again at the write
    // itself, as for every change of replicated state (DESIGN §2).
    if (!this.o.gate.mayAct()) return;
    this.o.store.commit({ type: 'AgentStateChanged', agent: state });
    this.o.logger.event('10-70004', { agent: state.agentId, dn: state.dn, status: state.status });
  }

  /** Sends an event to every client registered on a DN; `requester`'s copy carries the ReferenceID. */
  private toDn(dn: string, ev: CtiEvent, requester?: Session, ref?: number): void {
    const set = this.byDn.get(dn);
    if (!set) return;
    for (const c of set)
      this.send(c, c === requester && ref !== undefined ? { ...ev, ReferenceID: ref } : ev);
  }

  // ---- call requests ------------------------------------------------------------------------------------------

  private callRequestDn(s: Session, req: Req): string {
    return this.registeredDn(s, req);
  }

  private simpleCall(
    s: Session,
    req: Req,
    ref: number,
    answeredBy: CallEventName,
    run: (c: CallControl, connId: string, dn: string) => CallControlResult,
  ): void {
    const dn = this.callRequestDn(s, req);
    const connId = this.text(req, 'ConnID');
    this.control(s, req, ref, dn, connId, new Set([answeredBy]), (c) => run(c, connId, dn));
  }

  private userData(s: Session, req: Req, ref: number, mode: 'attach' | 'update'): void {
    const dn = this.callRequestDn(s, req);
    const connId = this.text(req, 'ConnID');
    const data = this.keyValue(req, 'UserData', true) as KeyValue;
    this.control(s, req, ref, dn, connId, new Set(['EventAttachedDataChanged']), (c) =>
      c.updateUserData(connId, data, mode),
    );
    // The B2BUA tells the change synchronously; if it did not (ThisDN not a party it reports), acknowledge.
    const waiting = this.pending.find((p) => p.session === s && p.ref === ref);
    if (waiting) {
      this.dropPending((p) => p === waiting);
      this.send(s, { message: 'EventACK', RequestName: req.message as string, ReferenceID: ref });
    }
  }

  /**
   * Hands a call request to the B2BUA. Refused: EventError with the mapped code and the B2BUA's message.
   * Accepted: the ReferenceID waits for the call event that answers (see onCallEvent).
   */
  private control(
    s: Session,
    req: Req,
    ref: number,
    dn: string,
    connId: string | null,
    types: Pending['types'],
    run: (c: CallControl) => CallControlResult<{ connId?: string }>,
    notConnId?: string,
  ): void {
    this.mustAct();
    const calls = this.o.calls;
    if (!calls)
      throw new Refusal(CtiErrorCodes.ServiceUnavailable, 'call control is not available on this server');
    const p: Pending = { session: s, ref, requestName: req.message as string, dn, connId, types };
    if (notConnId !== undefined) p.notConnId = notConnId;
    this.inflight = p;
    let result: CallControlResult<{ connId?: string }>;
    let answered: boolean;
    try {
      result = run(calls);
    } finally {
      answered = this.inflight === undefined;
      this.inflight = undefined;
    }
    if (!result.ok) {
      throw new Refusal(errorCodeOf[result.kind] ?? CtiErrorCodes.InvalidState, result.message);
    }
    if (answered || s.state === 'closed') return;
    if (p.connId === null) p.connId = result.connId ?? null;
    this.pending.push(p);
    const bound = this.o.requestTimeoutMs ?? CTI_REQUEST_TIMEOUT_MS;
    p.timer = this.o.clock.setTimer(bound, () => {
      p.timer = undefined;
      if (!this.pending.includes(p)) return;
      this.dropPending((q) => q === p);
      const call = p.connId ? ` on call ${p.connId}` : '';
      this.send(
        p.session,
        this.error(
          CtiErrorCodes.RequestTimeout,
          `no event answered ${p.requestName}${call} for DN ${p.dn} within ${Math.round(bound / 1000)} s; ` +
            'its outcome is unknown: RequestQueryAddress tells the state of the DN now',
          p.requestName,
          p.ref,
        ),
      );
    });
  }

  /** Forgets the requests waiting for an answer that match (their safety-net timers too). */
  private dropPending(which: (p: Pending) => boolean): Pending[] {
    const gone = this.pending.filter(which);
    if (gone.length === 0) return gone;
    this.pending = this.pending.filter((p) => !gone.includes(p));
    for (const p of gone) {
      if (p.timer !== undefined) this.o.clock.clearTimer(p.timer);
      p.timer = undefined;
    }
    return gone;
  }

  // ---- events from the B2BUA and the OOS checker --------------------------------------------------------------

  /**
   * A call event from the B2BUA: the T-Library event of the same name to every client registered on its DN,
   * only while this server is the primary. A client with a request waiting for this event gets its ReferenceID.
   */
  onCallEvent(e: CallEvent): void {
    if (!this.o.gate.mayAct()) return;
    const set = this.byDn.get(e.thisDn);
    if (!set) return;
    const ev = toCtiEvent(e);
    const name = ev.message as CallEventName;
    for (const c of set) {
      let ref: number | undefined;
      const inflight = this.inflight;
      if (inflight && inflight.session === c && matches(inflight, e, name)) {
        // Emitted while the B2BUA was still taking the request: the answer is already here.
        ref = inflight.ref;
        this.inflight = undefined;
      } else {
        const waiting = this.pending.find((p) => p.session === c && matches(p, e, name));
        if (waiting) {
          ref = waiting.ref;
          this.dropPending((p) => p === waiting);
        }
      }
      this.send(c, ref === undefined ? ev : { ...ev, ReferenceID: ref });
    }
    if (name === 'EventReleased') this.dropPendingOf(e.thisDn, e.connId);
  }

  /** The call left this DN: requests still waiting on it will get no event; tell their clients. */
  private dropPendingOf(dn: string, connId: string): void {
    const gone = this.dropPending((p) => p.dn === dn && p.connId === connId);
    for (const p of gone) {
      this.send(
        p.session,
        this.error(
          CtiErrorCodes.InvalidConnId,
          `call ${connId} was released on DN ${dn}`,
          p.requestName,
          p.ref,
        ),
      );
    }
  }

  /**
   * The B2BUA accepted a request whose SIP part then failed (RequestFailure): the oldest request waiting for
   * it (same request, DN and call) gets EventError RequestFailed with the B2BUA's message. The call is
   * unchanged, so nothing else is sent.
   */
  onRequestFailed(f: RequestFailure): void {
    if (!this.o.gate.mayAct()) return;
    const requestName = failedRequestNames[f.request];
    const fits = (p: Pending): boolean =>
      p.requestName === requestName && p.dn === f.dn && p.connId === f.connId;
    let answered: Pending | undefined;
    if (this.inflight && fits(this.inflight)) {
      // Failed while the B2BUA was still taking the request.
      answered = this.inflight;
      this.inflight = undefined;
    } else {
      answered = this.pending.find(fits);
      if (answered) this.dropPending((p) => p === answered);
    }
    if (!answered) return;
    this.send(
      answered.session,
      this.error(CtiErrorCodes.RequestFailed, f.message, answered.requestName, answered.ref),
    );
  }

  /** An OOS checker change (SPEC S2.8): EventDNOutOfService / EventDNBackInService to the DN's clients. */
  onDnServiceChange(dn: string, inService: boolean): void {
    if (!this.o.gate.mayAct()) return;
    this.toDn(dn, { message: inService ? 'EventDNBackInService' : 'EventDNOutOfService', ThisDN: dn });
  }

  // ---- roles -------------------------------------------------------------------------------------------------

  private onRoleChange(role: Role): void {
    const registered = [...this.sessions].filter((s) => s.state === 'registered');
    if (role === 'Backup') {
      // Requests in progress will be answered by nobody here: the new primary has the calls.
      this.dropPending(() => true);
      for (const s of registered) this.send(s, { message: 'EventLinkDisconnected' });
      return;
    }
    const previous = pairOf(this.o.config(), this.o.app)?.peer ?? null;
    for (const s of registered) {
      this.send(s, { message: 'EventLinkConnected' });
      this.send(s, { message: 'EventPrimaryChanged', ServerName: this.o.app, PreviousPrimary: previous });
    }
    for (const s of registered) {
      for (const dn of s.dns) for (const ev of this.dnState(dn)) this.send(s, ev);
    }
  }

  /**
   * The state of a DN as events, for a client that just got a new primary or just registered the DN: its agent,
   * then its calls.
   */
  private dnState(dn: string): CtiEvent[] {
    const out: CtiEvent[] = [];
    const agent = agentOnDn(this.o.store, dn);
    if (agent) out.push(agentEvent('EventAgentLogin', agent), statusEvent(agent));
    for (const c of this.callsOf(dn)) {
      const name = eventOfPartyState[c.partyState];
      if (!name) continue;
      out.push({
        message: name,
        ConnID: c.connId,
        ThisDN: dn,
        OtherDN: c.otherDn,
        CallType: c.callType,
        CallState: 'Ok',
        UserData: { ...(c.userData ?? this.o.store.call(c.connId)?.userData ?? {}) },
      });
    }
    return out;
  }

  // ---- statistics ---------------------------------------------------------------------------------------------

  get clientCount(): number {
    let n = 0;
    for (const s of this.sessions) if (s.state === 'registered') n++;
    return n;
  }

  statistics(): CtiStatistics {
    const clients = [...this.sessions].map((s) => ({
      name: s.name,
      address: s.conn.remote,
      transport: s.conn.transport,
      registeredDns: [...s.dns].sort(),
      requests: s.requests,
      eventsSent: s.eventsSent,
      queuedBytes: s.conn.queuedBytes(),
      connectedSince: s.connectedSince,
    }));
    return {
      clients,
      totals: {
        clients: clients.length,
        registeredClients: this.clientCount,
        requests: clients.reduce((n, c) => n + c.requests, 0),
        eventsSent: clients.reduce((n, c) => n + c.eventsSent, 0),
        closedNotReading: this.closedNotReading,
      },
    };
  }

  /** Closes every client connection (server stop). */
  stop(): void {
    this.unsubscribe();
    this.unsubscribeFailures();
    this.dropPending(() => true);
    for (const s of [...this.sessions]) this.close(s, 'the server stopped');
  }
}

function isReferenceId(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function matches(p: Pending, e: CallEvent, name: CallEventName): boolean {
  if (p.dn !== e.thisDn) return false;
  if (p.connId === null) return e.connId !== p.notConnId;
  if (p.connId !== e.connId) return false;
  return p.types === 'any' || p.types.has(name) || name === 'EventReleased';
}

const eventNames: Record<CallEventType, CallEventName> = {
  Dialing: 'EventDialing',
  NetworkReached: 'EventNetworkReached',
  Ringing: 'EventRinging',
  Established: 'EventEstablished',
  Held: 'EventHeld',
  Retrieved: 'EventRetrieved',
  Released: 'EventReleased',
  RouteRequest: 'EventRouteRequest',
  RouteUsed: 'EventRouteUsed',
  PartyChanged: 'EventPartyChanged',
  AttachedDataChanged: 'EventAttachedDataChanged',
};

/** A B2BUA CallEvent as the T-Library event clients receive. */
export function toCtiEvent(e: CallEvent): CtiCallEvent {
  const ev: CtiCallEvent = {
    message: eventNames[e.type],
    ConnID: e.connId,
    ThisDN: e.thisDn,
    OtherDN: e.otherDn,
    CallType: e.callType,
    CallState: e.callState,
    UserData: { ...e.userData },
  };
  if (e.previousConnId !== undefined) ev.PreviousConnID = e.previousConnId;
  if (e.thirdPartyDn !== undefined) ev.ThirdPartyDN = e.thirdPartyDn;
  if (e.cause !== undefined) ev.Cause = e.cause;
  return ev;
}
