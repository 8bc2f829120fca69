/**
 * One SIP Server (SPEC S2, S7): the transport on the SIP port, the transaction layer, and the services —
 * registrar, B2BUA (calls, routing points, trunks), active OOS detection, flood protection — over one
 * replicated store and one role gate. It does no I/O of its own beyond the injected Net and Clock, so a whole
 * server runs inside the simulator; the Node shell (server/node-shell.ts) adds the HTTP interface, the contact
 * database and signals.
 */
import type { Config, SipServerApp } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import { Store } from '../model/store/store.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Net, NetError } from '../runtime/net.ts';
import type { Random } from '../runtime/random.ts';
import { createResponse } from '../sip/message/build.ts';
import { getContentType, getHeaderValues, getMaxForwards, getTo } from '../sip/message/headers.ts';
import type { SipMessage, SipRequest } from '../sip/message/types.ts';
import type { InviteServerTransaction } from '../sip/transaction/invite-server.ts';
import { type ServerTransaction, TransactionLayer } from '../sip/transaction/layer.ts';
import { SipTransport } from '../sip/transport/transport.ts';
import type { Inbound } from '../sip/transport/types.ts';
import { RequestAuthenticator } from './auth/request-auth.ts';
import { B2bua, type B2buaHooks } from './b2bua/b2bua.ts';
import type { ServerContext } from './context.ts';
import { FloodGuard } from './flood-guard.ts';
import { type HealthProblem, ServiceHealth } from './health.ts';
import { ServicesOosMonitor } from './monitor/services-oos.ts';
import { SipPassCheck } from './monitor/sip-pass-check.ts';
import { OosChecker, probedDnTypes } from './oos/oos-checker.ts';
import { createRegistrarDigest } from './registrar/realm.ts';
import { Registrar } from './registrar/registrar.ts';
import { type RoleGate, StandaloneGate } from './role-gate.ts';

export interface SipServerOptions {
  clock: Clock;
  random: Random;
  net: Net;
  config: Config;
  /** The name of this server's application in the config. */
  app: string;
  logger: Logger;
  store?: Store;
  gate?: RoleGate;
  hooks?: B2buaHooks;
}

/** The HA fields of the status (SPEC S4.6): the link, the sync, the readiness flags of seed 004. */
export interface HaStatus {
  haLink: 'none' | 'connecting' | 'established';
  callsPendingSync: number;
  readyForSwitchover: 0 | 1;
  readyForUpgrade: 0 | 1;
}

/** What the server reports about itself (`/server?sipServer`, SPEC S4.6, S7). */
export interface SipServerStatus extends HaStatus {
  application: string;
  role: string;
  status: 'Initializing' | 'Running' | 'ServiceUnavailable' | 'Stopped';
  sipListener: { address: string; port: number; open: boolean; failed: boolean };
  /** Why the server reports ServiceUnavailable (SPEC S5, S6.2); empty while it can give service. */
  problems: HealthProblem[];
  calls: number;
  /** Of `calls`, those answered (state established): what an operator counts as calls in progress. */
  callsEstablished: number;
  contacts: number;
  sip: { received: number; sent: number; parseErrors: number; floodDrops: number };
}

/** Opening the SIP port as a new primary: tries every LISTEN_RETRY_MS, LISTEN_ATTEMPTS times. */
const LISTEN_RETRY_MS = 200;
const LISTEN_ATTEMPTS = 15;

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REGISTER';
/** RFC 3261 §8.2.2.3: no SIP extension is supported yet, so any Require/Proxy-Require option is unknown. */
const SUPPORTED_EXTENSIONS = new Set<string>();

export class SipServer {
  readonly store: Store;
  readonly gate: RoleGate;
  readonly transactions: TransactionLayer;
  readonly registrar: Registrar;
  /** Digest authentication of initial INVITEs from phone DNs (`authenticate-requests`, SPEC S2.4). */
  readonly auth: RequestAuthenticator;
  readonly b2bua: B2bua;
  readonly oos: OosChecker;
  readonly flood: FloodGuard;
  /** The monitors' conditions: any failing one makes a Running server report ServiceUnavailable. */
  readonly health = new ServiceHealth();
  /** sip-pass-check (SPEC S5): no SIP traffic while every OOS-checked device failed. */
  readonly passCheck: SipPassCheck;
  /** switchover-on-trunks-oos / switchover-on-msml-oos (SPEC S5). */
  readonly servicesOos: ServicesOosMonitor;
  private readonly transport: SipTransport;
  private readonly ctx: ServerContext;
  private config: Config;
  private state: SipServerStatus['status'] = 'Initializing';
  private listening = false;
  private floodDrops = 0;
  private listenerFailed = false;
  /** A standalone server has no HA link: not ready for switchover; a primary is never ready for upgrade. */
  private haStatus: () => HaStatus = () => ({
    haLink: 'none',
    callsPendingSync: 0,
    readyForSwitchover: 0,
    readyForUpgrade: this.gate.role === 'Backup' ? 1 : 0,
  });

