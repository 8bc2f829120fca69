import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile } from '../../../bench/calls/percentile.ts';

test('nearest rank: p99 of 1..100 is 99, p50 is 50, p100 is the maximum', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i); // unsorted on purpose
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 100), 100);
  assert.equal(values[0], 100, 'the input is not sorted in place');
});

test('p99 of 1,000 answers with 11 slow ones is slow; with 10 it is not', () => {
  const fast = Array.from({ length: 989 }, () => 5);
  assert.equal(percentile([...fast, ...Array.from({ length: 11 }, () => 900)], 99), 900);
  assert.equal(percentile([...fast, 5, ...Array.from({ length: 10 }, () => 900)], 99), 5);
});

test('one value is every percentile; no value has none', () => {
  assert.equal(percentile([7], 1), 7);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([], 99), undefined);
});

test('p outside (0, 100] is refused with the value in the message', () => {
  assert.throws(() => percentile([1], 0), /p must be in \(0, 100\], got 0/);
  assert.throws(() => percentile([1], 101), /got 101/);
});
