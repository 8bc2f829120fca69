/**
 * The CTI transports on real loopback sockets (SPEC S3): framed JSON over TCP (the Node Net adapter) and
 * WebSocket (`ws`), both feeding the same core: register, then one request each.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { HaGate } from '../../../src/ha/gate.ts';
import { Store } from '../../../src/model/store/store.ts';
import { encodeFrame, parseFrameBody, RawFrameDecoder } from '../../../src/runtime/framing/frame-codec.ts';
import type { TcpServer } from '../../../src/runtime/net.ts';
import { NodeClock, NodeNet } from '../../../src/runtime/node/index.ts';
import { CtiServer } from '../../../src/server/cti/cti-server.ts';
import { listenCtiTcp } from '../../../src/server/cti/tcp-listener.ts';
import { listenCtiWs } from '../../../src/server/cti/ws-listener.ts';
import { ctiConfig, FakeCalls, type LoggedEvent, recordingLogger } from './harness.ts';

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
