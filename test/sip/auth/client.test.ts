import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashHex } from '../../../src/sip/auth/algorithm.ts';
import { answerChallenge, pickChallenge } from '../../../src/sip/auth/client.ts';
import { parseCredentials } from '../../../src/sip/auth/credentials.ts';
import { digestResponse, ha1 } from '../../../src/sip/auth/digest.ts';
import { DigestError } from '../../../src/sip/auth/digest-error.ts';

function parsed(value: string) {
  const r = parseCredentials(value);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

test("answers the RFC 7616 §3.9.1 SHA-256 challenge with the RFC's response, echoing opaque and algorithm", () => {
  const value = answerChallenge({
    challenge:
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, ' +
      'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    method: 'GET',
    uri: '/dir/index.html',
    username: 'Mufasa',
    password: 'Circle of Life',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    nc: 1,
  });
  assert.deepEqual(parsed(value), {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    uri: '/dir/index.html',
    response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    algorithm: 'SHA-256',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    qop: 'auth',
    nc: '00000001',
  });
});

test('answers the RFC 2617 §3.5 challenge (no algorithm named: MD5, and none echoed)', () => {
  const value = answerChallenge({
    challenge:
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
      'opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    method: 'GET',
    uri: '/dir/index.html',
    username: 'Mufasa',
    password: 'Circle Of Life',
    cnonce: '0a4f113b',
    nc: 1,
  });
  const c = parsed(value);
  assert.equal(c.response, '6629fae49393a05397450978507c4ef1');
  assert.equal(c.algorithm, undefined);
  assert.equal(c.opaque, '5ccc069c403ebaf9f0171e9517f40e41');
});

test('nc is written as 8 lower-case hex digits', () => {
  const c = parsed(
    answerChallenge({
      challenge: 'Digest realm="r", nonce="n", qop="auth", algorithm=MD5',
      method: 'REGISTER',
      uri: 'sip:r',
      username: 'u',
      password: 'p',
      cnonce: 'c',
      nc: 0xab,
    }),
  );
  assert.equal(c.nc, '000000ab');
});

test('only auth-int offered: the body is hashed in', () => {
  const body = new TextEncoder().encode('v=0\r\n');
  const input = {
    challenge: 'Digest realm="r", nonce="n", qop="auth-int", algorithm=SHA-256',
    method: 'INVITE',
    uri: 'sip:bob@r',
    username: 'u',
    password: 'p',
    cnonce: 'c',
    nc: 1,
    body,
  };
  const c = parsed(answerChallenge(input));
  assert.equal(c.qop, 'auth-int');
  const expected = digestResponse({
    algorithm: 'SHA-256',
    ha1: ha1('u', 'r', 'p', 'SHA-256'),
    nonce: 'n',
    method: 'INVITE',
    uri: 'sip:bob@r',
    qop: 'auth-int',
    cnonce: 'c',
    nc: '00000001',
    body,
  });
  assert.equal(c.response, expected);
});

test('no qop offered: RFC 2069 answer without cnonce, nc or qop', () => {
  const c = parsed(
    answerChallenge({
      challenge: 'Digest realm="r", nonce="n"',
      method: 'INVITE',
      uri: 'sip:x',
      username: 'u',
      password: 'p',
      cnonce: 'c',
      nc: 1,
    }),
  );
  assert.equal(c.qop, undefined);
  assert.equal(c.nc, undefined);
  assert.equal(c.cnonce, undefined);
  const a1 = hashHex('MD5', 'u:r:p');
  assert.equal(c.response, hashHex('MD5', `${a1}:n:${hashHex('MD5', 'INVITE:sip:x')}`));
});

test('refuses challenges it cannot answer, and bad inputs, with DigestError', () => {
  const input = { method: 'REGISTER', uri: 'sip:r', username: 'u', password: 'p', cnonce: 'c', nc: 1 };
  assert.throws(() => answerChallenge({ ...input, challenge: 'Basic realm="r"' }), /not Digest/);
  assert.throws(
    () => answerChallenge({ ...input, challenge: 'Digest realm="r", nonce="n", algorithm=SHA-512-256' }),
    /unsupported algorithm "SHA-512-256"/,
  );
  assert.throws(
    () => answerChallenge({ ...input, challenge: 'Digest realm="r", nonce="n", qop="auth-conf"' }),
    /no supported qop/,
  );
  const ok = 'Digest realm="r", nonce="n", qop="auth"';
  assert.throws(() => answerChallenge({ ...input, challenge: ok, nc: 0 }), DigestError);
  assert.throws(() => answerChallenge({ ...input, challenge: ok, nc: 2 ** 32 }), DigestError);
  assert.throws(() => answerChallenge({ ...input, challenge: ok, cnonce: '' }), /cnonce/);
});

test('pickChallenge prefers SHA-256 over MD5 whatever the order, and skips what it cannot answer', () => {
  const md5 = 'Digest realm="r", nonce="n", algorithm=MD5, qop="auth"';
  const sha = 'Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"';
  const implicitMd5 = 'Digest realm="r", nonce="n", qop="auth"';
  const unknown = 'Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth"';
  assert.equal(pickChallenge([md5, sha]), sha);
  assert.equal(pickChallenge([sha, md5]), sha);
  assert.equal(pickChallenge([unknown, implicitMd5]), implicitMd5);
  assert.equal(pickChallenge(['Basic realm="r"', 'Digest garbage', md5]), md5);
  assert.equal(pickChallenge([unknown, 'Digest realm="r", nonce="n", qop="auth-conf"']), undefined);
  assert.equal(pickChallenge([]), undefined);
});
