/**
 * A Clock on the simulator's virtual time. A node's clock belongs to its process: a crash cancels its timers
 * and it refuses new ones until restart; timers set before a crash never fire.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import type { SimNode } from './node.ts';
import type { Simulator } from './simulator.ts';

export class SimClock implements Clock {
  private nextHandle = 1;
  /** Handle → simulator event id. Handles are never reused, so a stale handle cannot cancel a new timer. */
  private readonly timers = new Map<TimerHandle, number>();

  constructor(
    private readonly sim: Simulator,
    private readonly owner?: SimNode,
  ) {}

  now(): number {
    return this.sim.now;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    if (!Number.isFinite(delayMs))
      throw new RangeError(`setTimer: delay must be a finite number of ms, got ${delayMs}`);
    this.owner?.assertAlive('set a timer');
    const handle = this.nextHandle++;
    const run = (): void => {
      this.timers.delete(handle);
      fn();
    };
    this.timers.set(handle, this.owner ? this.owner.schedule(delayMs, run) : this.sim.schedule(delayMs, run));
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    const id = this.timers.get(handle);
    if (id === undefined) return;
    this.timers.delete(handle);
    this.sim.cancel(id);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** The owner crashed: its events are already cancelled; forget the handles. */
  forgetAll(): number {
    const n = this.timers.size;
    this.timers.clear();
    return n;
  }
}
