import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VipControl, type VipSettings } from '../../../src/server/monitor/vip-control.ts';
import { FakeHost, FakeRunner, world } from './fakes.ts';

const VIP = '192.0.2.100';

function setup(overrides: Partial<VipSettings> = {}) {
  const w = world();
  const host = new FakeHost('192.0.2.1');
  const runner = new FakeRunner(w.clock);
  const settings: VipSettings = {
    vip: VIP,
    controlScripts: true,
    monitoring: false,
    up: { script: 'A_UP', host: 'A' },
    down: { script: 'A_DOWN', host: 'A' },
    remoteDown: { script: 'B_DOWN', host: 'B' },
    stateChangeTimeoutMs: 3000,
    ...overrides,
  };
  const vip = new VipControl({
    clock: w.clock,
    addresses: host,
    logger: w.logger,
    health: w.health,
    run: runner.run,
    settings: () => settings,
  });
  /** A working script: up adds the VIP, down removes it, exit 0 a little later. */
  const working = (call: {
    script: string;
    answer: (o: { exitCode: number; timedOut: boolean; output: string }) => void;
  }) => {
    w.sim.schedule(50, () => {
      if (call.script.endsWith('_UP')) host.set.add(VIP);
      if (call.script === 'A_DOWN') host.set.delete(VIP);
      call.answer({ exitCode: 0, timedOut: false, output: '' });
    });
  };
  return { w, host, runner, settings, vip, working };
}

