/**
 * Alarms (SPEC S7): the pure engine on a fake clock, then the real Scs on the simulator with fake LCAs
 * (reactions switchover, restart, script NAME; clear-on; cancel-timeout; manual clear).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlarmCondition } from '../../../src/config/config.ts';
import { AlarmEngine } from '../../../src/mgmt/scs/alarms.ts';
import { configOf, rawEnvironment, type ScsRig, scsRig } from './harness.ts';

const T0 = 1_700_000_000_000;

function cond(over: Partial<AlarmCondition> & { name: string; eventId: string }): AlarmCondition {
  return { cancelTimeout: 0, ...over } as AlarmCondition;
}

describe('AlarmEngine', () => {
  it('raises on the event ID (and app when set), counts repeats, runs the reaction once', () => {
    const e = new AlarmEngine(() => [
      cond({ name: 'listener', eventId: '00-04200', app: 'SIP_A', reaction: { kind: 'switchover' } }),
    ]);
    assert.equal(e.logEvent('SIP_B', '00-04200', {}, 'x', T0).events.length, 0, 'another app');
    assert.equal(e.logEvent('SIP_A', '00-52027', {}, 'x', T0).events.length, 0, 'another event');
    const first = e.logEvent('SIP_A', '00-04200', { port: 5060 }, 'SIP listener could not be opened', T0);
    assert.deepEqual(
      first.events.map((x) => x.id),
      ['10-63001'],
    );
    assert.deepEqual(first.actions, [
      { type: 'switchover', alarm: '1', condition: 'listener', app: 'SIP_A' },
    ]);
    const again = e.logEvent('SIP_A', '00-04200', { port: 5060 }, 'again', T0 + 1000);
    assert.deepEqual(
      again.events.map((x) => x.id),
      ['10-63005'],
    );
    assert.equal(again.actions.length, 0);
    const [a] = e.list();
    assert.equal(a?.count, 2);
    assert.equal(a?.raisedAt, T0);
    assert.equal(a?.lastAt, T0 + 1000);
    assert.deepEqual(a?.params, { port: 5060 });
  });

  it('a condition without app raises one alarm per application', () => {
    const e = new AlarmEngine(() => [cond({ name: 'nic', eventId: '00-52027' })]);
    e.logEvent('SIP_A', '00-52027', {}, 'a', T0);
    e.logEvent('SIP_B', '00-52027', {}, 'b', T0);
    assert.deepEqual(
      e.list().map((a) => [a.id, a.app]),
      [
        ['1', 'SIP_A'],
        ['2', 'SIP_B'],
      ],
    );
  });

  it('clear-on clears the alarm of the same application only', () => {
    const e = new AlarmEngine(() => [cond({ name: 'nic', eventId: '00-52027', clearOn: '00-52028' })]);
    e.logEvent('SIP_A', '00-52027', {}, 'a', T0);
    e.logEvent('SIP_B', '00-52027', {}, 'b', T0);
    const out = e.logEvent('SIP_B', '00-52028', {}, 'ok', T0 + 5);
    assert.deepEqual(
      out.events.map((x) => x.id),
      ['10-63002'],
    );
    assert.deepEqual(
      e.list().map((a) => a.app),
      ['SIP_A'],
    );
    assert.equal(e.cleared()[0]?.clearedBy, 'by event 00-52028 of SIP_B');
  });

  it('cancel-timeout clears by itself, and asks to be woken for it', () => {
    const e = new AlarmEngine(() => [cond({ name: 'vip', eventId: '00-52029', cancelTimeout: 30 })]);
    const out = e.logEvent('SIP_A', '00-52029', {}, 'a', T0);
    assert.equal(out.wakeAt, T0 + 30_000);
    assert.equal(e.tick(T0 + 29_999).events.length, 0);
    const t = e.tick(T0 + 30_000);
    assert.deepEqual(
      t.events.map((x) => x.id),
      ['10-63002'],
    );
    assert.equal(t.wakeAt, null);
    assert.equal(e.list().length, 0);
  });

  it('manual clear: known id, unknown id, already cleared', () => {
    const e = new AlarmEngine(() => [cond({ name: 'l', eventId: '00-04200' })]);
    e.logEvent('SIP_A', '00-04200', {}, 'a', T0);
    const r = e.clear('1', 'operator', T0 + 1);
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.events.map((x) => x.id),
      ['10-63002'],
    );
    const again = e.clear('1', 'operator', T0 + 2);
    assert.equal(again.ok, false);
    assert.match(again.ok ? '' : again.reason, /already cleared/);
    const unknown = e.clear('9', 'operator', T0 + 2);
    assert.match(unknown.ok ? '' : unknown.reason, /no alarm 9/);
  });

  it('conditions are read at each event (a reload takes effect at once); alarm events raise nothing', () => {
    let conditions: AlarmCondition[] = [];
    const e = new AlarmEngine(() => conditions);
    e.logEvent('SIP_A', '00-04200', {}, 'a', T0);
    assert.equal(e.list().length, 0);
    conditions = [cond({ name: 'l', eventId: '00-04200' }), cond({ name: 'loop', eventId: '10-63001' })];
    e.logEvent('SIP_A', '00-04200', {}, 'a', T0);
    e.logEvent('SCS', '10-63001', {}, 'raised', T0);
    assert.deepEqual(
      e.list().map((a) => a.condition),
      ['l'],
    );
  });

  it('reaction outcomes are logged and shown', () => {
    const e = new AlarmEngine(() => [
      cond({ name: 's', eventId: '00-04200', reaction: { kind: 'script', script: 'X' } }),
    ]);
    const out = e.logEvent('SIP_A', '00-04200', {}, 'a', T0);
    assert.deepEqual(out.actions, [
      { type: 'script', alarm: '1', condition: 's', app: 'SIP_A', script: 'X' },
    ]);
    assert.equal(e.list()[0]?.reactionState, 'pending');
    assert.deepEqual(
      e.reactionDone('1', false, 'exit code 1', T0).events.map((x) => x.id),
      ['10-63004'],
    );
    assert.equal(e.list()[0]?.reactionState, 'failed: exit code 1');
  });
});

function steady(r: ScsRig): void {
  assert.ok(r.sim.runUntil(() => r.mode('SIP_A') === 'Primary' && r.mode('SIP_B') === 'Backup'));
  r.sim.runFor(500);
}

function rigWith(alarms: unknown[], scripts: Record<string, unknown> = {}): ScsRig {
  const raw = rawEnvironment();
  raw.alarms = alarms;
  Object.assign(raw.applications, scripts);
  configOf(raw); // refused configs fail here, with the reason
  const r = scsRig({ raw });
  steady(r);
  return r;
}

describe('alarms at the SCS (simulator, fake LCAs)', () => {
  it('switchover: the alarm on the primary moves the role away from it; on the backup nothing moves', () => {
    const r = rigWith([
      { name: 'nic', 'event-id': '00-52027', reaction: 'switchover', 'clear-on': '00-52028' },
    ]);
    r.lcas.h2!.logEvent('SIP_B', '00-52027', { address: '10.0.0.2', reason: 'gone' });
    r.sim.runFor(2000);
    assert.equal(r.mode('SIP_A'), 'Primary', 'the backup raised it: nothing to switch');
    assert.match(r.events('10-63003')[0]?.msg ?? '', /not the primary/);
    r.lcas.h1!.logEvent('SIP_A', '00-52027', { address: '10.0.0.1', reason: 'gone' });
    assert.ok(r.sim.runUntil(() => r.mode('SIP_B') === 'Primary'));
    const alarms = r.scs.status().alarms;
    assert.deepEqual(
      alarms.map((a) => [a.condition, a.app, a.count]),
      [
        ['nic', 'SIP_B', 1],
        ['nic', 'SIP_A', 1],
      ],
    );
    assert.match(alarms[1]!.reactionState ?? '', /^done: switchover of PAIR from SIP_A to SIP_B/);
    assert.equal(alarms[1]!.text, 'SIP NIC 10.0.0.1 failure detected: gone');
    // The success event clears it.
    r.lcas.h1!.logEvent('SIP_A', '00-52028', { address: '10.0.0.1' });
    r.sim.runFor(500);
    assert.deepEqual(
      r.scs.status().alarms.map((a) => a.app),
      ['SIP_B'],
    );
    assert.equal(r.events('10-63002').length, 1);
  });

  it('restart: the application is stopped through its LCA and started again', () => {
    const r = rigWith([{ name: 'dead', 'event-id': '00-04200', app: 'SIP_B', reaction: 'restart' }]);
    const pidBefore = r.lcas.h2!.apps.get('SIP_B')!.pid;
    r.lcas.h2!.logEvent('SIP_B', '00-04200', { address: '10.0.0.2', port: 5060, reason: 'EADDRINUSE' });
    assert.ok(r.sim.runUntil(() => r.lcas.h2!.commands('stop-app').length === 1));
    assert.ok(
      r.sim.runUntil(() => {
        const s = r.lcas.h2!.apps.get('SIP_B')!;
        return s.process === 'running' && s.pid !== pidBefore && s.status === 'Running';
      }),
    );
    assert.equal(r.mode('SIP_A'), 'Primary');
    assert.equal(r.events('10-63003').length, 1);
  });

  it('script NAME: run on the script host through its LCA; its exit code decides done or failed', () => {
    const r = rigWith(
      [
        { name: 'page', 'event-id': '00-52029', reaction: 'script NOTIFY' },
        { name: 'page-b', 'event-id': '00-52027', reaction: 'script NOTIFY_B' },
      ],
      {
        NOTIFY: { type: 'script', host: 'h2', command: '/bin/true' },
        NOTIFY_B: { type: 'script', command: '/bin/false' },
      },
    );
    r.lcas.h2!.scriptExit = 0;
    r.lcas.h1!.logEvent('SIP_A', '00-52029', { address: '10.0.0.100', reason: 'missing' });
    r.sim.runFor(1000);
    assert.deepEqual(
      r.lcas.h2!.commands('run-script').map((c) => ('script' in c ? c.script : '')),
      ['NOTIFY'],
    );
    assert.match(r.scs.status().alarms[0]!.reactionState ?? '', /^done: NOTIFY on host h2 exited 0/);
    // A script without host runs on the host of the application that raised the alarm.
    r.lcas.h1!.scriptExit = 3;
    r.lcas.h1!.logEvent('SIP_A', '00-52027', { address: '10.0.0.1', reason: 'gone' });
    r.sim.runFor(1000);
    assert.deepEqual(
      r.lcas.h1!.commands('run-script').map((c) => ('script' in c ? c.script : '')),
      ['NOTIFY_B'],
    );
    assert.match(r.scs.status().alarms[1]!.reactionState ?? '', /^failed: NOTIFY_B on host h1: exit code 3/);
    assert.equal(r.events('10-63004').length, 1);
  });

  it('cancel-timeout and manual clear', () => {
    const r = rigWith([
      { name: 'vip', 'event-id': '00-52029', 'cancel-timeout': 10 },
      { name: 'listener', 'event-id': '00-04200' },
    ]);
    r.lcas.h1!.logEvent('SIP_A', '00-52029', { address: '10.0.0.100', reason: 'missing' });
    r.lcas.h1!.logEvent('SIP_A', '00-04200', { address: '10.0.0.1', port: 5060, reason: 'EADDRINUSE' });
    r.sim.runFor(500);
    assert.equal(r.scs.status().alarms.length, 2);
    r.sim.runFor(10_000);
    assert.deepEqual(
      r.scs.status().alarms.map((a) => a.condition),
      ['listener'],
    );
    const id = r.scs.status().alarms[0]!.id;
    assert.deepEqual(r.scs.clearAlarm(id, 'test'), { ok: true });
    assert.equal(r.scs.status().alarms.length, 0);
    assert.deepEqual(
      r.scs.status().alarmsCleared.map((a) => a.clearedBy),
      ['cancel-timeout (10 s)', 'by hand (test)'],
    );
    assert.equal(r.scs.clearAlarm(id, 'test').ok, false);
  });
});
