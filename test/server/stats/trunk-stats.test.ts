/**
 * Trunk statistics (SPEC S7, /server?sipTrunkStatistics): counters, the 60 s call rate on a fake clock, and
 * the in-service state read from the OOS checker.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Config } from '../../../src/config/config.ts';
import type { Clock } from '../../../src/runtime/clock.ts';
import { type TrunkServiceView, TrunkStats } from '../../../src/server/stats/trunk-stats.ts';
import { configWith } from '../oos/harness.ts';

const START = 1_700_000_000_000;

function fakeClock(): Clock & { advance(ms: number): void } {
  let now = START;
  return {
    now: () => now,
    setTimer: () => 0,
    clearTimer: () => {},
    advance(ms) {
      now += ms;
    },
  };
}

const config: Config = configWith({
  '1001': { type: 'Extension', options: {} },
  '9002': { type: 'Trunk', options: { contact: '192.0.2.52' } },
  '9001': { type: 'Trunk', options: { contact: '192.0.2.51:5060', 'oos-check': 10 } },
});

function setup(oos?: TrunkServiceView) {
  const clock = fakeClock();
  const stats = new TrunkStats({ clock, dns: () => Object.values(config.dns) }, oos);
  return { clock, stats, row: (dn: string) => stats.snapshot().trunks.find((t) => t.dn === dn)! };
}

describe('TrunkStats', () => {
  test('every Trunk DN is listed, in DN order, with zero counters before any call', () => {
    const { stats } = setup();
    const s = stats.snapshot();
    assert.deepEqual(
      s.trunks.map((t) => [t.dn, t.contact]),
      [
        ['9001', '192.0.2.51:5060'],
        ['9002', '192.0.2.52'],
      ],
    );
    assert.deepEqual(s.trunks[0], {
      dn: '9001',
      contact: '192.0.2.51:5060',
      inService: true,
      oosChecked: false,
      oosDetections: 0,
      currentCalls: 0,
      totalCalls: 0,
      callRate: 0,
      responses4xx: 0,
      responses5xx: 0,
      responses6xx: 0,
      overflows: 0,
    });
    assert.equal(s.time, START);
    assert.equal(s.isoTime, new Date(START).toISOString());
    assert.equal(s.rateWindowSeconds, 60);
  });

  test('current and total calls, response classes, overflows, per trunk', () => {
    const { stats, row } = setup();
    stats.callStarted('9001');
    stats.callStarted('9001');
    stats.callStarted('9002');
    stats.callEnded('9001');
    stats.callEnded('9002');
    stats.callEnded('9002'); // never below zero
    for (const status of [180, 200, 404, 486, 503, 500, 504, 603, 302]) stats.finalResponse('9001', status);
    stats.overflow('9001');
    stats.overflow('9001');
    const a = row('9001');
    assert.deepEqual(
      [a.currentCalls, a.totalCalls, a.responses4xx, a.responses5xx, a.responses6xx, a.overflows],
      [1, 2, 2, 3, 1, 2],
    );
    const b = row('9002');
    assert.deepEqual([b.currentCalls, b.totalCalls, b.responses5xx], [0, 1, 0]);
    const totals = stats.snapshot().totals;
    assert.equal(totals.totalCalls, 3);
    assert.equal(totals.currentCalls, 1);
    assert.equal(totals.overflows, 2);
    assert.equal(totals.trunks, 2);
  });

  test('the call rate is the calls of the last 60 s divided by 60', () => {
    const { stats, clock, row } = setup();
    // 2 calls a second for 30 s: 60 calls.
    for (let i = 0; i < 60; i++) {
      stats.callStarted('9001');
      clock.advance(500);
    }
    assert.equal(row('9001').callRate, 1);
    // 30 s later the first calls are still in the window...
    clock.advance(29_000);
    assert.equal(row('9001').callRate, 1);
    // ... and leave it second by second.
    clock.advance(10_000);
    assert.ok(row('9001').callRate < 1 && row('9001').callRate > 0.5, `${row('9001').callRate}`);
    clock.advance(60_000);
    assert.equal(row('9001').callRate, 0);
    assert.equal(row('9001').totalCalls, 60);
    // A slot reused a minute later starts from zero.
    stats.callStarted('9001');
    assert.equal(row('9001').callRate, round(1 / 60));
  });

  test('snapshot(now) computes the rate at the time given', () => {
    const { stats, clock } = setup();
    for (let i = 0; i < 6; i++) stats.callStarted('9002');
    const at = clock.now();
    assert.equal(stats.snapshot(at).trunks[1]!.callRate, 0.1);
    assert.equal(stats.snapshot(at + 61_000).trunks[1]!.callRate, 0);
  });

  test('in-service state and OOS detections come from the checker', () => {
    const oos: TrunkServiceView = {
      isInService: (dn) => dn !== '9001',
      statsOf: (dn) => (dn === '9001' ? { oosDetections: 3 } : undefined),
    };
    const { stats, row } = setup(oos);
    assert.deepEqual(
      [row('9001').inService, row('9001').oosChecked, row('9001').oosDetections],
      [false, true, 3],
    );
    assert.deepEqual([row('9002').inService, row('9002').oosChecked], [true, false]);
    assert.equal(stats.snapshot().totals.inService, 1);
  });

  test('a view given to snapshot() overrides the constructor one', () => {
    const { stats } = setup();
    const view: TrunkServiceView = { isInService: () => false, statsOf: () => ({ oosDetections: 1 }) };
    const s = stats.snapshot(START, view);
    assert.deepEqual(
      s.trunks.map((t) => [t.inService, t.oosDetections]),
      [
        [false, 1],
        [false, 1],
      ],
    );
    assert.equal(stats.snapshot(START).trunks[0]!.inService, true);
  });

  test('setCurrentCalls replaces the calls in progress (recount after a promotion)', () => {
    const { stats, row } = setup();
    stats.callStarted('9002');
    stats.setCurrentCalls({ '9001': 4 });
    assert.equal(row('9001').currentCalls, 4);
    assert.equal(row('9002').currentCalls, 0);
    assert.equal(row('9002').totalCalls, 1);
  });
});

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
