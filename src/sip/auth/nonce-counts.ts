/** What the nonce-count check says about one use of a nonce. */
export type NonceCountVerdict = 'fresh' | 'replayed' | 'forgotten';

interface Entry {
  highestNc: number;
  issuedAt: number;
  expiresAt: number;
}

/**
 * Replay protection by nonce count (RFC 7616 §3.4, §5.4): for every nonce in use, the highest nc accepted; a
 * request whose nc is not higher is a replay. Entries live only as long as their nonce (after that the nonce is
 * stale anyway), and the table is bounded: when it is full of live nonces the least recently first-used is
 * dropped, and every nonce issued no later than a dropped one is from then on answered 'forgotten' (the
 * server asks for a fresh nonce) rather than silently starting its count over, which would let a replay in.
 *
 * The table is per server and not replicated: after a restart or a switchover the first use of a nonce counts
 * as fresh. That is the price of stateless nonces, limited to one nonce lifetime.
 */
export class NonceCountTracker {
  private readonly entries = new Map<string, Entry>();
  private forgottenUpTo = Number.NEGATIVE_INFINITY;
  private nextSweepAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly maxEntries: number,
    private readonly sweepIntervalMs: number,
  ) {}

  /** Records `nc` for `nonce` if it is higher than any seen; call only for a request whose digest was right. */
  use(nonce: string, nc: number, issuedAt: number, expiresAt: number, now: number): NonceCountVerdict {
    if (now >= this.nextSweepAt) {
      this.sweep(now);
      this.nextSweepAt = now + this.sweepIntervalMs;
    }
    const entry = this.entries.get(nonce);
    if (entry !== undefined) {
      if (nc <= entry.highestNc) return 'replayed';
      entry.highestNc = nc;
      return 'fresh';
    }
    if (issuedAt <= this.forgottenUpTo) return 'forgotten';
    this.entries.set(nonce, { highestNc: nc, issuedAt, expiresAt });
    if (this.entries.size > this.maxEntries) {
      this.sweep(now);
      for (const [oldest, e] of this.entries) {
        if (this.entries.size <= this.maxEntries) break;
        this.entries.delete(oldest);
        this.forgottenUpTo = Math.max(this.forgottenUpTo, e.issuedAt);
      }
    }
    return 'fresh';
  }

  /** How many nonces are remembered (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    for (const [nonce, e] of this.entries) {
      // Strictly before now: at its last valid instant a nonce still needs its count.
      if (e.expiresAt < now) this.entries.delete(nonce);
    }
  }
}
