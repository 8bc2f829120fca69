/**
 * CTI backpressure on real loopback sockets: a client whose socket is paused (it stops reading) is closed by
 * the server once the kernel's buffers are full and CTI_MAX_QUEUED_BYTES more are queued; a client that
 * reads, on the same DN and at the same rate, gets every event and stays connected. TCP (the Node Net
 * adapter) and WebSocket (`ws`, bufferedAmount).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { HaGate } from '../../../src/ha/gate.ts';
import { Store } from '../../../src/model/store/store.ts';
import { encodeFrame, parseFrameBody, RawFrameDecoder } from '../../../src/runtime/framing/frame-codec.ts';
import type { TcpServer } from '../../../src/runtime/net.ts';
import { NodeClock, NodeNet } from '../../../src/runtime/node/index.ts';
import type { CallEvent } from '../../../src/server/b2bua/call-events.ts';
import { CTI_MAX_QUEUED_BYTES, CtiServer } from '../../../src/server/cti/cti-server.ts';
import { listenCtiTcp } from '../../../src/server/cti/tcp-listener.ts';
import { listenCtiWs } from '../../../src/server/cti/ws-listener.ts';
import { callEvent, ctiConfig, FakeCalls, type LoggedEvent, recordingLogger } from './harness.ts';

const tick = () => new Promise((r) => setImmediate(r));

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** About 2 KB on the wire. */
function bigEvent(i: number): CallEvent {
  return callEvent(i % 2 === 0 ? 'Ringing' : 'Released', '1001', `c0ffee${String(i).padStart(10, '0')}`, {
    userData: { case: String(i), notes: 'n'.repeat(2000) },
  });
}

/** A test client of either transport: counts the messages it reads; can stop reading. */
interface TestClient {
  /** Messages read (call events only are counted in `events`). */
  events: number;
  messages: number;
  closed: boolean;
  closeError: string | undefined;
  send(msg: object): void;
  pause(): void;
  resume(): void;
  localPort(): number;
  destroy(): void;
}

function tcpClient(port: number): Promise<TestClient> {
  const sock: Socket = connect(port, '127.0.0.1');
  const decoder = new RawFrameDecoder();
  const c: TestClient = {
    events: 0,
    messages: 0,
    closed: false,
    closeError: undefined,
    send: (msg) => sock.write(encodeFrame(msg)),
    pause: () => sock.pause(),
    resume: () => sock.resume(),
    localPort: () => sock.localPort ?? 0,
    destroy: () => sock.destroy(),
  };
  sock.on('data', (d) => {
    decoder.push(d);
    for (let b = decoder.nextBody(); b; b = decoder.nextBody()) {
      const p = parseFrameBody(b);
      assert.ok(p.ok);
      c.messages++;
      if (/^Event(Ringing|Released)$/.test((p.value as { message: string }).message)) c.events++;
    }
  });
  sock.on('error', (e: NodeJS.ErrnoException) => {
    c.closeError = e.code;
  });
  sock.on('close', () => {
    c.closed = true;
  });
  return once(sock, 'connect').then(() => c);
}

function wsClient(port: number): Promise<TestClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  const c: TestClient = {
    events: 0,
    messages: 0,
    closed: false,
    closeError: undefined,
    send: (msg) => ws.send(JSON.stringify(msg)),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    localPort: () => (ws as unknown as { _socket: Socket })._socket.localPort ?? 0,
    destroy: () => ws.terminate(),
  };
  ws.on('message', (data) => {
    c.messages++;
    const m = JSON.parse(String(data)) as { message: string };
    if (/^Event(Ringing|Released)$/.test(m.message)) c.events++;
  });
  ws.on('error', (e: Error & { code?: string }) => {
    c.closeError = e.code ?? e.message;
  });
  ws.on('close', () => {
    c.closed = true;
  });
  return once(ws, 'open').then(() => c);
}

