/**
 * The HA link's synchronization messages (SPEC S4.3, seed 004). The backup opens with `sync-hello`, listing
 * the calls it holds (with a digest of each, so a call it holds in an outdated version counts as missing);
 * the primary answers `sync-begin` (what to remove, the registrations, device and agent states, how many
 * calls are coming), then streams: every record it commits (`rec`) at once, and the missing calls in batches
 * (`sync-calls`) of at most ha-max-calls-sync-at-once, one batch a second, ending with `sync-done`.
 * Every record carries the next number of the link's sequence; a gap closes the link and a new one resyncs.
 */
import type { AgentState } from '../../model/agent.ts';
import type { Call, ConnID } from '../../model/call/call.ts';
import type { Contact } from '../../model/contact.ts';
import type { DeviceState } from '../../model/device.ts';
import type { StoreRecord } from '../../model/store/records.ts';

export type Redundancy = 'hot-standby' | 'warm-standby';

export interface SyncHello {
  type: 'sync-hello';
  app: string;
  redundancy: Redundancy;
  /** [ConnID, digest of the call as the backup holds it]. */
  calls: [ConnID, string][];
}

export interface SyncBegin {
  type: 'sync-begin';
  /** Number of the first record that follows. */
  next: number;
  /** Calls the backup holds that the primary does not (mark and sweep). */
  remove: ConnID[];
  contacts: Contact[];
  devices: DeviceState[];
  agents: AgentState[];
  /** Calls that will come in sync-calls batches. */
  pending: number;
}

export interface SyncRecord {
  type: 'rec';
  n: number;
  record: StoreRecord;
}

export interface SyncCalls {
  type: 'sync-calls';
  /** Number of the first call; the calls are records n, n+1, ... */
  n: number;
  calls: Call[];
}

export interface SyncDone {
  type: 'sync-done';
}

export type PrimaryToBackup = SyncBegin | SyncRecord | SyncCalls | SyncDone;
