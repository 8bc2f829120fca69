/**
 * The role gate of a server in an HA pair (DESIGN §2, SPEC S4.1): the server's role as the SCS last set it.
 * A server in a pair starts as Backup (it acts on nothing) until told otherwise.
 */
import type { Role, RoleGate } from '../server/role-gate.ts';

export class HaGate implements RoleGate {
  private current: Role;
  private readonly listeners = new Set<(role: Role) => void>();

  constructor(initial: Role = 'Backup') {
    this.current = initial;
  }

  get role(): Role {
    return this.current;
  }

  mayAct(): boolean {
    return this.current === 'Primary';
  }

  /** Changes the role and tells every listener (the server opens or closes its port, arms or stops timers). */
  set(role: Role): void {
    if (role === this.current) return;
    this.current = role;
    for (const l of [...this.listeners]) l(role);
  }

  onChange(listener: (role: Role) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
