import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  getCallId,
  getContacts,
  getCSeq,
  getFrom,
  getHeader,
  getTo,
  getTopVia,
  parseMessage,
  type SipParseError,
  type SipRequest,
  SipSyntaxError,
} from '../../../src/sip/message/index.ts';

const HEAD = [
  'INVITE sip:bob@biloxi.example SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bKnashds8',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example>',
  'From: Alice <sip:alice@atlanta.example>;tag=1928301774',
  'Call-ID: a84b4c76e66710',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example>',
  'Content-Type: application/sdp',
];
const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n';

function invite(extra: string[] = [], body = SDP, eol = '\r\n'): string {
  return [...HEAD, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join(eol);
}

function refuse(input: string | Uint8Array, opts?: Parameters<typeof parseMessage>[1]): SipParseError {
  const r = parseMessage(input, opts);
  if (r.ok) assert.fail('accepted');
  return r.error;
}

function accept(input: string | Uint8Array, opts?: Parameters<typeof parseMessage>[1]): SipRequest {
  const r = parseMessage(input, opts);
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.reason}`);
  assert.equal(r.message.kind, 'request');
  return r.message as SipRequest;
}

describe('parseMessage: framing', () => {
  it('reads a typical INVITE with its body', () => {
    const m = accept(invite());
    assert.equal(m.method, 'INVITE');
    assert.equal(Buffer.from(m.body).toString(), SDP);
    assert.equal(getTopVia(m).params.branch, 'z9hG4bKnashds8');
  });
  it('tolerates bare LF line ends and leading CRLFs (§7.5)', () => {
    const m = accept(`\r\n\r\n${invite([], SDP, '\n')}`);
    assert.equal(getCallId(m), 'a84b4c76e66710');
    assert.equal(m.body.length, Buffer.byteLength(SDP));
  });
  it('UDP: no Content-Length means the rest of the datagram; extra bytes after it are ignored', () => {
    const noLength = [...HEAD, '', 'hello'].join('\r\n');
    assert.equal(Buffer.from(accept(noLength).body).toString(), 'hello');
    const extra = `${invite([], 'abc')}trailing garbage`;
    assert.equal(Buffer.from(accept(extra).body).toString(), 'abc');
  });
  it('UDP: a Content-Length larger than the body is BAD_CONTENT_LENGTH', () => {
    const text = invite().replace(/Content-Length: \d+/, 'Content-Length: 500');
    const e = refuse(text);
    assert.equal(e.code, 'BAD_CONTENT_LENGTH');
    assert.match(e.reason, /Content-Length 500 exceeds the body of \d+ bytes/);
    assert.equal(e.status, 400);
  });
  it('stream: Content-Length required; short body is INCOMPLETE; bytes after the message ignored', () => {
    const noLength = [...HEAD, '', ''].join('\r\n');
    const e = refuse(noLength, { stream: true });
    assert.equal(e.code, 'MISSING_HEADER');
    assert.match(e.reason, /Content-Length/);
    const full = invite();
    assert.equal(refuse(full.slice(0, -5), { stream: true }).code, 'INCOMPLETE');
    assert.equal(refuse(full.slice(0, 40), { stream: true }).code, 'INCOMPLETE');
    const m = accept(full + invite(), { stream: true });
    assert.equal(Buffer.from(m.body).toString(), SDP);
  });
  it('empty input and keep-alive CRLFs are INCOMPLETE', () => {
    assert.equal(refuse('').code, 'INCOMPLETE');
    assert.equal(refuse('\r\n\r\n').code, 'INCOMPLETE');
  });
  it('keeps the body bytes independent of the input buffer', () => {
    const input = Buffer.from(invite());
    const m = accept(input);
    input.fill(0);
    assert.equal(Buffer.from(m.body).toString(), SDP);
  });
});

describe('parseMessage: where the header section ends', () => {
  it('a bare-LF empty line ends it before a later CRLF empty line (§7.5 tolerance)', () => {
    const text = [...HEAD, 'Content-Length: 5', '', 'hello\r\nX-Not-A-Header: 1\r\n\r\n'].join('\n');
    const m = accept(text);
    assert.equal(getHeader(m, 'X-Not-A-Header'), undefined);
    assert.equal(Buffer.from(m.body).toString(), 'hello');
  });
  it('reads a header section holding UTF-8 (display names, folded values, unknown headers)', () => {
    const m = accept(
      invite(['Subject: caf\u00e9', '  cr\u00e8me \u5927', 'X-Long: \u0141\u00f3d\u017a Zbigniew']).replace(
        'From: Alice',
        'From: "Alic\u00e9 \u5927"',
      ),
    );
    assert.equal(getFrom(m).displayName, 'Alic\u00e9 \u5927');
    assert.equal(getHeader(m, 'Subject'), 'caf\u00e9 cr\u00e8me \u5927');
    assert.equal(getHeader(m, 'X-Long'), '\u0141\u00f3d\u017a Zbigniew');
    assert.equal(getTopVia(m).params.branch, 'z9hG4bKnashds8');
    assert.equal(Buffer.from(m.body).toString(), SDP);
  });
  it('a folded core header is read like an unfolded one', () => {
    const m = accept(
      invite().replace(
        'To: Bob <sip:bob@biloxi.example>',
        'To: Bob\r\n <sip:bob@biloxi.example>\r\n\t;tag=9',
      ),
    );
    assert.equal(getTo(m).displayName, 'Bob');
    assert.equal(getTo(m).params.tag, '9');
  });
});

describe('parseMessage: limits', () => {
  it('TOO_LARGE over maxMessageBytes', () => {
    const e = refuse(invite([], 'x'.repeat(70000)));
    assert.equal(e.code, 'TOO_LARGE');
    assert.match(e.reason, /exceeds the limit of 65535 bytes/);
    assert.equal(refuse(invite(), { limits: { maxMessageBytes: 100 } }).code, 'TOO_LARGE');
    assert.equal(
      refuse(invite([], 'x'.repeat(500)), { stream: true, limits: { maxMessageBytes: 400 } }).code,
      'TOO_LARGE',
    );
  });
  it('TOO_MANY_HEADERS over maxHeaders', () => {
    const extra = Array.from({ length: 300 }, (_, i) => `X-H${i}: ${i}`);
    assert.equal(refuse(invite(extra)).code, 'TOO_MANY_HEADERS');
    assert.equal(refuse(invite(), { limits: { maxHeaders: 5 } }).code, 'TOO_MANY_HEADERS');
    assert.ok(parseMessage(invite(extra.slice(0, 200))).ok);
  });
  it('LINE_TOO_LONG for a long line and for a long unfolded value', () => {
    assert.equal(refuse(invite([`X-Long: ${'a'.repeat(20000)}`])).code, 'LINE_TOO_LONG');
    const folded = Array.from({ length: 40 }, () => ` ${'b'.repeat(500)}`);
    const e = refuse(invite(['X-Folded: start', ...folded]));
    assert.equal(e.code, 'LINE_TOO_LONG');
    assert.match(e.reason, /X-Folded/);
  });
});

describe('parseMessage: start lines', () => {
  it('responses: status range, version, empty reason', () => {
    const base = [
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'From: <sip:a@h>;tag=1',
      'To: <sip:b@h>;tag=2',
      'Call-ID: x',
      'CSeq: 1 INVITE',
      '',
      '',
    ];
    const ok = parseMessage(['SIP/2.0 180 Ringing', ...base].join('\r\n'));
    assert.ok(
      ok.ok && ok.message.kind === 'response' && ok.message.status === 180 && ok.message.reason === 'Ringing',
    );
    const noReason = parseMessage(['SIP/2.0 200', ...base].join('\r\n'));
    assert.ok(noReason.ok && noReason.message.kind === 'response' && noReason.message.reason === '');
    assert.equal(refuse(['SIP/2.0 099 Low', ...base].join('\r\n')).code, 'BAD_START_LINE');
    assert.equal(refuse(['SIP/2.0 700 High', ...base].join('\r\n')).code, 'BAD_START_LINE');
    assert.equal(refuse(['SIP/2.0 20x OK', ...base].join('\r\n')).code, 'BAD_START_LINE');
    const v = refuse(['SIP/3.0 200 OK', ...base].join('\r\n'));
    assert.equal(v.code, 'BAD_VERSION');
    assert.equal(v.request, undefined);
  });
  it('requests: version, method token, garbage', () => {
    assert.equal(refuse(invite().replace('SIP/2.0\r\n', 'SIP/2.1\r\n')).status, 505);
    assert.equal(refuse(invite().replace('SIP/2.0\r\n', 'HTTP/1.1\r\n')).code, 'BAD_START_LINE');
    assert.equal(refuse(invite().replace('INVITE sip', 'INV@TE sip')).code, 'BAD_START_LINE');
    assert.equal(refuse('\x00\x01\x02\r\n\r\n').code, 'BAD_START_LINE');
    assert.equal(accept(invite().replace('SIP/2.0\r\n', 'sip/2.0\r\n')).version, 'SIP/2.0');
  });
});

describe('parseMessage: headers', () => {
  it('knows header names in any case, and only the exact names', () => {
    const m = accept(invite().replace('Call-ID:', 'CALL-id:').replace('CSeq:', 'cseq :'));
    assert.equal(m.headers.find((h) => h.value === 'a84b4c76e66710')?.name, 'Call-ID');
    assert.equal(m.headers.find((h) => h.value === '314159 INVITE')?.name, 'CSeq');
    // '_' and '-' differ even case-folded: Call_ID is an unknown header, and the Call-ID is then missing.
    const e = refuse(invite().replace('Call-ID:', 'Call_ID:'));
    assert.equal(e.reason, 'Missing Call-ID header');
    assert.equal(e.request?.headers.find((h) => h.value === 'a84b4c76e66710')?.name, 'Call_ID');
  });
  it('unfolds continuation lines into one space and maps compact names', () => {
    const m = accept(invite(['Subject: first', '  second\t', '\tthird', 'k: 100rel']));
    assert.equal(getHeader(m, 'Subject'), 'first second third');
    assert.equal(getHeader(m, 'Supported'), '100rel');
    assert.equal(m.headers.find((h) => h.value === '100rel')?.name, 'Supported');
  });
  it('refuses lines without a colon, bad names, stray CR, leading continuation', () => {
    assert.match(refuse(invite(['NoColonHere'])).reason, /without ':'/);
    assert.match(refuse(invite(['Bad Name: x'])).reason, /Invalid header name/);
    assert.match(refuse(invite(['X-A: a\rb'])).reason, /Stray CR/);
    assert.match(refuse(`INVITE sip:b@h SIP/2.0\r\n folded: x\r\n\r\n`).reason, /Continuation/);
  });
  it('validates the core headers and names the faulty one', () => {
    const cases: [string, string, RegExp, SipParseError['code']][] = [
      ['Max-Forwards: 70', 'Max-Forwards: 256', /Max-Forwards.*out of range/, 'BAD_HEADER'],
      ['Call-ID: a84b4c76e66710', 'Call-ID: a b', /Call-ID/, 'BAD_HEADER'],
      ['CSeq: 314159 INVITE', 'CSeq: INVITE', /CSeq/, 'BAD_HEADER'],
      ['CSeq: 314159 INVITE', 'CSeq: 1 BYE', /CSeq method BYE does not match/, 'CSEQ_MISMATCH'],
      [
        'To: Bob <sip:bob@biloxi.example>',
        'To: "Bob <sip:bob@biloxi.example>',
        /To header: unbalanced quote/,
        'BAD_HEADER',
      ],
      [
        'Via: SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bKnashds8',
        'Via: SIP/2.0/UDP [2001:db8:::1]',
        /Via/,
        'BAD_HEADER',
      ],
    ];
    for (const [from, to, re, code] of cases) {
      const e = refuse(invite().replace(from, to));
      assert.equal(e.code, code, to);
      assert.match(e.reason, re, to);
    }
  });
  it('answerable refusals carry the request and status 400', () => {
    const e = refuse(invite().replace('Max-Forwards: 70', 'Max-Forwards: 999'));
    assert.equal(e.status, 400);
    assert.equal(e.request?.method, 'INVITE');
    assert.equal(getCSeq(e.request!).seq, 314159);
    assert.equal(refuse(invite().replace(/Via: .*\r\n/, 'Via: nonsense\r\n')).request, undefined);
  });
  it('a request is answerable whenever its Via fields read, whatever else is wrong (SPEC S2.1)', () => {
    const faults: [string | RegExp, string, RegExp][] = [
      ['CSeq: 314159 INVITE', 'CSeq: 99999999999 INVITE', /CSeq.*out of range/],
      ['CSeq: 314159 INVITE', 'CSeq: INVITE', /CSeq/],
      [/From: .*/, 'From: Alice, Smith <sip:alice@atlanta.example>', /From header: display name/],
      ['To: Bob <sip:bob@biloxi.example>', 'To: < sip:bob@biloxi.example >', /To header: whitespace/],
      ['Call-ID: a84b4c76e66710', 'Call-ID: a b', /Call-ID/],
      [/CSeq: .*\r\n/, '', /Missing CSeq header/],
      [/From: .*\r\n/, '', /Missing From header/],
    ];
    for (const [from, to, reason] of faults) {
      const e = refuse(invite().replace(from, to));
      assert.match(e.reason, reason, to);
      assert.equal(e.status, 400, to);
      assert.equal(e.request?.method, 'INVITE', to);
      assert.equal(getTopVia(e.request!).params.branch, 'z9hG4bKnashds8', to);
    }
    // A second Via that does not read makes the request unanswerable: the response could not be routed.
    const twoVias = invite().replace(/(Via: .*\r\n)/, '$1Via: SIP/2.0/UDP [::1;branch=z9hG4bK2\r\n');
    assert.equal(refuse(twoVias).request, undefined);
  });
  it('missing mandatory headers are listed', () => {
    const e = refuse(
      invite()
        .replace(/Call-ID: .*\r\n/, '')
        .replace(/CSeq: .*\r\n/, ''),
    );
    assert.equal(e.code, 'MISSING_HEADER');
    assert.equal(e.reason, 'Missing Call-ID, CSeq headers');
  });
  it('Contact is validated at parse time on REGISTER, and when read elsewhere', () => {
    const register = (contact: string): string =>
      invite()
        .replace('INVITE sip:bob', 'REGISTER sip:bob')
        .replace('314159 INVITE', '2 REGISTER')
        .replace(/Contact: .*/, contact);
    const e = refuse(register('Contact: <sip:a@h'));
    assert.equal(e.code, 'BAD_HEADER');
    assert.match(e.reason, /Invalid Contact header: missing '>'/);
    const m = accept(invite().replace(/Contact: .*/, 'Contact: <sip:a@h'));
    assert.throws(
      () => getContacts(m),
      (err: unknown) => err instanceof SipSyntaxError && /Invalid Contact header/.test(err.message),
    );
  });
  it("REGISTER Contact '*' is accepted", () => {
    const text = invite()
      .replace('INVITE sip:bob', 'REGISTER sip:bob')
      .replace('314159 INVITE', '2 REGISTER')
      .replace(/Contact: .*/, 'Contact: *');
    assert.equal(getContacts(accept(text)), '*');
  });
});
