/**
 * The backup's side of synchronization (SPEC S4.3): it says what it holds, then applies what the primary
 * sends through the same store code the primary used. A record out of sequence means the link lost
 * something: the sink reports it, the link is closed and the next connection resyncs from scratch.
 */
import type { StoreRecord } from '../../model/store/records.ts';
import type { Store } from '../../model/store/store.ts';
import { callDigest } from './digest.ts';
import type { PrimaryToBackup, Redundancy, SyncHello } from './messages.ts';

export class SyncSink {
  private expected: number | null = null;
  private pending = 0;
  private done = false;

  constructor(
    private readonly store: Store,
    private readonly app: string,
    private readonly redundancy: Redundancy,
  ) {}

  /** Calls announced by the primary and not received yet (readiness, S4.6). */
  get callsPendingSync(): number {
    return this.pending;
  }

  /** The resync finished: the store equals the primary's, and stays so record by record. */
  get synced(): boolean {
    return this.done;
  }

  hello(): SyncHello {
    return {
      type: 'sync-hello',
      app: this.app,
      redundancy: this.redundancy,
      calls: [...this.store.calls()].map((c) => [c.connId, callDigest(c)]),
    };
  }

  /** Applies one message; returns an error text when the stream cannot be trusted any more. */
  receive(msg: PrimaryToBackup): string | undefined {
    try {
      return this.applyMessage(msg);
    } catch (e) {
      // A record that does not fit our state (StoreError): our copy diverged; only a resync repairs it.
      return `cannot apply ${msg.type}: ${(e as Error).message}`;
    }
  }

  private applyMessage(msg: PrimaryToBackup): string | undefined {
    switch (msg.type) {
      case 'sync-begin': {
        for (const connId of msg.remove) {
          if (this.store.call(connId))
            this.apply({ type: 'CallReleased', connId, cause: 'resync: not on the primary' });
        }
        // Registrations: the primary's list is the truth (mark and sweep).
        const keep = new Set(msg.contacts.map((c) => `${c.aor}\n${c.uri}`));
        for (const c of this.store.allContacts()) {
          if (!keep.has(`${c.aor}\n${c.uri}`))
            this.apply({ type: 'ContactRemoved', aor: c.aor, uri: c.uri, cause: 'unregistered' });
        }
        for (const contact of msg.contacts) this.apply({ type: 'ContactBound', contact });
        for (const device of msg.devices) this.apply({ type: 'DeviceStateChanged', device });
        for (const agent of msg.agents) this.apply({ type: 'AgentStateChanged', agent });
        this.expected = msg.next;
        this.pending = msg.pending;
        this.done = false;
        return undefined;
      }
      case 'rec':
        if (this.expected !== msg.n) return `record ${msg.n} out of sequence (expected ${this.expected})`;
        this.expected++;
        this.apply(msg.record);
        return undefined;
      case 'sync-calls':
        if (this.expected !== msg.n) return `batch at ${msg.n} out of sequence (expected ${this.expected})`;
        this.expected += msg.calls.length;
        for (const call of msg.calls) this.apply({ type: 'CallCreated', call });
        this.pending = Math.max(0, this.pending - msg.calls.length);
        return undefined;
      case 'sync-done':
        this.pending = 0;
        this.done = true;
        return undefined;
      default:
        return `unknown sync message ${(msg as { type: string }).type}`;
    }
  }

  private apply(record: StoreRecord): void {
    this.store.applyReplicated(record);
  }
}