/** Registers as `app` and on DN 1001; resolves once the four answers are read. */
async function register(c: TestClient, app: string): Promise<void> {
  c.send({ message: 'RequestRegisterClient', ReferenceID: 1, ApplicationName: app, Password: 'desk-pw' });
  c.send({ message: 'RequestRegisterAddress', ReferenceID: 2, ThisDN: '1001' });
  await waitFor(`${app} registered`, () => c.messages >= 3);
}

describe('CTI backpressure on Node sockets', () => {
  const closers: Array<() => unknown> = [];
  after(async () => {
    for (const close of closers) await close();
  });

  for (const transport of ['tcp', 'ws'] as const) {
    it(`${transport}: a paused client is closed past the bound, a reading one gets every event`, async () => {
      const log: LoggedEvent[] = [];
      const calls = new FakeCalls();
      const core = new CtiServer({
        clock: new NodeClock(),
        config: ctiConfig,
        app: 'SIP_A',
        logger: recordingLogger('SIP_A', log),
        store: new Store(),
        gate: new HaGate('Primary'),
        calls,
      });
      closers.push(() => core.stop());
      let port: number;
      if (transport === 'tcp') {
        const tcp: TcpServer = await new Promise((resolve, reject) => {
          const srv = listenCtiTcp(new NodeNet(), { host: '127.0.0.1', port: 0 }, core, {
            onListening: () => resolve(srv),
            onError: reject,
          });
        });
        closers.push(() => tcp.close());
        port = tcp.local()!.port;
      } else {
        const ws = await new Promise<ReturnType<typeof listenCtiWs>>((resolve, reject) => {
          const l = listenCtiWs('127.0.0.1', 0, core, { onListening: () => resolve(l), onError: reject });
        });
        closers.push(() => ws.close());
        port = ws.port()!;
      }
      const open = transport === 'tcp' ? tcpClient : wsClient;
      const stuck = await open(port);
      const reader = await open(port);
      closers.push(
        () => stuck.destroy(),
        () => reader.destroy(),
      );
      await register(stuck, 'Desktop1');
      await register(reader, 'Desktop2');
      stuck.pause();

      // Events in batches, each batch in its own turn of the event loop (as SIP traffic comes), until the
      // server gives up on the stuck client; far more than the kernel's buffers and the bound together.
      let emitted = 0;
      const cap = 400 * 1024 * 1024;
      while (!log.some((e) => e.event === '10-70007')) {
        for (let k = 0; k < 50; k++) core.onCallEvent(bigEvent(emitted++));
        if (emitted * 2000 > cap) assert.fail(`${emitted} events and the stuck client is still open`);
        await tick();
      }
      const alarm = log.find((e) => e.event === '10-70007')!;
      assert.equal(alarm.params.client, 'Desktop1');
      assert.equal(alarm.params.address, `127.0.0.1:${stuck.localPort()}`);
      assert.equal(alarm.params.transport, transport === 'tcp' ? 'TCP' : 'WebSocket');
      assert.ok((alarm.params.queued as number) > CTI_MAX_QUEUED_BYTES);
      assert.ok(emitted * 2000 > CTI_MAX_QUEUED_BYTES, 'not before the bound');
      assert.equal(core.statistics().totals.closedNotReading, 1);
      assert.deepEqual(
        core.statistics().clients.map((c) => c.name),
        ['Desktop2'],
      );
      assert.ok(log.some((e) => e.event === '10-70002' && /not reading/.test(String(e.params.reason))));

      // The reading client got every event and is still connected.
      await waitFor(`${emitted} events at the reader`, () => reader.events === emitted, 30_000);
      assert.equal(reader.closed, false);
      // The stuck client, reading again, finds its connection gone, having missed most of the events.
      stuck.resume();
      await waitFor('the stuck client closed', () => stuck.closed);
      assert.ok(stuck.events < emitted, `${stuck.events} of ${emitted}`);
    });
  }
});
