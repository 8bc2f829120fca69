/**
 * The HTTP server shell shared by the SIP Server's interface and the SCS's management API: bounded request
 * times (a status page is read by people and scrapers: slow or stalled clients are cut off), malformed HTTP
 * answered 400 in JSON, a handler error answered 500 instead of crashing, one report of a listen error, and a
 * close that does not wait for idle keep-alive connections. With `retryMs`, a port that cannot be opened
 * (EADDRINUSE, EADDRNOTAVAIL) is tried again every `retryMs` until it opens or close() is called.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface JsonHttpServerOptions {
  host: string;
  /** 0 picks a free port (tests); see port(). */
  port: number;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Answers a handler that threw (the response may be half sent). */
  onHandlerError(res: ServerResponse, err: unknown): void;
  /**
   * With nothing when listening, or with the error (EADDRINUSE, EACCES) when it cannot. Without retryMs:
   * once. With retryMs: with the error of the first failed attempt of an episode (not of each retry), then
   * with nothing when the port finally opens.
   */
  onReady(err?: Error): void;
  /** Try a port that could not be opened again every retryMs (ms); default: no retry. */
  retryMs?: number;
}

export interface JsonHttpServer {
  close(): Promise<void>;
  /** The port listened on (the one picked when started with 0); 0 before listening. */
  port(): number;
}

export function startJsonHttpServer(options: JsonHttpServerOptions): JsonHttpServer {
  const sockets = new Set<Socket>();
  const server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    options.handle(req, res).catch((err: unknown) => options.onHandlerError(res, err));
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed HTTP (node's parser refused it): answer 400 if the socket can still take it.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ error: `bad request: ${err.message}` });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
  let closed = false;
  let failing = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const listen = (): void => {
    server.listen(options.port, options.host);
  };
  server.on('error', (err) => {
    // An error of the listening socket after start must not crash the process; a listen error is reported
    // once per episode (the first failed attempt) and, with retryMs, tried again.
    if (closed || server.listening) return;
    if (!failing) {
      failing = true;
      options.onReady(err);
    }
    if (options.retryMs === undefined || closed) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (!closed) listen();
    }, options.retryMs);
    retry.unref();
  });
  server.on('listening', () => {
    if (closed) {
      server.close();
      return;
    }
    failing = false;
    options.onReady();
  });
  listen();
  return {
    port: () => {
      const a = server.address();
      return a !== null && typeof a === 'object' ? (a as AddressInfo).port : 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        if (retry !== undefined) clearTimeout(retry);
        retry = undefined;
        if (!server.listening) {
          for (const s of sockets) s.destroy();
          resolve();
          return;
        }
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open.
        for (const s of sockets) s.destroy();
      }),
  };
}
