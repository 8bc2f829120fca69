/**
 * The contract between the transport (sip/transport) and the layers above it (transaction, dialog, server).
 */
import type { Address, NetError } from '../../runtime/net.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';

export type TransportProtocol = 'UDP' | 'TCP';

/** Where to send a request: the next hop, already resolved to an address (no DNS in the core). */
export interface Destination {
  transport: TransportProtocol;
  host: string;
  port: number;
}

/** Where a received message came from; kept by a server transaction to send its responses back. */
export interface Inbound {
  transport: TransportProtocol;
  /** The packet's source address (for RFC 3581 received/rport). */
  source: Address;
  /** The local address it arrived on. */
  local: Address;
  /** Stream transports: the connection it arrived on, so that responses reuse it (RFC 3261 §18.2.2). */
  connectionId?: number;
}

/** What the transaction layer needs from a transport. */
export interface SipSender {
  /** Sends a request; a failure to send (connection refused, reset) is reported through onError, later. */
  sendRequest(req: SipRequest, dest: Destination, onError?: (err: NetError) => void): void;
  /** Sends a response per its top Via (received/rport, RFC 3581) or back over the inbound connection. */
  sendResponse(res: SipResponse, inbound: Inbound, onError?: (err: NetError) => void): void;
}

export function isReliable(t: TransportProtocol): boolean {
  return t !== 'UDP';
}
