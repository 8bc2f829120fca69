import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type DigestCredentials,
  formatCredentials,
  parseCredentials,
} from '../../../src/sip/auth/credentials.ts';
import { DigestError } from '../../../src/sip/auth/digest-error.ts';

const rfc2617 =
  'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
  'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", ' +
  'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';

test('parses the RFC 2617 §3.5 Authorization value', () => {
  const r = parseCredentials(rfc2617);
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    username: 'Mufasa',
    realm: 'testrealm@host.com',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    uri: '/dir/index.html',
    response: '6629fae49393a05397450978507c4ef1',
    qop: 'auth',
    nc: '00000001',
    cnonce: '0a4f113b',
    opaque: '5ccc069c403ebaf9f0171e9517f40e41',
  });
});

test('accepts quoted qop, algorithm in any case, and upper-case hex (lower-cased)', () => {
  const r = parseCredentials(
    'digest USERNAME="a", realm="r", nonce="n", uri="sip:r", response="ABCDEF0123456789ABCDEF0123456789", ' +
      'qop="AUTH", nc=0000000A, cnonce="c", algorithm="md5"',
  );
  assert.ok(r.ok);
  assert.equal(r.value.qop, 'auth');
  assert.equal(r.value.algorithm, 'MD5');
  assert.equal(r.value.nc, '0000000A');
  assert.equal(r.value.response, 'abcdef0123456789abcdef0123456789');
});

const base = 'username="a", realm="r", nonce="n", uri="sip:r", response="00ff"';
const bad: [string, RegExp][] = [
  ['Digest realm="r", nonce="n", uri="sip:r", response="00"', /no username/],
  [
    'Digest username*=UTF-8\'\'a, realm="r", nonce="n", uri="u", response="00"',
    /username\* .* not supported/,
  ],
  [`Digest ${base}, userhash=true`, /userhash/],
  ['Digest username="a", nonce="n", uri="sip:r", response="00"', /no realm/],
  ['Digest username="a", realm="r", uri="sip:r", response="00"', /no nonce/],
  ['Digest username="a", realm="r", nonce="n", response="00"', /no uri/],
  ['Digest username="a", realm="r", nonce="n", uri="sip:r"', /no response/],
  ['Digest username="a", realm="r", nonce="n", uri="sip:r", response="xyz"', /not hexadecimal/],
  [`Digest ${base}, qop=auth, nc=00000001`, /cnonce is missing/],
  [`Digest ${base}, qop=auth, cnonce="c"`, /nc is missing/],
  [`Digest ${base}, qop=auth, cnonce="c", nc=1`, /not 8 hex digits/],
  [`Digest ${base}, qop=auth, cnonce="c", nc=0000000g`, /not 8 hex digits/],
  ['Basic YWxhZGRpbjpvcGVuc2VzYW1l', /not Digest/],
];
for (const [value, error] of bad) {
  test(`refuses ${JSON.stringify(value.slice(0, 60))}...: ${error.source}`, () => {
    const r = parseCredentials(value);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, error);
  });
}

test('formats what it parses', () => {
  const c: DigestCredentials = {
    username: 'al"ice',
    realm: 'duet',
    nonce: 'n',
    uri: 'sip:duet;transport=tcp',
    response: '0123',
    algorithm: 'SHA-256',
    cnonce: 'c\\1',
    opaque: 'o',
    qop: 'auth',
    nc: '0000002a',
  };
  const value = formatCredentials(c);
  assert.equal(
    value,
    'Digest username="al\\"ice", realm="duet", nonce="n", uri="sip:duet;transport=tcp", response="0123", ' +
      'algorithm=SHA-256, cnonce="c\\\\1", opaque="o", qop=auth, nc=0000002a',
  );
  const r = parseCredentials(value);
  assert.ok(r.ok);
  assert.deepEqual(r.value, c);
});

test('formatting refuses a bad nc or a username with CR LF', () => {
  const c = { username: 'a', realm: 'r', nonce: 'n', uri: 'u', response: '00' };
  assert.throws(() => formatCredentials({ ...c, nc: '1' }), DigestError);
  assert.throws(() => formatCredentials({ ...c, username: 'a\r\nX: y' }), DigestError);
});

test('fuzz: never throws on arbitrary input', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (tail) => {
      for (const s of [tail, `Digest ${tail}`, `Digest ${base}, ${tail}`]) {
        const r = parseCredentials(s);
        assert.equal(typeof r.ok, 'boolean');
      }
    }),
    { numRuns: 1000 },
  );
});
