import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StreamFramer } from '../../../src/sip/transport/stream-framer.ts';

const options = (cseq: number, body = ''): string =>
  `OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.2;branch=z9hG4bK${cseq}\r\n` +
  `Call-ID: c${cseq}\r\nCSeq: ${cseq} OPTIONS\r\nl: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('frames split anywhere and coalesced messages into whole messages', () => {
  const stream = Buffer.from(options(1, 'hello') + options(2) + options(3, 'x'.repeat(300)));
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const framer = new StreamFramer();
      const frames: string[] = [];
      let last = 0;
      for (const p of [...points, stream.length]) {
        for (const ev of framer.push(stream.subarray(last, p))) {
          assert.equal(ev.kind, 'message');
          if (ev.kind === 'message') frames.push(Buffer.from(ev.bytes).toString());
        }
        last = p;
      }
      assert.deepEqual(frames, [options(1, 'hello'), options(2), options(3, 'x'.repeat(300))]);
      assert.equal(framer.buffered, 0);
    }),
    { numRuns: 300 },
  );
});

test('CRLF CRLF between messages is a keepalive ping (RFC 5626 §3.5.1)', () => {
  const framer = new StreamFramer();
  const events = framer.push(Buffer.from(`\r\n\r\n${options(1)}\r\n\r\n`));
  assert.deepEqual(
    events.map((e) => e.kind),
    ['ping', 'message', 'ping'],
  );
});

test('a head without Content-Length breaks the stream', () => {
  const framer = new StreamFramer();
  const [ev] = framer.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n'));
  assert.equal(ev?.kind, 'error');
  assert.match(ev?.kind === 'error' ? ev.reason : '', /Content-Length is required/);
});

test('malformed, conflicting or oversized Content-Length breaks the stream', () => {
  for (const cl of [
    'Content-Length: -1',
    'Content-Length: abc',
    'Content-Length: 3\r\nl: 4',
    'Content-Length: 99999999',
  ]) {
    const [ev] = new StreamFramer(65536, 1 << 20).push(
      Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${cl}\r\n\r\n`),
    );
    assert.equal(ev?.kind, 'error', cl);
  }
});

test('a head that never ends within the limit breaks the stream', () => {
  const framer = new StreamFramer(1000);
  const events = framer.push(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'a'.repeat(2000)}`));
  assert.equal(events[0]?.kind, 'error');
});
