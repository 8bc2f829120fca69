/**
 * The CTI server of one SIP Server with its listeners (SPEC S3): the core on `cti-port` (TCP, on the injected
 * Net) and, when `cti-ws-port` is not 0, on WebSocket (Node only). Both servers of a pair run it from the
 * start, each on its own host address (not the shared SIP address: clients connect to both servers).
 *
 * A port that cannot be opened (in use, address not yet present) is tried again every `listenRetryMs` (5 s)
 * for as long as the service runs: the first failure of an episode logs 10-70006 and calls onListenError,
 * each opening logs 10-70005 and calls onListening (so the backup init check sees "cti" become ready).
 */
import type { SipServerApp } from '../../config/config.ts';
import type { TimerHandle } from '../../runtime/clock.ts';
import type { Net } from '../../runtime/net.ts';
import { CtiServer, type CtiServerOptions } from './cti-server.ts';
import { listenCtiTcp } from './tcp-listener.ts';
import { listenCtiWs } from './ws-listener.ts';

/** How often a CTI port that could not be opened is tried again. */
export const CTI_LISTEN_RETRY_MS = 5_000;

export type CtiTransport = 'tcp' | 'ws';

export interface CtiServiceOptions extends CtiServerOptions {
  net: Net;
  /** Open the WebSocket port too (Node only; the simulator has no WebSocket). Default true. */
  webSocket?: boolean;
  /** Try a port that could not be opened again every listenRetryMs; default CTI_LISTEN_RETRY_MS, 0 = never. */
  listenRetryMs?: number;
  /**
   * A listener opened (at the start, or after retries). `all`: every configured listener (TCP, and WebSocket
   * when cti-ws-port is set) is now open, i.e. the CTI component is ready.
   */
  onListening?(transport: CtiTransport, port: number, all: boolean): void;
  /** A listener could not be opened: told once per episode (the first failed attempt), not at each retry. */
  onListenError?(transport: CtiTransport, err: Error): void;
}

export interface CtiService {
  readonly server: CtiServer;
  /** The TCP port bound (cti-port, or the one chosen for port 0); undefined while it is not open. */
  tcpPort(): number | undefined;
  wsPort(): number | undefined;
  /** Every configured listener is open. */
  listening(): boolean;
  stop(): Promise<void>;
}

interface ListenAttempt {
  close(): void | Promise<void>;
}

/** One listener kept open: retried every retryMs while its port cannot be opened. */
interface KeptListener {
  open: boolean;
  port: number | undefined;
  stop(): Promise<void>;
}

export function startCtiService(o: CtiServiceOptions): CtiService {
  const server = new CtiServer(o);
  const config = o.config();
  const app = config.applications[o.app] as SipServerApp;
  const host = config.hosts[app.host]?.address ?? '127.0.0.1';
  const t = app.options.tserver;
  const retryMs = o.listenRetryMs ?? CTI_LISTEN_RETRY_MS;
  const kept: KeptListener[] = [];
  let stopped = false;

  const keep = (
    transport: CtiTransport,
    port: number,
    attempt: (h: { listening(port: number): void; error(err: Error): void }) => ListenAttempt,
  ): KeptListener => {
    const name = transport === 'tcp' ? 'TCP' : 'WebSocket';
    let current: ListenAttempt | undefined;
    let attempts = 0;
    let timer: TimerHandle | undefined;
    let failing = false;
    const state: KeptListener = {
      open: false,
      port: undefined,
      async stop() {
        if (timer !== undefined) o.clock.clearTimer(timer);
        timer = undefined;
        state.open = false;
        await current?.close();
      },
    };
    const tryOpen = (): void => {
      const n = ++attempts;
      const mine: ListenAttempt = attempt({
        listening: (bound) => {
          if (stopped || n !== attempts) return;
          state.open = true;
          state.port = bound;
          failing = false;
          o.logger.event('10-70005', { address: host, port: bound, transport: name });
          o.onListening?.(
            transport,
            bound,
            kept.every((k) => k.open),
          );
        },
        error: (err) => {
          if (stopped || n !== attempts) return;
          if (state.open) {
            // The open listener had an error (rare): it keeps serving, nothing to retry.
            o.logger.debug('CTI listener error', { transport, message: err.message });
            return;
          }
          void mine.close();
          if (!failing) {
            failing = true;
            o.logger.event('10-70006', {
              address: host,
              port,
              transport: name,
              reason:
                `${(err as { code?: string }).code ?? 'error'}: ${err.message}` +
                (retryMs > 0 ? `; trying again every ${retryMs / 1000} s` : ''),
            });
            o.onListenError?.(transport, err);
          }
          if (retryMs > 0) {
            timer = o.clock.setTimer(retryMs, () => {
              timer = undefined;
              if (!stopped) tryOpen();
            });
          }
        },
      });
      current = mine;
    };
    kept.push(state);
    tryOpen();
    return state;
  };

  // Both listeners are registered before either can report (listening and errors come asynchronously).
  const tcp = keep('tcp', t.ctiPort, (h) =>
    listenCtiTcp(o.net, { host, port: t.ctiPort }, server, {
      onListening: (local) => h.listening(local.port),
      onError: (err) => h.error(err),
    }),
  );
  const ws =
    t.ctiWsPort > 0 && o.webSocket !== false
      ? keep('ws', t.ctiWsPort, (h) =>
          listenCtiWs(host, t.ctiWsPort, server, {
            onListening: (port) => h.listening(port),
            onError: (err) => h.error(err),
          }),
        )
      : undefined;
  return {
    server,
    tcpPort: () => (tcp.open ? tcp.port : undefined),
    wsPort: () => (ws?.open ? ws.port : undefined),
    listening: () => kept.every((k) => k.open),
    async stop() {
      stopped = true;
      server.stop();
      await Promise.all(kept.map((k) => k.stop()));
    },
  };
}
