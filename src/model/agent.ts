/** An agent's state on a DN (S3): logged in, ready / not ready with a reason, after-call work. */
export type AgentStatus = 'LoggedOut' | 'NotReady' | 'Ready' | 'AfterCallWork';

export interface AgentState {
  agentId: string;
  dn: string;
  status: AgentStatus;
  workMode: string | null;
  /** A summary of the not-ready reason (the Reasons values joined), null when ready or logged out. */
  reason: string | null;
  /** The not-ready reasons as the client gave them (T-Library Reasons), when any. */
  reasons?: Record<string, string>;
  since: number;
}
