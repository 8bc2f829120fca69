/**
 * The CTI server of one SIP Server with its listeners (SPEC S3): the core on `cti-port` (TCP, on the injected
 * Net) and, when `cti-ws-port` is not 0, on WebSocket (Node only). Both servers of a pair run it from the
 * start, each on its own host address (not the shared SIP address: clients connect to both servers).
 */
import type { SipServerApp } from '../../config/config.ts';
import type { Net, TcpServer } from '../../runtime/net.ts';
import { CtiServer, type CtiServerOptions } from './cti-server.ts';
import { listenCtiTcp } from './tcp-listener.ts';
import { type CtiWsListener, listenCtiWs } from './ws-listener.ts';

export interface CtiServiceOptions extends CtiServerOptions {
  net: Net;
  /** Open the WebSocket port too (Node only; the simulator has no WebSocket). Default true. */
  webSocket?: boolean;
  /** Told when the TCP (and WebSocket) listener is open, or failed. */
  onListening?(transport: 'tcp' | 'ws', port: number): void;
  onListenError?(transport: 'tcp' | 'ws', err: Error): void;
}

export interface CtiService {
  readonly server: CtiServer;
  /** The TCP port bound (cti-port, or the one chosen for port 0). */
  tcpPort(): number | undefined;
  wsPort(): number | undefined;
  stop(): Promise<void>;
}

export function startCtiService(o: CtiServiceOptions): CtiService {
  const server = new CtiServer(o);
  const config = o.config();
  const app = config.applications[o.app] as SipServerApp;
  const host = config.hosts[app.host]?.address ?? '127.0.0.1';
  const t = app.options.tserver;
  const logFailure = (transport: 'tcp' | 'ws', port: number, err: Error): void => {
    o.logger.event('10-70006', {
      address: host,
      port,
      transport: transport === 'tcp' ? 'TCP' : 'WebSocket',
      reason: `${(err as { code?: string }).code ?? 'error'}: ${err.message}`,
    });
    o.onListenError?.(transport, err);
  };
  let tcpBound: number | undefined;
  const tcp: TcpServer = listenCtiTcp(o.net, { host, port: t.ctiPort }, server, {
    onListening: (local) => {
      tcpBound = local.port;
      o.logger.event('10-70005', { address: host, port: local.port, transport: 'TCP' });
      o.onListening?.('tcp', local.port);
    },
    onError: (err) => logFailure('tcp', t.ctiPort, err),
  });
  let ws: CtiWsListener | undefined;
  if (t.ctiWsPort > 0 && o.webSocket !== false) {
    ws = listenCtiWs(host, t.ctiWsPort, server, {
      onListening: (port) => {
        o.logger.event('10-70005', { address: host, port, transport: 'WebSocket' });
        o.onListening?.('ws', port);
      },
      onError: (err) => logFailure('ws', t.ctiWsPort, err),
    });
  }
  return {
    server,
    tcpPort: () => tcpBound,
    wsPort: () => ws?.port(),
    async stop() {
      server.stop();
      tcp.close();
      await ws?.close();
    },
  };
}
