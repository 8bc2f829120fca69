/** An agent's state on a DN (S3): logged in, ready / not ready with a reason, after-call work. */
export type AgentStatus = 'LoggedOut' | 'NotReady' | 'Ready' | 'AfterCallWork';

export interface AgentState {
  agentId: string;
  dn: string;
  status: AgentStatus;
  workMode: string | null;
  reason: string | null;
  since: number;
}
