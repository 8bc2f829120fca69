/**
 * The role gate (DESIGN §2, SPEC S4.1): the one object that answers "may this server act?" — send SIP, probe,
 * fire call timers, emit CTI call events. Every side effect of server/ asks it. A standalone server is always
 * primary; the HA layer (ha/) implements the gate from the role machine.
 */
export type Role = 'Primary' | 'Backup';

export interface RoleGate {
  readonly role: Role;
  /** True only while this server is the primary. */
  mayAct(): boolean;
  /** Called after each role change (promotion: arm timers from deadlines, open the SIP port; demotion: stop). */
  onChange(listener: (role: Role) => void): () => void;
}

/** A server that runs alone: primary from the start, for good. */
export class StandaloneGate implements RoleGate {
  readonly role: Role = 'Primary';

  mayAct(): boolean {
    return true;
  }

  onChange(): () => void {
    return () => {};
  }
}
