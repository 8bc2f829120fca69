/**
 * Agent state decisions (SPEC S3, issue 5 item 2): login with agent ID and work mode, ready, not ready with
 * reasons, after-call work, logout; one agent per DN and one DN per agent. Pure functions of the replicated
 * store and the config: each returns the new AgentState to commit (one AgentStateChanged record) or why the
 * request is refused. The CTI server commits, and only while the gate allows.
 */
import type { Config } from '../../config/config.ts';
import type { AgentState } from '../../model/agent.ts';
import type { Store } from '../../model/store/store.ts';
import type { AgentFields, AgentWorkMode, CtiErrorCode, CtiEvent, KeyValue } from './protocol.ts';
import { CtiErrorCodes } from './protocol.ts';

export type AgentDecision =
  | { ok: true; state: AgentState }
  | { ok: false; code: CtiErrorCode; message: string };

/** DN types an agent can log in on: the phones (a Routing Point or a Trunk has no agent). */
export const agentDnTypes: readonly string[] = ['Extension', 'ACD Position'];

/** The agent logged in on a DN, if any. */
export function agentOnDn(store: Store, dn: string): Readonly<AgentState> | undefined {
  for (const a of store.agents()) if (a.dn === dn && a.status !== 'LoggedOut') return a;
  return undefined;
}

const refuse = (code: CtiErrorCode, message: string): AgentDecision => ({ ok: false, code, message });

export function decideLogin(
  store: Store,
  config: Config,
  dn: string,
  agentId: string,
  password: string | undefined,
  workMode: AgentWorkMode | undefined,
  now: number,
): AgentDecision {
  const dnConfig = config.dns[dn];
  if (!dnConfig || !agentDnTypes.includes(dnConfig.type)) {
    return refuse(
      CtiErrorCodes.InvalidDn,
      `DN ${dn} is ${dnConfig ? `a ${dnConfig.type}` : 'not in the config'}: agents log in on an Extension or an ACD Position`,
    );
  }
  const agent = config.agents[agentId];
  if (!agent) return refuse(CtiErrorCodes.AgentLoginRefused, `agent ${agentId} is not in the config`);
  if (agent.password !== undefined && agent.password !== password) {
    return refuse(CtiErrorCodes.AgentLoginRefused, `wrong password for agent ${agentId}`);
  }
  const current = store.agent(agentId);
  if (current && current.status !== 'LoggedOut') {
    return current.dn === dn
      ? refuse(CtiErrorCodes.InvalidState, `agent ${agentId} is already logged in on DN ${dn}`)
      : refuse(CtiErrorCodes.AgentLoginRefused, `agent ${agentId} is already logged in on DN ${current.dn}`);
  }
  const other = agentOnDn(store, dn);
  if (other) {
    return refuse(CtiErrorCodes.AgentLoginRefused, `DN ${dn} already has agent ${other.agentId} logged in`);
  }
  const mode = workMode ?? 'ManualIn';
  return {
    ok: true,
    state: {
      agentId,
      dn,
      status: mode === 'AutoIn' ? 'Ready' : 'NotReady',
      workMode: mode,
      reason: null,
      since: now,
    },
  };
}

function loggedIn(store: Store, dn: string): Readonly<AgentState> | AgentDecision {
  const agent = agentOnDn(store, dn);
  return agent ?? refuse(CtiErrorCodes.AgentNotLoggedIn, `no agent is logged in on DN ${dn}`);
}

const isDecision = (x: Readonly<AgentState> | AgentDecision): x is AgentDecision => 'ok' in x;

export function decideReady(
  store: Store,
  dn: string,
  workMode: AgentWorkMode | undefined,
  now: number,
): AgentDecision {
  const agent = loggedIn(store, dn);
  if (isDecision(agent)) return agent;
  const mode = workMode !== undefined && workMode !== 'AfterCallWork' ? workMode : 'ManualIn';
  return {
    ok: true,
    state: { agentId: agent.agentId, dn, status: 'Ready', workMode: mode, reason: null, since: now },
  };
}

export function decideNotReady(
  store: Store,
  dn: string,
  workMode: AgentWorkMode | undefined,
  reasons: KeyValue | undefined,
  now: number,
): AgentDecision {
  const agent = loggedIn(store, dn);
  if (isDecision(agent)) return agent;
  const acw = workMode === 'AfterCallWork';
  const reasonValues = reasons ? Object.values(reasons) : [];
  const state: AgentState = {
    agentId: agent.agentId,
    dn,
    status: acw ? 'AfterCallWork' : 'NotReady',
    workMode: workMode ?? 'Unknown',
    reason: reasonValues.length > 0 ? reasonValues.join(', ') : acw ? 'after-call work' : null,
    since: now,
  };
  if (reasons && Object.keys(reasons).length > 0) state.reasons = { ...reasons };
  return { ok: true, state };
}

export function decideLogout(store: Store, dn: string, now: number): AgentDecision {
  const agent = loggedIn(store, dn);
  if (isDecision(agent)) return agent;
  return {
    ok: true,
    state: { agentId: agent.agentId, dn, status: 'LoggedOut', workMode: null, reason: null, since: now },
  };
}

/** The work mode as T-Library names it (AgentWorkMode), from a stored state. */
export function workModeOf(a: Readonly<AgentState>): AgentWorkMode {
  if (a.status === 'AfterCallWork') return 'AfterCallWork';
  const m = a.workMode;
  return m === 'ManualIn' || m === 'AutoIn' || m === 'AfterCallWork' ? m : 'Unknown';
}

type AgentEventName = 'EventAgentLogin' | 'EventAgentLogout' | 'EventAgentReady' | 'EventAgentNotReady';

/** The agent event for a state (what a client is told after a change, or on promotion). */
export function agentEvent(name: AgentEventName, a: Readonly<AgentState>): CtiEvent {
  const ev: AgentFields & { message: AgentEventName } = {
    message: name,
    ThisDN: a.dn,
    AgentID: a.agentId,
    AgentWorkMode: workModeOf(a),
  };
  if (a.reasons) ev.Reasons = { ...a.reasons };
  return ev;
}

/** The event that tells a state's status: Ready, or NotReady (after-call work included). */
export function statusEvent(a: Readonly<AgentState>): CtiEvent {
  return agentEvent(a.status === 'Ready' ? 'EventAgentReady' : 'EventAgentNotReady', a);
}
