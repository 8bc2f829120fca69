import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SeededRandom } from '../../../src/runtime/random.ts';
import { parseChallenge } from '../../../src/sip/auth/challenge.ts';
import { answerChallenge, pickChallenge } from '../../../src/sip/auth/client.ts';
import { parseCredentials } from '../../../src/sip/auth/credentials.ts';
import { ha1 } from '../../../src/sip/auth/digest.ts';
import { DigestError } from '../../../src/sip/auth/digest-error.ts';
import {
  DigestServer,
  type DigestServerOptions,
  type DigestUserSecret,
  type DigestVerifyResult,
} from '../../../src/sip/auth/server.ts';
import { ManualClock } from './manual-clock.ts';

const REALM = 'duet.example.com';
const SECRET = 'pair-shared-secret';
const users: Record<string, DigestUserSecret> = { alice: { password: 'wonderland' } };
const lookup = (name: string): DigestUserSecret | undefined => users[name];

function setup(options: Partial<DigestServerOptions> = {}) {
  const clock = new ManualClock();
  const server = new DigestServer({
    realm: REALM,
    clock,
    random: new SeededRandom(7),
    secret: SECRET,
    ...options,
  });
  return { clock, server };
}

function answer(
  challenge: string,
  overrides: { password?: string; nc?: number; uri?: string; username?: string } = {},
) {
  return answerChallenge({
    challenge,
    method: 'REGISTER',
    uri: overrides.uri ?? `sip:${REALM}`,
    username: overrides.username ?? 'alice',
    password: overrides.password ?? 'wonderland',
    cnonce: 'c0ffee',
    nc: overrides.nc ?? 1,
  });
}

function verify(server: DigestServer, authorization: string | string[] | undefined, requestUri?: string) {
  return server.verify({ method: 'REGISTER', authorization, lookup, requestUri });
}

function assertFailed(result: DigestVerifyResult, reason: RegExp): void {
  assert.equal(result.outcome, 'failed', JSON.stringify(result));
  if (result.outcome === 'failed') assert.match(result.reason, reason);
}

/** One challenge value of a given algorithm, from a fresh 401. */
function challengeFor(server: DigestServer, algorithm: string, options?: { stale?: boolean }): string {
  const value = server.challenge(options).find((v) => {
    const c = parseChallenge(v);
    return c.ok && c.value.algorithm === algorithm;
  });
  assert.ok(value, `no ${algorithm} challenge`);
  return value;
}

test('challenge: one header per algorithm, SHA-256 first, one shared fresh nonce, qop="auth"', () => {
  const { server } = setup();
  const values = server.challenge();
  assert.equal(values.length, 2);
  const parsed = values.map((v) => {
    const c = parseChallenge(v);
    assert.ok(c.ok);
    return c.value;
  });
  assert.deepEqual(
    parsed.map((c) => c.algorithm),
    ['SHA-256', 'MD5'],
  );
  assert.equal(parsed[0]!.nonce, parsed[1]!.nonce);
  for (const c of parsed) {
    assert.equal(c.realm, REALM);
    assert.deepEqual(c.qop, ['auth']);
    assert.equal(c.stale, false);
  }
  const again = parseChallenge(server.challenge()[0]!);
  assert.ok(again.ok);
  assert.notEqual(again.value.nonce, parsed[0]!.nonce);
  assert.match(server.challenge({ stale: true })[1]!, /stale=TRUE/);
});

test('challenges are a function of the seed and the clock', () => {
  assert.deepEqual(setup().server.challenge(), setup().server.challenge());
});

for (const algorithm of ['SHA-256', 'MD5', 'SHA-256-sess', 'MD5-sess'] as const) {
  test(`round trip client -> server with ${algorithm}`, () => {
    const { server } = setup({ algorithms: [algorithm] });
    const result = verify(server, answer(challengeFor(server, algorithm)));
    assert.deepEqual(result, { outcome: 'ok', username: 'alice' });
  });
}

test('a client choosing among the default challenges answers SHA-256, and it verifies', () => {
  const { server } = setup();
  const chosen = pickChallenge(server.challenge());
  assert.ok(chosen);
  const auth = answer(chosen);
  assert.match(auth, /algorithm=SHA-256/);
  assert.deepEqual(verify(server, auth), { outcome: 'ok', username: 'alice' });
});

