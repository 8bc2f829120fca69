/**
 * Alarms at the SCS (SPEC S7; seed 001). Pure: no I/O, no clock, no timers; told what happened with `now`,
 * it answers the events to log, the reactions to carry out, and when to be called again (`wakeAt`), like the
 * pair controller.
 *
 * - An alarm condition of the config (`alarms:`) matches a log event of an application (relayed by its LCA,
 *   or the SCS's own) with its `event-id`, and its `app` when set. The conditions are read at each event: a
 *   reload takes effect at once.
 * - A match raises an alarm (10-63001): id, condition, app, raised at, the event's parameters and text, count
 *   1. The same event of the same application while that alarm is raised counts up (10-63005) and runs no
 *   reaction again: a reaction answers a condition, not each repetition of it (00-04200 repeats while the
 *   role alternates).
 * - The reaction (`reaction`): `switchover` (of the event's application's pair, away from that application),
 *   `restart` (the application, through its host's LCA) or `script NAME` (the script application, on its
 *   `host`, else on the event's application's host). The Scs carries it out and reports the outcome
 *   (reactionDone: 10-63003, or 10-63004).
 * - Clearing (10-63002): by hand (CLI, API, status page), by `clear-on` (that event from the SAME
 *   application that raised the alarm), or by `cancel-timeout` (seconds after it was raised; 0 = never).
 * - Restarts of the SCS: `snapshot()` is what the Scs saves (alarm-store.ts) after every change (`revision`);
 *   `restore()` puts it back in a new engine: same ids, counts, raise times, clear-on and cancel-timeouts (still
 *   counted from the original raise), and no reaction runs again.
 */
import type { AlarmCondition } from '../../config/config.ts';
import type { AlarmReaction } from '../../config/option-type.ts';
import type { EventId, EventParams } from '../../log/events.ts';

export interface AlarmView {
  /** A short id: "1", "2", ... Unique for the SCS's lifetime, and across its restarts with a data directory. */
  id: string;
  condition: string;
  /** The event that raised it. */
  eventId: string;
  app: string;
  /** Epoch ms. */
  raisedAt: number;
  lastAt: number;
  count: number;
  params: Record<string, unknown>;
  text: string;
  reaction: string | null;
  /** What became of the reaction, or null without one. */
  reactionState: string | null;
  clearOn: string | null;
  /** When it clears by itself (cancel-timeout), or null. */
  cancelAt: number | null;
  /** Set on cleared alarms (history). */
  clearedAt?: number;
  clearedBy?: string;
}

export type AlarmAction =
  | { type: 'switchover'; alarm: string; condition: string; app: string }
  | { type: 'restart'; alarm: string; condition: string; app: string }
  | { type: 'script'; alarm: string; condition: string; app: string; script: string };

export type AlarmEvent = { [K in EventId]: { id: K; params: EventParams<K> } }[EventId];

export interface AlarmOutput {
  events: AlarmEvent[];
  actions: AlarmAction[];
  wakeAt: number | null;
}

/** What an SCS keeps across its restarts (alarm-store.ts writes it to its data directory). */
export interface AlarmSnapshot {
  /** The id the next alarm gets. */
  next: number;
  /** Raised alarms, oldest first. */
  active: AlarmView[];
  /** The last cleared ones, newest last. */
  cleared: AlarmView[];
}

/** The reaction state of a restored alarm whose reaction had not reported when the SCS stopped. */
export const REACTION_UNKNOWN = 'unknown: the SCS restarted before the reaction reported';

export type ClearResult = { ok: true; alarm: AlarmView } | { ok: false; reason: string };

/** Cleared alarms kept for the status. */
const HISTORY = 50;

export function reactionText(r: AlarmReaction): string {
  return r.kind === 'script' ? `script ${r.script}` : r.kind;
}

export class AlarmEngine {
  private readonly active = new Map<string, AlarmView>();
  private readonly history: AlarmView[] = [];
  private next = 1;
  private rev = 0;
  private out: AlarmOutput = { events: [], actions: [], wakeAt: null };

  constructor(private readonly conditions: () => readonly AlarmCondition[]) {}

  /** A log event of `app` ('SCS' for the SCS's own). `text` is its rendered message. */
  logEvent(app: string, id: string, params: Record<string, unknown>, text: string, now: number): AlarmOutput {
    // The alarm events themselves never raise or clear alarms (no loops).
    if (id.startsWith('10-63')) return this.finish(now);
    this.expire(now);
    // Clear first: an event that both clears one condition and raises another does both, in that order.
    for (const a of [...this.active.values()]) {
      if (a.clearOn === id && a.app === app) this.clearAlarm(a, `by event ${id} of ${app}`, now);
    }
    for (const c of this.conditions()) {
      if (c.eventId !== id || (c.app !== undefined && c.app !== app)) continue;
      const existing = [...this.active.values()].find((a) => a.condition === c.name && a.app === app);
      if (existing) {
        existing.count++;
        existing.lastAt = now;
        existing.params = params;
        existing.text = text;
        this.emit({
          id: '10-63005',
          params: { alarm: existing.id, condition: c.name, event: id, app, count: existing.count },
        });
        continue;
      }
      const alarm: AlarmView = {
        id: String(this.next++),
        condition: c.name,
        eventId: id,
        app,
        raisedAt: now,
        lastAt: now,
        count: 1,
        params,
        text,
        reaction: c.reaction ? reactionText(c.reaction) : null,
        reactionState: c.reaction ? 'pending' : null,
        clearOn: c.clearOn ?? null,
        cancelAt: c.cancelTimeout > 0 ? now + c.cancelTimeout * 1000 : null,
      };
      this.active.set(alarm.id, alarm);
      this.emit({ id: '10-63001', params: { alarm: alarm.id, condition: c.name, event: id, app, text } });
      if (c.reaction) {
        const base = { alarm: alarm.id, condition: c.name, app };
        this.out.actions.push(
          c.reaction.kind === 'script'
            ? { type: 'script', ...base, script: c.reaction.script }
            : { type: c.reaction.kind, ...base },
        );
      }
    }
    return this.finish(now);
  }

