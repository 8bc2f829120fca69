import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeStep } from '../../../bench/calls/criteria.ts';

const ok = { rate: 100, attempted: 1000, failed: 0, p99Ms: 20, offered: 100 };

test('a clean step passes', () => {
  assert.deepEqual(judgeStep(ok), { pass: true, reasons: [] });
});

test('failures: strictly less than 0.1% passes, 0.1% fails', () => {
  assert.equal(judgeStep({ ...ok, attempted: 2000, failed: 1 }).pass, true);
  const v = judgeStep({ ...ok, failed: 1 });
  assert.equal(v.pass, false);
  assert.match(v.reasons[0]!, /1\/1000 failed/);
});

test('latency: p99 199 ms passes, 200 ms fails; no answer at all fails', () => {
  assert.equal(judgeStep({ ...ok, p99Ms: 199 }).pass, true);
  assert.match(judgeStep({ ...ok, p99Ms: 200 }).reasons.join(), /p99 200 ms/);
  assert.match(judgeStep({ ...ok, p99Ms: undefined }).reasons.join(), /no answers/);
});

test('a rate sipp did not really offer does not pass', () => {
  assert.equal(judgeStep({ ...ok, offered: 95 }).pass, true);
  assert.match(judgeStep({ ...ok, offered: 94 }).reasons.join(), /offered 94\/s \(< 95% of 100\/s\)/);
});

test('every unmet condition is named', () => {
  const v = judgeStep({ rate: 100, attempted: 100, failed: 50, p99Ms: 900, offered: 10 });
  assert.equal(v.reasons.length, 3);
});
