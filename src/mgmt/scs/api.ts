/**
 * The SCS's management API and status page (SPEC S7, S8.4) on `scs.port`: a node:http adapter around Scs.
 *
 *   GET  /                       the status page (HTML)
 *   GET  /api/status             ScsStatus as JSON
 *   POST /api/switchover         {pair?, whenReady?}  -> 202 {ok, pair, from, to, waitingForReadiness}
 *   POST /api/switchover/cancel  {pair?}              cancels a switchover still waiting for readiness
 *   GET  /api/alarms             {alarms, cleared}: raised alarms, and the last cleared ones (SPEC S7)
 *   POST /api/alarms/ID/clear    clears alarm ID by hand -> 200 {ok, alarm}; 404 for an unknown or cleared ID
 *   GET  /healthz                {"status":"ok"}
 *
 * Anything that changes state needs `Authorization: Bearer <scs.token>`: 401 without it or with a wrong one;
 * 403 when no token is configured (the API is then read-only). 404 for an unknown pair, 409 when the pair
 * cannot switch over now (a switchover in progress, no Running backup), 400 for a body that is not
 * {pair, whenReady}. `pair` may be left out when there is exactly one pair. Refusals are logged (10-60008).
 * Bad input never takes it down (S8.1).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startJsonHttpServer } from '../../server/http/json-http-server.ts';
import type { ScsStatus, SwitchoverResult } from './status.ts';
import { renderStatusPage } from './status-page.ts';

/** What the API needs of the SCS (the Scs class; a fake in tests). */
export interface ScsBackend {
  status(): ScsStatus;
  requestSwitchover(pair: string, options: { whenReady: boolean }, source: string): SwitchoverResult;
  cancelSwitchover(pair: string, source: string): SwitchoverResult;
  refused(action: string, source: string, reason: string): void;
  clearAlarm(id: string, source: string): { ok: true } | { ok: false; reason: string };
}

export interface ScsApiOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  backend: ScsBackend;
  /** The current `scs.token` (read per request: a reload takes effect at once); undefined = read-only. */
  token: () => string | undefined;
  /** Called once: with nothing when listening, or with the error (EADDRINUSE…). */
  onReady(err?: Error): void;
}

export interface ScsApi {
  close(): Promise<void>;
  /** The port listened on; 0 before listening. */
  port(): number;
}

const MAX_BODY = 16 * 1024;

export function startScsApi(options: ScsApiOptions): ScsApi {
  return startJsonHttpServer({
    host: options.host,
    port: options.port,
    handle: (req, res) => handle(req, res, options),
    onHandlerError: (res, err) =>
      send(res, 500, { error: `internal error: ${err instanceof Error ? err.message : String(err)}` }),
    onReady: options.onReady,
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, o: ScsApiOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://scs');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const routes: Record<string, string> = {
    '/': 'GET',
    '/api/status': 'GET',
    '/healthz': 'GET',
    '/api/switchover': 'POST',
    '/api/switchover/cancel': 'POST',
    '/api/alarms': 'GET',
  };
  const alarmClear = /^\/api\/alarms\/([^/]+)\/clear$/.exec(path);
  const allowed = alarmClear ? 'POST' : routes[path];
  if (allowed === undefined) {
    send(res, 404, {
      error: `no such path ${path}; try /, /api/status, /api/switchover, /api/alarms, /healthz`,
    });
    return;
  }
  if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) {
    res.setHeader('Allow', allowed === 'GET' ? 'GET, HEAD' : 'POST');
    send(res, 405, { error: `${method} is not allowed on ${path}; use ${allowed}` });
    return;
  }
  if (path === '/healthz') return send(res, 200, { status: 'ok' });
  if (path === '/api/status') return send(res, 200, statusOf(o));
  if (path === '/api/alarms') {
    const st = o.backend.status();
    return send(res, 200, { alarms: st.alarms, cleared: st.alarmsCleared });
  }
  if (path === '/') {
    const html = renderStatusPage(statusOf(o));
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html),
      'Cache-Control': 'no-store',
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'",
    });
    res.end(req.method === 'HEAD' ? undefined : html);
    return;
  }

  // State-changing requests.
  if (alarmClear) {
    const id = decodeURIComponent(alarmClear[1]!);
    const source = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const denied = authorize(req, o.token());
    if (denied) {
      o.backend.refused(`clear alarm ${id}`, source, denied.reason);
      if (denied.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="duet"');
      send(res, denied.status, { error: denied.reason });
      return;
    }
    for await (const _ of req) {
      // The body, if any, says nothing: drained so that the answer can be sent.
    }
    const r = o.backend.clearAlarm(id, `API ${source}`);
    if (r.ok) return send(res, 200, { ok: true, alarm: id });
    return send(res, 404, { error: r.reason });
  }
  const cancel = path === '/api/switchover/cancel';
  const action = cancel ? 'switchover cancel' : 'switchover';
  const source = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
  const denied = authorize(req, o.token());
  if (denied) {
    o.backend.refused(action, source, denied.reason);
    if (denied.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="duet"');
    send(res, denied.status, { error: denied.reason });
    return;
  }
  const body = await readBody(req);
  if (typeof body === 'string') return send(res, body === 'too large' ? 413 : 400, { error: body });
  const pairs = o.backend.status().pairs.map((p) => p.pair);
  let pair = body.pair;
  if (pair === undefined) {
    if (pairs.length !== 1) {
      return send(res, 400, {
        error: `name the pair ("pair"): one of ${pairs.join(', ') || 'none configured'}`,
      });
    }
    pair = pairs[0]!;
  }
  if (typeof pair !== 'string') return send(res, 400, { error: '"pair" must be a string' });
  const whenReady = body.whenReady ?? false;
  if (typeof whenReady !== 'boolean') return send(res, 400, { error: '"whenReady" must be true or false' });
  const result = cancel
    ? o.backend.cancelSwitchover(pair, source)
    : o.backend.requestSwitchover(pair, { whenReady }, source);
  if (result.ok) return send(res, 202, result);
  if (result.code === 'unknown-pair') return send(res, 404, { error: result.reason });
  o.backend.refused(`${action} of ${pair}`, source, result.reason);
  send(res, 409, { error: result.reason });
}

function statusOf(o: ScsApiOptions): ScsStatus {
  return { ...o.backend.status(), readOnly: o.token() === undefined };
}

function authorize(
  req: IncomingMessage,
  token: string | undefined,
): { status: 401 | 403; reason: string } | null {
  if (token === undefined) {
    return {
      status: 403,
      reason: 'read-only: no scs.token is configured, so state-changing requests are refused',
    };
  }
  const header = req.headers.authorization;
  const m = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  if (!m) return { status: 401, reason: 'an Authorization: Bearer <scs.token> header is required' };
  // Compared as digests: equal length, constant time, whatever was sent.
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(token).digest();
  if (!timingSafeEqual(a, b)) return { status: 401, reason: 'wrong token' };
  return null;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | string> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even when too large (discarding), so that the answer can still be sent on the socket.
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size <= MAX_BODY) chunks.push(b);
  }
  if (size > MAX_BODY) return 'too large';
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'the body is not JSON; send {"pair": NAME, "whenReady": false}';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the body must be a JSON object';
  return v as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
