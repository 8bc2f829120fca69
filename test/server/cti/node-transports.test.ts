/**
 * The CTI transports on real loopback sockets (SPEC S3): framed JSON over TCP (the Node Net adapter) and
 * WebSocket (`ws`), both feeding the same core: register, then one request each.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { loadConfig } from '../../../src/config/load.ts';
import { HaGate } from '../../../src/ha/gate.ts';
import { Store } from '../../../src/model/store/store.ts';
import { encodeFrame, parseFrameBody, RawFrameDecoder } from '../../../src/runtime/framing/frame-codec.ts';
import type { TcpServer } from '../../../src/runtime/net.ts';
import { NodeClock, NodeNet } from '../../../src/runtime/node/index.ts';
import { CtiServer } from '../../../src/server/cti/cti-server.ts';
import { startCtiService } from '../../../src/server/cti/service.ts';
import { listenCtiTcp } from '../../../src/server/cti/tcp-listener.ts';
import { listenCtiWs } from '../../../src/server/cti/ws-listener.ts';
import { CTI_YAML, ctiConfig, FakeCalls, type LoggedEvent, recordingLogger } from './harness.ts';

const log: LoggedEvent[] = [];
const clock = new NodeClock();
const core = new CtiServer({
  clock,
  config: ctiConfig,
  app: 'SIP_A',
  logger: recordingLogger('SIP_A', log),
  store: new Store(),
  gate: new HaGate('Primary'),
  calls: new FakeCalls(),
});

/** Collects messages until `count` arrived (or the timeout). */
function collector() {
  const got: Record<string, unknown>[] = [];
  const waiters: { n: number; done: () => void }[] = [];
  return {
    got,
    push(m: Record<string, unknown>) {
      got.push(m);
      for (const w of waiters.splice(0))
        if (got.length >= w.n) w.done();
        else waiters.push(w);
    },
    async until(n: number): Promise<Record<string, unknown>[]> {
      if (got.length < n) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(
            () => reject(new Error(`only ${got.length} of ${n}: ${JSON.stringify(got)}`)),
            5000,
          );
          waiters.push({
            n,
            done: () => {
              clearTimeout(t);
              resolve();
            },
          });
        });
      }
      return got.splice(0, n);
    },
  };
}

