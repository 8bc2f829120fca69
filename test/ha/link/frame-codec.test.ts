import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FrameDecoder,
  FrameError,
} from '../../../src/ha/link/frame-codec.ts';
import type { LinkMessage } from '../../../src/ha/link/types.ts';

function drain(d: FrameDecoder): LinkMessage[] {
  const out: LinkMessage[] = [];
  for (let m = d.next(); m !== undefined; m = d.next()) out.push(m);
  return out;
}

function rawFrame(body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const h = Buffer.alloc(4);
  h.writeUInt32BE(b.length, 0);
  return Buffer.concat([h, b]);
}

function badFrame(d: FrameDecoder, bytes: Uint8Array): string {
  d.push(bytes);
  try {
    drain(d);
  } catch (err) {
    assert.ok(err instanceof FrameError);
    return err.detail;
  }
  assert.fail('expected a FrameError');
}

describe('frame codec', () => {
  it('encodes a 4-byte big-endian length then UTF-8 JSON, as one Buffer', () => {
    const f = encodeFrame({ type: 'x', text: 'é€' });
    const json = JSON.stringify({ type: 'x', text: 'é€' });
    assert.equal(f.readUInt32BE(0), Buffer.byteLength(json));
    assert.equal(f.subarray(4).toString('utf8'), json);
  });

  it('reassembles frames fed one byte at a time and splits coalesced ones', () => {
    const msgs: LinkMessage[] = [];
    for (let i = 0; i < 50; i++) msgs.push({ type: 'm', i, pad: 'x'.repeat(i * 7), u: 'ü' });
    const stream = Buffer.concat(msgs.map(encodeFrame));
    const byByte = new FrameDecoder();
    const got: LinkMessage[] = [];
    for (const byte of stream) {
      byByte.push(Uint8Array.of(byte));
      got.push(...drain(byByte));
    }
    assert.deepEqual(got, msgs);
    const whole = new FrameDecoder();
    whole.push(stream);
    assert.deepEqual(drain(whole), msgs);
    assert.equal(whole.pendingBytes, 0);
  });

  it('carries a 1 MB frame split in uneven chunks', () => {
    const big = { type: 'batch', data: 'abcdefghij'.repeat(100_000) };
    const f = encodeFrame(big);
    const d = new FrameDecoder();
    const got: LinkMessage[] = [];
    for (let off = 0, n = 1; off < f.length; off += n, n = (n * 7 + 13) % 65_521) {
      d.push(f.subarray(off, off + n));
      got.push(...drain(d));
    }
    assert.deepEqual(got, [big]);
  });

  it('refuses a length over the limit as soon as the header is read', () => {
    const d = new FrameDecoder(100);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101, 0);
    assert.match(badFrame(d, header), /101 bytes is larger than the limit of 100/);
    assert.throws(() => d.next(), FrameError, 'the decoder stays failed');
    assert.equal(new FrameDecoder().maxFrameBytes, DEFAULT_MAX_FRAME_BYTES);
  });

  it('refuses invalid JSON, invalid UTF-8, an empty frame, non-objects and messages without a string type', () => {
    assert.match(badFrame(new FrameDecoder(), rawFrame('{"type":')), /invalid JSON/);
    assert.match(badFrame(new FrameDecoder(), rawFrame(Buffer.from([0x22, 0xff, 0x22]))), /invalid JSON/);
    assert.match(badFrame(new FrameDecoder(), rawFrame('')), /invalid JSON/);
    assert.match(badFrame(new FrameDecoder(), rawFrame('[1,2]')), /not a JSON object \(an array\)/);
    assert.match(badFrame(new FrameDecoder(), rawFrame('null')), /not a JSON object \(null\)/);
    assert.match(badFrame(new FrameDecoder(), rawFrame('"hi"')), /not a JSON object \(string\)/);
    assert.match(badFrame(new FrameDecoder(), rawFrame('{"t":1}')), /no string "type"/);
    assert.match(badFrame(new FrameDecoder(), rawFrame('{"type":3}')), /no string "type"/);
  });

  it('delivers the good frames before a bad one', () => {
    const d = new FrameDecoder();
    d.push(Buffer.concat([encodeFrame({ type: 'a' }), rawFrame('nope')]));
    assert.deepEqual(d.next(), { type: 'a' });
    assert.throws(() => d.next(), FrameError);
  });
});
