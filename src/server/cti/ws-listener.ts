/**
 * CTI over WebSocket (SPEC S3, `cti-ws-port`): a thin Node adapter (the `ws` package) that feeds the same core
 * as TCP. One text message = one JSON message; a binary message is treated as its UTF-8 text. A message over
 * CTI_MAX_FRAME_BYTES is refused by `ws` itself (close code 1009), the WebSocket form of a broken frame.
 */
import { WebSocketServer } from 'ws';
import type { CtiAcceptor, CtiConnection } from './connection.ts';
import { CTI_MAX_FRAME_BYTES } from './protocol.ts';

export interface CtiWsListener {
  /** The port bound (differs from the one asked when that was 0). */
  port(): number | undefined;
  close(): Promise<void>;
}

export interface CtiWsListenerOptions {
  onListening?(port: number): void;
  onError?(err: Error & { code?: string }): void;
}

export function listenCtiWs(
  host: string,
  port: number,
  acceptor: CtiAcceptor,
  o: CtiWsListenerOptions = {},
): CtiWsListener {
  const wss = new WebSocketServer({ host, port, maxPayload: CTI_MAX_FRAME_BYTES });
  wss.on('listening', () => {
    const addr = wss.address();
    o.onListening?.(typeof addr === 'object' && addr ? addr.port : port);
  });
  wss.on('error', (err) => o.onError?.(err));
  wss.on('connection', (ws, httpReq) => {
    const host = httpReq.socket.remoteAddress ?? '?';
    const remote = `${host.includes(':') ? `[${host}]` : host}:${httpReq.socket.remotePort ?? 0}`;
    const conn: CtiConnection = {
      transport: 'ws',
      remote,
      send(msg) {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
      },
      queuedBytes: () => ws.bufferedAmount,
      close() {
        ws.close(1000);
      },
      abort() {
        ws.terminate();
      },
    };
    const handlers = acceptor.accept(conn);
    let told = false;
    const closed = (reason: string): void => {
      if (told) return;
      told = true;
      handlers.onClose(reason);
    };
    ws.on('message', (data, isBinary) => {
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        handlers.onUnreadable(
          `invalid JSON in a ${isBinary ? 'binary' : 'text'} message of ${text.length} characters (${(err as Error).message})`,
        );
        return;
      }
      handlers.onMessage(value);
    });
    ws.on('close', (code, reason) =>
      closed(`closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`),
    );
    ws.on('error', (err) => closed(err.message));
  });
  return {
    port() {
      const addr = wss.address();
      return typeof addr === 'object' && addr ? addr.port : undefined;
    },
    close() {
      for (const c of wss.clients) c.terminate();
      return new Promise((done) => wss.close(() => done()));
    },
  };
}
