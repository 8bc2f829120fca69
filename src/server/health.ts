/**
 * Whether this server can give service (SPEC S5, S6.2): each monitor (SIP NIC, T-Library NIC, Virtual IP,
 * sip-pass-check, trunk/MSML OOS, the backup initialization checks) holds one named condition; the server
 * reports ServiceUnavailable to LCA/SCS while any condition fails, and Running again when all pass.
 */
export interface HealthProblem {
  /** The monitor's name, e.g. "sip-nic", "vip", "sip-pass-check". */
  condition: string;
  reason: string;
}

export class ServiceHealth {
  private readonly failing = new Map<string, string>();
  private readonly listeners = new Set<() => void>();

  /** Sets a condition: ok clears it; otherwise it fails with `reason`. Listeners hear only real changes. */
  set(condition: string, ok: boolean, reason = ''): void {
    const before = this.failing.get(condition);
    if (ok) {
      if (before === undefined) return;
      this.failing.delete(condition);
    } else {
      if (before === reason) return;
      this.failing.set(condition, reason);
    }
    for (const l of this.listeners) l();
  }

  /** The failing conditions, oldest first; empty when the server can give service. */
  problems(): HealthProblem[] {
    return [...this.failing].map(([condition, reason]) => ({ condition, reason }));
  }

  get ok(): boolean {
    return this.failing.size === 0;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
