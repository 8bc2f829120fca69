import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NonceCountTracker } from '../../../src/sip/auth/nonce-counts.ts';

test('counts must rise per nonce', () => {
  const t = new NonceCountTracker(10, 1000);
  assert.equal(t.use('a', 1, 0, 100, 0), 'fresh');
  assert.equal(t.use('a', 1, 0, 100, 1), 'replayed');
  assert.equal(t.use('b', 1, 0, 100, 1), 'fresh');
  assert.equal(t.use('a', 3, 0, 100, 2), 'fresh');
  assert.equal(t.use('a', 2, 0, 100, 3), 'replayed');
});

test('expired nonces are swept', () => {
  const t = new NonceCountTracker(10, 50);
  t.use('a', 1, 0, 100, 0);
  t.use('b', 1, 60, 160, 60);
  assert.equal(t.size, 2);
  t.use('c', 1, 120, 220, 120);
  assert.equal(t.size, 2, '"a" expired at 100 and is gone');
  assert.equal(t.use('b', 1, 60, 160, 121), 'replayed', '"b" is still remembered');
  assert.equal(t.use('b', 1, 60, 160, 160), 'replayed', '"b" is remembered up to its expiry instant');
});

test('a full table drops the oldest entry and from then on calls older nonces forgotten', () => {
  const t = new NonceCountTracker(2, 1_000_000);
  t.use('a', 1, 10, 1000, 10);
  t.use('b', 1, 20, 1000, 20);
  t.use('c', 1, 30, 1000, 30);
  assert.equal(t.size, 2);
  assert.equal(t.use('a', 2, 10, 1000, 31), 'forgotten');
  assert.equal(t.use('z', 1, 5, 1000, 31), 'forgotten', 'never seen, but issued before a dropped nonce');
  assert.equal(t.use('b', 1, 20, 1000, 31), 'replayed');
  assert.equal(t.use('d', 1, 40, 1000, 40), 'fresh');
});
