/**
 * What the SCS tells about the system (GET /api/status): every pair with its servers, every host with its
 * LCA link, and the recent events. Plain JSON, read by `duet status`, `duet switchover` and the status page.
 */
import type { AlarmView } from './alarms.ts';
import type { PairView } from './pair-controller.ts';

export interface HostStatus {
  host: string;
  address: string;
  lcaPort: number;
  lcaConnected: boolean;
  /** Since when the LCA link has been in its current state (epoch ms); null before the first attempt ended. */
  since: number | null;
  /** Why the last attempt failed or the link closed, while it is down. */
  lastError: string | null;
}

export interface RecentEvent {
  /** Epoch ms. */
  time: number;
  id: string;
  name: string;
  level: string;
  /** The application that logged it ('SCS' for the SCS's own decisions). */
  app: string;
  text: string;
}

export interface ScsStatus {
  /** Epoch ms at which the status was taken. */
  time: number;
  pairs: PairView[];
  hosts: HostStatus[];
  /** Newest last. */
  events: RecentEvent[];
  /** Whether the API accepts state-changing requests (a token is configured). */
  readOnly: boolean;
  /** Raised alarms, oldest first (SPEC S7). */
  alarms: AlarmView[];
  /** The last cleared alarms, newest last. */
  alarmsCleared: AlarmView[];
}

export type SwitchoverResult =
  | { ok: true; pair: string; from: string; to: string; waitingForReadiness: boolean }
  | { ok: false; pair: string; code: 'unknown-pair' | 'conflict'; reason: string };
