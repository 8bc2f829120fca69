/**
 * Time, injected. The core never calls Date.now() or setTimeout itself (DESIGN §1): it is given a Clock,
 * so the same code runs on real time (runtime/node) and on the simulator's virtual time (runtime/sim).
 */
export type TimerHandle = number;

export interface Clock {
  /** Milliseconds since the Unix epoch (virtual in the simulator). */
  now(): number;
  /** Calls fn once after delayMs (>= 0). Timers due at the same instant fire in the order they were set. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  /** Cancels a timer; unknown or already-fired handles are ignored. */
  clearTimer(handle: TimerHandle): void;
}
