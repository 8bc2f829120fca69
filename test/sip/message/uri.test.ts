import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatUri, parseUri, type SipUri, type TelUri, uriEquals } from '../../../src/sip/message/index.ts';

function sipUri(text: string): SipUri {
  const u = parseUri(text);
  assert.ok(u && (u.scheme === 'sip' || u.scheme === 'sips'), `not a SIP URI: ${text}`);
  return u as SipUri;
}

describe('parseUri: sip/sips', () => {
  it('reads every component', () => {
    assert.deepEqual(
      sipUri('sips:alice:secret@Atlanta.COM:5061;transport=tcp;lr?Subject=hi%20there&Priority=urgent'),
      {
        scheme: 'sips',
        user: 'alice',
        password: 'secret',
        host: 'atlanta.com',
        port: 5061,
        params: { transport: 'tcp', lr: null },
        headers: { Subject: 'hi there', Priority: 'urgent' },
      },
    );
  });
  it('accepts a host alone, IPv4, IPv6 references with a port after ]', () => {
    assert.equal(sipUri('sip:example.com').user, undefined);
    assert.equal(sipUri('sip:192.0.2.1:5060').port, 5060);
    const v6 = sipUri('sip:[2001:DB8::1]:5070');
    assert.equal(v6.host, '[2001:db8::1]');
    assert.equal(v6.port, 5070);
    assert.equal(sipUri('sip:[::ffff:192.0.2.1]').host, '[::ffff:192.0.2.1]');
    assert.equal(sipUri('sip:[::1]').host, '[::1]');
    assert.equal(sipUri('sip:host1').host, 'host1');
    assert.equal(sipUri('sip:a@sip1.example.com.').host, 'sip1.example.com.');
    assert.equal(sipUri('sip:a-b.c0:5060').host, 'a-b.c0');
  });
  it('refuses invalid hosts, ports and IPv6 forms (RFC 5118)', () => {
    for (const bad of [
      'sip:2001:db8::10',
      'sip:[2001:db8:::192.0.2.1]',
      'sip:[2001:db8::1',
      'sip:[1:2:3:4:5:6:7:8:9]',
      'sip:[1:2:3:4:5:6:7::8]',
      'sip:[12345::1]',
      'sip:[::1]5060',
      'sip:host:0',
      'sip:host:65536',
      'sip:host:',
      'sip:-bad.example.com',
      'sip:example.123',
      'sip:192.0.2.256',
      'sip:1.2.3',
      'sip:a..b',
      'sip:a-.b',
      'sip:user@',
      'sip:@host',
      'sip:us er@host',
      'sip:user@host;a=%zz',
      'sip:user@host?x',
      'sip:',
      'sip',
      '1sip:host',
      '<sip:user@host>',
    ]) {
      assert.equal(parseUri(bad), undefined, bad);
    }
  });
  it('unescapes user, password, params and headers; lower-cases param names', () => {
    const u = sipUri('sip:%61lice%40home:p%40ss@host;MaDdr=%31.2.3.4;%6Cr?h%31=v%26');
    assert.equal(u.user, 'alice@home');
    assert.equal(u.password, 'p@ss');
    assert.deepEqual(u.params, { maddr: '1.2.3.4', lr: null });
    assert.deepEqual(u.headers, { h1: 'v&' });
  });
  it('decodes UTF-8 escapes and keeps non-UTF-8 bytes one per character', () => {
    assert.equal(sipUri('sip:%C3%A9t%C3%A9@h').user, 'été');
    assert.equal(sipUri('sip:%FF@h').user, '\xff');
  });
  it('a parameter named __proto__ stays a plain own property', () => {
    const u = sipUri('sip:h;__proto__=x');
    assert.equal(Object.getPrototypeOf(u.params), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(u.params, '__proto__')?.value, 'x');
  });
});

