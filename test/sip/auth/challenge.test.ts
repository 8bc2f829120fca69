import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatChallenge, parseChallenge } from '../../../src/sip/auth/challenge.ts';
import { DigestError } from '../../../src/sip/auth/digest-error.ts';

test('parses the RFC 7616 §3.9.1 challenge (unfolded)', () => {
  const r = parseChallenge(
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, ' +
      'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
  );
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    qop: ['auth', 'auth-int'],
    stale: false,
    opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    algorithm: 'SHA-256',
  });
});

test('algorithm absent stays undefined (MD5 by default); known names are canonicalised; stale is case-insensitive', () => {
  const a = parseChallenge('Digest realm="r", nonce="n"');
  assert.ok(a.ok);
  assert.equal(a.value.algorithm, undefined);
  assert.deepEqual(a.value.qop, []);
  const b = parseChallenge('Digest realm="r", nonce="n", algorithm=sha-256-SESS, stale=true');
  assert.ok(b.ok);
  assert.equal(b.value.algorithm, 'SHA-256-sess');
  assert.equal(b.value.stale, true);
  const c = parseChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256, stale=yes, domain="sip:a"');
  assert.ok(c.ok);
  assert.equal(c.value.algorithm, 'SHA-512-256');
  assert.equal(c.value.stale, false);
  assert.equal(c.value.domain, 'sip:a');
});

test('a challenge needs a realm and a nonce', () => {
  const noRealm = parseChallenge('Digest nonce="n"');
  assert.equal(noRealm.ok, false);
  if (!noRealm.ok) assert.match(noRealm.error, /no realm/);
  const noNonce = parseChallenge('Digest realm="r", nonce=""');
  assert.equal(noNonce.ok, false);
  if (!noNonce.ok) assert.match(noNonce.error, /no nonce/);
});

test('formats in the RFC 7616 shape and parses back', () => {
  const value = formatChallenge({
    realm: 'duet',
    nonce: 'abc',
    opaque: 'o',
    algorithm: 'SHA-256',
    qop: ['auth'],
    stale: true,
  });
  assert.equal(
    value,
    'Digest realm="duet", nonce="abc", opaque="o", algorithm=SHA-256, qop="auth", stale=TRUE',
  );
  const r = parseChallenge(value);
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    realm: 'duet',
    nonce: 'abc',
    opaque: 'o',
    algorithm: 'SHA-256',
    qop: ['auth'],
    stale: true,
  });
  assert.equal(formatChallenge({ realm: 'r', nonce: 'n' }), 'Digest realm="r", nonce="n"');
});

test('formatting refuses what a header cannot carry', () => {
  assert.throws(() => formatChallenge({ realm: 'a\r\nb', nonce: 'n' }), DigestError);
  assert.throws(() => formatChallenge({ realm: 'r', nonce: 'n', algorithm: 'SHA 256' }), DigestError);
  assert.throws(() => formatChallenge({ realm: 'r', nonce: 'n', qop: ['a,b'] }), DigestError);
});

test('fuzz: format then parse is the identity for any printable realm, nonce and opaque', () => {
  const text = fc
    .string({ unit: 'grapheme', maxLength: 30 })
    .filter((s) => !/[\u0000-\u0008\n-\u001f\u007f]/.test(s));
  fc.assert(
    fc.property(
      text,
      text.filter((s) => s !== ''),
      text,
      fc.boolean(),
      (realm, nonce, opaque, stale) => {
        const r = parseChallenge(
          formatChallenge({ realm, nonce, opaque, algorithm: 'MD5', qop: ['auth'], stale }),
        );
        assert.ok(r.ok);
        assert.deepEqual(r.value, { realm, nonce, opaque, algorithm: 'MD5', qop: ['auth'], stale });
      },
    ),
    { numRuns: 500 },
  );
});
