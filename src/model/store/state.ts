/** The whole replicated state: what a backup in hot standby holds a copy of (SPEC S4.3). */
import type { AgentState } from '../agent.ts';
import type { Call, ConnID } from '../call/call.ts';
import type { Contact } from '../contact.ts';
import type { DeviceState } from '../device.ts';

export interface ModelState {
  calls: Map<ConnID, Call>;
  /** By DN number (address of record); each list ordered by uri. */
  contacts: Map<string, Contact[]>;
  devices: Map<string, DeviceState>;
  agents: Map<string, AgentState>;
}

export function emptyState(): ModelState {
  return { calls: new Map(), contacts: new Map(), devices: new Map(), agents: new Map() };
}

/**
 * A canonical plain-JSON picture of the state (keys sorted), so that two states are equal exactly when their
 * snapshots are deepEqual: the replay test and the simulator's "backup equals primary" invariant use it.
 */
export function snapshotState(s: ModelState): {
  calls: Call[];
  contacts: Contact[];
  devices: DeviceState[];
  agents: AgentState[];
} {
  const byKey = <T>(m: Map<string, T>): T[] => [...m.keys()].sort().map((k) => m.get(k) as T);
  return structuredClone({
    calls: byKey(s.calls),
    contacts: byKey(s.contacts).flat(),
    devices: byKey(s.devices),
    agents: byKey(s.agents),
  });
}