describe('CTI over Node sockets', () => {
  const servers: { close(): unknown }[] = [];
  after(async () => {
    core.stop();
    for (const s of servers) await s.close();
  });

  it('TCP: register, one request, bad JSON answered, the connection closed at the end', async () => {
    const tcp: TcpServer = await new Promise((resolve, reject) => {
      const srv = listenCtiTcp(new NodeNet(), { host: '127.0.0.1', port: 0 }, core, {
        onListening: () => resolve(srv),
        onError: reject,
      });
    });
    servers.push(tcp);
    const sock = connect(tcp.local()!.port, '127.0.0.1');
    const c = collector();
    const decoder = new RawFrameDecoder();
    sock.on('data', (d) => {
      decoder.push(d);
      for (let b = decoder.nextBody(); b; b = decoder.nextBody()) {
        const p = parseFrameBody(b);
        if (p.ok) c.push(p.value as Record<string, unknown>);
      }
    });
    await once(sock, 'connect');
    sock.write(
      encodeFrame({
        message: 'RequestRegisterClient',
        ReferenceID: 1,
        ApplicationName: 'Desktop1',
        Password: 'desk-pw',
      }),
    );
    const hello = await c.until(2);
    assert.deepEqual(
      hello.map((m) => m.message),
      ['EventServerInfo', 'EventLinkConnected'],
    );
    sock.write(encodeFrame({ message: 'RequestRegisterAddress', ReferenceID: 2, ThisDN: '1001' }));
    assert.deepEqual(await c.until(1), [
      { message: 'EventRegistered', ThisDN: '1001', DNType: 'Extension', ReferenceID: 2 },
    ]);
    const bad = Buffer.from('not json');
    const frame = Buffer.alloc(4);
    frame.writeUInt32BE(bad.length);
    sock.write(Buffer.concat([frame, bad]));
    const [err] = await c.until(1);
    assert.equal(err?.ErrorCode, 40);
    const stats = core.statistics().clients.find((x) => x.transport === 'tcp');
    assert.match(stats?.address ?? '', /^127\.0\.0\.1:\d+$/);
    sock.end();
    await once(sock, 'close');
  });

  it('WebSocket: register and one request', async () => {
    const ws = await new Promise<ReturnType<typeof listenCtiWs>>((resolve, reject) => {
      const l = listenCtiWs('127.0.0.1', 0, core, { onListening: () => resolve(l), onError: reject });
    });
    servers.push(ws);
    const client = new WebSocket(`ws://127.0.0.1:${ws.port()}`);
    const c = collector();
    client.on('message', (data) => c.push(JSON.parse(String(data)) as Record<string, unknown>));
    await once(client, 'open');
    client.send(
      JSON.stringify({ message: 'RequestRegisterClient', ReferenceID: 7, ApplicationName: 'Router1' }),
    );
    const hello = await c.until(2);
    assert.deepEqual(
      hello.map((m) => [m.message, m.ReferenceID ?? null]),
      [
        ['EventServerInfo', 7],
        ['EventLinkConnected', null],
      ],
    );
    client.send(JSON.stringify({ message: 'RequestRegisterAddress', ReferenceID: 8, ThisDN: '5000' }));
    assert.deepEqual(await c.until(1), [
      { message: 'EventRegistered', ThisDN: '5000', DNType: 'Routing Point', ReferenceID: 8 },
    ]);
    client.send('{oops');
    const [err] = await c.until(1);
    assert.equal(err?.ErrorCode, 40);
    assert.equal(core.statistics().clients.find((x) => x.transport === 'ws')?.name, 'Router1');
    client.close();
    await once(client, 'close');
    // The core forgets the client once the close is through.
    for (let i = 0; i < 50 && core.statistics().clients.some((x) => x.transport === 'ws'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(
      core.statistics().clients.some((x) => x.transport === 'ws'),
      false,
    );
    assert.ok(log.some((e) => e.event === '10-70002' && e.params.client === 'Router1'));
  });
});

/** A listening socket on 127.0.0.1 (a free port) standing for another process that holds the port. */
async function holder(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  return { server, port: addr.port };
}

async function waitFor(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The CTI test configuration on 127.0.0.1 with the given ports. */
function loopbackConfig(ctiPort: number, ctiWsPort: number) {
  const r = loadConfig(
    `hosts:\n  A: { address: 127.0.0.1 }\napplications:\n  SIP_A:\n    type: sip-server\n    host: A\n` +
      `    options:\n      TServer: { sip-port: 5060, cti-port: ${ctiPort}, cti-ws-port: ${ctiWsPort} }\n${CTI_YAML}`,
    'cti.yaml',
  );
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

describe('CTI service on Node sockets: ports in use are retried', () => {
  it('cti-port and cti-ws-port held: one 10-70006 each, both open once released, clients connect', async () => {
    const heldTcp = await holder();
    const heldWs = await holder();
    const config = loopbackConfig(heldTcp.port, heldWs.port);
    const events: LoggedEvent[] = [];
    const told: string[] = [];
    const service = startCtiService({
      net: new NodeNet(),
      clock,
      config: () => config,
      app: 'SIP_A',
      logger: recordingLogger('SIP_A', events),
      store: new Store(),
      gate: new HaGate('Primary'),
      calls: new FakeCalls(),
      listenRetryMs: 50,
      onListening: (transport, _port, all) => told.push(`listening ${transport} ${all}`),
      onListenError: (transport, err) => told.push(`error ${transport} ${(err as { code?: string }).code}`),
    });
    const count = (id: string, transport: string): number =>
      events.filter((e) => e.event === id && e.params.transport === transport).length;
    try {
      await waitFor('both failures', () => told.length === 2);
      assert.deepEqual(told.sort(), ['error tcp EADDRINUSE', 'error ws EADDRINUSE']);
      // Many attempts (every 50 ms) while the ports stay held: still one event and one report each.
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(count('10-70006', 'TCP'), 1);
      assert.equal(count('10-70006', 'WebSocket'), 1);
      assert.equal(told.length, 2);
      assert.equal(service.listening(), false);

      heldTcp.server.close();
      await waitFor('the TCP listener', () => service.tcpPort() === heldTcp.port);
      assert.equal(told.at(-1), 'listening tcp false', 'not all open: the WebSocket port is still held');
      assert.equal(count('10-70005', 'TCP'), 1);
      assert.equal(service.listening(), false);
      const sock = connect(heldTcp.port, '127.0.0.1');
      await once(sock, 'connect');
      sock.destroy();

      heldWs.server.close();
      await waitFor('the WebSocket listener', () => service.wsPort() === heldWs.port);
      assert.equal(told.at(-1), 'listening ws true');
      assert.equal(service.listening(), true);
      assert.equal(count('10-70005', 'WebSocket'), 1);
      const client = new WebSocket(`ws://127.0.0.1:${heldWs.port}`);
      const c = collector();
      client.on('message', (data) => c.push(JSON.parse(String(data)) as Record<string, unknown>));
      await once(client, 'open');
      client.send(
        JSON.stringify({ message: 'RequestRegisterClient', ReferenceID: 1, ApplicationName: 'Router1' }),
      );
      assert.equal((await c.until(2))[0]?.message, 'EventServerInfo');
      client.close();
      await once(client, 'close');
    } finally {
      await service.stop();
      heldTcp.server.close();
      heldWs.server.close();
    }
    // Stopped: the ports are free again.
    const again = createServer();
    again.listen(heldTcp.port, '127.0.0.1');
    await once(again, 'listening');
    again.close();
  });

  it('stop() while retrying: the port is never taken afterwards', async () => {
    const held = await holder();
    const config = loopbackConfig(held.port, 0);
    const events: LoggedEvent[] = [];
    const service = startCtiService({
      net: new NodeNet(),
      clock,
      config: () => config,
      app: 'SIP_A',
      logger: recordingLogger('SIP_A', events),
      store: new Store(),
      gate: new HaGate('Primary'),
      calls: new FakeCalls(),
      webSocket: false,
      listenRetryMs: 50,
    });
    await waitFor('the failure', () => events.some((e) => e.event === '10-70006'));
    await service.stop();
    held.server.close();
    await once(held.server, 'close');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(events.filter((e) => e.event === '10-70005').length, 0);
    const again = createServer();
    again.listen(held.port, '127.0.0.1');
    await once(again, 'listening');
    again.close();
  });
});
