/**
 * Real time for the shell (DESIGN §1): the core only ever sees the Clock interface.
 *
 * Timers live in one heap ordered by (due, order set) with a single Node timeout armed for the earliest, so
 * that the Clock contract holds exactly — timers due at the same instant fire in the order they were set
 * (plain setTimeout only promises that for equal durations) — and thousands of SIP transaction timers cost
 * one Node timer. Due times are on the monotonic clock, so a wall-clock step (NTP) neither fires nor stalls
 * timers; now() still reports the wall clock, which is what SIP and the replicated records carry.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import { EventQueue, type ScheduledEvent } from '../sim/event-queue.ts';

export interface NodeClockOptions {
  /**
   * Unref the Node timer so that pending timers alone do not keep the process alive (what a server with open
   * sockets wants; a CLI that must wait for a timer leaves this off).
   */
  unref?: boolean;
  /** Monotonic milliseconds; default performance.now(). Tests with mocked timers pass Date.now. */
  monotonicNow?: () => number;
}

/** Node's setTimeout turns delays above 2^31-1 ms (~24.8 days) into 1 ms; longer waits are re-armed. */
const MAX_NODE_DELAY = 0x7fffffff;

export class NodeClock implements Clock {
  private readonly unref: boolean;
  private readonly mono: () => number;
  private readonly queue = new EventQueue();
  private readonly timers = new Map<TimerHandle, ScheduledEvent>();
  private nextHandle = 1;
  private armed: NodeJS.Timeout | undefined;
  private armedFor = Number.NaN;

  constructor(options: NodeClockOptions = {}) {
    this.unref = options.unref ?? false;
    this.mono = options.monotonicNow ?? (() => performance.now());
  }

  now(): number {
    return Date.now();
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    if (Number.isNaN(delayMs))
      throw new RangeError('NodeClock.setTimer: delayMs is NaN; pass a number of milliseconds');
    const handle = this.nextHandle++;
    const ev: ScheduledEvent = { seq: handle, time: this.mono() + Math.max(0, delayMs), run: fn, index: -1 };
    this.queue.push(ev);
    this.timers.set(handle, ev);
    this.arm();
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    const ev = this.timers.get(handle);
    if (ev === undefined) return;
    this.timers.delete(handle);
    this.queue.remove(ev);
    this.arm();
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Clears every pending timer (orderly shutdown). */
  clearAll(): void {
    for (const ev of this.timers.values()) this.queue.remove(ev);
    this.timers.clear();
    this.arm();
  }

  /** Keeps exactly one Node timeout, armed for the earliest due timer. */
  private arm(): void {
    const head = this.queue.peek();
    if (head === undefined) {
      if (this.armed !== undefined) clearTimeout(this.armed);
      this.armed = undefined;
      this.armedFor = Number.NaN;
      return;
    }
    if (this.armed !== undefined && this.armedFor === head.time) return;
    if (this.armed !== undefined) clearTimeout(this.armed);
    const wait = Math.min(Math.max(0, Math.ceil(head.time - this.mono())), MAX_NODE_DELAY);
    this.armedFor = head.time;
    this.armed = setTimeout(() => this.fire(), wait);
    if (this.unref) this.armed.unref();
  }

  private fire(): void {
    this.armed = undefined;
    this.armedFor = Number.NaN;
    const now = this.mono();
    // Only timers set before this batch started: a timer that re-arms itself with delay 0 waits for the next
    // turn of the event loop instead of starving I/O.
    const lastSeq = this.nextHandle - 1;
    try {
      for (;;) {
        const head = this.queue.peek();
        if (head === undefined || head.time > now || head.seq > lastSeq) break;
        this.queue.pop();
        this.timers.delete(head.seq);
        head.run();
      }
    } finally {
      this.arm();
    }
  }
}
