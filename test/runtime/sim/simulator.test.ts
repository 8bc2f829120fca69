import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_START_TIME, Simulator } from '../../../src/runtime/sim/simulator.ts';

describe('Simulator scheduler', () => {
  it('starts at the default or given virtual time', () => {
    assert.equal(new Simulator({ seed: 1 }).now, DEFAULT_START_TIME);
    assert.equal(DEFAULT_START_TIME, 1_700_000_000_000);
    assert.equal(new Simulator({ seed: 1, startTime: 5000 }).now, 5000);
  });

  it('runs events by time, and events at the same time in insertion order', () => {
    const sim = new Simulator({ seed: 1, startTime: 0 });
    const order: string[] = [];
    sim.schedule(10, () => order.push('b@10'));
    sim.schedule(5, () => order.push('a@5'));
    sim.schedule(10, () => order.push('c@10'));
    sim.at(10, () => order.push('d@10'));
    sim.schedule(0, () => {
      order.push('e@0');
      sim.schedule(10, () => order.push('f@10 (scheduled at 0, after b c d)'));
    });
    assert.equal(sim.pending, 5);
    assert.equal(sim.run(), 6);
    assert.deepEqual(order, ['e@0', 'a@5', 'b@10', 'c@10', 'd@10', 'f@10 (scheduled at 0, after b c d)']);
    assert.equal(sim.now, 10);
    assert.equal(sim.pending, 0);
    assert.equal(sim.eventsRun, 6);
  });

  it('an event scheduled for "now" from inside an event runs after the events already due now', () => {
    const sim = new Simulator({ seed: 1, startTime: 0 });
    const order: number[] = [];
    sim.schedule(1, () => {
      order.push(1);
      sim.schedule(0, () => order.push(3));
    });
    sim.schedule(1, () => order.push(2));
    sim.run();
    assert.deepEqual(order, [1, 2, 3]);
  });

  it('cancel removes a pending event and reports whether it did', () => {
    const sim = new Simulator({ seed: 1 });
    let ran = 0;
    const id = sim.schedule(5, () => ran++);
    sim.schedule(6, () => ran++);
    assert.equal(sim.cancel(id), true);
    assert.equal(sim.cancel(id), false);
    assert.equal(sim.pending, 1);
    sim.run();
    assert.equal(ran, 1);
    assert.equal(sim.cancel(12345), false);
  });

  it('run({ until }) stops before later events and leaves the clock at until', () => {
    const sim = new Simulator({ seed: 1, startTime: 0 });
    const seen: number[] = [];
    for (const t of [10, 20, 30]) sim.schedule(t, () => seen.push(sim.now));
    assert.equal(sim.run({ until: 20 }), 2);
    assert.deepEqual(seen, [10, 20]);
    assert.equal(sim.now, 20);
    assert.equal(sim.runFor(5), 0);
    assert.equal(sim.now, 25);
    assert.equal(sim.runFor(100), 1);
    assert.equal(sim.now, 125);
    sim.run({ until: 50 }); // the past: time never goes back
    assert.equal(sim.now, 125);
  });

  it('run({ maxEvents }) stops after that many events without jumping the clock', () => {
    const sim = new Simulator({ seed: 1, startTime: 0 });
    for (let i = 1; i <= 5; i++) sim.schedule(i, () => {});
    assert.equal(sim.run({ maxEvents: 2 }), 2);
    assert.equal(sim.now, 2);
    assert.equal(sim.run({ until: 100, maxEvents: 1 }), 1);
    assert.equal(sim.now, 3, 'stopped by maxEvents, not at until');
    assert.equal(sim.pending, 2);
  });

  it('step runs exactly one event', () => {
    const sim = new Simulator({ seed: 1, startTime: 0 });
    const seen: string[] = [];
    sim.schedule(3, () => seen.push('x'));
    sim.schedule(3, () => seen.push('y'));
    assert.equal(sim.step(), true);
    assert.deepEqual(seen, ['x']);
    assert.equal(sim.now, 3);
    assert.equal(sim.step(), true);
    assert.equal(sim.step(), false);
    assert.deepEqual(seen, ['x', 'y']);
  });

  it('runUntil returns true as soon as the predicate holds, false at the deadline', () => {
    const sim = new Simulator({ seed: 1, startTime: 0 });
    let count = 0;
    const tick = (): void => {
      count++;
      sim.schedule(100, tick);
    };
    sim.schedule(100, tick);
    assert.equal(
      sim.runUntil(() => count === 3, { timeoutMs: 10_000 }),
      true,
    );
    assert.equal(sim.now, 300);
    assert.equal(
      sim.runUntil(() => count === 1000, { timeoutMs: 1000 }),
      false,
    );
    assert.equal(sim.now, 1300);
    assert.equal(count, 13);
    assert.equal(
      sim.runUntil(() => true),
      true,
      'checked before any event',
    );
    assert.equal(sim.now, 1300);
  });

  it('runUntil on an empty queue waits out the timeout', () => {
    const sim = new Simulator({ seed: 1, startTime: 0 });
    assert.equal(
      sim.runUntil(() => false, { timeoutMs: 500 }),
      false,
    );
    assert.equal(sim.now, 500);
  });

  it('refuses to run from inside an event', () => {
    const sim = new Simulator({ seed: 1 });
    sim.schedule(1, () => sim.run());
    assert.throws(() => sim.run(), /called from inside an event/);
    // The scheduler is usable again afterwards.
    let ran = false;
    sim.schedule(1, () => {
      ran = true;
    });
    sim.run();
    assert.equal(ran, true);
  });

  it('an unbounded run of a self-re-arming timer fails loudly instead of hanging', () => {
    const sim = new Simulator({ seed: 1, runawayEvents: 1000 });
    const again = (): void => {
      sim.schedule(1, again);
    };
    sim.schedule(1, again);
    assert.throws(() => sim.run(), /1000 events without the queue draining/);
    assert.equal(sim.runFor(10), 10, 'a bounded run is fine');
  });

  it('rejects delays that are not numbers', () => {
    const sim = new Simulator({ seed: 1 });
    assert.throws(() => sim.schedule(Number.NaN, () => {}), RangeError);
    assert.throws(() => sim.clock.setTimer(Number.POSITIVE_INFINITY, () => {}), RangeError);
    assert.throws(() => sim.runFor(-1), RangeError);
  });

  it('the harness clock reads virtual time and its timers fire in the order set', () => {
    const sim = new Simulator({ seed: 1, startTime: 1000 });
    const fired: string[] = [];
    sim.clock.setTimer(50, () => fired.push(`a@${sim.clock.now()}`));
    const cancelled = sim.clock.setTimer(50, () => fired.push('cancelled'));
    sim.clock.setTimer(50, () => fired.push(`b@${sim.clock.now()}`));
    sim.clock.clearTimer(cancelled);
    sim.run();
    assert.deepEqual(fired, ['a@1050', 'b@1050']);
  });

  it('record() writes user lines to the log, prefixed by the virtual time since the start', () => {
    const lines: string[] = [];
    const sim = new Simulator({ seed: 1, onLog: (l) => lines.push(l) });
    sim.record('start');
    sim.schedule(1234, () => sim.record('later'));
    sim.schedule(1234.5, () => sim.record('fractional'));
    sim.run();
    assert.deepEqual(sim.log, ['[+0ms] note start', '[+1234ms] note later', '[+1234.5ms] note fractional']);
    assert.deepEqual(lines, sim.log);
  });

  it('nodes are found by name and names are unique', () => {
    const sim = new Simulator({ seed: 1 });
    const a = sim.addNode('a', ['192.0.2.1']);
    assert.equal(sim.node('a'), a);
    assert.throws(() => sim.node('zz'), /no node named "zz" \(known: a\)/);
    assert.throws(() => sim.addNode('a', ['192.0.2.9']), /already exists/);
    assert.throws(() => sim.addNode('b', ['192.0.2.1']), /already belongs to node "a"/);
    assert.deepEqual(
      sim.nodes.map((n) => n.name),
      ['a'],
      'a refused node is not added',
    );
  });

  it("a node's random stream depends on the seed and its name only", () => {
    const s1 = new Simulator({ seed: 'x' });
    s1.addNode('a', ['192.0.2.1']);
    const b1 = s1.addNode('b', ['192.0.2.2']);
    const s2 = new Simulator({ seed: 'x' });
    const b2 = s2.addNode('b', ['192.0.2.2']);
    assert.equal(b1.random.hex(16), b2.random.hex(16));
    const b3 = new Simulator({ seed: 'y' }).addNode('b', ['192.0.2.2']);
    assert.notEqual(new Simulator({ seed: 'x' }).addNode('b', []).random.hex(16), b3.random.hex(16));
    assert.notEqual(new Simulator({ seed: 'x' }).addNode('c', []).random.hex(16), b2.random.hex(16));
  });
});
