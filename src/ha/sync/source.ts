/**
 * The primary's side of synchronization (SPEC S4.3, seed 004). Started when the backup's sync-hello arrives:
 * it sends what the backup lacks and then every record as it is committed.
 *
 * - Missing calls go in batches of at most `ha-max-calls-sync-at-once` (read when the link comes up: the
 *   option takes effect "when the HA connection is established"), one batch per second; new calls are sent
 *   at once, not queued behind the batches; records of a call still waiting for its batch are not sent (the
 *   batch will carry the call as it is then); a call released while waiting simply leaves the queue.
 * - Multisite calls that existed before the link came up are not synchronized (seed 004: readiness waits for
 *   them to finish instead).
 * - Warm standby (seed 003): no calls, devices or agents; registrations only, so the backup keeps them.
 */

import type { ConnID } from '../../model/call/call.ts';
import type { StoreRecord } from '../../model/store/records.ts';
import type { Store } from '../../model/store/store.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import { callDigest } from './digest.ts';
import type { PrimaryToBackup, SyncHello } from './messages.ts';

export const BATCH_INTERVAL_MS = 1000;

export interface SyncSourceOptions {
  store: Store;
  clock: Clock;
  batchSize: number;
  send(msg: PrimaryToBackup): void;
  /** Told when the resync begins, with the number of calls to send (before the first batch goes). */
  onStarted?(missing: number): void;
  /** Told when the last batch went (resync complete). */
  onSynced?(): void;
}

export class SyncSource {
  private next = 1;
  private readonly queue: ConnID[] = [];
  private readonly pending = new Set<ConnID>();
  /** Multisite calls present at link-up: neither synced nor streamed; readiness waits for them to end. */
  private readonly preexistingMultisite = new Set<ConnID>();
  private timer: TimerHandle | null = null;
  private hot = true;
  private started = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  /** Calls the backup said it holds (in some version). */
  private held = new Set<ConnID>();
  private finishedSent = false;

  constructor(private readonly opts: SyncSourceOptions) {}

  /** Calls found missing (or outdated) on the backup at link-up, and calls it held that were removed. */
  missingCalls = 0;
  removedCalls = 0;

  /** Calls the backup is still waiting for. */
  get callsPendingSync(): number {
    return this.pending.size;
  }

  get preexistingMultisiteCalls(): number {
    return this.preexistingMultisite.size;
  }

  start(hello: SyncHello): void {
    if (this.started) return;
    this.started = true;
    const { store } = this.opts;
    this.hot = hello.redundancy === 'hot-standby';
    const held = new Map(hello.calls);
    this.held = new Set(held.keys());
    const remove: ConnID[] = [];
    for (const [connId] of held) if (!store.call(connId)) remove.push(connId);
    if (this.hot) {
      for (const call of store.calls()) {
        if (call.multisite) {
          this.preexistingMultisite.add(call.connId);
          continue;
        }
        if (held.get(call.connId) !== callDigest(call)) {
          this.queue.push(call.connId);
          this.pending.add(call.connId);
        }
      }
    }
    this.missingCalls = this.queue.length;
    this.removedCalls = this.hot ? remove.length : held.size;
    this.opts.onStarted?.(this.missingCalls);
    this.opts.send({
      type: 'sync-begin',
      next: this.next,
      remove: this.hot ? remove : [...held.keys()],
      contacts: store.allContacts().map((c) => ({ ...c })),
      devices: this.hot ? [...store.devices()].map((d) => ({ ...d })) : [],
      agents: this.hot ? [...store.agents()].map((a) => ({ ...a })) : [],
      pending: this.queue.length,
    });
    this.unsubscribe = store.onRecord((r) => this.onRecord(r));
    this.sendBatch();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) this.opts.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private onRecord(r: StoreRecord): void {
    if (this.stopped) return;
    if (!this.hot && r.type !== 'ContactBound' && r.type !== 'ContactRemoved') return;
    const connId = r.type === 'CallCreated' ? r.call.connId : 'connId' in r ? r.connId : undefined;
    if (connId !== undefined && this.preexistingMultisite.has(connId)) {
      if (r.type === 'CallReleased') this.preexistingMultisite.delete(connId);
      return;
    }
    if (connId !== undefined && this.pending.has(connId)) {
      // Its batch will carry the call as it is then. Released meanwhile: it leaves the queue, and a backup
      // holding an outdated copy is told to drop it.
      if (r.type !== 'CallReleased') return;
      this.pending.delete(connId);
      this.queue.splice(this.queue.indexOf(connId), 1);
      if (!this.held.has(connId)) {
        if (this.pending.size === 0) this.finish();
        return;
      }
    }
    this.opts.send({ type: 'rec', n: this.next++, record: r });
    if (this.pending.size === 0 && this.queue.length === 0 && r.type === 'CallReleased') this.finish();
  }

  private sendBatch(): void {
    this.timer = null;
    if (this.stopped) return;
    if (this.queue.length === 0) {
      this.finish();
      return;
    }
    const ids = this.queue.splice(0, this.opts.batchSize);
    const calls = ids.flatMap((id) => {
      this.pending.delete(id);
      const call = this.opts.store.call(id);
      return call ? [structuredClone(call)] : [];
    });
    this.opts.send({ type: 'sync-calls', n: this.next, calls });
    this.next += calls.length;
    if (this.queue.length === 0) this.finish();
    else this.timer = this.opts.clock.setTimer(BATCH_INTERVAL_MS, () => this.sendBatch());
  }

  private finish(): void {
    if (this.finishedSent) return;
    this.finishedSent = true;
    this.opts.send({ type: 'sync-done' });
    this.opts.onSynced?.();
  }
}
