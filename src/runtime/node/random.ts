/**
 * Real randomness for the shell: branch ids, tags and ConnIDs must be unguessable on a live server
 * (RFC 3261 §8.1.1.7 and §19.3 ask for cryptographically random branch and tag values).
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Random } from '../random.ts';

/** randomBytes per call is slow for the many small draws a SIP server makes, so bytes come from a pool. */
const POOL_SIZE = 4096;
/** crypto.randomInt accepts ranges below 2^48 only. */
const RANDOM_INT_LIMIT = 2 ** 48;

export class NodeRandom implements Random {
  private pool: Buffer = Buffer.alloc(0);
  private offset = 0;

  next(): number {
    const b = this.take(7);
    // 53 random bits: the full precision of a double in [0, 1).
    const hi = ((b[0]! << 13) | (b[1]! << 5) | (b[2]! >>> 3)) >>> 0; // 21 bits
    const lo = ((b[3]! << 24) | (b[4]! << 16) | (b[5]! << 8) | b[6]!) >>> 0; // 32 bits
    return (hi * 0x100000000 + lo) / 2 ** 53;
  }

  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(
        `NodeRandom.int: maxExclusive must be a positive safe integer, got ${maxExclusive}`,
      );
    }
    if (maxExclusive === 1) return 0;
    if (maxExclusive <= RANDOM_INT_LIMIT) return randomInt(maxExclusive);
    return Math.floor(this.next() * maxExclusive);
  }

  hex(length: number): string {
    if (length <= 0) return '';
    return this.take(Math.ceil(length / 2))
      .toString('hex')
      .slice(0, length);
  }

  private take(n: number): Buffer {
    if (n > POOL_SIZE) return randomBytes(n);
    if (this.offset + n > this.pool.length) {
      this.pool = randomBytes(POOL_SIZE);
      this.offset = 0;
    }
    const out = this.pool.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}
