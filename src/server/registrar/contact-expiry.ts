/**
 * Removes registrations when their absolute expiry time comes (SPEC S2.4): one timer, armed for the earliest
 * `expiresAt` in the store. Only a server that may act commits the removals; a backup applies the primary's
 * records instead, and its lookups ignore expired bindings meanwhile (Store.contacts filters them), so the
 * binding is gone for both at the same instant. On promotion the new primary starts this again and sweeps at
 * once whatever expired while it was backup.
 */
import type { Contact } from '../../model/contact.ts';
import { isExpired } from '../../model/contact.ts';
import type { Store } from '../../model/store/store.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { RoleGate } from '../role-gate.ts';

export class ContactExpiry {
  private timer: TimerHandle | undefined;
  /** The expiresAt the timer is armed for (Infinity: none). */
  private due = Number.POSITIVE_INFINITY;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly store: Store,
    private readonly gate: RoleGate,
    /** Commits the removal of one expired binding (and logs it). */
    private readonly expire: (c: Readonly<Contact>) => void,
  ) {}

  get running(): boolean {
    return this.unsubscribe !== undefined;
  }

  /** The time the timer will fire at, or undefined when none is armed (for status and tests). */
  get nextExpiry(): number | undefined {
    return this.timer === undefined ? undefined : this.due;
  }

  /** Arms the timer (at startup and on promotion); whatever is already expired goes at the next turn. */
  start(): void {
    this.stop();
    // Any binding committed from now on (REGISTER, restore from disk, resync) may expire before the armed one.
    this.unsubscribe = this.store.onRecord((r) => {
      if (r.type === 'ContactBound' && r.contact.expiresAt < this.due) this.arm();
    });
    this.arm();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.disarm();
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.due = Number.POSITIVE_INFINITY;
  }

  private arm(): void {
    this.disarm();
    let earliest = Number.POSITIVE_INFINITY;
    for (const c of this.store.allContacts()) if (c.expiresAt < earliest) earliest = c.expiresAt;
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.due = earliest;
    this.timer = this.clock.setTimer(Math.max(0, earliest - this.clock.now()), () => this.sweep());
  }

  private sweep(): void {
    this.timer = undefined;
    this.due = Number.POSITIVE_INFINITY;
    if (!this.gate.mayAct()) {
      // Demoted without stop(): commit nothing, and do not re-arm (an expired binding would fire the timer
      // again at once, forever). start() on the next promotion picks the work up.
      this.stop();
      return;
    }
    const now = this.clock.now();
    // Collected first: each removal changes the store's lists.
    const expired = this.store.allContacts().filter((c) => isExpired(c, now));
    for (const c of expired) this.expire(c);
    // A real clock may fire a little early; then nothing was due and the timer is simply armed again.
    if (this.running) this.arm();
  }
}