test('no Digest credentials -> missing', () => {
  const { server } = setup();
  assert.deepEqual(verify(server, undefined), { outcome: 'missing' });
  assert.deepEqual(verify(server, []), { outcome: 'missing' });
  assert.deepEqual(verify(server, 'Basic YWxpY2U6d29uZGVybGFuZA=='), { outcome: 'missing' });
});

test('wrong password -> failed, naming the user', () => {
  const { server } = setup();
  const result = verify(server, answer(challengeFor(server, 'SHA-256'), { password: 'guess' }));
  assertFailed(result, /wrong password/);
  assert.equal(result.outcome === 'failed' && result.username, 'alice');
});

test('unknown user -> failed', () => {
  const { server } = setup();
  assertFailed(verify(server, answer(challengeFor(server, 'MD5'), { username: 'mallory' })), /unknown user/);
});

test('malformed credentials -> failed (not missing)', () => {
  const { server } = setup();
  assertFailed(verify(server, 'Digest username="alice", realm='), /malformed credentials/);
  assertFailed(verify(server, 'Digest username="alice"'), /malformed credentials: .*no realm/);
});

test('expired nonce with the right password -> stale; a fresh nonce then works', () => {
  const { clock, server } = setup({ nonceLifetimeMs: 60_000 });
  const challenge = challengeFor(server, 'SHA-256');
  clock.advance(60_000);
  assert.equal(verify(server, answer(challenge)).outcome, 'ok', 'still good at its last instant');
  clock.advance(1);
  assert.deepEqual(verify(server, answer(challenge, { nc: 2 })), { outcome: 'stale', username: 'alice' });
  const fresh = challengeFor(server, 'SHA-256', { stale: true });
  assert.equal(verify(server, answer(fresh)).outcome, 'ok');
});

test('expired nonce with a wrong password -> failed, not stale (RFC 7616 §3.3)', () => {
  const { clock, server } = setup();
  const challenge = challengeFor(server, 'SHA-256');
  clock.advance(300_001);
  assertFailed(verify(server, answer(challenge, { password: 'guess' })), /wrong password/);
});

test('forged nonce (bad HMAC) -> failed even with the right password', () => {
  const { server } = setup();
  const parsed = parseChallenge(challengeFor(server, 'SHA-256'));
  assert.ok(parsed.ok);
  const nonce = parsed.value.nonce;
  const last = nonce.at(-1) === '0' ? '1' : '0';
  const forged = `Digest realm="${REALM}", nonce="${nonce.slice(0, -1)}${last}", algorithm=SHA-256, qop="auth"`;
  assertFailed(verify(server, answer(forged)), /not issued by this server \(bad signature\)/);
  // A later issue time with the old signature is no good either: the time is signed.
  const later =
    (Number.parseInt(nonce.slice(0, 12), 16) + 1).toString(16).padStart(12, '0') + nonce.slice(12);
  const moved = `Digest realm="${REALM}", nonce="${later}", algorithm=SHA-256, qop="auth"`;
  assertFailed(verify(server, answer(moved)), /bad signature/);
  const foreign = `Digest realm="${REALM}", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", algorithm=SHA-256, qop="auth"`;
  assertFailed(verify(server, answer(foreign)), /not issued by this server \(bad format\)/);
});

test('the other server of an HA pair (same realm and secret) accepts the nonce; another secret does not', () => {
  const { clock, server } = setup();
  const challenge = challengeFor(server, 'SHA-256');
  const backup = new DigestServer({ realm: REALM, clock, random: new SeededRandom(99), secret: SECRET });
  assert.equal(verify(backup, answer(challenge)).outcome, 'ok');
  const stranger = new DigestServer({ realm: REALM, clock, random: new SeededRandom(99), secret: 'other' });
  assertFailed(verify(stranger, answer(challenge)), /bad signature/);
  const secretBytes = new TextEncoder().encode(SECRET);
  const bytesKeyed = new DigestServer({
    realm: REALM,
    clock,
    random: new SeededRandom(1),
    secret: secretBytes,
  });
  assert.equal(verify(bytesKeyed, answer(challengeFor(bytesKeyed, 'MD5'))).outcome, 'ok');
});

