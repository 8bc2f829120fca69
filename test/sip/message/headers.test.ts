import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addHeader,
  canonicalHeaderName,
  createRequest,
  formatNameAddr,
  formatParams,
  formatVia,
  getCallId,
  getContacts,
  getCSeq,
  getExpires,
  getFrom,
  getHeader,
  getHeaderValues,
  getMaxForwards,
  getRecordRoutes,
  getRoutes,
  getTo,
  getTopVia,
  getVias,
  hasHeader,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseNameAddrList,
  parseUri,
  parseVia,
  removeHeader,
  type SipMessage,
  SipSyntaxError,
  type SipUri,
  setHeader,
} from '../../../src/sip/message/index.ts';

function msg(headers: [string, string][]): SipMessage {
  return createRequest({
    method: 'INVITE',
    uri: parseUri('sip:bob@example.com')!,
    headers: headers.map(([name, value]) => ({ name: canonicalHeaderName(name), value })),
  });
}

describe('header names', () => {
  it('maps compact and any-case names to the canonical form', () => {
    const pairs: [string, string][] = [
      ['i', 'Call-ID'],
      ['m', 'Contact'],
      ['e', 'Content-Encoding'],
      ['l', 'Content-Length'],
      ['c', 'Content-Type'],
      ['f', 'From'],
      ['s', 'Subject'],
      ['k', 'Supported'],
      ['t', 'To'],
      ['V', 'Via'],
      ['o', 'Event'],
      ['r', 'Refer-To'],
      ['b', 'Referred-By'],
      ['x', 'Session-Expires'],
      ['u', 'Allow-Events'],
      ['call-id', 'Call-ID'],
      ['CSEQ', 'CSeq'],
      ['www-authenticate', 'WWW-Authenticate'],
    ];
    for (const [given, canonical] of pairs) assert.equal(canonicalHeaderName(given), canonical, given);
    assert.equal(canonicalHeaderName('X-Custom'), 'X-Custom');
  });
});

describe('header access', () => {
  it('finds fields by any spelling, including fields stored under a compact name', () => {
    const m = msg([
      ['Via', 'SIP/2.0/UDP a'],
      ['X-Trace', '1'],
    ]);
    m.headers.push({ name: 'i', value: 'abc' });
    assert.equal(getHeader(m, 'call-id'), 'abc');
    assert.equal(getHeader(m, 'CALL-ID'), 'abc');
    assert.equal(getHeader(m, 'x-trace'), '1');
    assert.equal(getHeader(m, 'v'), 'SIP/2.0/UDP a');
    assert.equal(getHeader(m, 'Nope'), undefined);
    assert.ok(hasHeader(m, 'I'));
    assert.ok(!hasHeader(m, 'Route'));
  });
  it('splits list headers across fields but not single-valued or unknown ones', () => {
    const m = msg([
      ['Allow', 'INVITE, ACK'],
      ['Allow', 'BYE'],
      ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT'],
      ['X-List', 'a, b'],
      ['Contact', '"Bell, A." <sip:a@h>, <sip:b@h;x="1,2">'],
    ]);
    assert.deepEqual(getHeaderValues(m, 'allow'), ['INVITE', 'ACK', 'BYE']);
    assert.deepEqual(getHeaderValues(m, 'Date'), ['Sat, 13 Nov 2010 23:29:00 GMT']);
    assert.deepEqual(getHeaderValues(m, 'X-List'), ['a, b']);
    assert.deepEqual(getHeaderValues(m, 'm'), ['"Bell, A." <sip:a@h>', '<sip:b@h;x="1,2">']);
  });
  it('setHeader replaces all fields in place of the first, or appends', () => {
    const m = msg([
      ['X-A', '1'],
      ['Route', '<sip:r1>'],
      ['X-B', '2'],
      ['route', '<sip:r2>'],
    ]);
    setHeader(m, 'ROUTE', '<sip:r3>');
    assert.deepEqual(m.headers, [
      { name: 'X-A', value: '1' },
      { name: 'Route', value: '<sip:r3>' },
      { name: 'X-B', value: '2' },
    ]);
    setHeader(m, 'Subject', 'hi');
    assert.deepEqual(m.headers.at(-1), { name: 'Subject', value: 'hi' });
  });
  it('addHeader first/last, removeHeader', () => {
    const m = msg([
      ['Via', 'SIP/2.0/UDP b'],
      ['To', '<sip:t@h>'],
    ]);
    addHeader(m, 'v', 'SIP/2.0/UDP a', 'first');
    addHeader(m, 'Via', 'SIP/2.0/UDP c');
    assert.deepEqual(
      getVias(m).map((v) => v.host),
      ['a', 'b', 'c'],
    );
    assert.equal(m.headers[0].name, 'Via');
    addHeader(m, 'Record-Route', '<sip:p@h;lr>', 'first');
    assert.equal(m.headers.at(-1)?.name, 'Record-Route');
    removeHeader(m, 'VIA');
    assert.deepEqual(
      m.headers.map((h) => h.name),
      ['To', 'Record-Route'],
    );
  });
  it('a replaced field gets a fresh typed view', () => {
    const m = msg([['CSeq', '1 INVITE']]);
    assert.equal(getCSeq(m).seq, 1);
    setHeader(m, 'CSeq', '2 INVITE');
    assert.equal(getCSeq(m).seq, 2);
  });
});

