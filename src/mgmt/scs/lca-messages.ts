/**
 * Reading what an LCA sends the SCS (src/mgmt/protocol.ts, LcaToScs). A link is authenticated, but a message
 * is still checked field by field before it reaches a decision (SPEC S8.1): a malformed one is named in the
 * log and changes nothing.
 */
import type { LinkMessage } from '../../ha/link/types.ts';
import type { AppReport, AppStatus, ExecutionMode, LcaToScs, Readiness } from '../protocol.ts';

const processStates: readonly AppReport['process'][] = ['running', 'exited', 'not-started'];
const statuses: readonly AppStatus[] = [
  'Initializing',
  'Running',
  'ServiceUnavailable',
  'Stopping',
  'Stopped',
];
const modes: readonly ExecutionMode[] = ['Primary', 'Backup', 'Exiting'];

/** The message, or a sentence saying what is wrong with it. */
export function parseLcaMessage(msg: LinkMessage): LcaToScs | string {
  switch (msg.type) {
    case 'host': {
      if (typeof msg.host !== 'string' || msg.host === '') return 'host: "host" must be a non-empty string';
      if (!Array.isArray(msg.apps)) return 'host: "apps" must be a list';
      const apps: AppReport[] = [];
      for (const [i, a] of msg.apps.entries()) {
        const r = parseAppReport(a);
        if (typeof r === 'string') return `host: apps[${i}]: ${r}`;
        apps.push(r);
      }
      return { type: 'host', host: msg.host, apps };
    }
    case 'app': {
      const r = parseAppReport(msg.report);
      return typeof r === 'string' ? `app: ${r}` : { type: 'app', report: r };
    }
    case 'log-event': {
      if (typeof msg.app !== 'string' || typeof msg.id !== 'string')
        return 'log-event: "app" and "id" must be strings';
      if (!/^\d{2}-\d{5}$/.test(msg.id)) return `log-event: "${msg.id}" is not an event ID (NN-NNNNN)`;
      const params = isObject(msg.params) ? msg.params : {};
      const time = typeof msg.time === 'number' && Number.isFinite(msg.time) ? msg.time : 0;
      return { type: 'log-event', app: msg.app, id: msg.id, params, time };
    }
    case 'script-result': {
      if (typeof msg.requestId !== 'string' || typeof msg.script !== 'string') {
        return 'script-result: "requestId" and "script" must be strings';
      }
      return {
        type: 'script-result',
        requestId: msg.requestId,
        script: msg.script,
        exitCode: typeof msg.exitCode === 'number' ? msg.exitCode : null,
        timedOut: msg.timedOut === true,
        output: typeof msg.output === 'string' ? msg.output : '',
      };
    }
    case 'relay-script': {
      const { requestId, app, script, host } = msg;
      if (
        typeof requestId !== 'string' ||
        typeof app !== 'string' ||
        typeof script !== 'string' ||
        typeof host !== 'string'
      ) {
        return 'relay-script: "requestId", "app", "script" and "host" must be strings';
      }
      return { type: 'relay-script', requestId, app, script, host };
    }
    default:
      return `unknown message type "${String(msg.type)}"`;
  }
}

export function parseAppReport(v: unknown): AppReport | string {
  if (!isObject(v)) return 'a report must be an object';
  if (typeof v.app !== 'string' || v.app === '') return '"app" must be a non-empty string';
  if (!processStates.includes(v.process as AppReport['process'])) {
    return `"process" must be one of ${processStates.join(', ')}`;
  }
  if (v.pid !== null && v.pid !== undefined && !(Number.isInteger(v.pid) && (v.pid as number) >= 0)) {
    return '"pid" must be a process id or null';
  }
  if (v.status != null && !statuses.includes(v.status as AppStatus))
    return `unknown status "${String(v.status)}"`;
  if (v.mode != null && !modes.includes(v.mode as ExecutionMode)) return `unknown mode "${String(v.mode)}"`;
  let readiness: Readiness | null = null;
  if (v.readiness != null) {
    const r = parseReadiness(v.readiness);
    if (typeof r === 'string') return `readiness: ${r}`;
    readiness = r;
  }
  return {
    app: v.app,
    process: v.process as AppReport['process'],
    pid: typeof v.pid === 'number' ? v.pid : null,
    lastExit: typeof v.lastExit === 'string' ? v.lastExit : null,
    status: (v.status ?? null) as AppStatus | null,
    mode: (v.mode ?? null) as ExecutionMode | null,
    readiness,
  };
}

function parseReadiness(v: unknown): Readiness | string {
  if (!isObject(v)) return 'must be an object';
  const links: readonly Readiness['haLink'][] = ['none', 'connecting', 'established'];
  if (!links.includes(v.haLink as Readiness['haLink'])) return `unknown haLink "${String(v.haLink)}"`;
  for (const k of ['callsPendingSync', 'calls'] as const) {
    if (!Number.isInteger(v[k]) || (v[k] as number) < 0) return `"${k}" must be a count`;
  }
  for (const k of ['readyForSwitchover', 'readyForUpgrade'] as const) {
    if (v[k] !== 0 && v[k] !== 1) return `"${k}" must be 0 or 1`;
  }
  return {
    haLink: v.haLink as Readiness['haLink'],
    callsPendingSync: v.callsPendingSync as number,
    readyForSwitchover: v.readyForSwitchover as 0 | 1,
    readyForUpgrade: v.readyForUpgrade as 0 | 1,
    calls: v.calls as number,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