test('a nonce from a server a little ahead is accepted within clockSkewMs, refused beyond it', () => {
  const ahead = new ManualClock(1_700_000_010_000);
  const primary = new DigestServer({
    realm: REALM,
    clock: ahead,
    random: new SeededRandom(1),
    secret: SECRET,
  });
  const behind = (skew: number) =>
    new DigestServer({
      realm: REALM,
      clock: new ManualClock(1_700_000_000_000),
      random: new SeededRandom(2),
      secret: SECRET,
      clockSkewMs: skew,
    });
  const challenge = challengeFor(primary, 'SHA-256');
  assert.equal(verify(behind(10_000), answer(challenge)).outcome, 'ok');
  assertFailed(verify(behind(9_999), answer(challenge)), /issued in the future/);
});

test('replayed nonce count -> failed; a higher count on the same nonce is fine', () => {
  const { server } = setup();
  const challenge = challengeFor(server, 'SHA-256');
  const first = answer(challenge, { nc: 1 });
  assert.equal(verify(server, first).outcome, 'ok');
  assertFailed(verify(server, first), /nonce count 00000001 was already used/);
  assert.equal(verify(server, answer(challenge, { nc: 2 })).outcome, 'ok');
  assert.equal(verify(server, answer(challenge, { nc: 5 })).outcome, 'ok');
  assertFailed(verify(server, answer(challenge, { nc: 4 })), /replay/);
});

test('a replay at the last instant of the nonce is still caught (its count is not swept too early)', () => {
  const { clock, server } = setup({ nonceLifetimeMs: 60_000 });
  const challenge = challengeFor(server, 'SHA-256');
  const first = answer(challenge);
  assert.equal(verify(server, first).outcome, 'ok');
  clock.advance(60_000);
  assertFailed(verify(server, first), /replay/);
});

test('a failed attempt does not consume its nonce count', () => {
  const { server } = setup();
  const challenge = challengeFor(server, 'MD5');
  assertFailed(verify(server, answer(challenge, { password: 'guess' })), /wrong password/);
  assert.equal(verify(server, answer(challenge)).outcome, 'ok');
});

test('nonce-count memory is bounded; a nonce whose count was forgotten is answered stale, never accepted', () => {
  const { clock, server } = setup({ maxTrackedNonces: 2 });
  const first = challengeFor(server, 'SHA-256');
  assert.equal(verify(server, answer(first)).outcome, 'ok');
  for (let i = 0; i < 3; i++) {
    clock.advance(1);
    assert.equal(verify(server, answer(challengeFor(server, 'SHA-256'))).outcome, 'ok');
  }
  assert.equal(
    verify(server, answer(first)).outcome,
    'stale',
    'a replay of the forgotten nonce must not pass',
  );
  assert.equal(verify(server, answer(first, { nc: 2 })).outcome, 'stale');
});

