/**
 * Flood protection (SPEC S8.4, TServer `sip-flood-limit`): a token bucket per source address, holding at most
 * `limit` requests and refilled at `limit` per second, so a source may burst up to one second's worth and
 * then keeps to the rate. 0 turns the guard off. The caller answers a refused request with 503 and
 * Retry-After, and logs 10-30002 once per episode: `onEpisode` tells it when an episode starts and ends.
 *
 * An episode ends when the source's bucket has filled up again, i.e. it stayed under the limit for about a
 * second. Ending it on the first allowed request instead would make a source sending at twice the limit
 * start a new episode (and a new log line) every other request.
 *
 * Memory is bounded: a full bucket carries no information (a new source starts full), so idle sources are
 * forgotten; if more than `maxSources` are still active, the least recently seen go first.
 */
import type { Clock } from '../runtime/clock.ts';

export interface FloodEpisode {
  kind: 'started' | 'ended';
  source: string;
  /** The limit in force when the event happened (requests per second). */
  limit: number;
  /** Requests refused in this episode so far (0 at 'started': the one that started it is not yet counted). */
  dropped: number;
}

export type FloodEpisodeListener = (episode: FloodEpisode) => void;

export interface FloodGuardOptions {
  /** Most sources tracked at once. Default 10000. */
  maxSources?: number;
  /** How often (ms of clock time) idle sources are swept. Default 10000. */
  sweepIntervalMs?: number;
}

export interface FloodGuardStats {
  /** Sources tracked now. */
  sources: number;
  /** Sources in an episode now. */
  flooding: number;
  /** Requests refused since the start. */
  dropped: number;
  /** Episodes started since the start. */
  episodes: number;
}

interface Bucket {
  tokens: number;
  /** Clock time of the last refill. */
  at: number;
  /** Refused requests of the current episode, or -1 when not in one. */
  episodeDrops: number;
}

export class FloodGuard {
  private readonly buckets = new Map<string, Bucket>();
  private readonly listeners = new Set<FloodEpisodeListener>();
  private readonly maxSources: number;
  private readonly sweepIntervalMs: number;
  private lastSweep: number;
  private dropped = 0;
  private episodes = 0;
  private flooding = 0;

  constructor(
    private readonly clock: Clock,
    private readonly limitPerSecond: () => number,
    options: FloodGuardOptions = {},
  ) {
    this.maxSources = options.maxSources ?? 10_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
    if (!(Number.isInteger(this.maxSources) && this.maxSources >= 1)) {
      throw new RangeError(`FloodGuard maxSources: ${this.maxSources} is not an integer >= 1`);
    }
    this.lastSweep = clock.now();
  }

  /** Told when a source's episode starts (log 10-30002 then) and when it ends. */
  onEpisode(listener: FloodEpisodeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True if a request from `sourceHost` may be handled now (and counts it); false if it must be refused. */
  allow(sourceHost: string): boolean {
    const limit = this.limitPerSecond();
    const now = this.clock.now();
    if (!(limit > 0)) {
      // Off: forget everything, ending the episodes in progress, so turning it on again starts clean.
      if (this.buckets.size > 0) this.forgetAll(limit);
      return true;
    }
    if (now - this.lastSweep >= this.sweepIntervalMs) this.sweep(now, limit);

    let b = this.buckets.get(sourceHost);
    if (b === undefined) {
      if (this.buckets.size >= this.maxSources) this.makeRoom(now, limit);
      b = { tokens: limit, at: now, episodeDrops: -1 };
      this.buckets.set(sourceHost, b);
    } else {
      this.refill(b, now, limit);
      // Least recently seen first: re-inserting keeps the Map's order an LRU list.
      this.buckets.delete(sourceHost);
      this.buckets.set(sourceHost, b);
      if (b.episodeDrops >= 0 && b.tokens >= limit) this.endEpisode(sourceHost, b, limit);
    }

    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    if (b.episodeDrops < 0) {
      b.episodeDrops = 0;
      this.episodes++;
      this.flooding++;
      this.emit({ kind: 'started', source: sourceHost, limit, dropped: 0 });
    }
    b.episodeDrops++;
    this.dropped++;
    return false;
  }

  stats(): FloodGuardStats {
    return {
      sources: this.buckets.size,
      flooding: this.flooding,
      dropped: this.dropped,
      episodes: this.episodes,
    };
  }

  private refill(b: Bucket, now: number, limit: number): void {
    const elapsed = Math.max(0, now - b.at);
    // A lowered limit also lowers what a bucket may hold.
    b.tokens = Math.min(limit, b.tokens + (elapsed * limit) / 1000);
    b.at = now;
  }

  /** Drops every bucket that has filled up again (ending its episode). */
  private sweep(now: number, limit: number): void {
    this.lastSweep = now;
    for (const [source, b] of this.buckets) {
      this.refill(b, now, limit);
      if (b.tokens >= limit) {
        if (b.episodeDrops >= 0) this.endEpisode(source, b, limit);
        this.buckets.delete(source);
      }
    }
  }

  private makeRoom(now: number, limit: number): void {
    this.sweep(now, limit);
    // Still full of active sources: evict the least recently seen.
    for (const [source, b] of this.buckets) {
      if (this.buckets.size < this.maxSources) break;
      if (b.episodeDrops >= 0) this.endEpisode(source, b, limit);
      this.buckets.delete(source);
    }
  }

  private forgetAll(limit: number): void {
    for (const [source, b] of this.buckets) if (b.episodeDrops >= 0) this.endEpisode(source, b, limit);
    this.buckets.clear();
  }

  private endEpisode(source: string, b: Bucket, limit: number): void {
    const dropped = b.episodeDrops;
    b.episodeDrops = -1;
    this.flooding--;
    this.emit({ kind: 'ended', source, limit, dropped });
  }

  private emit(e: FloodEpisode): void {
    for (const l of this.listeners) l(e);
  }
}