describe('VipControl: scripts on role change (control-vip-scripts)', () => {
  test('becoming Primary runs the up script once; the VIP appears: success, no problem', () => {
    const { w, runner, vip, working } = setup();
    runner.behaviour = working;
    vip.roleChanged('Primary', true);
    w.sim.runFor(5000);
    assert.deepEqual(
      runner.calls.map((c) => [c.script, c.host]),
      [['A_UP', 'A']],
      'peer on the HA link: no remote down script',
    );
    assert.deepEqual(w.events('10-30010', '10-30011', '10-30012', '10-30013'), ['10-30010', '10-30013']);
    assert.equal(w.health.ok, true);
    assert.equal(vip.running, false);
  });

  test('becoming Backup runs the down script; the VIP goes away', () => {
    const { w, host, runner, vip, working } = setup();
    host.set.add(VIP);
    runner.behaviour = working;
    vip.roleChanged('Backup', false);
    w.sim.runFor(5000);
    assert.deepEqual(
      runner.calls.map((c) => c.script),
      ['A_DOWN'],
    );
    assert.equal(host.set.has(VIP), false);
    assert.equal(w.health.ok, true);
  });

  test('a script exiting 1 is run again, and declared failed after 3 attempts: alarm, ServiceUnavailable, no 4th run', () => {
    const { w, runner, vip } = setup();
    runner.behaviour = (call) =>
      w.sim.schedule(20, () =>
        call.answer({ exitCode: 1, timedOut: false, output: 'RTNETLINK answers: Operation not permitted\n' }),
      );
    vip.roleChanged('Primary', true);
    w.sim.runFor(1000);
    assert.equal(runner.calls.length, 3);
    assert.deepEqual(w.events('10-30011', '10-30012'), ['10-30011', '10-30011', '10-30011', '10-30012']);
    assert.match(
      String(w.params('10-30011')[0]!.reason),
      /exit code 1: RTNETLINK answers: Operation not permitted/,
    );
    assert.equal(w.health.ok, false);
    assert.equal(w.health.problems()[0]!.condition, 'vip');
    w.sim.runFor(60_000);
    assert.equal(runner.calls.length, 3, 'not run again until the next role change');
    // The next role change starts afresh.
    runner.behaviour = undefined;
    vip.roleChanged('Backup', false);
    assert.equal(runner.calls.length, 4);
    assert.equal(runner.calls[3]!.script, 'A_DOWN');
    assert.equal(w.health.ok, true, 'what failed for the previous role no longer holds');
  });

  test('a script that hangs is run again after vip-state-change-timeout; a late answer of an old attempt is ignored', () => {
    const { w, host, runner, vip } = setup();
    runner.behaviour = undefined; // never answers
    vip.roleChanged('Primary', true);
    w.sim.runFor(2900);
    assert.equal(runner.calls.length, 1, 'still within the timeout');
    w.sim.runFor(200);
    assert.equal(runner.calls.length, 2, 're-run at the timeout');
    assert.match(
      String(w.params('10-30011')[0]!.reason),
      /no answer within vip-state-change-timeout \(3 s\)/,
    );
    // The first attempt's answer arrives now: it decides nothing.
    runner.calls[0]!.answer({ exitCode: 1, timedOut: true, output: '' });
    assert.equal(w.events('10-30011').length, 1);
    w.sim.runFor(6000);
    assert.equal(runner.calls.length, 3);
    assert.deepEqual(w.events('10-30012'), ['10-30012']);
    assert.equal(w.health.ok, false);
    assert.equal(host.set.has(VIP), false);
  });

  test('exit 0 without the VIP state changing counts as a failed attempt', () => {
    const { w, runner, vip } = setup();
    runner.behaviour = (call) => call.answer({ exitCode: 0, timedOut: false, output: '' });
    vip.roleChanged('Primary', true);
    w.sim.runFor(3100);
    assert.equal(runner.calls.length, 2);
    assert.match(String(w.params('10-30011')[0]!.reason), /still absent 3 s after the run/);
  });

  test('the state is read while the script still runs: success as soon as the VIP is there', () => {
    const { w, host, runner, vip } = setup();
    runner.behaviour = (call) => {
      w.sim.schedule(10, () => host.set.add(VIP)); // ip addr add done, arping still running
      w.sim.schedule(1000, () => call.answer({ exitCode: 0, timedOut: false, output: '' }));
    };
    vip.roleChanged('Primary', true);
    w.sim.runFor(400);
    assert.deepEqual(w.events('10-30013'), ['10-30013']);
    w.sim.runFor(2000);
    assert.equal(w.events('10-30011').length, 0);
  });

  test('control-remote-vip-scripts: a new primary without its peer on the HA link runs the peer down script on the peer host', () => {
    const { w, runner, vip, working } = setup();
    runner.behaviour = working;
    vip.roleChanged('Primary', false);
    w.sim.runFor(1000);
    assert.deepEqual(
      runner.calls.map((c) => [c.script, c.host]),
      [
        ['A_UP', 'A'],
        ['B_DOWN', 'B'],
      ],
    );
    assert.deepEqual(
      w
        .params('10-30013')
        .map((p) => p.script)
        .sort(),
      ['A_UP', 'B_DOWN'],
    );
  });

  test('a failing remote down script is retried, declared failed, and leaves this server healthy', () => {
    const { w, host, runner, vip } = setup();
    runner.behaviour = (call) => {
      if (call.script === 'A_UP') {
        host.set.add(VIP);
        call.answer({ exitCode: 0, timedOut: false, output: '' });
      } else
        call.answer({
          exitCode: null,
          timedOut: false,
          output: 'not run: the LCA of host B is not connected to the SCS',
        });
    };
    vip.roleChanged('Primary', false);
    w.sim.runFor(1000);
    assert.equal(runner.calls.filter((c) => c.script === 'B_DOWN').length, 3);
    assert.deepEqual(
      w.params('10-30012').map((p) => p.script),
      ['B_DOWN'],
    );
    assert.equal(w.health.ok, true);
  });

  test('without control-vip-scripts nothing runs on a role change', () => {
    const { w, runner, vip } = setup({ controlScripts: false });
    vip.roleChanged('Primary', false);
    w.sim.runFor(5000);
    assert.equal(runner.calls.length, 0);
  });
});

