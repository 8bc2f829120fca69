/**
 * The SCS's alarm file (src/mgmt/scs/alarm-store.ts) and the engine's snapshot/restore (alarms.ts): a round
 * trip keeps ids, counts, raise times and cancel-timeouts; a corrupt or malformed file is reported and moved
 * aside, never thrown; a save replaces the file by a rename and a failed save leaves the old file whole.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AlarmCondition } from '../../../src/config/config.ts';
import { ALARM_FILE, FileAlarmStore, parseAlarmFile } from '../../../src/mgmt/scs/alarm-store.ts';
import { AlarmEngine, type AlarmSnapshot, REACTION_UNKNOWN } from '../../../src/mgmt/scs/alarms.ts';

const T0 = 1_700_000_000_000;
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duet-alarm-store-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function cond(over: Partial<AlarmCondition> & { name: string; eventId: string }): AlarmCondition {
  return { cancelTimeout: 0, ...over } as AlarmCondition;
}

const conditions = [
  cond({ name: 'listener', eventId: '00-04200', clearOn: '10-30003' }),
  cond({ name: 'vip', eventId: '00-52029', cancelTimeout: 60, reaction: { kind: 'script', script: 'PAGE' } }),
  cond({ name: 'nic', eventId: '00-52027', reaction: { kind: 'switchover' } }),
];

/** An engine with two raised alarms (one counted twice, one with a pending reaction) and one cleared. */
function busyEngine(): AlarmEngine {
  const e = new AlarmEngine(() => conditions);
  e.logEvent('SIP_A', '00-04200', { port: 5060 }, 'listener failed', T0);
  e.logEvent('SIP_A', '00-04200', { port: 5060 }, 'listener failed again', T0 + 1000);
  e.logEvent('SIP_B', '00-52029', { address: '10.0.0.100' }, 'vip missing', T0 + 2000);
  e.logEvent('SIP_A', '00-52027', { address: '10.0.0.1' }, 'nic down', T0 + 3000);
  e.reactionDone('3', true, 'switchover of PAIR from SIP_A to SIP_B', T0 + 3100);
  e.clear('3', 'operator', T0 + 4000);
  return e;
}

