/**
 * The HTTP interface of a SIP Server (SPEC S7) on `http-port`: status and statistics as JSON, Prometheus
 * metrics, a health check. It is an I/O adapter (plain node:http, DESIGN §5), so it may use real sockets and
 * timers. It only reads: everything is GET (HEAD too), anything else is 405.
 *
 * Bad input never takes it down (S8.1): a malformed request line or header gets 400 from the client-error
 * handler, a provider that throws gets a 500 naming the path, and every error reaches a response or a closed
 * socket, never the process.
 *
 * A port that cannot be opened (in use, address not yet present) is tried again every `retryMs` (5 s) for as
 * long as the server runs: the first failure of an episode logs 10-10008 and calls onReady(err), the opening
 * logs 10-10009 and calls onReady() (so the backup init check sees the component become ready).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../../log/logger.ts';
import { startJsonHttpServer } from './json-http-server.ts';

/** How often a port that could not be opened is tried again. */
export const HTTP_LISTEN_RETRY_MS = 5_000;

export interface HttpProviders {
  sipServer(): object;
  sipTrunkStatistics(): object;
  sipServiceChecker(): object;
  tLibClientsStatistics(): object;
}

export interface HttpInterfaceOptions {
  host: string;
  /** 0 picks a free port (tests); see port(). */
  port: number;
  providers: HttpProviders;
  metrics: Registry;
  /**
   * With the error (EADDRINUSE, EADDRNOTAVAIL, EACCES) at the first failed attempt of an episode, and with
   * nothing each time the port opens (at once, or after retries).
   */
  onReady(err?: Error): void;
  /** Logs 10-10009 when listening and 10-10008 once per failure episode. */
  logger?: Logger;
  /** Try a port that could not be opened again every retryMs; default HTTP_LISTEN_RETRY_MS, 0 = never. */
  retryMs?: number;
}

export interface HttpInterface {
  close(): Promise<void>;
  /** The port listened on (the one picked when started with 0); 0 before listening. */
  port(): number;
}

/** The `/server?...` queries, each a provider. */
const serverQueries = [
  'sipServer',
  'sipTrunkStatistics',
  'sipServiceChecker',
  'tLibClientsStatistics',
] as const;
type ServerQuery = (typeof serverQueries)[number];

export const httpPaths: readonly string[] = [
  ...serverQueries.map((q) => `/server?${q}`),
  '/metrics',
  '/healthz',
];

/** Longest request target accepted; the valid ones are short. */
const MAX_TARGET = 2048;

export function startHttpInterface(options: HttpInterfaceOptions): HttpInterface {
  const { providers, metrics, logger } = options;
  const retryMs = options.retryMs ?? HTTP_LISTEN_RETRY_MS;
  const server = startJsonHttpServer({
    host: options.host,
    port: options.port,
    handle: (req, res) => handle(req, res, providers, metrics),
    onHandlerError: (res, err) => fail(res, 500, `internal error: ${errorText(err)}`),
    retryMs: retryMs > 0 ? retryMs : undefined,
    onReady: (err) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        logger?.event('10-10008', {
          address: options.host,
          port: options.port,
          reason:
            `${code}: ${err.message}` +
            (retryMs > 0 ? `; trying again every ${retryMs / 1000} s` : '; not retried'),
        });
      } else logger?.event('10-10009', { address: options.host, port: server.port() });
      options.onReady(err);
    },
  });
  return server;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  providers: HttpProviders,
  metrics: Registry,
): Promise<void> {
  // No body is read: drain whatever a client sends so the connection stays usable.
  req.resume();
  const method = req.method ?? '';
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, { error: `method ${method} is not allowed; use GET`, paths: httpPaths });
    return;
  }
  const target = req.url ?? '';
  if (target.length > MAX_TARGET) {
    send(res, 414, { error: `request target longer than ${MAX_TARGET} characters`, paths: httpPaths });
    return;
  }
  let url: URL;
  try {
    url = new URL(target, 'http://localhost');
  } catch {
    send(res, 400, { error: `bad request target ${JSON.stringify(target)}`, paths: httpPaths });
    return;
  }

  if (url.pathname === '/healthz' && url.search === '') {
    send(res, 200, { status: 'ok' });
    return;
  }
  if (url.pathname === '/metrics' && url.search === '') {
    const text = await metrics.metrics();
    res.statusCode = 200;
    res.setHeader('Content-Type', metrics.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(text);
    return;
  }
  const query = serverQuery(url);
  if (query === undefined) {
    send(res, 404, { error: `no such resource: ${target}`, paths: httpPaths });
    return;
  }
  let body: object;
  try {
    body = providers[query]();
  } catch (err) {
    fail(res, 500, `/server?${query} failed: ${errorText(err)}`);
    return;
  }
  send(res, 200, body);
}

/** `/server?sipServer` (also `?sipServer=` or with a trailing `&`): exactly one known query. */
function serverQuery(url: URL): ServerQuery | undefined {
  if (url.pathname !== '/server') return undefined;
  const keys = [...url.searchParams.keys()].filter((k) => k !== '');
  if (keys.length !== 1) return undefined;
  const key = keys[0]!;
  return (serverQueries as readonly string[]).includes(key) ? (key as ServerQuery) : undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  let text: string;
  try {
    text = `${JSON.stringify(body, null, 2)}\n`;
  } catch (err) {
    // A provider returned something JSON cannot hold (a cycle, a BigInt).
    fail(res, 500, `response could not be written as JSON: ${errorText(err)}`);
    return;
  }
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}

function fail(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(`${JSON.stringify({ error: message })}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
