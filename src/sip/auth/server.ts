import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../runtime/clock.ts';
import type { Random } from '../../runtime/random.ts';
import { baseAlgorithm, type DigestAlgorithm, hashHexLength, parseAlgorithm } from './algorithm.ts';
import { quote } from './auth-params.ts';
import { formatChallenge } from './challenge.ts';
import { type DigestCredentials, parseCredentials } from './credentials.ts';
import { digestResponse, ha1 } from './digest.ts';
import { DigestError } from './digest-error.ts';
import { NonceCodec } from './nonce.ts';
import { NonceCountTracker } from './nonce-counts.ts';

/**
 * What a user's secret may be: the password, or HA1 = H(username:realm:password) so that passwords need not be
 * stored. A single HA1 string is taken as MD5 or SHA-256 by its length (32 or 64 hex digits); give both to
 * serve both algorithms.
 */
export type DigestUserSecret =
  | { password: string }
  | { ha1: string | { readonly MD5?: string; readonly 'SHA-256'?: string } };

export type DigestLookup = (username: string) => DigestUserSecret | undefined;

export interface DigestServerOptions {
  realm: string;
  clock: Clock;
  random: Random;
  /** Signs nonces; both servers of an HA pair need the same one to accept each other's nonces. */
  secret: string | Uint8Array;
  /** Offered in this order, one challenge header each. Default SHA-256 then MD5 (RFC 8760 §2.4: strongest first). */
  algorithms?: DigestAlgorithm[];
  /** How long a nonce is good for; after that the answer is 'stale'. Default 300 000 ms. */
  nonceLifetimeMs?: number;
  /** Bound on remembered nonce counts (replay protection). Default 100 000. */
  maxTrackedNonces?: number;
  /**
   * How far in the future a nonce's issue time may be: the other server of an HA pair may run a little ahead.
   * Default 30 000 ms.
   */
  clockSkewMs?: number;
}

export interface DigestVerifyInput {
  method: string;
  /**
   * The Authorization (or Proxy-Authorization) header values. Several are allowed (RFC 3261 §22.3: one per
   * realm); the one for this server's realm is used, values of other schemes are ignored.
   */
  authorization: string | readonly string[] | undefined;
  lookup: DigestLookup;
  /**
   * The Request-URI as received, to check against the credentials' `uri` (RFC 2617 §3.2.2.5). Compared as
   * text; leave it out to skip the check (e.g. when a proxy in front may have rewritten the Request-URI).
   */
  requestUri?: string;
}

/**
 * - ok: the credentials are right.
 * - missing: no Digest credentials; answer 401/407 with challenge().
 * - stale: right credentials with an expired nonce; answer 401/407 with challenge({ stale: true }) so the user
 *   agent retries without asking its user (RFC 7616 §3.3).
 * - failed: anything else; for a wrong password SIP answers 403 (RFC 3261 §22.2 leaves it to the server; a new
 *   challenge would just invite guessing). `reason` is for the log, never for the peer.
 */
export type DigestVerifyResult =
  | { outcome: 'ok'; username: string }
  | { outcome: 'missing' }
  | { outcome: 'stale'; username: string }
  | { outcome: 'failed'; reason: string; username?: string };

const DIGEST_SCHEME = /^\s*digest(\s|$)/i;

/** The UAS / proxy side of HTTP Digest for SIP (RFC 3261 §22.1-22.4, RFC 7616, RFC 8760). */
export class DigestServer {
  readonly realm: string;
  readonly algorithms: readonly DigestAlgorithm[];
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly nonces: NonceCodec;
  private readonly counts: NonceCountTracker;
  private readonly lifetimeMs: number;
  private readonly skewMs: number;

  constructor(options: DigestServerOptions) {
    if (options.realm === '') throw new DigestError('the digest realm must not be empty');
    quote(options.realm, 'the digest realm');
    const algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    if (algorithms.length === 0) throw new DigestError('at least one digest algorithm must be offered');
    for (const a of algorithms) {
      if (parseAlgorithm(a) !== a) throw new DigestError(`unknown digest algorithm "${a}"`);
    }
    const lifetimeMs = options.nonceLifetimeMs ?? 300_000;
    if (!(lifetimeMs > 0)) throw new DigestError(`nonceLifetimeMs must be positive, got ${lifetimeMs}`);
    const maxTracked = options.maxTrackedNonces ?? 100_000;
    if (!(Number.isInteger(maxTracked) && maxTracked >= 1)) {
      throw new DigestError(`maxTrackedNonces must be a positive integer, got ${maxTracked}`);
    }
    const skewMs = options.clockSkewMs ?? 30_000;
    if (!(skewMs >= 0)) throw new DigestError(`clockSkewMs must not be negative, got ${skewMs}`);

    this.realm = options.realm;
    this.algorithms = [...new Set(algorithms)];
    this.clock = options.clock;
    this.random = options.random;
    this.nonces = new NonceCodec(options.realm, options.secret);
    this.counts = new NonceCountTracker(maxTracked, lifetimeMs);
    this.lifetimeMs = lifetimeMs;
    this.skewMs = skewMs;
  }

