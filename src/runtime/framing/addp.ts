/**
 * ADDP, the keepalive of a framed connection (SPEC S4.2 `[backup-sync]` addp-*, SPEC S3 CTI clients): a peer
 * that vanishes without closing its connection (power loss, cable, partition) leaves TCP silent for many
 * minutes; ADDP notices it in about twice the timeout. Generic over the message shape: the HA link polls with
 * {type:'addp-poll'}, the CTI server with {message:'AddpPoll'}.
 *
 * What one side does, exactly:
 * - Its polling timeout T is its own timeout when above 0; otherwise the one the peer asked for when above
 *   0; otherwise it does not poll (effectiveAddpTimeoutMs). Both sides decide independently, so each may
 *   poll the other with its own T.
 * - Life is any frame received (a message, a poll, an answer). Sending does not count: a side that only sends
 *   learns nothing about the peer.
 * - After T of silence (nothing received since the last frame, or since the connection opened) it sends one
 *   poll. If anything at all arrives within T after the poll, the silence count restarts from that frame; if
 *   nothing does, the peer is dead (onDead). So a dead peer is detected between T and 2T after the last frame
 *   it sent, and a busy connection never polls ("ADDP polls only when the link is idle").
 * - A poll received is answered at once, whatever this side's own settings. ADDP frames are never handed to
 *   the application.
 * - Seconds may be fractional (0.3 s); they are rounded to whole milliseconds, at least 1.
 *
 * One timer per connection, re-armed lazily: a frame received only records the time, so heavy traffic costs
 * no timer churn.
 */
import type { Clock, TimerHandle } from '../clock.ts';

export interface AddpSettings {
  /** Seconds of silence before this side polls; 0 = this side does not poll. */
  timeout: number;
  /** The timeout asked of the peer (it polls us with it). 0 = the peer does not poll. */
  remoteTimeout: number;
  /** Trace of polls and answers. */
  trace?: (direction: 'sent' | 'received', what: 'poll' | 'answer') => void;
}

/** The polling timeout in ms this side uses (0 = no polls); see the file comment. */
export function effectiveAddpTimeoutMs(own: AddpSettings | undefined, peerRequestedSeconds: number): number {
  const seconds = own !== undefined && own.timeout > 0 ? own.timeout : peerRequestedSeconds;
  return seconds > 0 ? Math.max(1, Math.round(seconds * 1000)) : 0;
}

/** Throws a RangeError a user can act on when ADDP options are not usable. */
export function validateAddpOptions(addp: AddpSettings | undefined): void {
  if (addp === undefined) return;
  for (const key of ['timeout', 'remoteTimeout'] as const) {
    const v = addp[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`link ADDP option ${key}: seconds >= 0 expected (0 = off), got ${String(v)}`);
    }
  }
}

/** How ADDP frames look in one protocol. */
export interface AddpDialect<M> {
  poll: M;
  answer: M;
  /** 'poll' or 'answer' for ADDP frames, undefined for the application's. */
  kindOf(msg: M): 'poll' | 'answer' | undefined;
}

export interface GenericAddpKeeperOptions<M> {
  clock: Clock;
  /** Polling timeout in ms; 0 = this side never polls (it still answers). */
  timeoutMs: number;
  send(msg: M): void;
  /** Nothing arrived within the timeout after a poll: close the connection. */
  onDead(): void;
  trace?: AddpSettings['trace'];
  dialect: AddpDialect<M>;
}

export class GenericAddpKeeper<M> {
  private lastReceived: number;
  private pollSentAt: number | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly o: GenericAddpKeeperOptions<M>) {
    this.lastReceived = o.clock.now();
    if (o.timeoutMs > 0) this.arm(o.timeoutMs);
  }

  /**
   * A frame arrived: it is life. Answers a poll. Returns true when the frame was ADDP's (not for the
   * application).
   */
  onFrame(msg: M): boolean {
    if (this.stopped) return false;
    this.lastReceived = this.o.clock.now();
    const kind = this.o.dialect.kindOf(msg);
    if (kind === 'poll') {
      this.o.trace?.('received', 'poll');
      this.o.send(this.o.dialect.answer);
      this.o.trace?.('sent', 'answer');
      return true;
    }
    if (kind === 'answer') {
      this.o.trace?.('received', 'answer');
      return true;
    }
    return false;
  }

  /** Life that is not a frame (a WebSocket pong, say): restarts the silence count. */
  touch(): void {
    if (!this.stopped) this.lastReceived = this.o.clock.now();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    if (this.stopped) return; // send() may have closed the connection under us
    this.timer = this.o.clock.setTimer(delayMs, () => this.fire());
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.o.clock.now();
    const t = this.o.timeoutMs;
    if (this.pollSentAt !== undefined) {
      if (this.lastReceived < this.pollSentAt) {
        this.stop();
        this.o.onDead();
        return;
      }
      this.pollSentAt = undefined;
    }
    const silence = now - this.lastReceived;
    if (silence >= t) {
      this.pollSentAt = now;
      this.o.send(this.o.dialect.poll);
      this.o.trace?.('sent', 'poll');
      this.arm(t);
    } else {
      this.arm(t - silence);
    }
  }
}
