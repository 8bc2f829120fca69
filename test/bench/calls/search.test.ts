import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLadder, midpoint, searchHighestRate } from '../../../bench/calls/search.ts';

/** A server that carries up to `limit` per second; records the rates it was asked for. */
function server(limit: number, flaky: number[] = []) {
  const asked: number[] = [];
  const pending = [...flaky];
  return {
    asked,
    run: async (rate: number) => {
      asked.push(rate);
      const i = pending.indexOf(rate);
      if (i >= 0) {
        pending.splice(i, 1);
        return { rate, pass: false };
      }
      return { rate, pass: rate <= limit };
    },
  };
}

test('climbs until the first failure and reports the last pass', async () => {
  const s = server(450);
  const r = await searchHighestRate([100, 200, 400, 800, 1600], 0, s.run);
  assert.equal(r.best, 400);
  assert.deepEqual(s.asked, [100, 200, 400, 800]);
  assert.equal(r.stoppedBy?.rate, 800);
});

test('refines by halving the gap between the last pass and the failure', async () => {
  const s = server(650);
  const r = await searchHighestRate([100, 400, 800], 2, s.run);
  assert.deepEqual(s.asked, [100, 400, 800, 600, 700]);
  assert.equal(r.best, 600);
});

test('the whole ladder passing leaves stoppedBy undefined (the limit is above it)', async () => {
  const r = await searchHighestRate([100, 200], 3, server(10_000).run);
  assert.equal(r.best, 200);
  assert.equal(r.stoppedBy, undefined);
  assert.equal(r.steps.length, 2);
});

test('a first step that fails gives 0 and no refinement', async () => {
  const s = server(10);
  const r = await searchHighestRate([50, 100], 2, s.run);
  assert.equal(r.best, 0);
  assert.deepEqual(s.asked, [50]);
});

test('with retry, a failed step is run once more and counts only if the repeat passes', async () => {
  const s = server(450, [200]); // 200 fails once (a stall), then passes
  const r = await searchHighestRate([100, 200, 400, 800], 0, s.run, true);
  assert.equal(r.best, 400);
  assert.deepEqual(s.asked, [100, 200, 200, 400, 800, 800]);
  assert.equal(r.steps.length, 6, 'both runs of a repeated step are kept');
});

test('midpoint rounds to a readable grain and refuses a gap it cannot split', () => {
  assert.equal(midpoint(400, 800), 600);
  assert.equal(midpoint(1000, 1200), 1100);
  assert.equal(midpoint(50, 100), 75);
  assert.equal(midpoint(10, 12), 11);
  assert.equal(midpoint(10, 11), undefined);
  assert.equal(midpoint(990, 1000), undefined);
});

test('a ladder must be positive integers that rise', () => {
  assert.throws(() => checkLadder([]), /at least one rate/);
  assert.throws(() => checkLadder([100, 100]), /100 does not rise after 100/);
  assert.throws(() => checkLadder([0]), /0 is not a positive integer/);
  assert.throws(() => checkLadder([1.5]), /1.5 is not a positive integer/);
});
