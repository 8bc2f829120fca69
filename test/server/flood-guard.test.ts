/**
 * Flood protection (SPEC S8.4): a token bucket per source address on a fake clock.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Clock } from '../../src/runtime/clock.ts';
import { type FloodEpisode, FloodGuard } from '../../src/server/flood-guard.ts';

function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 1_000_000;
  return {
    now: () => now,
    setTimer: () => {
      throw new Error('FloodGuard arms no timers');
    },
    clearTimer: () => {},
    advance(ms) {
      now += ms;
    },
  };
}

function guard(limit: number, options?: ConstructorParameters<typeof FloodGuard>[2]) {
  const clock = fakeClock();
  let current = limit;
  const g = new FloodGuard(clock, () => current, options);
  const episodes: FloodEpisode[] = [];
  g.onEpisode((e) => episodes.push(e));
  return {
    g,
    clock,
    episodes,
    setLimit: (n: number) => {
      current = n;
    },
  };
}

function burst(g: FloodGuard, source: string, n: number): number {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (g.allow(source)) allowed++;
  return allowed;
}

describe('FloodGuard', () => {
  test('a burst up to the limit passes, the rest is refused', () => {
    const { g } = guard(10);
    assert.equal(burst(g, '10.0.0.1', 25), 10);
    assert.equal(g.stats().dropped, 15);
  });

  test('the bucket refills at limit per second, up to the limit', () => {
    const { g, clock } = guard(10);
    burst(g, '10.0.0.1', 10);
    assert.equal(g.allow('10.0.0.1'), false);
    clock.advance(100); // one token
    assert.equal(burst(g, '10.0.0.1', 5), 1);
    clock.advance(500); // five tokens
    assert.equal(burst(g, '10.0.0.1', 10), 5);
    clock.advance(60_000); // never more than the limit
    assert.equal(burst(g, '10.0.0.1', 30), 10);
  });

  test('a steady rate at the limit is never refused', () => {
    const { g, clock } = guard(50);
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      if (!g.allow('10.0.0.1')) refused++;
      clock.advance(20);
    }
    assert.equal(refused, 0);
  });

  test('sources are isolated: one flooding does not touch another', () => {
    const { g } = guard(5);
    assert.equal(burst(g, '10.0.0.1', 100), 5);
    assert.equal(burst(g, '10.0.0.2', 5), 5);
    assert.equal(burst(g, '[2001:db8::1]', 3), 3);
  });

  test('0 is off: everything passes and nothing is tracked', () => {
    const { g, episodes } = guard(0);
    assert.equal(burst(g, '10.0.0.1', 100_000), 100_000);
    assert.deepEqual(g.stats(), { sources: 0, flooding: 0, dropped: 0, episodes: 0 });
    assert.deepEqual(episodes, []);
  });

  test('one episode per flood: started at the first refusal, ended once the source calms down', () => {
    const { g, clock, episodes } = guard(10);
    // Sending at twice the limit for 5 s: one episode, not one per refusal.
    for (let i = 0; i < 100; i++) {
      g.allow('10.0.0.1');
      clock.advance(50);
    }
    assert.deepEqual(episodes, [{ kind: 'started', source: '10.0.0.1', limit: 10, dropped: 0 }]);
    assert.equal(g.stats().flooding, 1);
    // Quiet for a second: the bucket is full again, and the next request ends the episode.
    clock.advance(1_000);
    assert.equal(g.allow('10.0.0.1'), true);
    assert.equal(episodes.length, 2);
    assert.equal(episodes[1]!.kind, 'ended');
    assert.equal(episodes[1]!.dropped, g.stats().dropped);
    assert.ok(episodes[1]!.dropped > 30, `about half were refused (${episodes[1]!.dropped})`);
    assert.equal(g.stats().flooding, 0);
    // A new flood is a new episode.
    burst(g, '10.0.0.1', 20);
    assert.deepEqual(
      episodes.map((e) => e.kind),
      ['started', 'ended', 'started'],
    );
    assert.equal(g.stats().episodes, 2);
  });

  test('a quiet flooder is swept, which ends its episode', () => {
    const { g, clock, episodes } = guard(10, { sweepIntervalMs: 5_000 });
    burst(g, '10.0.0.1', 20);
    clock.advance(6_000);
    g.allow('10.0.0.2');
    assert.deepEqual(
      episodes.map((e) => [e.kind, e.source, e.dropped]),
      [
        ['started', '10.0.0.1', 0],
        ['ended', '10.0.0.1', 10],
      ],
    );
    assert.equal(g.stats().sources, 1);
  });

  test('memory is bounded: idle sources are forgotten, then the least recently seen', () => {
    const { g } = guard(10, { maxSources: 100 });
    for (let i = 0; i < 1_000; i++) g.allow(`10.0.${i >> 8}.${i & 255}`);
    assert.ok(g.stats().sources <= 100, `${g.stats().sources} sources tracked`);

    // All active (buckets not full): the oldest go. A source seen recently is kept.
    const { g: g2 } = guard(10, { maxSources: 3 });
    burst(g2, 'a', 5);
    burst(g2, 'b', 5);
    burst(g2, 'c', 5);
    burst(g2, 'a', 5); // a has now refused 0, and is the most recent
    assert.equal(burst(g2, 'd', 1), 1); // evicts b (least recently seen)
    assert.equal(g2.stats().sources, 3);
    assert.equal(burst(g2, 'a', 10), 0, 'a kept its empty bucket');
    assert.equal(burst(g2, 'b', 10), 10, 'b was forgotten and starts full');
  });

  test('changing the limit applies at once; turning it off ends the episodes', () => {
    const { g, episodes, setLimit } = guard(100);
    assert.equal(burst(g, '10.0.0.1', 50), 50);
    setLimit(10);
    assert.equal(burst(g, '10.0.0.1', 50), 10, 'the bucket is capped to the new limit');
    setLimit(0);
    assert.equal(g.allow('10.0.0.1'), true);
    assert.deepEqual(
      episodes.map((e) => e.kind),
      ['started', 'ended'],
    );
    assert.equal(g.stats().sources, 0);
  });

  test('maxSources must be a positive integer', () => {
    assert.throws(() => guard(1, { maxSources: 0 }), /maxSources: 0 is not an integer >= 1/);
  });
});
