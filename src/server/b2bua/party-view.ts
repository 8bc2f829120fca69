/**
 * How a call looks from one DN (T-Library's view, SPEC S3): who the other party is, and the calls a DN takes
 * part in. Pure functions of the replicated call, so both servers of a pair answer the same.
 */
import type { Call, CallType, ConnID } from '../../model/call/call.ts';
import type { Party, PartyState } from '../../model/call/party.ts';
import type { CtiCallState } from './call-events.ts';

/** One call a DN takes part in (RequestQueryAddress, the promotion resend of the CTI server). */
export interface DnCallView {
  connId: ConnID;
  partyState: PartyState;
  otherDn: string | null;
  callType: CallType;
  userData?: Record<string, string>;
}

/** The DN's latest party in the call (a DN that left and came back has a Released party before it). */
export function partyOf(call: Readonly<Call>, dn: string): Readonly<Party> | undefined {
  for (let i = call.parties.length - 1; i >= 0; i--) if (call.parties[i]!.dn === dn) return call.parties[i];
  return undefined;
}

/** The DN's party when it is still in the call. */
export function activePartyOf(call: Readonly<Call>, dn: string): Readonly<Party> | undefined {
  const p = partyOf(call, dn);
  return p && p.state !== 'Released' ? p : undefined;
}

/** The number a party is known by: its DN, or for a Trunk party the external number. */
export function numberOf(party: Readonly<Party>): string {
  return party.number ?? party.dn;
}

/**
 * The other party as `dn` sees it: the latest other party still in the call; with none (the call is being
 * set up, or the others left), the number dialed for the originator and the originator for the others.
 */
export function otherDnOf(call: Readonly<Call>, dn: string): string | null {
  for (let i = call.parties.length - 1; i >= 0; i--) {
    const p = call.parties[i]!;
    if (p.dn !== dn && p.state !== 'Released') return numberOf(p);
  }
  const me = partyOf(call, dn);
  if (!me || me.role === 'Origination') return call.dialed;
  const origin = call.parties.find((p) => p.role === 'Origination');
  return origin ? numberOf(origin) : null;
}

/** The calls `dn` takes part in, oldest first. */
export function callsOfDn(calls: Iterable<Readonly<Call>>, dn: string): DnCallView[] {
  const out: (DnCallView & { createdAt: number })[] = [];
  for (const call of calls) {
    const p = activePartyOf(call, dn);
    if (!p) continue;
    out.push({
      createdAt: call.createdAt,
      connId: call.connId,
      partyState: p.state,
      otherDn: otherDnOf(call, dn),
      callType: call.callType,
      userData: { ...call.userData },
    });
  }
  out.sort((a, b) => a.createdAt - b.createdAt || a.connId.localeCompare(b.connId));
  return out.map(({ createdAt: _, ...view }) => view);
}

/** T-Library's CallState for a call that ended with this SIP status. */
export function callStateOfStatus(status: number): CtiCallState {
  if (status === 486 || status === 600 || status === 603) return 'Busy';
  if (status === 408 || status === 480 || status === 487) return status === 487 ? 'Ok' : 'NoAnswer';
  return 'Rejected';
}