  /** An administrator clears an alarm (`by`: who, for the log). */
  clear(id: string, by: string, now: number): ClearResult & AlarmOutput {
    this.expire(now);
    const a = this.active.get(id);
    if (!a) {
      const cleared = this.history.find((h) => h.id === id);
      const reason = cleared
        ? `alarm ${id} is already cleared (${cleared.clearedBy})`
        : `no alarm ${id} (raised: ${[...this.active.keys()].join(', ') || 'none'})`;
      return { ok: false, reason, ...this.finish(now) };
    }
    this.clearAlarm(a, `by hand (${by})`, now);
    return { ok: true, alarm: { ...a }, ...this.finish(now) };
  }

  /** What became of a reaction (the Scs reports it when it knows). */
  reactionDone(id: string, ok: boolean, detail: string, now: number): AlarmOutput {
    const a = this.active.get(id) ?? this.history.find((h) => h.id === id);
    if (a?.reaction) {
      a.reactionState = ok ? `done: ${detail}` : `failed: ${detail}`;
      if (ok) {
        this.emit({
          id: '10-63003',
          params: { alarm: a.id, condition: a.condition, reaction: a.reaction, detail },
        });
      } else {
        this.emit({
          id: '10-63004',
          params: { alarm: a.id, condition: a.condition, reaction: a.reaction, reason: detail },
        });
      }
    }
    return this.finish(now);
  }

  /** Time passed: cancel-timeouts. */
  tick(now: number): AlarmOutput {
    this.expire(now);
    return this.finish(now);
  }

  /** Raised alarms, oldest first. */
  list(): AlarmView[] {
    return [...this.active.values()].map((a) => ({ ...a }));
  }

  /** The last cleared alarms, newest last. */
  cleared(): AlarmView[] {
    return this.history.map((a) => ({ ...a }));
  }

  /** Goes up on every change of the alarms (raised, counted, reaction outcome, cleared): time to save. */
  get revision(): number {
    return this.rev;
  }

  /** The state to save (a copy). */
  snapshot(): AlarmSnapshot {
    return { next: this.next, active: this.list(), cleared: this.cleared() };
  }

  /**
   * Puts saved alarms back (a new SCS process, before it handles any event). No events, no reactions: the
   * reactions ran when the alarms were raised. A reaction that had not reported is shown as unknown (its
   * outcome went to the SCS that stopped). Overdue cancel-timeouts clear at the next call (tick).
   */
  restore(s: AlarmSnapshot): void {
    this.active.clear();
    this.history.length = 0;
    let next = Math.max(1, Math.floor(s.next));
    for (const a of s.active) {
      const copy = { ...a, params: { ...a.params } };
      if (copy.reactionState === 'pending') copy.reactionState = REACTION_UNKNOWN;
      delete copy.clearedAt;
      delete copy.clearedBy;
      this.active.set(copy.id, copy);
    }
    for (const a of s.cleared.slice(-HISTORY)) this.history.push({ ...a, params: { ...a.params } });
    for (const a of [...s.active, ...s.cleared]) {
      const n = Number(a.id);
      if (Number.isInteger(n) && n >= next) next = n + 1;
    }
    this.next = next;
  }

  private expire(now: number): void {
    for (const a of [...this.active.values()]) {
      if (a.cancelAt !== null && now >= a.cancelAt) {
        this.clearAlarm(a, `cancel-timeout (${Math.round((a.cancelAt - a.raisedAt) / 1000)} s)`, now);
      }
    }
  }

  private clearAlarm(a: AlarmView, how: string, now: number): void {
    this.active.delete(a.id);
    a.clearedAt = now;
    a.clearedBy = how;
    this.history.push(a);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    this.emit({ id: '10-63002', params: { alarm: a.id, condition: a.condition, how } });
  }

  private emit(e: AlarmEvent): void {
    // Every alarm event is a change of the alarms.
    this.rev++;
    this.out.events.push(e);
  }

  private finish(_now: number): AlarmOutput {
    const out = this.out;
    let wake: number | null = null;
    for (const a of this.active.values()) {
      if (a.cancelAt !== null && (wake === null || a.cancelAt < wake)) wake = a.cancelAt;
    }
    out.wakeAt = wake;
    this.out = { events: [], actions: [], wakeAt: null };
    return out;
  }
}
