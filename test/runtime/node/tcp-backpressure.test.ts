/**
 * NodeNet TCP towards a peer that stops reading (loopback): queuedBytes() grows once the kernel's buffers
 * are full, and abort() resets the connection, freeing what was queued; the peer sees ECONNRESET.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { NetError, TcpConnection } from '../../../src/runtime/net.ts';
import { NodeNet } from '../../../src/runtime/node/net.ts';

const LOOPBACK = '127.0.0.1';
const tick = () => new Promise((r) => setImmediate(r));

describe('NodeNet TCP: a peer that stops reading', () => {
  it('queuedBytes grows while the peer is paused, drains when it reads, and abort resets', async () => {
    const net = new NodeNet();
    let accepted: TcpConnection | undefined;
    const closes: Array<NetError | undefined> = [];
    const server = await new Promise<ReturnType<NodeNet['listenTcp']>>((resolve, reject) => {
      const s = net.listenTcp(
        { host: LOOPBACK, port: 0 },
        {
          onListening: () => resolve(s),
          onError: reject,
          onConnection: (c) => {
            accepted = c;
            return { onData() {}, onClose: (e) => closes.push(e) };
          },
        },
      );
    });
    const peer: Socket = connect(server.local()!.port, LOOPBACK);
    let received = 0;
    peer.on('data', (d: Buffer) => {
      received += d.length;
    });
    peer.pause();
    await once(peer, 'connect');
    while (accepted === undefined) await tick();
    const conn = accepted;
    try {
      assert.equal(conn.queuedBytes(), 0);
      // Write until the kernel's buffers (loopback: up to tens of MiB) are full and Node starts queueing.
      const block = Buffer.alloc(256 * 1024, 0x61);
      let written = 0;
      while (conn.queuedBytes() < 1024 * 1024) {
        conn.write(block);
        written += block.length;
        if (written > 512 * 1024 * 1024) assert.fail('512 MiB written and still nothing queued');
        await tick();
      }
      const queued = conn.queuedBytes();
      assert.ok(queued >= 1024 * 1024 && queued <= written, `queued ${queued} of ${written}`);

      // Reading again drains the queue.
      peer.resume();
      while (received < written) await tick();
      assert.equal(conn.queuedBytes(), 0);

      // Paused again and filled again: abort discards the queue; the peer, reading again, sees a reset.
      peer.pause();
      const receivedBefore = received;
      const writtenBefore = written;
      while (conn.queuedBytes() < 1024 * 1024) {
        conn.write(block);
        written += block.length;
        await tick();
      }
      const peerClosed = once(peer, 'close');
      let peerError: string | undefined;
      peer.on('error', (e: NodeJS.ErrnoException) => {
        peerError = e.code;
      });
      conn.abort();
      assert.equal(conn.queuedBytes(), 0, 'nothing queued any more');
      conn.write(block); // ignored after the abort
      while (closes.length === 0) await tick();
      assert.deepEqual(closes, [undefined], 'the aborting end closes once, without an error');
      // A peer paused during the reset may see it as ECONNRESET or as an end of stream: either way it is
      // gone, and most of what was queued never reaches it.
      peer.resume();
      await peerClosed;
      assert.ok(peerError === undefined || peerError === 'ECONNRESET', `peer error ${peerError}`);
      assert.ok(
        received - receivedBefore < written - writtenBefore,
        `discarded: ${received - receivedBefore} of ${written - writtenBefore} bytes arrived`,
      );
    } finally {
      peer.destroy();
      server.close();
    }
  });
});