test('realm mismatch -> failed; with several values the one for our realm is used', () => {
  const { server } = setup();
  const other = new DigestServer({
    realm: 'elsewhere',
    clock: new ManualClock(),
    random: new SeededRandom(3),
    secret: SECRET,
  });
  const foreign = answer(challengeFor(other, 'SHA-256'));
  assertFailed(verify(server, foreign), /realm "elsewhere" is not this server's realm "duet.example.com"/);
  const ours = answer(challengeFor(server, 'SHA-256'));
  assert.equal(verify(server, [foreign, ours]).outcome, 'ok');
  // A nonce signed for another realm with the same secret does not carry over.
  const swapped = foreign.replace('realm="elsewhere"', `realm="${REALM}"`);
  assertFailed(verify(server, swapped), /bad signature/);
});

test('an algorithm that was not offered -> failed', () => {
  const { clock } = setup();
  const both = new DigestServer({ realm: REALM, clock, random: new SeededRandom(4), secret: SECRET });
  const shaOnly = new DigestServer({
    realm: REALM,
    clock,
    random: new SeededRandom(5),
    secret: SECRET,
    algorithms: ['SHA-256'],
  });
  assertFailed(verify(shaOnly, answer(challengeFor(both, 'MD5'))), /algorithm MD5 was not offered/);
});

test('credentials without qop (RFC 2069) -> failed', () => {
  const { server } = setup();
  const parsed = parseChallenge(challengeFor(server, 'MD5'));
  assert.ok(parsed.ok);
  const noQop = `Digest realm="${REALM}", nonce="${parsed.value.nonce}", algorithm=MD5`;
  assertFailed(verify(server, answer(noQop)), /no qop/);
  const authInt = `Digest realm="${REALM}", nonce="${parsed.value.nonce}", algorithm=MD5, qop="auth-int"`;
  assertFailed(verify(server, answer(authInt)), /qop "auth-int" was not offered/);
});

test('requestUri, when given, must equal the credentials uri', () => {
  const { server } = setup();
  const auth = answer(challengeFor(server, 'SHA-256'), { uri: 'sip:duet.example.com' });
  assertFailed(verify(server, auth, 'sip:other.example.com'), /does not match the Request-URI/);
  assert.equal(verify(server, auth, 'sip:duet.example.com').outcome, 'ok');
});

test('passwords may be stored as HA1: one string (algorithm by length) or one per algorithm', () => {
  const { server } = setup();
  const md5Only: DigestUserSecret = { ha1: ha1('alice', REALM, 'wonderland', 'MD5') };
  const both: DigestUserSecret = {
    ha1: {
      MD5: ha1('alice', REALM, 'wonderland', 'MD5'),
      'SHA-256': ha1('alice', REALM, 'wonderland', 'SHA-256'),
    },
  };
  const run = (secret: DigestUserSecret, algorithm: string) =>
    server.verify({
      method: 'REGISTER',
      authorization: answer(challengeFor(server, algorithm)),
      lookup: () => secret,
    });
  assert.equal(run(md5Only, 'MD5').outcome, 'ok');
  assertFailed(run(md5Only, 'SHA-256'), /no stored HA1 for SHA-256/);
  assert.equal(run(both, 'MD5').outcome, 'ok');
  assert.equal(run(both, 'SHA-256').outcome, 'ok');
  assertFailed(run({ ha1: ha1('alice', REALM, 'other', 'SHA-256') }, 'SHA-256'), /wrong password/);
});

test('the method is part of the digest', () => {
  const { server } = setup();
  const auth = answer(challengeFor(server, 'SHA-256'));
  assertFailed(server.verify({ method: 'INVITE', authorization: auth, lookup }), /wrong password/);
});

test('configuration mistakes throw DigestError with a useful message', () => {
  const base = { realm: REALM, clock: new ManualClock(), random: new SeededRandom(1), secret: SECRET };
  assert.throws(() => new DigestServer({ ...base, realm: '' }), /realm must not be empty/);
  assert.throws(() => new DigestServer({ ...base, realm: 'a\nb' }), DigestError);
  assert.throws(() => new DigestServer({ ...base, secret: '' }), /secret must not be empty/);
  assert.throws(() => new DigestServer({ ...base, algorithms: [] }), /at least one/);
  assert.throws(() => new DigestServer({ ...base, nonceLifetimeMs: 0 }), /nonceLifetimeMs/);
  assert.throws(() => new DigestServer({ ...base, maxTrackedNonces: 0 }), /maxTrackedNonces/);
});

test('fuzz: verify never throws and never says ok to garbage', () => {
  const { server } = setup();
  const real = answer(challengeFor(server, 'SHA-256'));
  const mutated = fc
    .tuple(fc.nat(real.length), fc.nat(20), fc.string({ unit: 'binary', maxLength: 10 }))
    .map(([at, cut, insert]) => real.slice(0, at) + insert + real.slice(at + cut));
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), mutated), (value) => {
      const result = verify(server, value);
      assert.ok(['ok', 'missing', 'failed', 'stale'].includes(result.outcome));
      // Only a mutation that leaves the credentials meaning the same (e.g. whitespace) may pass, once.
      if (result.outcome === 'ok') assert.equal(parseCredentials(value).ok, true);
    }),
    { numRuns: 1000 },
  );
});
