import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeRandom } from '../../../src/runtime/node/random.ts';

describe('NodeRandom', () => {
  it('next() is in [0, 1) and spreads over the range', () => {
    const r = new NodeRandom();
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const x = r.next();
      assert.ok(x >= 0 && x < 1, `out of range: ${x}`);
      buckets[Math.floor(x * 10)]!++;
    }
    for (const b of buckets) assert.ok(b > 1500 && b < 2500, `bucket count ${b} far from 2000`);
  });

  it('int() stays below its bound and reaches every value', () => {
    const r = new NodeRandom();
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = r.int(7);
      assert.ok(Number.isInteger(x) && x >= 0 && x < 7);
      seen.add(x);
    }
    assert.equal(seen.size, 7);
    assert.equal(r.int(1), 0);
    const big = r.int(2 ** 52);
    assert.ok(Number.isInteger(big) && big >= 0 && big < 2 ** 52);
  });

  it('int() refuses a bound that is not a positive integer', () => {
    const r = new NodeRandom();
    assert.throws(() => r.int(0), RangeError);
    assert.throws(() => r.int(2.5), RangeError);
  });

  it('hex() gives exactly `length` lowercase hex digits, different each time', () => {
    const r = new NodeRandom();
    for (const n of [1, 7, 8, 16, 33]) assert.match(r.hex(n), new RegExp(`^[0-9a-f]{${n}}$`));
    assert.equal(r.hex(0), '');
    const many = new Set(Array.from({ length: 1000 }, () => r.hex(16)));
    assert.equal(many.size, 1000);
    assert.match(r.hex(10_000), /^[0-9a-f]{10000}$/);
  });
});
