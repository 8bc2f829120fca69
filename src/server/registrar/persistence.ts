/**
 * The persistent contact store (SPEC S2.4): each server writes its bindings to a local database, so that a
 * server that restarts with no peer to sync from (both servers down at once, or warm standby) still knows
 * every unexpired registration. This is the seeds' "synchronization of contact through the Configuration
 * Server". The store of records stays the truth; persistence follows it (attach-persistence.ts).
 */
import type { Contact } from '../../model/contact.ts';

export interface ContactPersistence {
  /** Every stored binding, expired or not. */
  loadAll(): Contact[];
  /** Adds or replaces the binding of (aor, uri). */
  put(c: Contact): void;
  /** Forgets the binding of (aor, uri); unknown ones are ignored. */
  remove(aor: string, uri: string): void;
  close(): void;
}

/** In memory: for tests and for a server run without a contact file. */
export class MemoryContactPersistence implements ContactPersistence {
  private readonly rows = new Map<string, Contact>();
  private closed = false;

  loadAll(): Contact[] {
    this.assertOpen();
    return [...this.rows.values()].map(copyContact);
  }

  put(c: Contact): void {
    this.assertOpen();
    this.rows.set(keyOf(c.aor, c.uri), copyContact(c));
  }

  remove(aor: string, uri: string): void {
    this.assertOpen();
    this.rows.delete(keyOf(aor, uri));
  }

  close(): void {
    this.closed = true;
  }

  get size(): number {
    return this.rows.size;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('contact store is closed');
  }
}

function keyOf(aor: string, uri: string): string {
  return `${aor}\u0000${uri}`;
}

/** Stored copies never share objects with the model (which is never mutated, but a caller's object might be). */
export function copyContact(c: Readonly<Contact>): Contact {
  return { ...c, source: { ...c.source } };
}
