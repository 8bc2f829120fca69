import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TIMERS, resolveTimers, timerD } from '../../../src/sip/transaction/timers.ts';

describe('transaction timer values', () => {
  it('defaults to T1 = 500 ms, T2 = 4 s, T4 = 5 s (RFC 3261 Table 4)', () => {
    assert.deepEqual(resolveTimers(), { T1: 500, T2: 4000, T4: 5000 });
    assert.deepEqual(DEFAULT_TIMERS, { T1: 500, T2: 4000, T4: 5000 });
  });

  it('takes partial overrides', () => {
    assert.deepEqual(resolveTimers({ T1: 200 }), { T1: 200, T2: 4000, T4: 5000 });
  });

  it('refuses values that break the arithmetic, naming the timer', () => {
    assert.throws(() => resolveTimers({ T1: -1 }), /T1 must be a positive number/);
    assert.throws(() => resolveTimers({ T4: Number.NaN }), /T4 must be a positive number/);
    assert.throws(() => resolveTimers({ T2: 100 }), /T2 \(100 ms\) must not be smaller than T1 \(500 ms\)/);
  });

  it('timer D: 32 s on UDP (at least 64*T1), 0 on a reliable transport', () => {
    assert.equal(timerD(resolveTimers(), false), 32_000);
    assert.equal(timerD(resolveTimers(), true), 0);
    assert.equal(timerD(resolveTimers({ T1: 100, T2: 400 }), false), 32_000);
    assert.equal(timerD(resolveTimers({ T1: 1000 }), false), 64_000);
  });
});