  constructor(private readonly opts: SipServerOptions) {
    this.config = opts.config;
    const app = this.app();
    this.store = opts.store ?? new Store();
    this.gate = opts.gate ?? new StandaloneGate();
    const tserver = app.options.tserver;
    const host = tserver.sipAddress ?? opts.config.hosts[app.host]?.address ?? '127.0.0.1';
    this.transport = new SipTransport({
      net: opts.net,
      clock: opts.clock,
      host,
      port: tserver.sipPort,
      onMessage: (msg, inbound) => this.onMessage(msg, inbound),
      onParseError: (error, inbound, answered) => {
        this.passCheck.received();
        opts.logger.event('10-30001', {
          source: `${inbound.source.host}:${inbound.source.port}`,
          reason: `${error.reason}${answered ? ` (answered ${error.status ?? 400})` : ''}`,
        });
      },
    });
    this.transactions = new TransactionLayer({
      clock: opts.clock,
      random: opts.random,
      sender: this.transport,
      onRequest: (req, tx, inbound) => this.onRequest(req, tx, inbound),
      onStrayResponse: (res) => this.b2bua.onStrayResponse(res),
    });
    const local = { host, port: tserver.sipPort, transport: 'UDP' as const };
    this.ctx = {
      clock: opts.clock,
      random: opts.random,
      store: this.store,
      gate: this.gate,
      logger: opts.logger,
      config: () => this.config,
      app: () => this.app(),
      dn: (n) => this.config.dns[n],
      transactions: this.transactions,
      sender: this.transport,
      local,
    };
    const secret = opts.config.scs.linkSecret ?? opts.random.hex(32);
    // MD5 first: many deployed phones (and sipp) answer only the first challenge and know only MD5 (RFC 8760
    // §2.4 lets the server choose the order); SHA-256 is offered too and preferred by clients that pick.
    // One DigestServer for REGISTER and INVITE: the same realm, nonces and nonce counts.
    const digest = createRegistrarDigest(opts, secret, { algorithms: ['MD5', 'SHA-256'] });
    this.registrar = new Registrar(this.ctx, { digest });
    this.auth = new RequestAuthenticator(this.ctx, digest);
    this.oos = new OosChecker(this.ctx);
    this.b2bua = new B2bua(this.ctx, {
      lookupContacts: (dn) => this.registrar.lookup(dn),
      isInService: (dn) => this.oos.isInService(dn),
      hooks: opts.hooks,
    });
    this.passCheck = new SipPassCheck({
      clock: opts.clock,
      logger: opts.logger,
      health: this.health,
      enabled: () => this.app().options.tserver.sipPassCheck,
      devices: () =>
        Object.values(this.config.dns)
          .filter((d) => probedDnTypes.includes(d.type) && d.options.oosCheck > 0)
          .map((d) => ({
            dn: d.number,
            oosCheck: d.options.oosCheck,
            oosForce: d.options.oosForce,
            inService: this.oos.isInService(d.number),
          })),
    });
    this.servicesOos = new ServicesOosMonitor({
      clock: opts.clock,
      logger: opts.logger,
      health: this.health,
      config: () => this.config,
      app: () => this.app(),
      isInService: (dn) => this.oos.isInService(dn),
      probeAgain: (dns) => this.oos.probeAgain(dns),
    });
    this.oos.onChange(() => {
      this.passCheck.evaluate();
      this.servicesOos.evaluate();
    });
    this.flood = new FloodGuard(opts.clock, () => this.app().options.tserver.sipFloodLimit);
    this.flood.onEpisode((e) => {
      if (e.kind === 'started') {
        opts.logger.event('10-30002', { source: e.source, limit: this.app().options.tserver.sipFloodLimit });
      }
    });
  }

  /**
   * Starts the server in the role its gate holds, and follows the gate from then on: as Primary it opens the
   * SIP port and starts the services (timers armed from the synced deadlines); as Backup it keeps the port
   * closed and acts on nothing (SPEC S4.1). `done` gets a listener error of the first opening: the caller
   * logs it; in a pair the server stays Running so that the SCS can give the primary role to the other
   * server (seed 001).
   */
  start(done: (err?: NetError) => void): void {
    this.gate.onChange((role) => {
      if (role === 'Primary') this.becomePrimary(() => {});
      else this.becomeBackup('switched to backup');
    });
    this.state = 'Running';
    if (this.gate.mayAct()) this.becomePrimary(done);
    else done();
  }

