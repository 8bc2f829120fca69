/** A server under test, as the measurements see it: where to send SIP, and which process tree to measure. */
import type { Managed } from './children.ts';

export type TargetName = 'duet' | 'kamailio';

export interface RunningServer {
  target: TargetName;
  host: string;
  sipPort: number;
  /** The process whose tree is measured (Kamailio's main process; Duet's node process). */
  managed: Managed;
}
