/**
 * sip/message parse+serialize throughput against the npm `sip` package, in one process.
 * Run: node --import tsx bench/parse.ts
 *
 * Fairness: `sip.parse` eagerly parses Via, CSeq, From/To and Contact; our parser validates those too and then
 * the benchmark reads what a proxy reads (top Via branch, CSeq, Call-ID, To tag) through the typed views.
 * Both get the same Buffer (as a UDP socket delivers it) and serialize the parsed message back to bytes.
 */
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  getCallId,
  getCSeq,
  getTo,
  getTopVia,
  parseMessage,
  serializeMessage,
} from '../src/sip/message/index.ts';
import { INVALID_4475 } from '../test/helpers/rfc4475.ts';

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.101',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49172 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  '',
].join('\r\n');

const INVITE = Buffer.from(
  [
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:alice@pc33.atlanta.example.com:5060>',
    'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY',
    'User-Agent: Duet-Bench/1.0',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n'),
);

const OK200 = Buffer.from(
  [
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bKnashds8;received=192.0.2.3',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1',
    'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:bob@192.0.2.4>',
    'Record-Route: <sip:server10.biloxi.example.com;lr>',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n'),
);

let sink = 0;

function ours(buf: Buffer): void {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(r.error.reason);
  const m = r.message;
  sink += getTopVia(m).params.branch?.length ?? 0;
  sink += getCSeq(m).seq;
  sink += getCallId(m).length;
  sink += getTo(m).params.tag?.length ?? 0;
  sink += serializeMessage(m).length;
}

// biome-ignore lint/suspicious/noExplicitAny: the sip package is untyped CommonJS; its messages are loose objects.
type SipPkgMessage = any;

/** The two functions of the npm `sip` package (CommonJS, no types) that the comparison uses. */
interface SipPackage {
  parse(data: Buffer | string): SipPkgMessage;
  stringify(m: SipPkgMessage): string;
}
const sip = createRequire(import.meta.url)('sip') as SipPackage;

function theirs(buf: Buffer): void {
  const m: SipPkgMessage = sip.parse(buf);
  if (!m) throw new Error('sip.parse refused the message');
  sink += m.headers.via[0].params.branch?.length ?? 0;
  sink += m.headers.cseq.seq;
  sink += m.headers['call-id'].length;
  sink += m.headers.to.params.tag?.length ?? 0;
  sink += Buffer.byteLength(sip.stringify(m), 'binary');
}

function opsPerSecond(fn: (b: Buffer) => void, buf: Buffer, iterations: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(buf);
  const ns = Number(process.hrtime.bigint() - t0);
  return (iterations * 1e9) / ns;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const ROUNDS = 7;
const ITER = 20_000;

function bench(label: string, buf: Buffer): { ours: number; theirs: number } {
  for (let i = 0; i < 20_000; i++) {
    ours(buf);
    theirs(buf);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order each round so neither side always runs on a warmer heap.
    if (r % 2 === 0) {
      a.push(opsPerSecond(ours, buf, ITER));
      b.push(opsPerSecond(theirs, buf, ITER));
    } else {
      b.push(opsPerSecond(theirs, buf, ITER));
      a.push(opsPerSecond(ours, buf, ITER));
    }
  }
  const result = { ours: median(a), theirs: median(b) };
  console.log(
    `${label.padEnd(22)} ours ${Math.round(result.ours).toLocaleString('en-US').padStart(9)} ops/s   ` +
      `sip ${Math.round(result.theirs).toLocaleString('en-US').padStart(9)} ops/s   ratio ${(result.ours / result.theirs).toFixed(2)}x`,
  );
  return result;
}

/** Median time of one call of `fn`, in microseconds (same rounds as bench). */
function microseconds(fn: () => void): number {
  for (let i = 0; i < ITER; i++) fn();
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ITER; i++) fn();
    times.push(Number(process.hrtime.bigint() - t0) / ITER / 1000);
  }
  return median(times);
}

/** Where the time goes: parsing alone, and writing alone (of an already parsed message). */
function parts(label: string, buf: Buffer): void {
  const parsed = parseMessage(buf);
  if (!parsed.ok) throw new Error(parsed.error.reason);
  const theirMessage: SipPkgMessage = sip.parse(buf);
  const ourParse = microseconds(() => {
    sink += parseMessage(buf).ok ? 1 : 0;
  });
  const ourWrite = microseconds(() => {
    sink += serializeMessage(parsed.message).length;
  });
  const theirParse = microseconds(() => {
    sink += sip.parse(buf) ? 1 : 0;
  });
  const theirWrite = microseconds(() => {
    sink += sip.stringify(theirMessage).length;
  });
  console.log(
    `${label.padEnd(22)} ours parse ${ourParse.toFixed(2)} us + serialize ${ourWrite.toFixed(2)} us   ` +
      `sip parse ${theirParse.toFixed(2)} us + stringify ${theirWrite.toFixed(2)} us`,
  );
}

console.log(
  `node ${process.version}, ${ROUNDS} rounds x ${ITER} iterations, median ops/s (parse + field access + serialize)`,
);
bench(`INVITE (${INVITE.length} B)`, INVITE);
bench(`200 OK (${OK200.length} B)`, OK200);
parts('INVITE parts', INVITE);
parts('200 OK parts', OK200);

// Acceptance of the RFC 4475 §3.1.2 invalid messages.
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../../shared/testdata/rfc4475');
const INVALID = INVALID_4475;
let sipAccepts = 0;
let oursAccepts = 0;
let oursAnswers = 0;
const sipAccepted: string[] = [];
for (const name of INVALID) {
  const buf = readFileSync(path.join(dir, `${name}.dat`));
  let m: SipPkgMessage;
  try {
    m = sip.parse(buf);
  } catch {
    m = undefined;
  }
  // The same acceptance test the sip package's transport applies (checkMessage in sip.js).
  const h = m?.headers;
  const accepted =
    m &&
    (m.method || (m.status >= 100 && m.status <= 999)) &&
    Array.isArray(h?.via) &&
    h.via.length > 0 &&
    h['call-id'] &&
    h.to &&
    h.from &&
    h.cseq;
  if (accepted) {
    sipAccepts++;
    sipAccepted.push(name);
  }
  const ours = parseMessage(buf);
  if (ours.ok) oursAccepts++;
  else if (ours.error.request) oursAnswers++;
}
console.log(
  `RFC 4475 §3.1.2 invalid messages accepted: sip ${sipAccepts}/${INVALID.length}, ours ${oursAccepts}/${INVALID.length}`,
);
console.log(`  accepted by sip: ${sipAccepted.join(' ')}`);
console.log(`  refused by ours with a 400/505 answer (their Via reads): ${oursAnswers}/${INVALID.length}`);
console.log(`(${readdirSync(dir).length} RFC 4475 files available; sink ${sink % 10})`);
