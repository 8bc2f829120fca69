/**
 * Readiness for switchover and upgrade (SPEC S4.6, seed 004), exactly as the seed states it:
 * - the primary is ready for switchover when the HA connection is established, 60 seconds have passed since,
 *   all non-multisite calls are synchronized, and all multisite calls that existed before the HA connection was
 *   established are finished;
 * - the backup is ready for switchover when the HA connection is established and all calls are synchronized;
 * - ready for upgrade: a primary never, a backup always.
 */
import type { Role } from '../server/role-gate.ts';

export const READINESS_DELAY_MS = 60_000;

export interface ReadinessInput {
  role: Role;
  linkEstablishedAt: number | null;
  now: number;
  /** Calls the backup does not have yet (announced by the resync, minus those sent). */
  callsPendingSync: number;
  /** Multisite calls that existed when the link came up and still exist. */
  preexistingMultisiteCalls: number;
}

export interface ReadinessState {
  haLink: 'none' | 'connecting' | 'established';
  callsPendingSync: number;
  readyForSwitchover: 0 | 1;
  readyForUpgrade: 0 | 1;
}

export function readiness(
  input: ReadinessInput,
  linkState: 'none' | 'connecting' | 'established',
): ReadinessState {
  const established = linkState === 'established' && input.linkEstablishedAt !== null;
  let ready = false;
  if (established && input.callsPendingSync === 0) {
    ready =
      input.role === 'Backup' ||
      (input.now - input.linkEstablishedAt! >= READINESS_DELAY_MS && input.preexistingMultisiteCalls === 0);
  }
  return {
    haLink: linkState,
    callsPendingSync: input.callsPendingSync,
    readyForSwitchover: ready ? 1 : 0,
    readyForUpgrade: input.role === 'Backup' ? 1 : 0,
  };
}
