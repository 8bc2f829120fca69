/**
 * The management API's client, used by `duet status` and `duet switchover` (a Node adapter: global fetch).
 * Errors say what to check: the SCS address, whether `duet scs` (or `duet up`) runs.
 */
import type { Config } from '../../config/config.ts';
import type { AlarmView } from './alarms.ts';
import type { ScsStatus } from './status.ts';

/** http://ADDRESS:PORT of the SCS of a configuration (the scs host's address, scs.port). */
export function scsBaseUrl(config: Config): string {
  const host = config.hosts[config.scs.host];
  const address = host?.address ?? '127.0.0.1';
  const h = address.includes(':') ? `[${address}]` : address;
  return `http://${h}:${config.scs.port}`;
}

export class ScsUnreachableError extends Error {
  override name = 'ScsUnreachableError';
}

export async function fetchStatus(base: string, timeoutMs = 5000): Promise<ScsStatus> {
  let res: Response;
  try {
    res = await fetch(`${base}/api/status`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new ScsUnreachableError(
      `cannot reach the SCS at ${base} (${causeOf(e)}); is "duet scs" (or "duet up") running?`,
    );
  }
  if (res.status !== 200) throw new ScsUnreachableError(`${base}/api/status answered ${res.status}`);
  return (await res.json()) as ScsStatus;
}

export interface PostAnswer {
  status: number;
  body: Record<string, unknown>;
}

export async function postJson(
  base: string,
  path: string,
  body: unknown,
  token: string | undefined,
  timeoutMs = 5000,
): Promise<PostAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new ScsUnreachableError(
      `cannot reach the SCS at ${base} (${causeOf(e)}); is "duet scs" (or "duet up") running?`,
    );
  }
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { error: text };
  }
  return { status: res.status, body: parsed };
}

function causeOf(e: unknown): string {
  const err = e as { cause?: { code?: string; message?: string }; message?: string; name?: string };
  if (err?.name === 'TimeoutError') return 'no answer';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}

/** GET /api/alarms: the raised alarms and the last cleared ones. */
export async function fetchAlarms(
  base: string,
  timeoutMs = 5000,
): Promise<{ alarms: AlarmView[]; cleared: AlarmView[] }> {
  let res: Response;
  try {
    res = await fetch(`${base}/api/alarms`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new ScsUnreachableError(
      `cannot reach the SCS at ${base} (${causeOf(e)}); is "duet scs" (or "duet up") running?`,
    );
  }
  if (res.status !== 200) throw new ScsUnreachableError(`${base}/api/alarms answered ${res.status}`);
  return (await res.json()) as { alarms: AlarmView[]; cleared: AlarmView[] };
}
