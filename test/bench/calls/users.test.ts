import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerUsers, usersCsv } from '../../../bench/calls/users.ts';

test('register users are numbered from 3000', () => {
  assert.deepEqual(registerUsers(3), ['3000', '3001', '3002']);
  assert.throws(() => registerUsers(0), /count must be an integer in 1-6000.*got 0/);
  assert.throws(() => registerUsers(6001), /got 6001/);
});

test('the -inf CSV: SEQUENTIAL, then user;host:port per line', () => {
  assert.equal(usersCsv(['2000'], '127.0.0.1:5080'), 'SEQUENTIAL\n2000;127.0.0.1:5080\n');
});
