/**
 * The SIP Server's side of its host's LCA (SPEC S1, S4.1), used inside the server process: it registers the
 * application, reports status, mode and readiness, forwards log events for the SCS's alarm conditions, and
 * hands the SCS's decisions (set-mode, stop) to the server. While the LCA is down it reconnects every second;
 * after a reconnect it registers again and re-sends its last status, so the LCA (and through it the SCS)
 * knows the server again without waiting for the next change.
 *
 * Deterministic: Net, Clock and Random are injected, so it runs in the simulator next to a real Lca.
 */
import { connectLink, type LinkConnector } from '../../ha/link/link.ts';
import type { AddpOptions, Link, LinkMessage } from '../../ha/link/types.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { Address, Net } from '../../runtime/net.ts';
import type { Random } from '../../runtime/random.ts';
import type { AppStatus, ExecutionMode, Readiness, ScriptOutcome, ServerToLca } from '../protocol.ts';
import { isMode } from './lca.ts';

export interface LcaAppClientOptions {
  /** The LCA of this server's host (its `address` and `lca-port`). */
  lca: Address;
  app: string;
  /** config `scs.link-secret` (see linkSecretOf). */
  secret: string;
  pid: number;
  /** Delay between connection attempts while the LCA is unreachable, ms. Default 1000. */
  reconnectMs?: number;
  /** ADDP on the link. Default 2 s both ways (as the LCA). */
  addp?: AddpOptions;
  /** Log events kept while the LCA is unreachable, sent once it is back (oldest dropped first). Default 256. */
  maxQueuedEvents?: number;
}

export interface LcaAppClientHandlers {
  /** The SCS decided this server's mode. */
  onSetMode(mode: ExecutionMode, reason: string): void;
  /** The SCS (or the LCA shutting down) asks the server to stop cleanly. */
  onStop(reason: string): void;
  /** Registered with the LCA (again). */
  onConnected?(): void;
  /** The link to the LCA is gone; the client is reconnecting. */
  onDisconnected?(): void;
}

type StatusMessage = Extract<ServerToLca, { type: 'status' }>;
type LogEventMessage = Extract<ServerToLca, { type: 'log-event' }>;

export class LcaAppClient {
  private readonly reconnectMs: number;
  private readonly maxQueued: number;
  private link: Link | undefined;
  private connector: LinkConnector | undefined;
  private retryTimer: TimerHandle | undefined;
  private lastStatus: StatusMessage | undefined;
  private readonly queued: LogEventMessage[] = [];
  /** Scripts asked for and not answered yet (SPEC S6.1), by request id. */
  private readonly scripts = new Map<string, (outcome: ScriptOutcome) => void>();
  private closed = false;

  constructor(
    private readonly net: Net,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly options: LcaAppClientOptions,
    private readonly handlers: LcaAppClientHandlers,
  ) {
    this.reconnectMs = options.reconnectMs ?? 1000;
    this.maxQueued = options.maxQueuedEvents ?? 256;
    this.connect();
  }

  /** Registered with the LCA now. */
  get connected(): boolean {
    return this.link?.open === true;
  }

  /** Sends the server's status (on every change, and periodically); kept and re-sent after a reconnect. */
  report(status: AppStatus, mode: ExecutionMode | null, readiness: Readiness): void {
    this.lastStatus = { type: 'status', app: this.options.app, status, mode, readiness: { ...readiness } };
    if (this.link?.open) this.send(this.link, this.lastStatus);
  }

  /** A log event of level Standard or Alarm, for the SCS's alarm conditions; queued while disconnected. */
  logEvent(id: string, params: Record<string, unknown>, time: number): void {
    const msg: LogEventMessage = { type: 'log-event', app: this.options.app, id, params, time };
    if (this.link?.open) {
      this.send(this.link, msg);
      return;
    }
    // An event logged before the LCA is reached (00-04200 at startup, say) still raises its alarm.
    this.queued.push(msg);
    if (this.queued.length > this.maxQueued) this.queued.shift();
  }

  /**
   * Has the LCA run a configured script application on `host` (its own host, or another through the SCS:
   * SPEC S6.1). `done` gets the outcome once: the LCA's answer, or exit code null at once when the LCA is
   * not connected, or when the link is lost before the answer (the caller retries: VipControl).
   */
  runScript(script: string, host: string, done: (outcome: ScriptOutcome) => void): void {
    if (!this.link?.open) {
      done({ exitCode: null, timedOut: false, output: 'not run: this server is not connected to its LCA' });
      return;
    }
    const requestId = this.random.hex(12);
    this.scripts.set(requestId, done);
    this.send(this.link, { type: 'run-script', requestId, script, host });
  }

  /** Stops for good: closes the link, no more reconnects. */
  close(): void {
    this.failScripts('the server is stopping');
    this.closed = true;
    if (this.retryTimer !== undefined) this.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    this.connector?.cancel();
    this.connector = undefined;
    this.link?.close();
    this.link = undefined;
  }

  private connect(): void {
    if (this.closed || this.connector !== undefined || this.link !== undefined) return;
    this.connector = connectLink(
      this.net,
      this.clock,
      this.random,
      this.options.lca,
      {
        secret: this.options.secret,
        name: this.options.app,
        protocol: 'lca-app',
        addp: this.options.addp ?? { timeout: 2, remoteTimeout: 2 },
      },
      {
        onOpen: (link) => {
          this.connector = undefined;
          this.link = link;
          this.send(link, { type: 'register', app: this.options.app, pid: this.options.pid });
          if (this.lastStatus !== undefined) this.send(link, this.lastStatus);
          for (const msg of this.queued.splice(0)) this.send(link, msg);
          this.handlers.onConnected?.();
        },
        onFailed: () => {
          this.connector = undefined;
          this.retry();
        },
        onMessage: (link, msg) => {
          if (link !== this.link) return;
          this.message(msg);
        },
        onClose: (link) => {
          if (link !== this.link) return;
          this.link = undefined;
          this.failScripts('the link to the LCA was lost before the answer');
          if (this.closed) return;
          this.handlers.onDisconnected?.();
          this.retry();
        },
      },
    );
  }

  private retry(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    this.retryTimer = this.clock.setTimer(this.reconnectMs, () => {
      this.retryTimer = undefined;
      this.connect();
    });
  }

  private message(msg: LinkMessage): void {
    if (msg.type === 'set-mode' && isMode(msg.mode)) {
      this.handlers.onSetMode(msg.mode, typeof msg.reason === 'string' ? msg.reason : '');
    } else if (msg.type === 'stop') {
      this.handlers.onStop(typeof msg.reason === 'string' ? msg.reason : '');
    } else if (msg.type === 'script-result' && typeof msg.requestId === 'string') {
      const done = this.scripts.get(msg.requestId);
      if (done === undefined) return; // answered already (link lost), or not ours
      this.scripts.delete(msg.requestId);
      done({
        exitCode: typeof msg.exitCode === 'number' ? msg.exitCode : null,
        timedOut: msg.timedOut === true,
        output: typeof msg.output === 'string' ? msg.output : '',
      });
    }
    // Anything else is from a newer LCA or garbage: ignored (S8.1, it changes nothing).
  }

  private failScripts(why: string): void {
    const pending = [...this.scripts.values()];
    this.scripts.clear();
    for (const done of pending) done({ exitCode: null, timedOut: false, output: `not answered: ${why}` });
  }

  private send(link: Link, msg: ServerToLca): void {
    link.send(msg as unknown as LinkMessage);
  }
}
