/**
 * The replicated store's records (DESIGN §2): every change to calls, contacts, device states and agent states
 * is exactly one of these. The primary commits a record and hands it to the HA link; the backup applies the
 * same record with the same code (apply.ts). Records are plain JSON.
 */
import type { AgentState } from '../agent.ts';
import type { Call, CallState, ConnID, Deadline } from '../call/call.ts';
import type { Leg } from '../call/leg.ts';
import type { Party, PartyState } from '../call/party.ts';
import type { Contact } from '../contact.ts';
import type { DeviceState } from '../device.ts';

/** The parts of a leg that change over its life. */
export type LegChanges = Partial<
  Pick<Leg, 'state' | 'dialog' | 'pendingInvite' | 'sentInvite' | 'hold' | 'remoteSdp' | 'localSdp'>
>;

/** The parts of a call that change, other than state, parties, legs and deadline (which have their own records). */
export type CallChanges = Partial<Pick<Call, 'userData' | 'triedTrunks' | 'multisite' | 'callType'>>;

export type StoreRecord =
  /** A new call, or (missing-call sync, seed 004) a whole call sent to a backup that lacks it. */
  | { type: 'CallCreated'; call: Call }
  | { type: 'CallStateChanged'; connId: ConnID; state: CallState }
  | { type: 'CallUpdated'; connId: ConnID; changes: CallChanges }
  | { type: 'CallDeadlineSet'; connId: ConnID; deadline: Deadline | null }
  | { type: 'PartyAdded'; connId: ConnID; party: Party }
  | { type: 'PartyStateChanged'; connId: ConnID; dn: string; state: PartyState }
  | { type: 'LegAdded'; connId: ConnID; leg: Leg }
  | { type: 'LegUpdated'; connId: ConnID; legId: string; changes: LegChanges }
  /** The call is over and leaves the store. */
  | { type: 'CallReleased'; connId: ConnID; cause: string }
  /** A binding is added or refreshed (same aor + uri replaces). */
  | { type: 'ContactBound'; contact: Contact }
  | { type: 'ContactRemoved'; aor: string; uri: string; cause: 'unregistered' | 'expired' }
  | { type: 'DeviceStateChanged'; device: DeviceState }
  | { type: 'AgentStateChanged'; agent: AgentState };

export type RecordType = StoreRecord['type'];
