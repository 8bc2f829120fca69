import type { Clock, TimerHandle } from '../../runtime/clock.ts';

/**
 * The named timers of one transaction (A, B, D, ...). Starting a name that is running restarts it, and
 * stopAll() is what makes "Terminated" final: no timer of a terminated transaction can fire (§17.1.1.2
 * "it MUST be destroyed immediately").
 */
export class TimerSet {
  private readonly handles = new Map<string, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  start(name: string, delayMs: number, fn: () => void): void {
    this.stop(name);
    const handle = this.clock.setTimer(delayMs, () => {
      this.handles.delete(name);
      fn();
    });
    this.handles.set(name, handle);
  }

  stop(name: string): void {
    const handle = this.handles.get(name);
    if (handle !== undefined) {
      this.clock.clearTimer(handle);
      this.handles.delete(name);
    }
  }

  stopAll(): void {
    for (const handle of this.handles.values()) this.clock.clearTimer(handle);
    this.handles.clear();
  }

  isRunning(name: string): boolean {
    return this.handles.has(name);
  }
}
