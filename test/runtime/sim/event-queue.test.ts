import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EventQueue, type ScheduledEvent } from '../../../src/runtime/sim/event-queue.ts';

function ev(seq: number, time: number): ScheduledEvent {
  return { seq, time, run: () => {}, index: -1 };
}

describe('EventQueue', () => {
  it('pops by time, then by insertion sequence, with removals anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ time: fc.integer({ min: 0, max: 20 }), removed: fc.boolean() }), {
          maxLength: 200,
        }),
        (specs) => {
          const q = new EventQueue();
          const events = specs.map((s, i) => ev(i + 1, s.time));
          for (const e of events) q.push(e);
          const removed = events.filter((_, i) => specs[i]!.removed);
          for (const e of removed) assert.equal(q.remove(e), true);
          for (const e of removed) assert.equal(q.remove(e), false, 'a second removal is refused');
          const expected = events
            .filter((_, i) => !specs[i]!.removed)
            .sort((a, b) => a.time - b.time || a.seq - b.seq)
            .map((e) => e.seq);
          assert.equal(q.size, expected.length);
          const got: number[] = [];
          for (let e = q.pop(); e !== undefined; e = q.pop()) got.push(e.seq);
          assert.deepEqual(got, expected);
        },
      ),
    );
  });

  it('peek shows the next event without removing it; a popped event cannot be removed', () => {
    const q = new EventQueue();
    const a = ev(1, 5);
    const b = ev(2, 3);
    q.push(a);
    q.push(b);
    assert.equal(q.peek(), b);
    assert.equal(q.size, 2);
    assert.equal(q.pop(), b);
    assert.equal(q.remove(b), false);
    assert.equal(q.pop(), a);
    assert.equal(q.pop(), undefined);
    assert.equal(q.peek(), undefined);
  });
});
