import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashHex, parseAlgorithm } from '../../../src/sip/auth/algorithm.ts';
import { digestResponse, ha1, sessionHa1 } from '../../../src/sip/auth/digest.ts';

test('RFC 2617 §3.5 example: MD5, qop=auth, "Circle Of Life"', () => {
  const response = digestResponse({
    algorithm: 'MD5',
    ha1: ha1('Mufasa', 'testrealm@host.com', 'Circle Of Life', 'MD5'),
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    method: 'GET',
    uri: '/dir/index.html',
    qop: 'auth',
    cnonce: '0a4f113b',
    nc: '00000001',
  });
  assert.equal(response, '6629fae49393a05397450978507c4ef1');
});

test('RFC 7616 §3.9.1 example: the same request with MD5 and with SHA-256', () => {
  const common = {
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    method: 'GET',
    uri: '/dir/index.html',
    qop: 'auth' as const,
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    nc: '00000001',
  };
  const md5 = digestResponse({
    ...common,
    algorithm: 'MD5',
    ha1: ha1('Mufasa', 'http-auth@example.org', 'Circle of Life', 'MD5'),
  });
  assert.equal(md5, '8ca523f5e9506fed4657c9700eebdbec');
  const sha = digestResponse({
    ...common,
    algorithm: 'SHA-256',
    ha1: ha1('Mufasa', 'http-auth@example.org', 'Circle of Life', 'SHA-256'),
  });
  assert.equal(sha, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
});

test('HA1 is H(user:realm:password) and stored HA1 in upper case gives the same response', () => {
  const stored = ha1('alice', 'duet', 'secret', 'SHA-256');
  assert.equal(stored, hashHex('SHA-256', 'alice:duet:secret'));
  assert.equal(stored.length, 64);
  assert.equal(ha1('alice', 'duet', 'secret', 'MD5').length, 32);
  const input = { algorithm: 'SHA-256' as const, nonce: 'n', method: 'REGISTER', uri: 'sip:duet' };
  assert.equal(
    digestResponse({ ...input, ha1: stored.toUpperCase() }),
    digestResponse({ ...input, ha1: stored }),
  );
});

test('without qop the response is H(HA1:nonce:HA2) (RFC 2069 form)', () => {
  const a1 = ha1('bob', 'r', 'pw', 'MD5');
  const a2 = hashHex('MD5', 'INVITE:sip:x@y');
  assert.equal(
    digestResponse({ algorithm: 'MD5', ha1: a1, nonce: 'abc', method: 'INVITE', uri: 'sip:x@y' }),
    hashHex('MD5', `${a1}:abc:${a2}`),
  );
});

test('auth-int hashes the body into HA2; -sess derives HA1 from nonce and cnonce', () => {
  const base = {
    ha1: ha1('bob', 'r', 'pw', 'SHA-256'),
    nonce: 'n1',
    method: 'INVITE',
    uri: 'sip:x@y',
    cnonce: 'c1',
    nc: '00000001',
  };
  const body = new TextEncoder().encode('v=0\r\n');
  const withBody = digestResponse({ ...base, algorithm: 'SHA-256', qop: 'auth-int', body });
  const a2 = hashHex('SHA-256', `INVITE:sip:x@y:${hashHex('SHA-256', body)}`);
  assert.equal(withBody, hashHex('SHA-256', `${base.ha1}:n1:00000001:c1:auth-int:${a2}`));
  assert.notEqual(withBody, digestResponse({ ...base, algorithm: 'SHA-256', qop: 'auth-int' }));

  assert.equal(sessionHa1(base.ha1, 'SHA-256', 'n1', 'c1'), base.ha1);
  const sess = sessionHa1(base.ha1, 'SHA-256-sess', 'n1', 'c1');
  assert.equal(sess, hashHex('SHA-256', `${base.ha1}:n1:c1`));
  const plainA2 = hashHex('SHA-256', 'INVITE:sip:x@y');
  assert.equal(
    digestResponse({ ...base, algorithm: 'SHA-256-sess', qop: 'auth' }),
    hashHex('SHA-256', `${sess}:n1:00000001:c1:auth:${plainA2}`),
  );
});

test('algorithm names are case-insensitive; unknown names are refused', () => {
  assert.equal(parseAlgorithm('sha-256'), 'SHA-256');
  assert.equal(parseAlgorithm('md5-SESS'), 'MD5-sess');
  assert.equal(parseAlgorithm('SHA-512-256'), undefined);
  assert.equal(parseAlgorithm(''), undefined);
});
