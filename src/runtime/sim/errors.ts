/**
 * The NetErrors the simulated network produces, with the same codes (and as actionable messages) as the
 * Node adapter, so code under test handles them the same way.
 */
import { type Address, formatAddress, type NetError, netError } from '../net.ts';

export type SimNetErrorCode =
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'EHOSTUNREACH';

const WHY: Record<SimNetErrorCode, string> = {
  EADDRINUSE: 'address already in use on this node; close the other socket or pick another port',
  EADDRNOTAVAIL: "address not available: the host is not one of this node's addresses (see sim.addNode)",
  ECONNREFUSED: 'connection refused: nothing listens on that address and port',
  ECONNRESET: 'connection reset by the peer',
  ETIMEDOUT: 'timed out: the peer is unreachable (network partition)',
  EHOSTUNREACH: 'host unreachable: no simulated node owns that address',
};

export function simNetError(code: SimNetErrorCode, action: string, address: Address): NetError {
  return netError(code, `${action} ${formatAddress(address)} failed: ${WHY[code]} (${code})`);
}

/** A crashed node's clock and net refuse to work until restart(): the process is gone. */
export class SimNodeDownError extends Error {
  constructor(
    readonly node: string,
    action: string,
  ) {
    super(`node "${node}" has crashed: cannot ${action}; call restart() and re-create its components first`);
    this.name = 'SimNodeDownError';
  }
}
