/**
 * The link on the simulator: framing under split and coalesced TCP delivery, the mutual handshake and its
 * refusals, bad frames, closing, and determinism. ADDP has its own file (addp.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, FrameDecoder } from '../../../src/ha/link/frame-codec.ts';
import { makeAuth, makeWelcome, parseHello } from '../../../src/ha/link/handshake.ts';
import { connectLink, describeReason, listenLinks } from '../../../src/ha/link/link.ts';
import type { CloseReason, LinkMessage } from '../../../src/ha/link/types.ts';
import type { TcpConnection } from '../../../src/runtime/net.ts';
import { CLIENT_HOST, Pair, PORT, SECRET, SERVER_ADDR, SERVER_HOST } from './harness.ts';

/** A peer that speaks raw bytes on the client machine. */
function rawClient(
  p: Pair,
  onData: (data: Buffer, conn: TcpConnection) => void = () => {},
): {
  conn: TcpConnection;
  closed: () => boolean;
} {
  let closed = false;
  const conn: TcpConnection = p.clientNode.net.connectTcp(SERVER_ADDR, {
    onData: (d) => onData(Buffer.from(d), conn),
    onClose: () => {
      closed = true;
    },
  });
  return { conn, closed: () => closed };
}

/** A raw client that authenticates correctly (so that the test can then misbehave on an open link). */
function authenticatedRawClient(p: Pair): { conn: TcpConnection; closed: () => boolean } {
  const decoder = new FrameDecoder();
  let sent = false;
  return rawClient(p, (data, conn) => {
    decoder.push(data);
    const msg = decoder.next();
    if (msg === undefined || sent) return;
    const hello = parseHello(msg);
    assert.ok(typeof hello !== 'string');
    conn.write(encodeFrame(makeAuth(SECRET, 'ha', 'raw', hello.nonce, 'ab'.repeat(16), 0)));
    sent = true;
  });
}

function kinds(reasons: CloseReason[]): string[] {
  return reasons.map((r) => r.kind);
}

describe('link: messages', () => {
  it('opens with the peer names and protocol, and carries messages both ways in order, split and coalesced', () => {
    const p = new Pair({ seed: 7 });
    const { server, client } = p.open();
    assert.equal(server.peerName, 'S2');
    assert.equal(client.peerName, 'S1');
    assert.equal(server.protocol, 'ha');
    assert.equal(client.protocol, 'ha');
    assert.equal(server.remote.host, CLIENT_HOST);
    assert.deepEqual(client.remote, SERVER_ADDR);

    const toServer: LinkMessage[] = [];
    const toClient: LinkMessage[] = [];
    for (let i = 0; i < 400; i++) {
      toServer.push({ type: 'rec', seq: i, pad: 'c'.repeat((i * 37) % 300), text: 'ünïcødé ✓' });
      toClient.push({
        type: 'rec',
        seq: i,
        nested: { list: [i, String(i)] },
        pad: 's'.repeat((i * 53) % 500),
      });
    }
    // Bursts written in the same instant are coalesced; the network splits chunks at random points.
    for (let burst = 0; burst < 400; burst += 50) {
      for (const m of toServer.slice(burst, burst + 50)) client.send(m);
      for (const m of toClient.slice(burst, burst + 50)) server.send(m);
      p.sim.runFor(3);
    }
    p.sim.runFor(1000);
    assert.deepEqual(p.server.messages, toServer);
    assert.deepEqual(p.client.messages, toClient);

    // The delivery really was split and coalesced: some chunks are not one whole frame.
    const frameSizes = new Set([...toServer, ...toClient].map((m) => encodeFrame(m).length));
    const chunkSizes = p.sim.log
      .map((l) => /tcp c\d+ data .* (\d+)B$/.exec(l)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number);
    assert.ok(
      chunkSizes.some((n) => !frameSizes.has(n) && n > 600),
      'some chunk coalesced several frames',
    );
    assert.ok(
      chunkSizes.some((n) => n < 20),
      'some chunk is a fragment of a frame',
    );
  });

  it('carries 1 MB frames both ways, followed by small ones', () => {
    const p = new Pair({ seed: 3 });
    const { server, client } = p.open();
    const big = (who: string): LinkMessage => ({ type: 'batch', who, data: `${who}:`.repeat(500_000) });
    client.send(big('c'));
    client.send({ type: 'after' });
    server.send(big('s'));
    server.send({ type: 'after' });
    p.sim.runFor(5000);
    assert.deepEqual(p.server.messages, [big('c'), { type: 'after' }]);
    assert.deepEqual(p.client.messages, [big('s'), { type: 'after' }]);
    assert.ok(JSON.stringify(big('c')).length > 1_000_000);
  });

  it('delivers nothing before onOpen: what the server sends from onOpen arrives after the client opened', () => {
    const p = new Pair({ noClient: true });
    const order: string[] = [];
    const ln = listenLinks(
      p.serverNode.net,
      p.serverNode.clock,
      p.serverNode.random,
      { host: SERVER_HOST, port: PORT + 1 },
      { secret: SECRET, name: 'S1', protocol: 'ha' },
      {
        onOpen: (link) => {
          link.send({ type: 'first' });
          link.send({ type: 'second' });
        },
        onMessage: () => {},
        onClose: () => {},
      },
    );
    p.sim.runFor(1);
    connectLink(
      p.clientNode.net,
      p.clientNode.clock,
      p.clientNode.random,
      { host: SERVER_HOST, port: PORT + 1 },
      { secret: SECRET, name: 'S2', protocol: 'ha' },
      {
        onOpen: () => order.push('open'),
        onMessage: (_l, m) => order.push(m.type),
        onClose: () => order.push('close'),
        onFailed: (r) => assert.fail(describeReason(r)),
      },
    );
    p.sim.runFor(1000);
    assert.deepEqual(order, ['open', 'first', 'second']);
    assert.equal(ln.links().length, 1);
  });
});

