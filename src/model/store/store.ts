/**
 * The replicated store (DESIGN §2): the seam between the call logic and HA. The primary `commit`s records;
 * each gets the next sequence number and goes to every listener (the HA link sends it to the backup, the
 * persistence layer writes contacts). The backup `applyReplicated`s the same records in the same order.
 * Nothing else writes the model.
 */
import type { AgentState } from '../agent.ts';
import type { Call, ConnID } from '../call/call.ts';
import type { Contact } from '../contact.ts';
import type { DeviceState } from '../device.ts';
import { applyRecord } from './apply.ts';
import type { StoreRecord } from './records.ts';
import { emptyState, type ModelState, snapshotState } from './state.ts';

export type StoreListener = (record: StoreRecord, seq: number) => void;

export class Store {
  private readonly state: ModelState = emptyState();
  private lastSeq = 0;
  private readonly listeners = new Set<StoreListener>();

  /** Sequence number of the last record applied (0 for an empty store). */
  get seq(): number {
    return this.lastSeq;
  }

  /** Applies a record made here and tells every listener. Returns its sequence number. */
  commit(record: StoreRecord): number {
    applyRecord(this.state, record);
    const seq = ++this.lastSeq;
    for (const l of this.listeners) l(record, seq);
    return seq;
  }

  /**
   * Applies a record received from the primary (hot standby). Order and completeness are the HA link's
   * business (it numbers every record and resyncs on a gap); here the record goes through the same apply
   * function as on the primary, and listeners (indexes, the contact database) hear it the same way.
   */
  applyReplicated(record: StoreRecord): number {
    return this.commit(record);
  }

  onRecord(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  call(connId: ConnID): Readonly<Call> | undefined {
    return this.state.calls.get(connId);
  }

  calls(): IterableIterator<Readonly<Call>> {
    return this.state.calls.values();
  }

  get callCount(): number {
    return this.state.calls.size;
  }

  /** Bindings of a DN that are still valid at `now` (expired ones are removed by the registrar's records). */
  contacts(aor: string, now: number): readonly Readonly<Contact>[] {
    return (this.state.contacts.get(aor) ?? []).filter((c) => c.expiresAt > now);
  }

  allContacts(): Readonly<Contact>[] {
    return [...this.state.contacts.values()].flat();
  }

  get contactCount(): number {
    let n = 0;
    for (const list of this.state.contacts.values()) n += list.length;
    return n;
  }

  device(dn: string): Readonly<DeviceState> | undefined {
    return this.state.devices.get(dn);
  }

  devices(): IterableIterator<Readonly<DeviceState>> {
    return this.state.devices.values();
  }

  agent(agentId: string): Readonly<AgentState> | undefined {
    return this.state.agents.get(agentId);
  }

  agents(): IterableIterator<Readonly<AgentState>> {
    return this.state.agents.values();
  }

  snapshot(): ReturnType<typeof snapshotState> {
    return snapshotState(this.state);
  }

  /** A store rebuilt from a record stream (what the backup ends up with). */
  static replay(records: Iterable<StoreRecord>): Store {
    const store = new Store();
    for (const r of records) store.commit(r);
    return store;
  }
}