  /**
   * The WWW-Authenticate / Proxy-Authenticate values for a 401 / 407: one per algorithm, strongest first, all
   * with the same fresh nonce and qop="auth" (RFC 8760 §2.4).
   */
  challenge(options?: { stale?: boolean }): string[] {
    const nonce = this.nonces.issue(this.clock.now(), this.random.hex(16));
    const stale = options?.stale === true;
    return this.algorithms.map((algorithm) =>
      formatChallenge({ realm: this.realm, nonce, algorithm, qop: ['auth'], stale }),
    );
  }

  verify(input: DigestVerifyInput): DigestVerifyResult {
    const values =
      input.authorization === undefined
        ? []
        : typeof input.authorization === 'string'
          ? [input.authorization]
          : input.authorization;
    const digestValues = values.filter((v) => typeof v === 'string' && DIGEST_SCHEME.test(v));
    if (digestValues.length === 0) return { outcome: 'missing' };

    let malformed: string | undefined;
    let otherRealm: string | undefined;
    let credentials: DigestCredentials | undefined;
    for (const value of digestValues) {
      const parsed = parseCredentials(value);
      if (!parsed.ok) malformed ??= parsed.error;
      else if (parsed.value.realm !== this.realm) otherRealm ??= parsed.value.realm;
      else {
        credentials = parsed.value;
        break;
      }
    }
    if (credentials === undefined) {
      if (malformed !== undefined)
        return { outcome: 'failed', reason: `malformed credentials: ${malformed}` };
      return {
        outcome: 'failed',
        reason: `realm "${otherRealm}" is not this server's realm "${this.realm}"`,
      };
    }
    return this.check(credentials, input);
  }

  private check(c: DigestCredentials, input: DigestVerifyInput): DigestVerifyResult {
    const username = c.username;
    const fail = (reason: string): DigestVerifyResult => ({ outcome: 'failed', reason, username });

    const algorithm = parseAlgorithm(c.algorithm ?? 'MD5');
    if (algorithm === undefined || !this.algorithms.includes(algorithm)) {
      return fail(`algorithm ${c.algorithm ?? 'MD5 (by default)'} was not offered`);
    }
    // We offer qop="auth" only; without qop there is no nonce count, hence no replay protection (RFC 7616 §5.4),
    // so RFC 2069 style answers are refused.
    if (c.qop === undefined) return fail('credentials have no qop (RFC 2069 digest is not accepted)');
    if (c.qop !== 'auth') return fail(`qop "${c.qop}" was not offered`);
    const opened = this.nonces.open(c.nonce);
    if (!opened.ok) return fail(opened.error);
    const issuedAt = opened.value.issuedAt;
    const now = this.clock.now();
    if (issuedAt - now > this.skewMs)
      return fail("nonce was issued in the future: check the servers' clocks");
    if (input.requestUri !== undefined && c.uri !== input.requestUri) {
      return fail(`uri "${c.uri}" does not match the Request-URI "${input.requestUri}"`);
    }
    if (c.response.length !== hashHexLength(algorithm))
      return fail(`response has the wrong length for ${algorithm}`);

    const secret = input.lookup(username);
    if (secret === undefined) return fail('unknown user');
    const storedHa1 = this.storedHa1(secret, username, algorithm);
    if (storedHa1 === undefined) return fail(`no stored HA1 for ${algorithm}`);
    const expected = digestResponse({
      algorithm,
      ha1: storedHa1,
      nonce: c.nonce,
      method: input.method,
      uri: c.uri,
      qop: 'auth',
      cnonce: c.cnonce,
      nc: c.nc,
    });
    if (!timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(c.response, 'latin1'))) {
      return fail('wrong password (response does not match)');
    }

    // Checked only now: RFC 7616 §3.3 says stale=TRUE only for a response that is right for its nonce.
    const expiresAt = issuedAt + this.lifetimeMs;
    if (now > expiresAt) return { outcome: 'stale', username };
    const verdict = this.counts.use(c.nonce, Number.parseInt(c.nc!, 16), issuedAt, expiresAt, now);
    if (verdict === 'replayed') return fail(`nonce count ${c.nc} was already used with this nonce (replay)`);
    if (verdict === 'forgotten') return { outcome: 'stale', username };
    return { outcome: 'ok', username };
  }

  private storedHa1(
    secret: DigestUserSecret,
    username: string,
    algorithm: DigestAlgorithm,
  ): string | undefined {
    if ('password' in secret) return ha1(username, this.realm, secret.password, algorithm);
    const value = typeof secret.ha1 === 'string' ? secret.ha1 : secret.ha1[baseAlgorithm(algorithm)];
    if (value === undefined || value.length !== hashHexLength(algorithm)) return undefined;
    return value.toLowerCase();
  }
}