describe('link: handshake refusals', () => {
  it('refuses a client with the wrong secret; nothing is delivered either way', () => {
    const p = new Pair({ client: { secret: 'not the right secret at all' } });
    p.sim.runFor(10_000);
    assert.equal(p.server.opened + p.client.opened, 0);
    assert.equal(p.refused.length, 1);
    assert.match(p.refused[0]!, /authentication of 'S2' failed: wrong mac/);
    assert.equal(p.failed.length, 1);
    const f = p.failed[0]!;
    assert.equal(f.kind, 'handshake-failed');
    assert.match(describeReason(f), /refused by the peer: authentication of 'S2' failed/);
    assert.deepEqual(p.server.messages, []);
    assert.deepEqual(p.client.messages, []);
    assert.equal(p.sim.network.openConnections, 0);
  });

  it('the client refuses a server that does not know the secret, and delivers nothing it sent', () => {
    const p = new Pair({ noClient: true });
    p.listener.close();
    // An impostor: says hello, accepts any auth, answers with a welcome made with a guessed secret, then talks.
    let impostorConn: TcpConnection | undefined;
    p.serverNode.net.listenTcp(
      { host: SERVER_HOST, port: PORT + 2 },
      {
        onConnection: (conn) => {
          impostorConn = conn;
          const nonce = 'cd'.repeat(16);
          conn.write(encodeFrame({ type: 'hello', protocol: 'ha', protocols: ['ha'], nonce }));
          const d = new FrameDecoder();
          return {
            onData: (data) => {
              d.push(data);
              const auth = d.next();
              if (auth?.type !== 'auth') return;
              const welcome = makeWelcome('a guessed secret!!', auth as never, nonce, 'evil', 0);
              conn.write(Buffer.concat([encodeFrame(welcome), encodeFrame({ type: 'evil-command' })]));
            },
            onClose: () => {},
          };
        },
      },
    );
    p.sim.runFor(1);
    const failed: CloseReason[] = [];
    connectLink(
      p.clientNode.net,
      p.clientNode.clock,
      p.clientNode.random,
      { host: SERVER_HOST, port: PORT + 2 },
      { secret: SECRET, name: 'S2', protocol: 'ha' },
      {
        onOpen: () => assert.fail('must not open'),
        onMessage: () => assert.fail('must not deliver'),
        onClose: () => assert.fail('no link, no close'),
        onFailed: (r) => failed.push(r),
      },
    );
    p.sim.runFor(2000);
    assert.ok(impostorConn);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.kind, 'handshake-failed');
    assert.match(describeReason(failed[0]!), /the peer 'evil' failed to authenticate: wrong mac/);
  });

  it('refuses a protocol the server does not accept', () => {
    const p = new Pair({ client: { protocol: 'scs' } });
    p.sim.runFor(2000);
    assert.equal(p.server.opened + p.client.opened, 0);
    assert.match(p.refused[0]!, /protocol 'scs' of 'S2' is not accepted here \(accepted: ha\)/);
    assert.match(describeReason(p.failed[0]!), /refused by the peer: protocol 'scs'/);
  });

  it('one port accepts several protocols and each link knows which one was agreed', () => {
    const p = new Pair({ server: { protocol: 'lca', acceptProtocols: ['lca-app', 'scs'] }, noClient: true });
    p.connect({ protocol: 'scs', name: 'SCS' });
    p.open();
    assert.equal(p.server.link!.protocol, 'scs');
    assert.equal(p.client.link!.protocol, 'scs');
    p.connect({ protocol: 'lca-app', name: 'S1' });
    p.sim.runFor(1000);
    assert.equal(p.server.opened, 2);
    assert.equal(p.server.link!.protocol, 'lca-app');
    assert.equal(p.server.link!.peerName, 'S1');
    assert.deepEqual(
      p.listener
        .links()
        .map((l) => `${l.peerName}/${l.protocol}`)
        .sort(),
      ['S1/lca-app', 'SCS/scs'],
    );
    p.connect({ protocol: 'lca', name: 'X' }); // the server's own name for itself is not in the list
    p.sim.runFor(1000);
    assert.match(p.refused[0]!, /protocol 'lca' of 'X' is not accepted here \(accepted: lca-app, scs\)/);
  });

  it('times out a peer that connects and says nothing (server side)', () => {
    const p = new Pair({ noClient: true, server: { handshakeTimeoutMs: 2000 } });
    const start = p.sim.now;
    const raw = rawClient(p);
    p.sim.runUntil(() => p.refused.length > 0, { timeoutMs: 10_000 });
    assert.match(p.refused[0]!, /no authentication within 2000 ms/);
    const elapsed = p.sim.now - start;
    assert.ok(elapsed >= 2000 && elapsed < 2020, `refused after ${elapsed} ms`);
    p.sim.runFor(100);
    assert.ok(raw.closed(), 'the server closed the connection');
    assert.equal(p.server.opened, 0);
  });

  it('times out a server that accepts and says nothing (client side)', () => {
    const p = new Pair({ noClient: true, client: { handshakeTimeoutMs: 1500 } });
    p.listener.close();
    p.serverNode.net.listenTcp(SERVER_ADDR, { onConnection: () => ({ onData() {}, onClose() {} }) });
    p.sim.runFor(1);
    const start = p.sim.now;
    p.connect();
    p.sim.runUntil(() => p.failed.length > 0, { timeoutMs: 10_000 });
    assert.equal(p.sim.now - start, 1500);
    assert.equal(p.failed[0]!.kind, 'handshake-failed');
    assert.match(describeReason(p.failed[0]!), /no hello from 10\.0\.0\.1:7000 within 1500 ms/);
  });

  it('reports a refused connection as a net-error, and cancel() before open is silent', () => {
    const p = new Pair({ noClient: true });
    p.listener.close();
    p.connect();
    p.sim.runFor(1000);
    assert.deepEqual(kinds(p.failed), ['net-error']);
    assert.equal((p.failed[0] as { error: { code: string } }).error.code, 'ECONNREFUSED');

    const q = new Pair();
    q.connector!.cancel();
    q.sim.runFor(10_000);
    assert.deepEqual(q.client.events, []);
    assert.equal(q.server.opened, 0);
    assert.equal(q.sim.network.openConnections, 0);
  });

  it('refuses garbage before authentication as a bad frame, with a 64 KiB limit before auth', () => {
    const p = new Pair({ noClient: true });
    const raw = rawClient(p);
    p.sim.runFor(10);
    raw.conn.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    p.sim.runFor(100);
    assert.match(p.refused[0]!, /^bad frame: a frame of \d+ bytes is larger than the limit of 65536 bytes/);
    assert.ok(raw.closed());

    const big = rawClient(p);
    p.sim.runFor(10);
    big.conn.write(encodeFrame({ type: 'auth', pad: 'x'.repeat(70_000) }));
    p.sim.runFor(100);
    assert.match(p.refused[1]!, /larger than the limit of 65536 bytes/);
  });
});

