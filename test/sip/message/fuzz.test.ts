/**
 * Robustness: mutated and random inputs never make parseMessage throw, every run finishes (the test timeout
 * catches super-linear scanning), memory stays bounded, and whatever is accepted round-trips through the
 * serializer and has readable core headers. Over 20,000 parser runs in total.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import {
  createResponse,
  getCallId,
  getContacts,
  getCSeq,
  getFrom,
  getTo,
  getVias,
  type ParseResult,
  parseMessage,
  type SipMessage,
  SipSyntaxError,
  serializeMessage,
} from '../../../src/sip/message/index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = path.resolve(repoRoot, '../shared/testdata');
const SAMPLES = ['wsinv', 'intmeth', 'esc01', 'longreq', 'mpart01', 'unreason', 'semiuri', 'transports'].map(
  (n) => readFileSync(path.join(dataDir, 'rfc4475', `${n}.dat`)),
);
SAMPLES.push(readFileSync(path.join(dataDir, 'rfc5118', 'mult-ip-in-header')));

const BIG = { maxMessageBytes: 1 << 20, maxLineBytes: 1 << 20, maxHeaders: 100_000 };
let runs = 0;

function isResult(r: ParseResult): boolean {
  if (r.ok)
    return typeof r.message === 'object' && (r.message.kind === 'request' || r.message.kind === 'response');
  return typeof r.error.code === 'string' && typeof r.error.reason === 'string' && r.error.reason.length > 0;
}

function comparable(m: SipMessage): unknown {
  return { ...m, headers: m.headers.filter((h) => h.name !== 'Content-Length'), body: Buffer.from(m.body) };
}

/** The invariants every input must keep. */
function check(input: Uint8Array | string, opts?: Parameters<typeof parseMessage>[1]): void {
  runs++;
  const r = parseMessage(input, opts);
  assert.ok(isResult(r));
  if (!r.ok) {
    if (r.error.request) {
      // An answerable refusal has readable Vias, and a 400 can be built from it and written (SPEC S2.1).
      assert.ok(getVias(r.error.request).length > 0);
      const answer = createResponse(r.error.request, r.error.status ?? 400);
      assert.ok(serializeMessage(answer).length > 0);
    }
    return;
  }
  // Accepted: the headers validated at parse time are readable, and the message round-trips.
  const m = r.message;
  assert.ok(getVias(m).length > 0);
  getFrom(m);
  getTo(m);
  getCallId(m);
  getCSeq(m);
  if (m.kind === 'request' && m.method === 'REGISTER') getContacts(m);
  else {
    try {
      getContacts(m);
    } catch (e) {
      // Outside REGISTER, Contact is checked when read; the only allowed failure is a typed one.
      assert.ok(e instanceof SipSyntaxError);
    }
  }
  const again = parseMessage(serializeMessage(m), { stream: true, limits: BIG });
  if (!again.ok) assert.fail(`accepted message does not round-trip: ${again.error.reason}`);
  assert.deepEqual(comparable(again.message), comparable(m));
}