describe('VipControl: Virtual IP monitoring (sip-iptakeover-monitoring)', () => {
  test('the VIP removed on the primary: 00-52029, the up script runs again, 00-52030', () => {
    const { w, host, runner, vip, working } = setup({ monitoring: true });
    runner.behaviour = working;
    vip.roleChanged('Primary', true);
    w.sim.runFor(500);
    vip.check();
    assert.deepEqual(w.events('00-52029', '00-52030'), [], 'all well: nothing to say');
    host.set.delete(VIP);
    vip.check();
    assert.deepEqual(w.events('00-52029'), ['00-52029']);
    assert.deepEqual(w.params('00-52029')[0], { address: VIP, expected: 'present', role: 'Primary' });
    assert.equal(runner.calls.length, 2);
    assert.equal(runner.calls[1]!.script, 'A_UP');
    vip.check(); // a check while the corrective run is in progress decides nothing
    w.sim.runFor(500);
    assert.deepEqual(w.events('00-52029', '10-30010', '00-52030'), [
      '10-30010',
      '00-52029',
      '10-30010',
      '00-52030',
    ]);
    assert.equal(host.set.has(VIP), true);
    assert.equal(w.health.ok, true);
  });

  test('the VIP present on the backup: the down script runs', () => {
    const { w, host, runner, vip, working } = setup({ monitoring: true });
    runner.behaviour = working;
    vip.roleChanged('Backup', false);
    w.sim.runFor(500);
    host.set.add(VIP);
    vip.check();
    w.sim.runFor(500);
    assert.deepEqual(w.params('00-52029')[0], { address: VIP, expected: 'absent', role: 'Backup' });
    assert.deepEqual(w.events('00-52030'), ['00-52030']);
    assert.equal(host.set.has(VIP), false);
  });

  test('a corrective run that does not fix it: ServiceUnavailable after its first attempt, failed after 3', () => {
    const { w, host, runner, vip, working } = setup({ monitoring: true });
    runner.behaviour = working;
    vip.roleChanged('Primary', true);
    w.sim.runFor(500);
    runner.behaviour = (call) => call.answer({ exitCode: 4, timedOut: false, output: 'could not add' });
    host.set.delete(VIP);
    vip.check();
    w.sim.runFor(10);
    assert.equal(w.health.ok, false, 'the problem persists after the corrective attempt');
    assert.equal(runner.calls.length, 4);
    assert.deepEqual(w.events('10-30012'), ['10-30012']);
    // Later checks: still wrong, no more runs; ServiceUnavailable stays until the VIP is back.
    for (let i = 0; i < 5; i++) {
      w.sim.runFor(1000);
      vip.check();
    }
    assert.equal(runner.calls.length, 4);
    assert.equal(w.health.ok, false);
    host.set.add(VIP);
    vip.check();
    assert.equal(w.health.ok, true);
    assert.deepEqual(w.events('00-52029', '00-52030'), ['00-52029', '00-52030']);
  });

  test('monitoring without scripts: the mismatch persists for vip-state-change-timeout -> ServiceUnavailable', () => {
    const { w, host, runner, vip } = setup({
      monitoring: true,
      controlScripts: false,
      up: undefined,
      down: undefined,
    });
    vip.roleChanged('Primary', true);
    vip.check();
    assert.deepEqual(
      w.events('00-52029'),
      [],
      'scripts run by someone else get their time after a role change',
    );
    w.sim.runFor(3000);
    vip.check();
    assert.deepEqual(w.events('00-52029'), ['00-52029']);
    assert.equal(w.health.ok, true);
    w.sim.runFor(3000);
    vip.check();
    assert.equal(w.health.ok, false);
    assert.equal(runner.calls.length, 0);
    host.set.add(VIP);
    vip.check();
    assert.equal(w.health.ok, true);
    assert.deepEqual(w.events('00-52030'), ['00-52030']);
  });
});
