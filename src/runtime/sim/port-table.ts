/**
 * Which ports a node has bound, per protocol. A wildcard bind ("0.0.0.0" or "::") takes the port on every
 * one of the node's addresses, as on a real host, so it conflicts with any specific bind of that port.
 */
export const ANY_HOST = '*';

export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

export class PortTable<T> {
  private readonly ports = new Map<number, Map<string, T>>();

  isFree(hostKey: string, port: number): boolean {
    const m = this.ports.get(port);
    if (m === undefined || m.size === 0) return true;
    if (hostKey === ANY_HOST) return false;
    return !m.has(hostKey) && !m.has(ANY_HOST);
  }

  /** Any binding at all on this port (for choosing ephemeral ports). */
  isPortUsed(port: number): boolean {
    return (this.ports.get(port)?.size ?? 0) > 0;
  }

  add(hostKey: string, port: number, value: T): void {
    let m = this.ports.get(port);
    if (m === undefined) this.ports.set(port, (m = new Map()));
    m.set(hostKey, value);
  }

  remove(hostKey: string, port: number, value: T): void {
    const m = this.ports.get(port);
    if (m?.get(hostKey) !== value) return;
    m.delete(hostKey);
    if (m.size === 0) this.ports.delete(port);
  }

  /** The binding that receives traffic for host:port: the exact address first, then a wildcard. */
  lookup(host: string, port: number): T | undefined {
    const m = this.ports.get(port);
    return m?.get(host) ?? m?.get(ANY_HOST);
  }
}