function gcFunction(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose_gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

describe('parser robustness', { timeout: 180_000 }, () => {
  const gc = gcFunction();
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;

  it('truncation at every cut point (UDP and stream)', () => {
    for (const sample of SAMPLES) {
      for (let cut = 0; cut <= sample.length; cut++) {
        const part = sample.subarray(0, cut);
        check(part);
        check(part, { stream: true });
      }
    }
  });

  it('byte flips', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SAMPLES.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (which, flips) => {
          const b = Buffer.from(SAMPLES[which]);
          for (const [pos, byte] of flips) b[pos % b.length] = byte;
          check(b);
        },
      ),
      { numRuns: 5000, seed: 4475 },
    );
  });

  it('SIP-alphabet substitutions (reach deep into the grammar)', () => {
    const alphabet = fc.constantFrom(
      ...' \t\r\n:;,<>"\\%@[]/?=.*+-_~!\'`()0123456789aZ'.split(''),
      '\r\n ',
      '%41',
      '::',
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SAMPLES.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 4 }), fc.array(alphabet, { maxLength: 4 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (which, edits) => {
          let s = SAMPLES[which].toString('latin1');
          for (const [pos, del, ins] of edits) {
            const at = pos % (s.length + 1);
            s = s.slice(0, at) + ins.join('') + s.slice(at + del);
          }
          check(Buffer.from(s, 'latin1'));
        },
      ),
      { numRuns: 6000, seed: 3261 },
    );
  });

  it('header duplication', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SAMPLES.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 300 }),
        (which, line, times) => {
          const text = SAMPLES[which].toString('latin1');
          const end = text.indexOf('\r\n\r\n');
          const lines = text.slice(0, end).split('\r\n');
          const i = 1 + (line % (lines.length - 1));
          const dup = [...lines.slice(0, i), ...Array(times).fill(lines[i]), ...lines.slice(i)];
          check(Buffer.from(dup.join('\r\n') + text.slice(end), 'latin1'));
        },
      ),
      { numRuns: 1500, seed: 5118 },
    );
  });

  it('huge values (up to ~100 KB) inserted anywhere', () => {
    const filler = fc.constantFrom(' ', ';', ',', '<', '"', '\\', 'a', ':', '%', '[', '\r\n ', ';a=', '"a",');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SAMPLES.length - 1 }),
        fc.nat(),
        filler,
        fc.integer({ min: 1_000, max: 100_000 }),
        (which, pos, unit, size) => {
          const s = SAMPLES[which].toString('latin1');
          const at = pos % s.length;
          const big = s.slice(0, at) + unit.repeat(Math.ceil(size / unit.length)) + s.slice(at);
          check(big, { limits: BIG });
          check(big);
        },
      ),
      { numRuns: 400, seed: 100 },
    );
  });

  it('adversarial runs in the core headers (linear scanning)', () => {
    const head = (field: string): string =>
      `INVITE sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n${field}\r\n\r\n`;
    const n = 200_000;
    for (const field of [
      `To: "${'\\"'.repeat(n / 2)}`,
      `From: ${'a '.repeat(n / 2)}`,
      `Contact: ${'<sip:a@h>,'.repeat(n / 10)}`,
      `Via: SIP/2.0/UDP h${';a'.repeat(n / 2)}`,
      `Via: ${'SIP/2.0/UDP h,'.repeat(n / 14)}`,
      `Route: ${'<'.repeat(n)}`,
      `Contact: "${' '.repeat(n)}`,
      `X: ${' '.repeat(n)}x`,
      `CSeq: ${'9'.repeat(n)} INVITE`,
      `Content-Length: ${'9'.repeat(n)}`,
      `Date: ${'Mon, '.repeat(n / 5)}`,
      `To: <sip:${'%41'.repeat(n / 3)}@h>`,
      `To: <sip:a@[${'1:'.repeat(n / 2)}]>`,
    ]) {
      check(head(field), { limits: { maxMessageBytes: 1 << 20, maxLineBytes: 1 << 20 } });
      check(head(field));
    }
    for (const text of [
      `INVITE ${'a'.repeat(n)} SIP/2.0\r\n\r\n`,
      `INVITE sip:a@h${' '.repeat(n)}SIP/2.0\r\n\r\n`,
    ]) {
      check(text, { limits: BIG });
    }
  });

  it('random bytes and random SIP-like text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (bytes, stream) => {
        check(bytes, { stream });
      }),
      { numRuns: 4000, seed: 7 },
    );
    const token = fc.constantFrom(
      'INVITE',
      'SIP/2.0',
      'sip:',
      '@',
      'Via:',
      'v:',
      'CSeq:',
      'From:',
      'To:',
      'i:',
      'l:',
      ' ',
      '\r\n',
      '<',
      '>',
      ';tag=',
      '"',
      '0',
      '1 INVITE',
      'h',
      '[::1]',
      ',',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 80 }), (parts) => {
        check(parts.join(''));
      }),
      { numRuns: 3000, seed: 8 },
    );
  });

  it('ran at least 20,000 inputs, and memory stayed bounded', () => {
    assert.ok(runs >= 20_000, `only ${runs} runs`);
    gc?.();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(growth < 64 * 1024 * 1024, `heap grew by ${Math.round(growth / 1024 / 1024)} MB`);
  });
});
