/**
 * CTI over TCP (SPEC S3): one frame per message, the 4-byte big-endian length + UTF-8 JSON framing of
 * runtime/framing (the HA link's). A frame of bad JSON is reported and the stream goes on; a length over
 * CTI_MAX_FRAME_BYTES breaks the stream (there is no way to find the next frame). On the injected Net, so it
 * runs in the simulator.
 */
import {
  encodeFrame,
  FrameError,
  parseFrameBody,
  RawFrameDecoder,
} from '../../runtime/framing/frame-codec.ts';
import { type Address, formatAddress, type Net, type NetError, type TcpServer } from '../../runtime/net.ts';
import type { CtiAcceptor, CtiConnection, CtiConnectionHandlers } from './connection.ts';
import { CTI_MAX_FRAME_BYTES } from './protocol.ts';

export interface CtiTcpListenerOptions {
  onListening?(local: Address): void;
  onError?(err: NetError): void;
  maxFrameBytes?: number;
}

export function listenCtiTcp(
  net: Net,
  local: Address,
  acceptor: CtiAcceptor,
  o: CtiTcpListenerOptions = {},
): TcpServer {
  const server: TcpServer = net.listenTcp(local, {
    onListening: () => o.onListening?.(server.local() ?? local),
    onError: (err) => o.onError?.(err),
    onConnection: (tcp) => {
      const decoder = new RawFrameDecoder(o.maxFrameBytes ?? CTI_MAX_FRAME_BYTES);
      let closed = false;
      let reading = true;
      const conn: CtiConnection = {
        transport: 'tcp',
        remote: formatAddress(tcp.remote()),
        send(msg) {
          if (!closed) tcp.write(encodeFrame(msg));
        },
        queuedBytes: () => tcp.queuedBytes(),
        close() {
          if (closed) return;
          closed = true;
          tcp.close();
        },
        abort() {
          closed = true;
          tcp.abort();
        },
      };
      const handlers: CtiConnectionHandlers = acceptor.accept(conn);
      let told = false;
      return {
        onData(data) {
          if (!reading) return;
          decoder.push(data);
          // A handler may close the connection: read on only while it is open.
          while (reading && !closed) {
            let body: Buffer | undefined;
            try {
              body = decoder.nextBody();
            } catch (err) {
              if (!(err instanceof FrameError)) throw err;
              reading = false;
              handlers.onBrokenStream(err.detail);
              return;
            }
            if (body === undefined) return;
            const parsed = parseFrameBody(body);
            if (parsed.ok) handlers.onMessage(parsed.value);
            else handlers.onUnreadable(parsed.detail);
          }
        },
        onClose(err) {
          closed = true;
          if (told) return;
          told = true;
          handlers.onClose(err ? `${err.code}: ${err.message}` : 'connection closed');
        },
      };
    },
  });
  return server;
}
