import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, NetError, TcpConnection, TcpServer, UdpSocket } from '../../../src/runtime/net.ts';
import { NodeNet } from '../../../src/runtime/node/net.ts';

const LOOPBACK = '127.0.0.1';

/** A promise plus its resolve, for turning callbacks into awaitable steps. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Fails the test instead of hanging it when an expected callback never comes. */
function within<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function boundUdp(
  net: NodeNet,
  onMessage: (data: Uint8Array, from: Address, sock: UdpSocket) => void,
): Promise<UdpSocket> {
  const ready = deferred<void>();
  const sock: UdpSocket = net.bindUdp(
    { host: LOOPBACK, port: 0 },
    {
      onListening: () => ready.resolve(),
      onMessage: (d, f) => onMessage(d, f, sock),
      onError: (e) => assert.fail(`unexpected UDP error ${e.code}`),
    },
  );
  await within(ready.promise, 'UDP listening');
  return sock;
}

async function listening(net: NodeNet, onConnection: (c: TcpConnection) => void): Promise<TcpServer> {
  const ready = deferred<void>();
  const server = net.listenTcp(
    { host: LOOPBACK, port: 0 },
    {
      onListening: () => ready.resolve(),
      onConnection: (c) => {
        onConnection(c);
        return serverSide.get(c) ?? { onData() {}, onClose() {} };
      },
      onError: (e) => assert.fail(`unexpected TCP server error ${e.code}`),
    },
  );
  await within(ready.promise, 'TCP listening');
  return server;
}
const serverSide = new WeakMap<TcpConnection, { onData(d: Uint8Array): void; onClose(e?: NetError): void }>();

describe('NodeNet UDP', () => {
  it('echoes a datagram on loopback with the right addresses', async () => {
    const net = new NodeNet();
    const echo = await boundUdp(net, (data, from, sock) => sock.send(data, from));
    const got = deferred<{ data: Uint8Array; from: Address }>();
    const client = await boundUdp(net, (data, from) => got.resolve({ data, from }));
    const echoAddr = echo.local()!;
    assert.equal(echoAddr.host, LOOPBACK);
    assert.ok(echoAddr.port > 0, 'port 0 resolves to the chosen port');
    client.send(new TextEncoder().encode('OPTIONS ping'), echoAddr);
    const { data, from } = await within(got.promise, 'echo');
    assert.ok(data instanceof Uint8Array);
    assert.equal(Buffer.from(data).toString('utf8'), 'OPTIONS ping');
    assert.deepEqual(from, echoAddr);
    echo.close();
    client.close();
    assert.equal(echo.local(), undefined);
    echo.close(); // idempotent
  });

  it('reports EADDRINUSE through onError and closes the socket', async () => {
    const net = new NodeNet();
    const first = await boundUdp(net, () => {});
    const failed = deferred<NetError>();
    let listened = false;
    const second = net.bindUdp(first.local()!, {
      onListening: () => {
        listened = true;
      },
      onMessage: () => {},
      onError: (e) => failed.resolve(e),
    });
    const err = await within(failed.promise, 'EADDRINUSE');
    assert.equal(err.code, 'EADDRINUSE');
    assert.match(err.message, /UDP bind 127\.0\.0\.1:\d+ failed: address already in use/);
    assert.equal(listened, false);
    assert.equal(second.local(), undefined);
    second.send(new Uint8Array([1]), first.local()!); // a closed socket ignores sends
    first.close();
  });
});

describe('NodeNet TCP', () => {
  it('connects, carries data both ways, and a client close is seen by both ends exactly once', async () => {
    const net = new NodeNet();
    const serverGot: string[] = [];
    const serverClosed = deferred<NetError | undefined>();
    let serverCloses = 0;
    const accepted = deferred<TcpConnection>();
    const server = await listening(net, (c) => {
      serverSide.set(c, {
        onData: (d) => {
          serverGot.push(Buffer.from(d).toString());
          c.write(Buffer.from(`echo:${Buffer.from(d).toString()}`));
        },
        onClose: (e) => {
          serverCloses++;
          serverClosed.resolve(e);
        },
      });
      accepted.resolve(c);
    });
    const connected = deferred<void>();
    const clientData = deferred<string>();
    const clientClosed = deferred<NetError | undefined>();
    let clientCloses = 0;
    const client = net.connectTcp(server.local()!, {
      onConnect: () => connected.resolve(),
      onData: (d) => clientData.resolve(Buffer.from(d).toString()),
      onClose: (e) => {
        clientCloses++;
        clientClosed.resolve(e);
      },
    });
    await within(connected.promise, 'connect');
    assert.deepEqual(client.remote(), server.local());
    assert.equal(client.local()?.host, LOOPBACK);
    const conn = await within(accepted.promise, 'accept');
    assert.deepEqual(conn.remote(), client.local());
    assert.deepEqual(conn.local(), server.local());
    client.write(new TextEncoder().encode('hello'));
    assert.equal(await within(clientData.promise, 'echo data'), 'echo:hello');
    assert.deepEqual(serverGot, ['hello']);
    client.close();
    assert.equal(await within(serverClosed.promise, 'server onClose'), undefined);
    assert.equal(await within(clientClosed.promise, 'client onClose'), undefined);
    client.close();
    client.write(Buffer.from('late')); // ignored after close
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(serverCloses, 1);
    assert.equal(clientCloses, 1);
    server.close();
  });

  it('a server-side close is seen by the client', async () => {
    const net = new NodeNet();
    const serverClosed = deferred<void>();
    const server = await listening(net, (c) => {
      serverSide.set(c, { onData: () => c.close(), onClose: () => serverClosed.resolve() });
    });
    const clientClosed = deferred<NetError | undefined>();
    const client = net.connectTcp(server.local()!, {
      onConnect: () => client.write(Buffer.from('bye please')),
      onData: () => {},
      onClose: (e) => clientClosed.resolve(e),
    });
    assert.equal(await within(clientClosed.promise, 'client onClose'), undefined);
    await within(serverClosed.promise, 'server onClose');
    server.close();
  });

  it('reports EADDRINUSE for a second listener on the same port', async () => {
    const net = new NodeNet();
    const first = await listening(net, () => {});
    const failed = deferred<NetError>();
    const second = net.listenTcp(first.local()!, {
      onConnection: () => ({ onData() {}, onClose() {} }),
      onError: (e) => failed.resolve(e),
    });
    const err = await within(failed.promise, 'EADDRINUSE');
    assert.equal(err.code, 'EADDRINUSE');
    assert.match(err.message, /TCP listen on 127\.0\.0\.1:\d+ failed/);
    assert.equal(second.local(), undefined);
    first.close();
  });

  it('a connect to a closed port ends with onClose(ECONNREFUSED) and no onConnect', async () => {
    const net = new NodeNet();
    const probe = await listening(net, () => {});
    const port = probe.local()!.port;
    probe.close();
    let connected = false;
    const closed = deferred<NetError | undefined>();
    net.connectTcp(
      { host: LOOPBACK, port },
      {
        onConnect: () => {
          connected = true;
        },
        onData: () => {},
        onClose: (e) => closed.resolve(e),
      },
    );
    const err = await within(closed.promise, 'refused');
    assert.equal(err?.code, 'ECONNREFUSED');
    assert.match(err?.message ?? '', /connection refused/);
    assert.equal(connected, false);
  });
});
