/**
 * The SCS's link to one host's LCA (protocol 'scs'): connects, and while the LCA is unreachable tries again
 * every `reconnectMs` (1 s), logging the loss once per outage rather than once per attempt.
 */
import { connectLink, describeReason, type LinkConnector } from '../../ha/link/link.ts';
import type { AddpOptions, CloseReason, Link, LinkMessage } from '../../ha/link/types.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { Address, Net } from '../../runtime/net.ts';
import type { Random } from '../../runtime/random.ts';
import type { ScsToLca } from '../protocol.ts';

export interface LcaConnectionOptions {
  net: Net;
  clock: Clock;
  random: Random;
  host: string;
  address: Address;
  secret: string;
  addp: AddpOptions;
  reconnectMs: number;
}

export interface LcaConnectionHandlers {
  onOpen(): void;
  onMessage(msg: LinkMessage): void;
  /** The open link closed. */
  onClose(reason: string): void;
  /** An attempt failed; `first` is true for the first failure since the link was last open (or since start). */
  onAttemptFailed(reason: string, first: boolean): void;
}

export class LcaConnection {
  private link: Link | null = null;
  private connector: LinkConnector | null = null;
  private retry: TimerHandle | null = null;
  private stopped = true;
  private failedSinceOpen = false;
  /** When the current state (connected or not) began; null before the first attempt ended. */
  since: number | null = null;
  lastError: string | null = null;

  constructor(
    private readonly o: LcaConnectionOptions,
    private readonly handlers: LcaConnectionHandlers,
  ) {}

  get connected(): boolean {
    return this.link?.open === true;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry !== null) this.o.clock.clearTimer(this.retry);
    this.retry = null;
    const c = this.connector;
    this.connector = null;
    c?.cancel();
    const l = this.link;
    this.link = null;
    l?.close();
  }

  /** Sends a command; false when the LCA is not connected (the pair controller sends again on reconnect). */
  send(msg: ScsToLca): boolean {
    if (!this.link?.open) return false;
    this.link.send(msg as unknown as LinkMessage);
    return true;
  }

  /** Closes the current link (a misbehaving LCA); the usual reconnect follows. */
  drop(): void {
    this.link?.close();
  }

  private attempt(): void {
    this.retry = null;
    if (this.stopped) return;
    this.connector = connectLink(
      this.o.net,
      this.o.clock,
      this.o.random,
      this.o.address,
      { secret: this.o.secret, name: 'scs', protocol: 'scs', addp: this.o.addp },
      {
        onOpen: (link) => {
          this.connector = null;
          if (this.stopped) {
            link.close();
            return;
          }
          this.link = link;
          this.failedSinceOpen = false;
          this.lastError = null;
          this.since = this.o.clock.now();
          this.handlers.onOpen();
        },
        onFailed: (reason: CloseReason) => {
          this.connector = null;
          if (this.stopped) return;
          const text = describeReason(reason);
          const first = !this.failedSinceOpen;
          this.failedSinceOpen = true;
          if (first || this.since === null) this.since = this.o.clock.now();
          this.lastError = text;
          this.handlers.onAttemptFailed(text, first);
          this.schedule();
        },
        onMessage: (_link, msg) => {
          if (!this.stopped) this.handlers.onMessage(msg);
        },
        onClose: (link, reason) => {
          if (this.link !== link) return;
          this.link = null;
          if (this.stopped) return;
          const text = describeReason(reason);
          this.failedSinceOpen = true;
          this.since = this.o.clock.now();
          this.lastError = text;
          this.handlers.onClose(text);
          this.schedule();
        },
      },
    );
  }

  private schedule(): void {
    if (this.stopped || this.retry !== null) return;
    this.retry = this.o.clock.setTimer(this.o.reconnectMs, () => this.attempt());
  }
}
