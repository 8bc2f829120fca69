/**
 * Keeps the persistent contact store in step with the replicated store (SPEC S2.4), and reads it back at
 * start. Persistence follows the records, whoever made them: the registrar on the primary, the HA link on the
 * backup (which thereby keeps its own file current too), a restore.
 */
import type { Logger } from '../../log/logger.ts';
import type { Contact } from '../../model/contact.ts';
import type { StoreRecord } from '../../model/store/records.ts';
import type { Store } from '../../model/store/store.ts';
import type { ContactPersistence } from './persistence.ts';

/**
 * Writes every ContactBound / ContactRemoved to `persistence`; returns the unsubscribe function. A failed
 * write is logged (10-40020) and swallowed: the binding still holds in memory and on the peer, and a store
 * listener that threw would break the commit of a record that is already applied.
 */
export function attachPersistence(
  store: Store,
  persistence: ContactPersistence,
  options: { logger?: Logger } = {},
): () => void {
  return store.onRecord((r: StoreRecord) => {
    if (r.type !== 'ContactBound' && r.type !== 'ContactRemoved') return;
    const [operation, aor, uri] =
      r.type === 'ContactBound' ? ['write', r.contact.aor, r.contact.uri] : ['delete', r.aor, r.uri];
    try {
      if (r.type === 'ContactBound') persistence.put(r.contact);
      else persistence.remove(r.aor, r.uri);
    } catch (e) {
      options.logger?.event('10-40020', { operation, dn: aor, contact: uri, reason: (e as Error).message });
    }
  });
}

export interface RestoreResult {
  /** Bindings committed to the store. */
  restored: number;
  /** Expired rows deleted from the persistent store. */
  dropped: number;
}

/**
 * Commits a ContactBound for every persisted binding not yet expired at `now`, and deletes the expired rows:
 * a server restarted with no peer to sync from knows every unexpired registration. A binding the store
 * already holds in a newer version (registered at or after the persisted one, e.g. from the peer) is kept.
 * Call it before the registrar starts its expiry timer and before attachPersistence, or the restored bindings
 * are written back (harmless, but useless work).
 */
export function restoreContacts(
  store: Store,
  persistence: ContactPersistence,
  now: number,
  options: { logger?: Logger } = {},
): RestoreResult {
  let restored = 0;
  let dropped = 0;
  for (const c of persistence.loadAll()) {
    if (c.expiresAt <= now) {
      persistence.remove(c.aor, c.uri);
      dropped++;
      continue;
    }
    if (hasNewer(store, c)) continue;
    store.commit({ type: 'ContactBound', contact: c });
    restored++;
  }
  options.logger?.event('10-40021', { restored, dropped });
  return { restored, dropped };
}

function hasNewer(store: Store, c: Contact): boolean {
  const held = store.contacts(c.aor, Number.NEGATIVE_INFINITY).find((x) => x.uri === c.uri);
  return held !== undefined && held.registeredAt >= c.registeredAt;
}
