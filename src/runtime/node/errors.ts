/**
 * Node's socket errors turned into NetErrors whose message says what went wrong and what to do about it.
 */
import { type Address, formatAddress, type NetError, netError } from '../net.ts';

const ADVICE: Record<string, string> = {
  EADDRINUSE:
    'address already in use: another socket or process holds this port; stop it or configure another port',
  EADDRNOTAVAIL:
    'address not available: the IP is not configured on any interface of this host; check the address',
  EACCES: 'permission denied: ports below 1024 need privileges (CAP_NET_BIND_SERVICE); use a higher port',
  ECONNREFUSED: 'connection refused: nothing listens on that address and port',
  ECONNRESET: 'connection reset by the peer',
  ETIMEDOUT: 'timed out: the peer did not answer',
  EHOSTUNREACH: 'host unreachable: no route to that address',
  ENETUNREACH: 'network unreachable: no route to that network',
  EPIPE: 'broken pipe: the peer closed the connection',
  EAFNOSUPPORT: 'address family not supported: IPv4 and IPv6 addresses were mixed on one socket',
};

/** Maps an error from node:dgram / node:net to a NetError; `action` says what we were doing ("UDP bind"). */
export function toNetError(err: unknown, action: string, address?: Address): NetError {
  const code = errorCode(err);
  const where = address ? ` ${formatAddress(address)}` : '';
  const advice = ADVICE[code] ?? (err instanceof Error ? err.message : String(err));
  return netError(code, `${action}${where} failed: ${advice} (${code})`);
}

function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return 'EIO';
}

/**
 * A dual-stack IPv6 socket reports IPv4 peers as "::ffff:a.b.c.d"; SIP compares addresses as text (Via
 * received, trunk matching by source), so the plain IPv4 form is what the layers above must see.
 */
export function plainHost(host: string): string {
  const m = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(host);
  return m ? m[1]! : host;
}