describe('typed views', () => {
  it('Via with IPv6 sent-by, port, rport and received (RFC 3581)', () => {
    const m = msg([
      ['Via', 'SIP/2.0/udp [2001:db8::9]:5062;branch=z9hG4bK1;rport;received=192.0.2.4, SIP/2.0/TCP h2'],
    ]);
    const top = getTopVia(m);
    assert.deepEqual(top, {
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: '[2001:db8::9]',
      port: 5062,
      params: { branch: 'z9hG4bK1', rport: null, received: '192.0.2.4' },
    });
    assert.equal(getVias(m).length, 2);
    assert.equal(formatVia(top), 'SIP/2.0/UDP [2001:db8::9]:5062;branch=z9hG4bK1;rport;received=192.0.2.4');
    assert.deepEqual(parseVia(formatVia(top)), [top]);
    assert.equal(parseVia('SIP/2.0/UDP h;rport=5060')[0].params.rport, '5060');
  });
  it('Via errors name the fault', () => {
    const cases: [string, RegExp][] = [
      ['SIP/2.0 h', /expected '\/'/],
      ['SIP/2.0/UDP', /whitespace before the sent-by/],
      ['SIP/2.0/UDP h:99999', /port/],
      ['SIP/2.0/UDP h;received=nothost', /received/],
      ['SIP/2.0/UDP h;rport=x', /rport/],
      ['SIP/2.0/UDP [::1', /host/],
      ['SIP/2.0/UDP h;;', /empty parameter/],
      ['SIP/2.0/UDP h,', /empty element/],
    ];
    for (const [value, re] of cases) {
      assert.throws(
        () => parseVia(value),
        (e: unknown) => e instanceof SipSyntaxError && re.test(e.message),
        value,
      );
    }
  });
  it('name-addr forms: quoted with escapes, tokens, bare addr-spec', () => {
    const q = parseNameAddr('"A \\"quoted\\" \\\\ name" <sip:a@h;lr>;tag=x');
    assert.equal(q.displayName, 'A "quoted" \\ name');
    assert.deepEqual((q.uri as SipUri).params, { lr: null });
    assert.deepEqual(q.params, { tag: 'x' });
    assert.equal(parseNameAddr('Alice  Smith <sip:a@h>').displayName, 'Alice  Smith');
    const bare = parseNameAddr('sip:a@h;tag=1');
    assert.equal(bare.displayName, undefined);
    assert.deepEqual((bare.uri as SipUri).params, {});
    assert.deepEqual(bare.params, { tag: '1' });
    assert.equal(parseNameAddr('""<sip:a@h>').displayName, '');
  });
  it('name-addr formatting round-trips, quoting display names', () => {
    for (const text of [
      '"A \\"q\\"" <sip:a@h>;tag=1',
      'Bob <sips:b@h:5061;transport=tcp>',
      'sip:c@h;expires=60',
      '<tel:+1-555>',
    ]) {
      const na = parseNameAddr(text);
      assert.deepEqual(parseNameAddr(formatNameAddr(na)), na, text);
    }
    assert.equal(formatNameAddr(parseNameAddr('Bob <sip:b@h>;tag=9')), '"Bob" <sip:b@h>;tag=9');
    assert.equal(
      formatNameAddr({ displayName: 'x\r\ny', uri: parseUri('sip:h')!, params: {} }),
      '"x  y" <sip:h>',
    );
  });
  it('name-addr errors name the fault', () => {
    const cases: [string, RegExp][] = [
      ['"open <sip:a@h>', /unbalanced quote/],
      ['Bell, Alexander <sip:a@h>', /display name/],
      ['< sip:a@h >', /whitespace between <>/],
      ['<sip:a@h', /missing '>'/],
      ['sip:a@h?x=y', /enclosed in <>/],
      ['<nonsense>', /invalid URI/],
      ['<sip:a@h>;tag', /./],
    ];
    for (const [value, re] of cases.slice(0, -1)) {
      assert.throws(
        () => parseNameAddr(value),
        (e: unknown) => e instanceof SipSyntaxError && re.test(e.message),
        value,
      );
    }
    assert.deepEqual(parseNameAddr('<sip:a@h>;tag').params, { tag: null });
    assert.throws(() => parseNameAddrList('<sip:a@h>, , <sip:b@h>'), /empty element/);
  });
  it('From/To/Call-ID/CSeq/Max-Forwards/Expires', () => {
    const m = msg([
      ['f', '"Alice" <sip:alice@atlanta.example>;tag=88'],
      ['t', 'sip:bob@biloxi.example'],
      ['i', 'a84b4c76e66710@pc33.atlanta.example'],
      ['CSeq', '314159 INVITE'],
      ['Max-Forwards', '70'],
      ['Expires', '99999999999999'],
    ]);
    assert.equal(getFrom(m).params.tag, '88');
    assert.equal(getTo(m).params.tag, undefined);
    assert.equal(getCallId(m), 'a84b4c76e66710@pc33.atlanta.example');
    assert.deepEqual(getCSeq(m), { seq: 314159, method: 'INVITE' });
    assert.equal(getMaxForwards(m), 70);
    assert.equal(getExpires(m), 4294967295);
    assert.equal(getMaxForwards(msg([])), undefined);
    assert.throws(() => getFrom(msg([])), /Missing From header/);
    assert.throws(() => getMaxForwards(msg([['Max-Forwards', '256']])), /Invalid Max-Forwards header/);
    assert.throws(() => parseCSeq('2147483648 INVITE'), /Invalid CSeq header: .*out of range/);
    assert.deepEqual(parseCSeq('2147483647 BYE'), { seq: 2147483647, method: 'BYE' });
  });
  it("Contact '*', lists across fields, absent", () => {
    assert.equal(getContacts(msg([['Contact', '*']])), '*');
    const list = getContacts(
      msg([
        ['m', '<sip:a@h>;expires=60, sip:b@h'],
        ['Contact', '"C" <sip:c@h>'],
      ]),
    );
    assert.ok(list !== '*');
    assert.deepEqual(
      list.map((c) => (c.uri as SipUri).user),
      ['a', 'b', 'c'],
    );
    assert.equal(list[0].params.expires, '60');
    assert.deepEqual(getContacts(msg([])), []);
  });
  it('Route and Record-Route lists', () => {
    const m = msg([
      ['Route', '<sip:p1@h;lr>, <sip:p2@h;lr>'],
      ['Record-Route', '<sip:rr@h;lr>'],
    ]);
    assert.deepEqual(
      getRoutes(m).map((r) => (r.uri as SipUri).user),
      ['p1', 'p2'],
    );
    assert.equal(getRecordRoutes(m).length, 1);
  });
  it('views are cached on the field, invisibly (deep equality and spreads see only name and value)', () => {
    const r = parseMessage(
      'OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n',
    );
    assert.ok(r.ok);
    assert.equal(getTopVia(r.message), getTopVia(r.message));
    const via = r.message.headers[0];
    assert.deepEqual(via, { name: 'Via', value: 'SIP/2.0/UDP a;branch=z9hG4bK1' });
    assert.deepEqual(Object.keys({ ...via }), ['name', 'value']);
    assert.equal(JSON.stringify(via), '{"name":"Via","value":"SIP/2.0/UDP a;branch=z9hG4bK1"}');
    // A frozen field still answers, without a cache.
    const frozen = Object.freeze({ name: 'CSeq', value: '7 OPTIONS' });
    const m = { ...r.message, headers: [frozen] };
    assert.deepEqual(getCSeq(m), { seq: 7, method: 'OPTIONS' });
  });
  it('formatParams writes flags and values', () => {
    assert.equal(formatParams({ tag: 'a', lr: null, q: '"x"' }), ';tag=a;lr;q="x"');
  });
});
