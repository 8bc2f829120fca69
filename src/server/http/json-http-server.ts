/**
 * The HTTP server shell shared by the SIP Server's interface and the SCS's management API: bounded request
 * times (a status page is read by people and scrapers: slow or stalled clients are cut off), malformed HTTP
 * answered 400 in JSON, a handler error answered 500 instead of crashing, one report of a listen error, and a
 * close that does not wait for idle keep-alive connections.
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
  /** Called once: with nothing when listening, or with the error (EADDRINUSE, EACCES) when it cannot. */
  onReady(err?: Error): void;
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
  let ready = false;
  server.once('error', (err) => {
    if (!ready) {
      ready = true;
      options.onReady(err);
    }
  });
  // After start, an error of the listening socket must not crash the process: it was reported once above.
  server.on('error', () => {});
  server.listen(options.port, options.host, () => {
    ready = true;
    options.onReady();
  });
  return {
    port: () => {
      const a = server.address();
      return a !== null && typeof a === 'object' ? (a as AddressInfo).port : 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
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
