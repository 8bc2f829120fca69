/**
 * A registration binding (RFC 3261 §10): a contact URI for a DN's address of record, with an ABSOLUTE expiry
 * time, so that any server holding it (the backup, or a server restarted from its database) expires it on its
 * own at the same moment (SPEC S2.4).
 */
import type { TransportProtocol } from '../sip/transport/types.ts';

export interface Contact {
  /** The DN number the binding is for. */
  aor: string;
  /** The Contact URI as registered. */
  uri: string;
  /** Clock time, ms, at which the binding ends. */
  expiresAt: number;
  /** Call-ID and CSeq of the REGISTER that made it (§10.3 step 7: out-of-order REGISTERs are refused). */
  callId: string;
  cseq: number;
  /** q value, 0-1 (1 when absent). */
  q: number;
  /** Where the REGISTER came from: requests to this contact go there (the phone may be behind NAT). */
  source: { transport: TransportProtocol; host: string; port: number };
  registeredAt: number;
}

export function isExpired(c: Contact, now: number): boolean {
  return c.expiresAt <= now;
}