describe('FileAlarmStore', () => {
  test('no file: nothing to restore', () => {
    const store = new FileAlarmStore(tempDir());
    assert.deepEqual(store.load(), { ok: true, snapshot: null });
  });

  test('round trip: the saved alarms come back with their ids, counts, times and reaction states', () => {
    const dir = tempDir();
    const engine = busyEngine();
    const store = new FileAlarmStore(dir);
    assert.equal(store.file, join(dir, ALARM_FILE));
    store.save(engine.snapshot());
    const loaded = new FileAlarmStore(dir).load();
    assert.ok(loaded.ok && loaded.snapshot);
    assert.deepEqual(loaded.snapshot, engine.snapshot());
    assert.deepEqual(
      loaded.snapshot.active.map((a) => [
        a.id,
        a.condition,
        a.app,
        a.count,
        a.raisedAt,
        a.lastAt,
        a.cancelAt,
      ]),
      [
        ['1', 'listener', 'SIP_A', 2, T0, T0 + 1000, null],
        ['2', 'vip', 'SIP_B', 1, T0 + 2000, T0 + 2000, T0 + 62_000],
      ],
    );
    assert.equal(loaded.snapshot.cleared[0]?.clearedBy, 'by hand (operator)');
    assert.equal(loaded.snapshot.next, 4);
    assert.equal(JSON.parse(readFileSync(store.file, 'utf8')).format, 'duet-scs-alarms');
  });

  test('a file that is not JSON: reported, moved aside to .unreadable, not thrown', () => {
    const dir = tempDir();
    const store = new FileAlarmStore(dir);
    writeFileSync(store.file, '{"format": "duet-scs-alarms", "version": 1, "next": 3, "active": [');
    const loaded = store.load();
    assert.equal(loaded.ok, false);
    assert.ok(!loaded.ok);
    assert.match(loaded.reason, /^not JSON/);
    assert.equal(loaded.keptAs, `${store.file}.unreadable`);
    assert.ok(!existsSync(store.file));
    assert.match(readFileSync(`${store.file}.unreadable`, 'utf8'), /"active": \[$/);
    // The next start finds nothing, and saving works again.
    assert.deepEqual(store.load(), { ok: true, snapshot: null });
    store.save(busyEngine().snapshot());
    assert.ok(store.load().ok);
  });

  test('JSON that is not an alarm file: the reason names the field', () => {
    const good = (): Record<string, unknown> =>
      JSON.parse(JSON.stringify({ format: 'duet-scs-alarms', version: 1, ...busyEngine().snapshot() }));
    const cases: [(d: Record<string, unknown>) => unknown, RegExp][] = [
      [(d) => ({ ...d, format: 'other' }), /"format" is "other"/],
      [(d) => ({ ...d, version: 2 }), /"version" is 2, expected 1/],
      [(d) => ({ ...d, next: 0 }), /"next" is 0/],
      [(d) => ({ ...d, active: {} }), /"active" is not a list/],
      [
        (d) => {
          (d.active as Record<string, unknown>[])[1]!.count = 'two';
          return d;
        },
        /^active\[1\]: "count" is not a number/,
      ],
      [
        (d) => {
          (d.active as unknown[]).push((d.active as unknown[])[0]);
          return d;
        },
        /^active\[2\]: alarm id 1 appears twice/,
      ],
      [
        (d) => {
          delete (d.cleared as Record<string, unknown>[])[0]!.clearedBy;
          return d;
        },
        /^cleared\[0\]: "clearedBy" is not a string/,
      ],
    ];
    assert.equal(typeof parseAlarmFile(JSON.stringify(good())), 'object');
    assert.match(parseAlarmFile('[]') as string, /not a JSON object/);
    for (const [change, reason] of cases) {
      const r = parseAlarmFile(JSON.stringify(change(good())));
      assert.equal(typeof r, 'string', String(reason));
      assert.match(r as string, reason);
    }
  });

  test('a save replaces the file by a rename; a failed save leaves the old file whole and no temp file', () => {
    const dir = tempDir();
    const store = new FileAlarmStore(dir);
    const first = busyEngine();
    store.save(first.snapshot());
    const inodeBefore = statSync(store.file).ino;
    first.logEvent('SIP_A', '00-04200', {}, 'third', T0 + 5000);
    store.save(first.snapshot());
    assert.notEqual(statSync(store.file).ino, inodeBefore, 'a new file was renamed into place');
    assert.deepEqual(readdirSync(dir), [ALARM_FILE], 'no temp file left');
    const saved = readFileSync(store.file, 'utf8');

    // The temp file cannot be written (a directory in its way): the save throws, the old file is untouched.
    mkdirSync(`${store.file}.tmp`);
    const later = busyEngine();
    later.clear('1', 'operator', T0 + 9000);
    assert.throws(() => store.save(later.snapshot()));
    assert.equal(readFileSync(store.file, 'utf8'), saved);
    const loaded = store.load();
    assert.ok(loaded.ok && loaded.snapshot);
    assert.equal(loaded.snapshot.active[0]?.count, 3);
    rmSync(`${store.file}.tmp`, { recursive: true });
    store.save(later.snapshot());
    assert.deepEqual(readdirSync(dir), [ALARM_FILE]);
  });

  test('a data directory that does not exist: save throws (the Scs logs it), load finds nothing', () => {
    const store = new FileAlarmStore(join(tempDir(), 'missing'));
    assert.throws(() => store.save(busyEngine().snapshot()), /ENOENT/);
    assert.deepEqual(store.load(), { ok: true, snapshot: null });
  });
});

describe('AlarmEngine snapshot and restore', () => {
  test('a restored engine lists the same alarms, counts on, keeps its cancel-timeout and runs no reaction', () => {
    const saved: AlarmSnapshot = JSON.parse(JSON.stringify(busyEngine().snapshot()));
    const e = new AlarmEngine(() => conditions);
    const rev = e.revision;
    e.restore(saved);
    assert.equal(e.revision, rev, 'restoring is not a change to save');
    assert.deepEqual(
      e.list().map((a) => [a.id, a.count, a.raisedAt]),
      [
        ['1', 2, T0],
        ['2', 1, T0 + 2000],
      ],
    );
    // The script reaction never reported to the SCS that stopped.
    assert.equal(e.list()[1]?.reactionState, REACTION_UNKNOWN);
    assert.equal(e.cleared()[0]?.reactionState, 'done: switchover of PAIR from SIP_A to SIP_B');
    // The next tick asks to be woken at the original cancel time.
    const now = T0 + 30_000;
    assert.equal(e.tick(now).wakeAt, T0 + 62_000);
    // The same event counts up, without a reaction.
    const again = e.logEvent('SIP_B', '00-52029', {}, 'vip missing', now);
    assert.deepEqual(
      again.events.map((x) => x.id),
      ['10-63005'],
    );
    assert.deepEqual(again.actions, []);
    assert.equal(e.list()[1]?.count, 2);
    assert.ok(e.revision > rev);
    // clear-on still clears; a manual clear of a cleared id says so; new alarms continue the ids.
    assert.deepEqual(
      e.logEvent('SIP_A', '10-30003', {}, 'listener open', now).events.map((x) => x.id),
      ['10-63002'],
    );
    const c = e.clear('3', 'operator', now);
    assert.match(c.ok ? '' : c.reason, /already cleared/);
    e.logEvent('SIP_B', '00-04200', {}, 'listener failed', now);
    assert.deepEqual(
      e.list().map((a) => a.id),
      ['2', '4'],
    );
    // The cancel-timeout counts from the original raise.
    assert.deepEqual(
      e.tick(T0 + 62_000).events.map((x) => x.id),
      ['10-63002'],
    );
    assert.deepEqual(
      e.list().map((a) => a.id),
      ['4'],
    );
  });

  test('ids continue after the highest id of the file even when "next" is behind', () => {
    const saved = busyEngine().snapshot();
    const e = new AlarmEngine(() => conditions);
    e.restore({ ...saved, next: 1 });
    e.logEvent('SIP_B', '00-04200', {}, 'x', T0);
    assert.deepEqual(
      e.list().map((a) => a.id),
      ['1', '2', '4'],
    );
  });
});