describe('parseUri: tel and others', () => {
  it('reads global and local tel numbers (RFC 3966)', () => {
    const g = parseUri('tel:+1-212-555-0101;ext=22') as TelUri;
    assert.deepEqual(g, { scheme: 'tel', number: '+1-212-555-0101', params: { ext: '22' } });
    const l = parseUri('tel:7042;phone-context=example.com') as TelUri;
    assert.equal(l.number, '7042');
    assert.equal(l.params['phone-context'], 'example.com');
  });
  it('refuses a local number without phone-context and a number without digits', () => {
    assert.equal(parseUri('tel:7042'), undefined);
    assert.equal(parseUri('tel:+--'), undefined);
    assert.equal(parseUri('tel:+12;=x'), undefined);
  });
  it('keeps other absolute URIs as text', () => {
    assert.deepEqual(parseUri('urn:service:sos'), { scheme: 'urn', raw: 'urn:service:sos' });
    assert.deepEqual(parseUri('mailto:a@b.example'), { scheme: 'mailto', raw: 'mailto:a@b.example' });
    assert.equal(parseUri('http:'), undefined);
    assert.equal(parseUri('http://a b'), undefined);
  });
});

describe('formatUri', () => {
  it('re-escapes what the grammar requires and round-trips', () => {
    const u: SipUri = {
      scheme: 'sip',
      user: 'sips:user@example.com',
      password: 'a:b',
      host: 'example.net',
      port: 5080,
      params: { 'x y': 'a;b', lr: null },
      headers: { Route: '<sip:x@y>' },
    };
    const text = formatUri(u);
    assert.equal(
      text,
      'sip:sips%3Auser%40example.com:a%3Ab@example.net:5080;x%20y=a%3Bb;lr?Route=%3Csip:x%40y%3E',
    );
    assert.deepEqual(parseUri(text), u);
  });
  it('keeps user-unreserved characters as they are', () => {
    assert.equal(
      formatUri(sipUri('sip:user;par=u%40example.net@example.com')),
      'sip:user;par=u%40example.net@example.com',
    );
    assert.equal(formatUri(sipUri('sip:+1-212;isub=3@gw')), 'sip:+1-212;isub=3@gw');
  });
  it('writes non-ASCII user text as UTF-8 escapes', () => {
    assert.equal(
      formatUri({ scheme: 'sip', user: 'été', host: 'h', params: {}, headers: {} }),
      'sip:%C3%A9t%C3%A9@h',
    );
  });
  it('writes tel and other URIs', () => {
    assert.equal(formatUri(parseUri('tel:+1-212-555-0101;ext=22') as TelUri), 'tel:+1-212-555-0101;ext=22');
    assert.equal(formatUri({ scheme: 'urn', raw: 'urn:service:sos' }), 'urn:service:sos');
  });
});

describe('uriEquals (RFC 3261 §19.1.4 examples)', () => {
  const eq = (a: string, b: string): boolean => {
    const ua = parseUri(a);
    const ub = parseUri(b);
    assert.ok(ua && ub, `${a} / ${b}`);
    return uriEquals(ua, ub) && uriEquals(ub, ua);
  };
  it('equivalent pairs from §19.1.4', () => {
    assert.ok(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'));
    assert.ok(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'));
    assert.ok(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'));
    assert.ok(eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5'));
    assert.ok(
      eq(
        'sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com',
        'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com',
      ),
    );
    assert.ok(
      eq(
        'sip:alice@atlanta.com?subject=project%20x&priority=urgent',
        'sip:alice@atlanta.com?priority=urgent&subject=project%20x',
      ),
    );
  });
  it('non-equivalent pairs from §19.1.4', () => {
    assert.ok(!eq('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'));
    assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'));
    assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'));
    assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'));
    assert.ok(!eq('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'));
    assert.ok(!eq('sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'));
    assert.ok(!eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'));
    assert.ok(!eq('sip:a@h', 'sips:a@h'));
    assert.ok(!eq('sip:a@h;maddr=1.2.3.4', 'sip:a@h'));
  });
  it('tel: visual separators ignored, parameters must all match', () => {
    assert.ok(eq('tel:+1-212-555-0101', 'tel:+1.212.555.0101'));
    assert.ok(!eq('tel:+1-212-555-0101', 'tel:+1-212-555-0101;ext=1'));
    assert.ok(!eq('tel:+1-212-555-0101', 'sip:+1-212-555-0101@h'));
  });
});