  /** Opens the SIP port, retrying briefly (on one host the old primary may still be closing it). */
  private becomePrimary(done: (err?: NetError) => void, attempt = 1): void {
    if (this.listening) {
      done();
      return;
    }
    this.transport.listen((err) => {
      if (!this.gate.mayAct()) {
        // Demoted while the port was opening.
        if (!err) this.transport.close();
        done();
        return;
      }
      if (err) {
        if (
          (err.code === 'EADDRINUSE' && attempt < LISTEN_ATTEMPTS) ||
          (err.code === 'EADDRNOTAVAIL' && attempt < this.addressWaitAttempts())
        ) {
          this.opts.clock.setTimer(LISTEN_RETRY_MS, () => this.becomePrimary(done, attempt + 1));
          return;
        }
        this.opts.logger.event('00-04200', {
          address: this.ctx.local.host,
          port: this.app().options.tserver.sipPort,
          reason: `${err.code}: ${err.message}`,
        });
        this.listenerFailed = true;
        done(err);
        return;
      }
      this.listening = true;
      this.listenerFailed = false;
      const bound = this.transport.local('UDP');
      if (bound) this.ctx.local.port = bound.port;
      this.opts.logger.event('10-30003', {
        address: this.ctx.local.host,
        port: this.ctx.local.port,
        transport: 'UDP, TCP',
      });
      this.registrar.start();
      this.oos.start();
      this.b2bua.start();
      this.passCheck.becomePrimary();
      this.servicesOos.becomePrimary();
      done();
    });
  }

  /** Closes the SIP port and stops every side effect; the state stays in the store. */
  private becomeBackup(reason: string): void {
    this.passCheck.becomeBackup();
    this.servicesOos.becomeBackup();
    this.b2bua.stop();
    this.oos.stop();
    this.registrar.stop();
    if (this.listening) {
      this.transport.close();
      this.listening = false;
      this.opts.logger.event('10-30004', { address: this.ctx.local.host, port: this.ctx.local.port, reason });
    }
  }

  /**
   * With IP Address Takeover (control-vip-scripts) a new primary opens the SIP port on the Virtual IP, which
   * its up script is bringing to this host at the same moment (SPEC S4.5): EADDRNOTAVAIL is retried for as
   * long as the script may take in all its attempts (VipControl). Otherwise as briefly as EADDRINUSE.
   */
  private addressWaitAttempts(): number {
    const t = this.app().options.tserver;
    if (!t.controlVipScripts) return LISTEN_ATTEMPTS;
    return Math.ceil((3 * t.vipStateChangeTimeout * 1000) / LISTEN_RETRY_MS);
  }

  /**
   * backup-sip-port-check (SPEC S6.2): opens the SIP port on a transport of its own that processes nothing,
   * and closes it at once. `done` gets the error when the port cannot be opened. A primary (port already open
   * by this server) passes at once.
   */
  checkSipPort(done: (err?: NetError) => void): void {
    if (this.listening) {
      done();
      return;
    }
    const probe = new SipTransport({
      net: this.opts.net,
      clock: this.opts.clock,
      host: this.ctx.local.host,
      port: this.app().options.tserver.sipPort,
      onMessage: () => {},
      onParseError: () => {},
    });
    probe.listen((err) => {
      if (!err) probe.close();
      done(err);
    });
  }

  stop(): void {
    this.becomeBackup('stopped');
    this.state = 'Stopped';
  }

  /** The HA layer's view of the link and readiness, shown in status() (SPEC S4.6). */
  setHaStatus(provider: () => HaStatus): void {
    this.haStatus = provider;
  }

  /** Applies a new configuration (SIGHUP): options read at use take effect per their rule by themselves. */
  reconfigure(config: Config): void {
    this.config = config;
    this.oos.reconfigure();
    this.passCheck.evaluate();
    this.servicesOos.evaluate();
  }

  /** The SIP port actually bound (differs from sip-port when that is 0, in tests). */
  get sipPort(): number {
    return this.ctx.local.port;
  }

