import { createHmac, timingSafeEqual } from 'node:crypto';
import { DigestError, type DigestParseResult } from './digest-error.ts';

const TIME_HEX = 12;
const RANDOM_HEX = 16;
const MAC_HEX = 32;
const NONCE = new RegExp(`^[0-9a-f]{${TIME_HEX + RANDOM_HEX + MAC_HEX}}$`);

/**
 * Stateless nonces: issue time + random + HMAC(secret, realm, time, random), all lower-case hex.
 * Nothing is stored when a nonce is issued, so a restarted server, or the backup of an HA pair configured with
 * the same secret, verifies a nonce the other one issued (RFC 7616 §3.3 leaves the nonce's construction to the
 * server and suggests exactly this: a time stamp plus a private key). The realm is in the MAC so a nonce issued
 * for one realm is no good in another that shares the secret. The MAC is cut to 128 bits, which no one can guess.
 */
export class NonceCodec {
  private readonly realm: string;
  private readonly secret: string | Uint8Array;

  constructor(realm: string, secret: string | Uint8Array) {
    if (secret.length === 0) throw new DigestError('the digest nonce secret must not be empty');
    this.realm = realm;
    this.secret = secret;
  }

  /** A new nonce issued at `now` (ms since the epoch); `randomHex` is 16 hex digits from the injected Random. */
  issue(now: number, randomHex: string): string {
    const time = Math.floor(now);
    if (!(time >= 0 && time < 2 ** (4 * TIME_HEX)))
      throw new DigestError(`clock value ${now} cannot be encoded`);
    if (!/^[0-9a-f]{16}$/.test(randomHex))
      throw new DigestError('nonce randomness must be 16 lower-case hex digits');
    const body = time.toString(16).padStart(TIME_HEX, '0') + randomHex;
    return body + this.mac(body);
  }

  /** The issue time of a nonce this codec (or one with the same realm and secret) issued; an error otherwise. */
  open(nonce: string): DigestParseResult<{ issuedAt: number }> {
    if (!NONCE.test(nonce)) return { ok: false, error: 'nonce was not issued by this server (bad format)' };
    const body = nonce.slice(0, TIME_HEX + RANDOM_HEX);
    const expected = Buffer.from(this.mac(body), 'latin1');
    const given = Buffer.from(nonce.slice(TIME_HEX + RANDOM_HEX), 'latin1');
    if (!timingSafeEqual(expected, given)) {
      return { ok: false, error: 'nonce was not issued by this server (bad signature)' };
    }
    return { ok: true, value: { issuedAt: Number.parseInt(nonce.slice(0, TIME_HEX), 16) } };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret)
      .update(`${this.realm}\u0000${body}`)
      .digest('hex')
      .slice(0, MAC_HEX);
  }
}
