import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { NodeClock } from '../../../src/runtime/node/clock.ts';

describe('NodeClock', () => {
  it('reads the wall clock', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_234_567 });
    try {
      assert.equal(new NodeClock({ monotonicNow: () => Date.now() }).now(), 1_234_567);
    } finally {
      mock.timers.reset();
    }
  });

  it('fires timers once, in due order, and clearTimer cancels', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const clock = new NodeClock({ monotonicNow: () => Date.now() });
      const fired: string[] = [];
      clock.setTimer(20, () => fired.push('b'));
      clock.setTimer(10, () => fired.push('a'));
      const c = clock.setTimer(15, () => fired.push('cancelled'));
      clock.setTimer(20, () => fired.push('b2'));
      assert.equal(clock.pendingTimers, 4);
      clock.clearTimer(c);
      clock.clearTimer(9999); // unknown handles are ignored
      mock.timers.tick(10);
      assert.deepEqual(fired, ['a']);
      mock.timers.tick(10);
      assert.deepEqual(fired, ['a', 'b', 'b2']);
      mock.timers.tick(100);
      assert.deepEqual(fired, ['a', 'b', 'b2']);
      assert.equal(clock.pendingTimers, 0);
    } finally {
      mock.timers.reset();
    }
  });

  it('timers due at the same instant fire in the order they were set, whatever their delays', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const clock = new NodeClock({ monotonicNow: () => Date.now() });
      const fired: string[] = [];
      clock.setTimer(20, () => fired.push('first, delay 20'));
      mock.timers.tick(10);
      clock.setTimer(10, () => fired.push('second, delay 10'));
      clock.setTimer(10, () => fired.push('third, delay 10'));
      mock.timers.tick(10);
      assert.deepEqual(fired, ['first, delay 20', 'second, delay 10', 'third, delay 10']);
    } finally {
      mock.timers.reset();
    }
  });

  it('a timer set from a firing timer with delay 0 runs on a later turn, after the batch', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const clock = new NodeClock({ monotonicNow: () => Date.now() });
      const fired: string[] = [];
      clock.setTimer(5, () => {
        fired.push('a');
        clock.setTimer(0, () => fired.push('c'));
      });
      clock.setTimer(5, () => fired.push('b'));
      mock.timers.tick(5);
      assert.deepEqual(fired.slice(0, 2), ['a', 'b']);
      mock.timers.tick(1);
      assert.deepEqual(fired, ['a', 'b', 'c']);
    } finally {
      mock.timers.reset();
    }
  });

  it('a timer that throws does not stop the clock', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const clock = new NodeClock({ monotonicNow: () => Date.now() });
      let later = 0;
      clock.setTimer(1, () => {
        throw new Error('boom');
      });
      clock.setTimer(10, () => later++);
      assert.throws(() => mock.timers.tick(1), /boom/);
      mock.timers.tick(10);
      assert.equal(later, 1);
    } finally {
      mock.timers.reset();
    }
  });

  it('waits the full delay beyond the 2^31-1 ms setTimeout limit', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const clock = new NodeClock({ monotonicNow: () => Date.now() });
      const thirtyDays = 30 * 24 * 3600 * 1000;
      let fired = 0;
      clock.setTimer(thirtyDays, () => fired++);
      mock.timers.tick(0x7fffffff + 10);
      assert.equal(fired, 0, 'must not fire after the first 2^31-1 ms');
      assert.equal(clock.pendingTimers, 1);
      mock.timers.tick(thirtyDays - 0x7fffffff - 11);
      assert.equal(fired, 0, 'must not fire 1 ms early');
      mock.timers.tick(1);
      assert.equal(fired, 1);
      assert.equal(clock.pendingTimers, 0);
    } finally {
      mock.timers.reset();
    }
  });

  it('a long timer can be cleared between slices', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const clock = new NodeClock({ monotonicNow: () => Date.now() });
      let fired = 0;
      const h = clock.setTimer(2 ** 32, () => fired++);
      mock.timers.tick(0x7fffffff + 1);
      clock.clearTimer(h);
      mock.timers.tick(2 ** 32);
      assert.equal(fired, 0);
    } finally {
      mock.timers.reset();
    }
  });

  it('clearAll cancels every pending timer', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const clock = new NodeClock({ monotonicNow: () => Date.now() });
      let fired = 0;
      clock.setTimer(1, () => fired++);
      clock.setTimer(2, () => fired++);
      clock.clearAll();
      mock.timers.tick(10);
      assert.equal(fired, 0);
      assert.equal(clock.pendingTimers, 0);
    } finally {
      mock.timers.reset();
    }
  });

  it('with unref, a pending timer does not keep the process alive', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = `
      import { NodeClock } from ${JSON.stringify(new URL('../../../src/runtime/node/clock.ts', import.meta.url).href)};
      new NodeClock({ unref: true }).setTimer(60_000, () => console.log('fired'));
      console.log('done');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'done');
  });
});
