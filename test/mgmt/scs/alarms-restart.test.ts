/**
 * Raised alarms survive a restart of the SCS (alarm-store.ts in its data directory): the real Scs on the
 * simulator with fake LCAs and a real alarm file (crash, restart on the same directory: same alarms, ids,
 * counts, raise times; no reaction again; clear-on, manual clear and cancel-timeout still work; an unreadable
 * file or a failing save is logged, not fatal), then `duet scs --data-dir` as a real process stopped and
 * started again.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { upChildren } from '../../../src/cli/up.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { ALARM_FILE, FileAlarmStore } from '../../../src/mgmt/scs/alarm-store.ts';
import { type AlarmView, REACTION_UNKNOWN } from '../../../src/mgmt/scs/alarms.ts';
import { Scs } from '../../../src/mgmt/scs/scs.ts';
import { startDuet } from '../../helpers/processes.ts';
import { until } from '../../helpers/until.ts';
import { configOf, type LogLine, rawEnvironment, type ScsRig, scsRig } from './harness.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duet-alarms-restart-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An SCS process on the rig's scs node, with its alarm file in `dir` (the rig's own Scs is never started). */
interface ScsProcess {
  scs: Scs;
  lines: LogLine[];
  events(id: string): LogLine[];
}

function startScs(r: ScsRig, dir: string): ScsProcess {
  const lines: LogLine[] = [];
  const logger = createLogger({
    app: 'SCS',
    level: 'all',
    clock: r.scsNode.clock,
    destination: { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  });
  const scs = new Scs({
    net: r.scsNode.net,
    clock: r.scsNode.clock,
    random: r.scsNode.random,
    config: r.config,
    logger,
    secret: r.config.scs.linkSecret ?? 'duet-insecure-default',
    controller: { startGraceMs: 3000 },
    alarmStore: new FileAlarmStore(dir),
  });
  scs.start();
  return { scs, lines, events: (id) => lines.filter((l) => l.event === id) };
}

function rig(alarms: unknown[], scripts: Record<string, unknown> = {}): ScsRig {
  const raw = rawEnvironment();
  raw.alarms = alarms;
  Object.assign(raw.applications, scripts);
  configOf(raw);
  return scsRig({ raw, start: false });
}

function steady(r: ScsRig): void {
  assert.ok(r.sim.runUntil(() => r.mode('SIP_A') === 'Primary' && r.mode('SIP_B') === 'Backup'));
  r.sim.runFor(500);
}

/** The SCS process dies (kill -9) and a new one starts on the same machine and data directory. */
function crashAndRestart(r: ScsRig, dir: string, downMs: number): ScsProcess {
  r.scsNode.crash();
  r.sim.runFor(downMs);
  r.scsNode.restart();
  return startScs(r, dir);
}

const view = (a: AlarmView) => [a.id, a.condition, a.app, a.count, a.raisedAt, a.lastAt, a.cancelAt];

describe('alarms across a restart of the SCS (simulator, fake LCAs, a real alarm file)', () => {
  test('same alarms after a crash; no reaction again; count, clear-on and manual clear work on them', () => {
    const dir = tempDir();
    const r = rig(
      [
        { name: 'listener', 'event-id': '00-04200', 'clear-on': '10-30003' },
        { name: 'nic', 'event-id': '00-52027', reaction: 'switchover', 'clear-on': '00-52028' },
        { name: 'vip', 'event-id': '00-52029', reaction: 'script PAGE' },
      ],
      { PAGE: { type: 'script', host: 'h2', command: '/bin/true' } },
    );
    const first = startScs(r, dir);
    steady(r);
    // The backup's listener failure (the primary's would move the role by itself).
    r.lcas.h2!.logEvent('SIP_B', '00-04200', { address: '10.0.0.2', port: 5060, reason: 'EADDRINUSE' });
    r.sim.runFor(200);
    r.lcas.h2!.logEvent('SIP_B', '00-04200', { address: '10.0.0.2', port: 5060, reason: 'EADDRINUSE' });
    r.sim.runFor(200);
    r.lcas.h1!.logEvent('SIP_A', '00-52027', { address: '10.0.0.1', reason: 'gone' });
    assert.ok(
      r.sim.runUntil(() => r.mode('SIP_B') === 'Primary'),
      'the switchover reaction ran',
    );
    r.lcas.h2!.logEvent('SIP_B', '00-52029', { address: '10.0.0.100', reason: 'missing' }); // script: no answer
    r.sim.runFor(1000);
    const before = first.scs.status().alarms;
    assert.deepEqual(
      before.map((a) => [a.id, a.condition, a.count]),
      [
        ['1', 'listener', 2],
        ['2', 'nic', 1],
        ['3', 'vip', 1],
      ],
    );
    assert.match(before[1]!.reactionState ?? '', /^done: switchover/);
    assert.equal(before[2]!.reactionState, 'pending');
    const switchovers = r.lcas.h1!.commands('set-mode').length + r.lcas.h2!.commands('set-mode').length;
    const scripts = r.lcas.h2!.commands('run-script').length;

    const second = crashAndRestart(r, dir, 5000);
    r.sim.runFor(3000);
    const after = second.scs.status().alarms;
    assert.deepEqual(after.map(view), before.map(view), 'ids, counts and times kept');
    assert.equal(after[0]!.text, before[0]!.text);
    assert.deepEqual(after[0]!.params, before[0]!.params);
    assert.match(after[1]!.reactionState ?? '', /^done: switchover/);
    assert.equal(after[2]!.reactionState, REACTION_UNKNOWN);
    assert.match(second.events('10-63006')[0]?.msg ?? '', /Restored 3 raised alarms \(1, 2, 3\)/);
    // Nothing was raised or run again: the new SCS adopted the roles, ran no reaction.
    assert.equal(second.events('10-63001').length, 0);
    assert.equal(second.events('10-63003').length + second.events('10-63004').length, 0);
    assert.equal(r.lcas.h2!.commands('run-script').length, scripts);
    assert.equal(
      r.lcas.h1!.commands('set-mode').length + r.lcas.h2!.commands('set-mode').length,
      switchovers,
    );
    assert.equal(r.mode('SIP_B'), 'Primary');

    // The same event counts up; clear-on clears; a manual clear clears; new alarms continue the ids.
    r.lcas.h2!.logEvent('SIP_B', '00-04200', { address: '10.0.0.2', port: 5060, reason: 'EADDRINUSE' });
    r.sim.runFor(200);
    assert.equal(second.scs.status().alarms[0]!.count, 3);
    r.lcas.h1!.logEvent('SIP_A', '00-52028', { address: '10.0.0.1' });
    r.sim.runFor(200);
    assert.deepEqual(second.scs.clearAlarm('3', 'test'), { ok: true });
    assert.deepEqual(
      second.scs.status().alarms.map((a) => a.id),
      ['1'],
    );
    assert.deepEqual(
      second.scs.status().alarmsCleared.map((a) => [a.id, a.clearedBy]),
      [
        ['2', 'by event 00-52028 of SIP_A'],
        ['3', 'by hand (test)'],
      ],
    );
    r.lcas.h1!.logEvent('SIP_A', '00-04200', { address: '10.0.0.1', port: 5060, reason: 'EADDRINUSE' });
    r.sim.runFor(200);
    assert.deepEqual(
      second.scs.status().alarms.map((a) => [a.id, a.app]),
      [
        ['1', 'SIP_B'],
        ['4', 'SIP_A'],
      ],
    );

    // A third SCS (stopped in order this time) sees the cleared ones as cleared.
    second.scs.stop('test');
    r.sim.runFor(1000);
    const third = startScs(r, dir);
    r.sim.runFor(1000);
    assert.deepEqual(
      third.scs.status().alarms.map((a) => [a.id, a.count]),
      [
        ['1', 3],
        ['4', 1],
      ],
    );
    const again = third.scs.clearAlarm('3', 'test');
    assert.match(again.ok ? '' : again.reason, /already cleared/);
    r.lcas.h2!.logEvent('SIP_B', '10-30003', { address: '10.0.0.2', port: 5060 });
    r.sim.runFor(200);
    assert.deepEqual(
      third.scs.status().alarms.map((a) => a.id),
      ['4'],
    );
  });

  test('cancel-timeout counts from the original raise, also while no SCS runs', () => {
    const dir = tempDir();
    const r = rig([
      { name: 'long', 'event-id': '00-52029', 'cancel-timeout': 60 },
      { name: 'short', 'event-id': '00-52027', 'cancel-timeout': 5 },
    ]);
    startScs(r, dir);
    steady(r);
    r.lcas.h1!.logEvent('SIP_A', '00-52029', { address: '10.0.0.100', reason: 'missing' });
    r.lcas.h1!.logEvent('SIP_A', '00-52027', { address: '10.0.0.1', reason: 'gone' });
    r.sim.runFor(500);
    const raisedAt = r.scsNode.clock.now() - 500;
    r.sim.runFor(1500);
    // Down for 10 s: "short" (5 s) expired meanwhile and clears at start; "long" has 48 s left, not 60.
    const second = crashAndRestart(r, dir, 10_000);
    const restartedAt = r.scsNode.clock.now();
    assert.deepEqual(
      second.scs.status().alarms.map((a) => a.condition),
      ['long'],
    );
    assert.match(second.events('10-63002')[0]?.msg ?? '', /\(short\) cleared: cancel-timeout \(5 s\)/);
    const cancelAt = second.scs.status().alarms[0]!.cancelAt!;
    assert.ok(cancelAt >= raisedAt && cancelAt <= raisedAt + 60_000 + 500, String(cancelAt - raisedAt));
    assert.ok(r.sim.runUntil(() => second.scs.status().alarms.length === 0));
    const cleared = second.scs.status().alarmsCleared.find((a) => a.condition === 'long')!;
    assert.ok(cleared.clearedAt! >= cancelAt, 'not before its time');
    assert.ok(cleared.clearedAt! < restartedAt + 60_000, 'not 60 s after the restart');
    assert.equal(cleared.clearedBy, 'cancel-timeout (60 s)');
  });

  test('an unreadable alarm file: logged (10-63007), kept aside, the SCS starts without it and saves anew', () => {
    const dir = tempDir();
    writeFileSync(join(dir, ALARM_FILE), 'this is not JSON\n');
    const r = rig([{ name: 'listener', 'event-id': '00-04200' }]);
    const scs = startScs(r, dir);
    steady(r);
    const [e] = scs.events('10-63007');
    assert.match(e?.msg ?? '', /scs-alarms\.json is unreadable and was ignored \(not JSON/);
    assert.match(
      e?.msg ?? '',
      /starting without saved alarms; the file is kept as .*scs-alarms\.json\.unreadable/,
    );
    assert.equal(readFileSync(join(dir, `${ALARM_FILE}.unreadable`), 'utf8'), 'this is not JSON\n');
    assert.equal(scs.scs.status().alarms.length, 0);
    r.lcas.h1!.logEvent('SIP_A', '00-04200', { address: '10.0.0.1', port: 5060, reason: 'EADDRINUSE' });
    r.sim.runFor(200);
    const saved = new FileAlarmStore(dir).load();
    assert.ok(saved.ok && saved.snapshot);
    assert.deepEqual(
      saved.snapshot.active.map((a) => a.condition),
      ['listener'],
    );
  });

  test('a save that fails is logged once (10-63008) until a save works again', () => {
    const dir = join(tempDir(), 'not-yet');
    const r = rig([{ name: 'listener', 'event-id': '00-04200' }]);
    const scs = startScs(r, dir);
    steady(r);
    const fail = () =>
      r.lcas.h1!.logEvent('SIP_A', '00-04200', { address: '10.0.0.1', port: 5060, reason: 'EADDRINUSE' });
    fail();
    r.sim.runFor(200);
    fail();
    r.sim.runFor(200);
    assert.equal(scs.events('10-63008').length, 1);
    assert.match(scs.events('10-63008')[0]!.msg, /could not be saved to .*scs-alarms\.json: ENOENT/);
    assert.equal(scs.scs.status().alarms[0]?.count, 2, 'the alarms work on in memory');
    mkdirSync(dir);
    fail();
    r.sim.runFor(200);
    const saved = new FileAlarmStore(dir).load();
    assert.ok(saved.ok && saved.snapshot);
    assert.equal(saved.snapshot.active[0]?.count, 3);
    rmSync(dir, { recursive: true });
    fail();
    r.sim.runFor(200);
    assert.equal(scs.events('10-63008').length, 2, 'logged again after a save had worked');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('duet scs --data-dir (a real process)', () => {
  test('duet up gives the SCS the data directory of its LCAs', () => {
    const config = configOf(rawEnvironment());
    assert.deepEqual(upChildren(config, '/etc/env.yaml', ['h1', 'hs'], '/srv/duet'), [
      {
        label: 'lca:h1',
        args: ['lca', '--config', '/etc/env.yaml', '--host', 'h1', '--data-dir', '/srv/duet'],
      },
      {
        label: 'lca:hs',
        args: ['lca', '--config', '/etc/env.yaml', '--host', 'hs', '--data-dir', '/srv/duet'],
      },
      { label: 'scs', args: ['scs', '--config', '/etc/env.yaml', '--data-dir', '/srv/duet'] },
    ]);
    assert.deepEqual(
      upChildren(config, '/etc/env.yaml', ['h1'], '/srv/duet').map((c) => c.label),
      ['lca:h1'],
    );
  });

  test('raise, stop, start again on the same directory: the alarm is there; clear it', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const [scsPort, lcaPort] = [await freePort(), await freePort()];
    const token = 'operator-token-0123456789';
    const file = join(dir, 'env.yaml');
    // No LCA listens on lcaPort: the SCS's own event 10-60002 (LCA not reachable) raises the alarm.
    writeFileSync(
      file,
      stringify({
        hosts: { here: { address: '127.0.0.1', 'lca-port': lcaPort } },
        applications: {},
        scs: { host: 'here', port: scsPort, token, 'link-secret': 'alarms-restart-secret-0123456789' },
        alarms: [{ name: 'lca-down', 'event-id': '10-60002' }],
      }),
    );
    const base = `http://127.0.0.1:${scsPort}`;
    const alarms = async (): Promise<AlarmView[]> =>
      ((await (await fetch(`${base}/api/alarms`)).json()) as { alarms: AlarmView[] }).alarms;

    const first = startDuet(['scs', '--config', file, '--data-dir', dataDir]);
    let second: ReturnType<typeof startDuet> | null = null;
    try {
      await first.waitFor(/"event":"10-63001"/);
      await first.waitFor(/"event":"10-62011"/);
      const before = await alarms();
      assert.deepEqual(
        before.map((a) => [a.id, a.condition, a.app, a.count]),
        [['1', 'lca-down', 'SCS', 1]],
      );
      await first.stop();
      assert.ok(existsSync(join(dataDir, ALARM_FILE)));

      second = startDuet(['scs', '--config', file, '--data-dir', dataDir]);
      await second.waitFor(/"event":"10-63006"/);
      await second.waitFor(/"event":"10-62011"/);
      // The new SCS cannot reach the LCA either: the same alarm counts up instead of a new one being raised.
      await until('the restored alarm counted up', async () => (await alarms())[0]?.count === 2);
      const after = await alarms();
      assert.deepEqual(
        after.map((a) => [a.id, a.condition, a.raisedAt]),
        [['1', 'lca-down', before[0]!.raisedAt]],
      );
      assert.ok(!second.lines.some((l) => l.includes('"event":"10-63001"')), 'not raised again');
      const res = await fetch(`${base}/api/alarms/1/clear`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await alarms(), []);
      const saved = new FileAlarmStore(dataDir).load();
      assert.ok(saved.ok && saved.snapshot);
      assert.deepEqual(saved.snapshot.active, []);
      assert.equal(saved.snapshot.cleared[0]?.id, '1');
    } finally {
      await first.stop();
      await second?.stop();
    }
  });
});
