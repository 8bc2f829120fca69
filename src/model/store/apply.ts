/**
 * The one function that changes the model: applies a record to a state. The primary and the backup both run
 * it, so the same records give the same state. A record that does not fit the state (a leg of an unknown
 * call) is a StoreError, never a silent divergence.
 */
import type { Call } from '../call/call.ts';
import type { Leg } from '../call/leg.ts';
import type { Party } from '../call/party.ts';
import { clonePlain } from './clone.ts';
import type { StoreRecord } from './records.ts';
import type { ModelState } from './state.ts';

export class StoreError extends Error {
  constructor(
    message: string,
    readonly record: StoreRecord,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function applyRecord(s: ModelState, r: StoreRecord): void {
  // The state never shares objects with a record: what goes into the state is a copy (clonePlain), so what
  // the caller and the listeners keep cannot change the state behind it, nor the state change a record.
  switch (r.type) {
    case 'CallCreated':
      s.calls.set(r.call.connId, clonePlain(r.call));
      return;
    case 'CallStateChanged':
      callOf(s, r.connId, r).state = r.state;
      return;
    case 'CallUpdated':
      Object.assign(callOf(s, r.connId, r), clonePlain(r.changes));
      return;
    case 'CallDeadlineSet':
      callOf(s, r.connId, r).deadline = clonePlain(r.deadline);
      return;
    case 'PartyAdded': {
      const call = callOf(s, r.connId, r);
      if (call.parties.some((p) => p.dn === r.party.dn && p.state !== 'Released')) {
        throw new StoreError(`call ${r.connId} already has an active party ${r.party.dn}`, r);
      }
      call.parties.push(clonePlain(r.party));
      return;
    }
    case 'PartyStateChanged': {
      const call = callOf(s, r.connId, r);
      const party = lastParty(call, r.dn);
      if (!party) throw new StoreError(`call ${r.connId} has no party ${r.dn}`, r);
      party.state = r.state;
      return;
    }
    case 'LegAdded': {
      const call = callOf(s, r.connId, r);
      if (call.legs.some((l) => l.id === r.leg.id))
        throw new StoreError(`call ${r.connId} already has leg ${r.leg.id}`, r);
      call.legs.push(clonePlain(r.leg));
      return;
    }
    case 'LegUpdated':
      Object.assign(legOf(callOf(s, r.connId, r), r.legId, r), clonePlain(r.changes));
      return;
    case 'CallReleased':
      callOf(s, r.connId, r);
      s.calls.delete(r.connId);
      return;
    case 'ContactBound': {
      const list = (s.contacts.get(r.contact.aor) ?? []).filter((c) => c.uri !== r.contact.uri);
      list.push(clonePlain(r.contact));
      list.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
      s.contacts.set(r.contact.aor, list);
      return;
    }
    case 'ContactRemoved': {
      const list = (s.contacts.get(r.aor) ?? []).filter((c) => c.uri !== r.uri);
      if (list.length > 0) s.contacts.set(r.aor, list);
      else s.contacts.delete(r.aor);
      return;
    }
    case 'DeviceStateChanged':
      s.devices.set(r.device.dn, clonePlain(r.device));
      return;
    case 'AgentStateChanged':
      s.agents.set(r.agent.agentId, clonePlain(r.agent));
      return;
    default: {
      const never: never = r;
      throw new StoreError(`unknown record type ${(never as { type: string }).type}`, never);
    }
  }
}

function callOf(s: ModelState, connId: string, r: StoreRecord): Call {
  const call = s.calls.get(connId);
  if (!call) throw new StoreError(`${r.type}: no call ${connId}`, r);
  return call;
}

/** The DN's latest party: a DN that left and came back has a Released party before its current one. */
function lastParty(call: Call, dn: string): Party | undefined {
  for (let i = call.parties.length - 1; i >= 0; i--) if (call.parties[i]!.dn === dn) return call.parties[i];
  return undefined;
}

function legOf(call: Call, legId: string, r: StoreRecord): Leg {
  const leg = call.legs.find((l) => l.id === legId);
  if (!leg) throw new StoreError(`${r.type}: call ${call.connId} has no leg ${legId}`, r);
  return leg;
}