  status(): SipServerStatus {
    const s = this.transport.stats;
    return {
      application: this.opts.app,
      role: this.gate.role,
      status: this.state === 'Running' && !this.health.ok ? 'ServiceUnavailable' : this.state,
      sipListener: {
        address: this.ctx.local.host,
        port: this.ctx.local.port,
        open: this.listening,
        failed: this.listenerFailed,
      },
      problems: this.health.problems(),
      calls: this.store.callCount,
      callsEstablished: this.countEstablished(),
      contacts: this.store.contactCount,
      ...this.haStatus(),
      sip: { received: s.received, sent: s.sent, parseErrors: s.parseErrors, floodDrops: this.floodDrops },
    };
  }

  private countEstablished(): number {
    let n = 0;
    for (const call of this.store.calls()) if (call.state === 'established') n++;
    return n;
  }

  private app(): SipServerApp {
    const app = this.config.applications[this.opts.app];
    if (app?.type !== 'sip-server')
      throw new Error(`no sip-server application "${this.opts.app}" in the config`);
    return app;
  }

  private onMessage(msg: SipMessage, inbound: Inbound): void {
    this.passCheck.received();
    this.transactions.receive(msg, inbound);
  }

  private onRequest(req: SipRequest, tx: ServerTransaction | null, inbound: Inbound): void {
    if (req.method !== 'ACK' && tx && !this.flood.allow(inbound.source.host)) {
      // S8.4: a source over its limit is told when to come back (RFC 3261 §21.5.4).
      this.floodDrops++;
      tx.respond(
        createResponse(req, 503, 'Flood limit exceeded', { headers: [{ name: 'Retry-After', value: '5' }] }),
      );
      return;
    }
    if (req.method === 'ACK') {
      this.b2bua.onInDialogRequest(req, tx, inbound);
      return;
    }
    if (!tx) return;
    const refusal = this.checkRequest(req);
    if (refusal) {
      tx.respond(refusal);
      return;
    }
    if (getTo(req).params.tag) {
      if (!this.b2bua.onInDialogRequest(req, tx, inbound)) {
        tx.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist'));
      }
      return;
    }
    switch (req.method) {
      case 'REGISTER':
        this.registrar.handleRegister(req, tx, inbound);
        return;
      case 'INVITE': {
        // authenticate-requests (SPEC S2.4): a phone DN's INVITE without valid credentials gets 401 (or 403)
        // here and never reaches the B2BUA; the ACK of that final response ends in the transaction layer.
        const refusal = this.auth.checkInvite(req, inbound);
        if (refusal) {
          tx.respond(refusal);
          return;
        }
        this.b2bua.onInitialInvite(req, tx as InviteServerTransaction, inbound);
        return;
      }
      case 'CANCEL':
        this.b2bua.onCancel(req, tx);
        return;
      case 'OPTIONS':
        tx.respond(
          createResponse(req, 200, undefined, {
            toTag: this.opts.random.hex(10),
            headers: [
              { name: 'Allow', value: ALLOW },
              { name: 'Accept', value: 'application/sdp' },
            ],
          }),
        );
        return;
      case 'BYE':
      case 'UPDATE':
      case 'INFO':
      case 'PRACK':
        tx.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist'));
        return;
      default:
        // §8.2.1: 405 for a method we know but do not take here, 501 for one we do not know.
        tx.respond(
          ['SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH'].includes(req.method)
            ? createResponse(req, 405, undefined, { headers: [{ name: 'Allow', value: ALLOW }] })
            : createResponse(req, 501, undefined, { headers: [{ name: 'Allow', value: ALLOW }] }),
        );
    }
  }

  /** The checks of RFC 3261 §8.2 and §16.3 that apply before any service sees the request (RFC 4475 §3.3). */
  private checkRequest(req: SipRequest): ReturnType<typeof createResponse> | undefined {
    if (getMaxForwards(req) === 0) return createResponse(req, 483, 'Too Many Hops');
    const scheme = req.uri.scheme.toLowerCase();
    if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
      return createResponse(req, 416, `Unsupported URI Scheme ${scheme}`);
    }
    const require = getHeaderValues(req, 'Require');
    const proxyRequire = getHeaderValues(req, 'Proxy-Require');
    const required =
      require.length + proxyRequire.length === 0
        ? require
        : [...require, ...proxyRequire].filter((o) => !SUPPORTED_EXTENSIONS.has(o.toLowerCase()));
    if (required.length > 0 && req.method !== 'CANCEL') {
      return createResponse(req, 420, 'Bad Extension', {
        headers: [{ name: 'Unsupported', value: required.join(', ') }],
      });
    }
    if (req.method === 'INVITE' && req.body.length > 0) {
      const type = getContentType(req)?.split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/sdp') {
        return createResponse(req, 415, 'Unsupported Media Type', {
          headers: [{ name: 'Accept', value: 'application/sdp' }],
        });
      }
    }
    return undefined;
  }
}
