/**
 * The management layer's messages (SPEC S1, S4.1, S4.5), carried on authenticated links (src/ha/link):
 *   SIP Server --(protocol 'lca-app')--> its host's LCA --(protocol 'scs')--> the SCS.
 * The SCS decides the mode of each server; the LCA relays, starts and stops server processes, notices their
 * death at once (child exit or lost link), and runs only configured scripts.
 */

export type ExecutionMode = 'Primary' | 'Backup' | 'Exiting';

export type AppStatus = 'Initializing' | 'Running' | 'ServiceUnavailable' | 'Stopping' | 'Stopped';

/** What a server says of its readiness (SPEC S4.6), relayed to the SCS for double-failure detection. */
export interface Readiness {
  haLink: 'none' | 'connecting' | 'established';
  callsPendingSync: number;
  readyForSwitchover: 0 | 1;
  readyForUpgrade: 0 | 1;
  calls: number;
}

// ---- SIP Server <-> LCA ('lca-app') ------------------------------------------------------------------------

export type ServerToLca =
  /** First message after the link opens. */
  | { type: 'register'; app: string; pid: number }
  /** On every change of status or mode, and at least every few seconds (readiness changes). */
  | { type: 'status'; app: string; status: AppStatus; mode: ExecutionMode | null; readiness: Readiness }
  /** A log event of level Standard or Alarm, for alarm conditions at the SCS (SPEC S7). */
  | { type: 'log-event'; app: string; id: string; params: Record<string, unknown>; time: number }
  /**
   * Runs a configured Virtual IP script (SPEC S6.1) on `host`: this LCA's own host, or another one (the peer's
   * down script, control-remote-vip-scripts), relayed through the SCS. Answered by a `script-result`.
   */
  | { type: 'run-script'; requestId: string; script: string; host: string };

/** The outcome of a script run, as the LCA that ran it tells it. */
export interface ScriptOutcome {
  /** null when the script did not exit by itself (killed on timeout, refused, or could not be reached). */
  exitCode: number | null;
  timedOut: boolean;
  output: string;
}

export type LcaToServer =
  /** The SCS's decision. The server switches, then reports its new mode in a status message. */
  | { type: 'set-mode'; mode: ExecutionMode; reason: string }
  /** Stop the process cleanly (it reports Stopping, then exits). */
  | { type: 'stop'; reason: string }
  /** The answer to the server's `run-script`. */
  | ({ type: 'script-result'; requestId: string; script: string } & ScriptOutcome);

// ---- LCA <-> SCS ('scs') -----------------------------------------------------------------------------------

export interface AppReport {
  app: string;
  /** The process exists (started by this LCA or registered with it). */
  process: 'running' | 'exited' | 'not-started';
  pid: number | null;
  /** Exit code or signal of the last exit, for the log. */
  lastExit: string | null;
  /** Last status the server itself reported (null until it registers). */
  status: AppStatus | null;
  mode: ExecutionMode | null;
  readiness: Readiness | null;
}

export type LcaToScs =
  /** First message: which host this LCA is, and what it knows of every application of the host. */
  | { type: 'host'; host: string; apps: AppReport[] }
  /** Whenever anything of an application changes (its process exits, its status or mode changes). */
  | { type: 'app'; report: AppReport }
  | { type: 'log-event'; app: string; id: string; params: Record<string, unknown>; time: number }
  | {
      type: 'script-result';
      requestId: string;
      script: string;
      exitCode: number | null;
      timedOut: boolean;
      output: string;
    }
  /** A server of this host asks for a script of another host (its peer's down script): the SCS relays it. */
  | { type: 'relay-script'; requestId: string; app: string; script: string; host: string };

export type ScsToLca =
  | { type: 'start-app'; app: string; mode: ExecutionMode | null }
  | { type: 'stop-app'; app: string; reason: string }
  | { type: 'set-mode'; app: string; mode: ExecutionMode; reason: string }
  /** Runs a configured script application of this host (issue: VIP, alarms); nothing else can be run. */
  | { type: 'run-script'; requestId: string; script: string }
  /** The answer to a `relay-script` of this LCA (requestId is the LCA's own). */
  | ({ type: 'script-result'; requestId: string; script: string } & ScriptOutcome);
