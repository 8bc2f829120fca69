import assert from 'node:assert/strict';
import { test } from 'node:test';
import { offeredRate, parseRttCsv, parseStatCsv } from '../../../bench/calls/sipp.ts';

test('parseStatCsv: the last row, by the header names', () => {
  const csv = [
    'StartTime;TotalCallCreated;SuccessfulCall(C);FailedCall(C);',
    '2026-01-01 00:00:00;10;8;0;',
    '2026-01-01 00:00:01;20;19;1;',
    '',
  ].join('\n');
  const stats = parseStatCsv(csv);
  assert.equal(stats.TotalCallCreated, '20');
  assert.equal(stats['SuccessfulCall(C)'], '19');
  assert.equal(stats['FailedCall(C)'], '1');
  assert.equal(Object.keys(stats).includes(''), false, 'the trailing ; makes no empty column');
});

test('parseStatCsv: a file with only the header (sipp killed at once) gives nothing', () => {
  assert.deepEqual(parseStatCsv('StartTime;TotalCallCreated;\n'), {});
  assert.deepEqual(parseStatCsv(''), {});
});

test('parseRttCsv: rows of measure 1 only, header and other measures skipped', () => {
  const csv = [
    'Date_ms;response_time_ms;rtd_no',
    '152.001;48;1',
    '204.001;0;1',
    '210.5;3;2',
    '300.25;12;1',
    '',
  ].join('\n');
  assert.deepEqual(parseRttCsv(csv), { atMs: [152.001, 204.001, 300.25], valueMs: [48, 0, 12] });
  assert.deepEqual(parseRttCsv(csv, 2), { atMs: [210.5], valueMs: [3] });
});

test('offeredRate: answers over the time from the first to the last', () => {
  // 101 answers over 1 s: 100 intervals per second.
  const at = Array.from({ length: 101 }, (_, i) => 1000 + i * 10);
  assert.equal(offeredRate(at), 100);
  assert.equal(offeredRate([5]), undefined, 'one answer has no rate');
  assert.equal(offeredRate([5, 5]), undefined, 'no time between answers has no rate');
});
