/**
 * A call: the parties a contact center sees and the SIP legs that carry it, identified by a ConnID
 * (16 hex digits, SPEC S2.5) that is the same on both servers of the pair.
 *
 * Timers live here as absolute deadlines (DESIGN §2): the primary arms a timer from each deadline; the
 * backup only stores them, and arms them from the synced deadline when it is promoted (a parked call still
 * reaches its default DN on time).
 */
import type { Random } from '../../runtime/random.ts';
import type { Leg } from './leg.ts';
import type { Party } from './party.ts';

export type ConnID = string;

export type CallType = 'Internal' | 'Inbound' | 'Outbound';

/**
 * dialing: the caller's INVITE is being routed; ringing: a destination alerts; parked: held on a Routing Point
 * waiting for a route; established: answered; released: over (removed from the store right after).
 */
export type CallState = 'dialing' | 'ringing' | 'parked' | 'established' | 'released';

export type DeadlineKind = 'router-timeout' | 'no-answer';

export interface Deadline {
  kind: DeadlineKind;
  /** Clock time, ms. */
  at: number;
}

export interface Call {
  connId: ConnID;
  state: CallState;
  callType: CallType;
  /** The DN that originated the call (an Extension, or the Trunk DN of an inbound call). */
  origin: string;
  /** The digits dialed (the caller's Request-URI user part). */
  dialed: string;
  parties: Party[];
  legs: Leg[];
  deadline: Deadline | null;
  userData: Record<string, string>;
  /** A call over a trunk with `multisite: true` (readiness, SPEC S4.6). */
  multisite: boolean;
  createdAt: number;
  /** Which outbound trunks were tried (overflow, S2.7), in order. */
  triedTrunks: string[];
  /** A consultation call (RequestInitiateTransfer): the ConnID of the call held for it. */
  consultOf?: ConnID;
}

export function newConnId(random: Random): ConnID {
  return random.hex(16);
}

export function isConnId(s: string): boolean {
  return /^[0-9a-f]{16}$/.test(s);
}