describe('link: bad frames and closing', () => {
  it('closes an open link on garbage, on invalid JSON, and on a message without a type', () => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from('\u0000\u0000\u0000\u0005hello'), /invalid JSON/],
      [Buffer.concat([Buffer.from([0, 0, 0, 9]), Buffer.from('{"a":"b"}')]), /no string "type"/],
      [Buffer.from('garbage that is not a frame at all'), /larger than the limit of 16777216 bytes/],
    ];
    for (const [bytes, detail] of cases) {
      const p = new Pair({ noClient: true });
      const raw = authenticatedRawClient(p);
      p.sim.runUntil(() => p.server.opened === 1);
      raw.conn.write(encodeFrame({ type: 'fine' }));
      raw.conn.write(bytes);
      p.sim.runFor(100);
      assert.deepEqual(p.server.events, ['open raw ha', 'msg:fine', 'close:bad-frame']);
      assert.match(describeReason(p.server.closes[0]!), detail);
      assert.ok(raw.closed());
    }
  });

  it('refuses an oversized frame (receiver limit), and refuses to send one over its own limit', () => {
    const p = new Pair({ server: { maxFrameBytes: 1000 } });
    const { client } = p.open();
    client.send({ type: 'small' });
    client.send({ type: 'big', pad: 'x'.repeat(2000) });
    p.sim.runFor(100);
    assert.deepEqual(p.server.events, ['open S2 ha', 'msg:small', 'close:bad-frame']);
    assert.match(describeReason(p.server.closes[0]!), /larger than the limit of 1000 bytes/);
    assert.deepEqual(kinds(p.client.closes), ['closed-by-peer']);

    const q = new Pair({ client: { maxFrameBytes: 1000 } });
    const c = q.open().client;
    c.send({ type: 'big', pad: 'x'.repeat(2000) });
    assert.equal(c.open, false, 'closed at once');
    assert.match(describeReason(q.client.closes[0]!), /refused to send a 'big' message of \d+ bytes/);
    q.sim.runFor(100);
    assert.deepEqual(q.server.messages, []);
    assert.deepEqual(kinds(q.server.closes), ['closed-by-peer']);
  });

  it('close() from either side: onClose exactly once on each end, send after close ignored', () => {
    for (const closer of ['client', 'server'] as const) {
      const p = new Pair();
      const links = p.open();
      links[closer].send({ type: 'last' });
      links[closer].close();
      assert.equal(links[closer].open, false);
      assert.deepEqual(kinds(p[closer].closes), ['closed-by-us'], 'synchronous');
      links[closer].send({ type: 'ignored' });
      links[closer].close();
      p.sim.runFor(5000);
      const other = closer === 'client' ? 'server' : 'client';
      assert.deepEqual(kinds(p[closer].closes), ['closed-by-us']);
      assert.deepEqual(kinds(p[other].closes), ['closed-by-peer']);
      assert.deepEqual(p[other].messages, [{ type: 'last' }], 'what was sent before close() arrives');
      assert.equal(links[other].open, false);
      assert.equal(p.sim.network.openConnections, 0);
    }
  });

  it('a handler may close the link: later frames of the same chunk are not delivered', () => {
    const p = new Pair({ network: { splitTcp: false } });
    const { client } = p.open();
    p.sim.network.setDefaultFaults({ delayMs: [2, 2] }); // the three frames arrive in one chunk
    p.onServerMessage = (link, msg) => {
      if (msg.type === 'stop') link.close();
    };
    client.send({ type: 'a' });
    client.send({ type: 'stop' });
    client.send({ type: 'b' });
    p.sim.runFor(100);
    assert.deepEqual(p.server.events, ['open S2 ha', 'msg:a', 'msg:stop', 'close:closed-by-us']);
    assert.deepEqual(kinds(p.server.closes), ['closed-by-us']);
  });

  it('a crashed peer is seen as closed-by-peer; a TCP timeout across a partition as net-error', () => {
    const p = new Pair();
    p.open();
    p.clientNode.crash();
    p.sim.runFor(100);
    assert.deepEqual(kinds(p.server.closes), ['closed-by-peer']);
    assert.deepEqual(p.client.closes, [], 'a dead process is never called back');

    const q = new Pair({ network: { tcpPartitionTimeoutMs: 4000 } });
    q.open();
    q.client.link!.send({ type: 'lost' });
    q.sim.network.partition([SERVER_HOST], [CLIENT_HOST]);
    q.sim.runFor(5000);
    const r = q.server.closes[0];
    assert.equal(r?.kind, 'net-error');
    assert.equal((r as { error: { code: string } }).error.code, 'ETIMEDOUT');
    assert.deepEqual(kinds(q.client.closes), ['net-error']);
  });

  it('listener close() stops accepting but leaves open links up', () => {
    const p = new Pair();
    p.open();
    p.listener.close();
    p.sim.runFor(1000);
    assert.equal(p.server.link!.open, true);
    assert.equal(p.listener.local(), undefined);
    p.connect();
    p.sim.runFor(1000);
    assert.equal(p.failed.length, 1);
  });

  it('rejects unusable options at the call', () => {
    const p = new Pair({ noClient: true });
    const n = p.clientNode;
    const go = (o: object) => () =>
      connectLink(
        n.net,
        n.clock,
        n.random,
        SERVER_ADDR,
        { secret: SECRET, name: 'x', protocol: 'ha', ...o },
        {
          onOpen() {},
          onMessage() {},
          onClose() {},
          onFailed() {},
        },
      );
    assert.throws(go({ secret: '' }), /shared secret is empty/);
    assert.throws(go({ protocol: '' }), /protocol must not be empty/);
    assert.throws(go({ addp: { timeout: -1, remoteTimeout: 0 } }), /ADDP option timeout/);
    assert.throws(go({ addp: { timeout: 1, remoteTimeout: Number.NaN } }), /ADDP option remoteTimeout/);
    assert.throws(go({ maxFrameBytes: 0 }), /maxFrameBytes/);
    assert.throws(go({ handshakeTimeoutMs: 0 }), /handshakeTimeoutMs/);
    assert.throws(go({ acceptProtocols: [] }), /acceptProtocols/);
  });
});

describe('link: determinism', () => {
  function scenario(seed: number): string[] {
    const p = new Pair({
      seed,
      server: { addp: { timeout: 0.5, remoteTimeout: 0 } },
      client: { addp: { timeout: 0.7, remoteTimeout: 0 } },
    });
    const { server, client } = p.open();
    for (let i = 0; i < 30; i++) {
      client.send({ type: 'c', i, pad: 'x'.repeat(i * 11) });
      server.send({ type: 's', i });
      p.sim.runFor(p.sim.random.int(400));
    }
    p.sim.runFor(3000);
    p.sim.network.partition([SERVER_HOST], [CLIENT_HOST]);
    p.sim.runFor(3000);
    return p.sim.log;
  }

  it('same seed, same log; another seed, another log', () => {
    const a = scenario(42);
    assert.deepEqual(scenario(42), a);
    assert.notDeepEqual(scenario(43), a);
    assert.ok(a.some((l) => l.includes('close:addp-timeout')));
  });
});
