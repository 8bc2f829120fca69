/**
 * The Local Control Agent (SPEC S1, S4.5, S6.1, S8.4) on the simulator: real authenticated links, a fake SCS
 * and fake servers made from links (or the real LcaAppClient), fake process control and script runner.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LcaAppClient } from '../../../src/mgmt/lca/app-client.ts';
import type { ExecutionMode } from '../../../src/mgmt/protocol.ts';
import {
  Bench,
  configOf,
  LCA_HOST,
  LCA_PORT,
  lastReport,
  READY,
  rawEnvironment,
  reportsOf,
  SECRET,
} from './harness.ts';

function client(b: Bench, app: string, pid: number, name = `proc-${app}`) {
  const node = b.node(name);
  const modes: Array<[ExecutionMode, string]> = [];
  const stops: string[] = [];
  const c = new LcaAppClient(
    node.net,
    node.clock,
    node.random,
    { lca: { host: LCA_HOST, port: LCA_PORT }, app, secret: SECRET, pid },
    {
      onSetMode: (mode, reason) => modes.push([mode, reason]),
      onStop: (reason) => stops.push(reason),
    },
  );
  b.sim.runUntil(() => c.connected, { timeoutMs: 5000 });
  b.settle();
  return { node, c, modes, stops };
}

describe('LCA: servers and the SCS', () => {
  test('an SCS gets the host and every sip-server of it; a registered server is relayed with its status', () => {
    const b = new Bench();
    assert.equal(b.events('10-61001').length, 1, 'listening logged');
    const scs = b.scs();
    const host = scs.received[0]!;
    assert.equal(host.type, 'host');
    assert.equal(host.host, 'h1');
    // SIP_C is on h2: not this LCA's.
    assert.deepEqual(
      (host.apps as Array<{ app: string; process: string }>).map((a) => [a.app, a.process]),
      [
        ['SIP_A', 'not-started'],
        ['SIP_B', 'not-started'],
      ],
    );
    assert.equal(b.events('10-61003').length, 1);

    const { c } = client(b, 'SIP_A', 4242);
    assert.deepEqual(lastReport(scs, 'SIP_A'), {
      app: 'SIP_A',
      process: 'running',
      pid: 4242,
      lastExit: null,
      status: null,
      mode: null,
      readiness: null,
    });
    assert.deepEqual(b.events('10-61007')[0]?.params, { app: 'SIP_A', pid: 4242, host: 'h1' });

    c.report('Running', 'Backup', READY);
    b.settle();
    assert.deepEqual(lastReport(scs, 'SIP_A'), {
      app: 'SIP_A',
      process: 'running',
      pid: 4242,
      lastExit: null,
      status: 'Running',
      mode: 'Backup',
      readiness: READY,
    });
    // The same status again (periodic report) is not relayed; a change is.
    const n = reportsOf(scs, 'SIP_A').length;
    c.report('Running', 'Backup', READY);
    b.settle();
    assert.equal(reportsOf(scs, 'SIP_A').length, n);
    c.report('Running', 'Backup', { ...READY, readyForSwitchover: 0 });
    b.settle();
    assert.equal(reportsOf(scs, 'SIP_A').length, n + 1);
    assert.equal(lastReport(scs, 'SIP_A')?.readiness?.readyForSwitchover, 0);

    // Log events are relayed for alarm conditions, under the link's application.
    c.logEvent('00-04200', { address: '10.0.0.1', port: 5060, reason: 'EADDRINUSE' }, 123);
    b.settle();
    assert.deepEqual(
      scs.received.filter((m) => m.type === 'log-event'),
      [
        {
          type: 'log-event',
          app: 'SIP_A',
          id: '00-04200',
          params: { address: '10.0.0.1', port: 5060, reason: 'EADDRINUSE' },
          time: 123,
        },
      ],
    );
  });

  test('an SCS that connects later gets the current state in its host message; every SCS gets the changes', () => {
    const b = new Bench();
    const { c } = client(b, 'SIP_B', 77);
    c.report('Running', 'Primary', READY);
    b.settle();
    const scs1 = b.scs('SCS1');
    const apps = scs1.received[0]!.apps as Array<{ app: string; status: string; mode: string }>;
    assert.deepEqual(
      apps.map((a) => [a.app, a.status, a.mode]),
      [
        ['SIP_A', null, null],
        ['SIP_B', 'Running', 'Primary'],
      ],
    );
    const scs2 = b.scs('SCS2');
    c.report('ServiceUnavailable', 'Primary', READY);
    b.settle();
    assert.equal(lastReport(scs1, 'SIP_B')?.status, 'ServiceUnavailable');
    assert.equal(lastReport(scs2, 'SIP_B')?.status, 'ServiceUnavailable');
    assert.equal(b.lca.scsCount, 2);
    scs1.link!.close();
    b.settle();
    assert.equal(b.lca.scsCount, 1);
    assert.equal(b.events('10-61004').length, 1);
  });

  test('set-mode is forwarded to a connected server, and remembered for one that has not registered yet', () => {
    const b = new Bench();
    const scs = b.scs();
    b.command(scs, { type: 'set-mode', app: 'SIP_A', mode: 'Primary', reason: 'initial' });
    const a = client(b, 'SIP_A', 10);
    assert.deepEqual(a.modes, [['Primary', 'initial']]);
    b.command(scs, { type: 'set-mode', app: 'SIP_A', mode: 'Backup', reason: 'switchover' });
    assert.deepEqual(a.modes, [
      ['Primary', 'initial'],
      ['Backup', 'switchover'],
    ]);
    // A remembered mode is sent once only: a reconnect does not replay it.
    a.node.crash();
    b.settle();
    a.node.restart();
    const again = client(b, 'SIP_A', 11, 'proc-SIP_A-2');
    assert.deepEqual(again.modes, []);
  });

  test('a second registration of a connected application is refused until the first is gone', () => {
    const b = new Bench();
    const scs = b.scs();
    const first = client(b, 'SIP_A', 1);
    const dup = b.peer('dup', 'lca-app');
    dup.send({ type: 'register', app: 'SIP_A', pid: 2 });
    b.settle();
    assert.ok(dup.closed, 'duplicate closed');
    assert.match(b.events('10-61011')[0]!.msg, /already registered by pid 1/);
    assert.equal(lastReport(scs, 'SIP_A')?.pid, 1);
    void first;
  });
});

describe('LCA: processes', () => {
  test('start-app starts the process once, gives it its mode when it registers; a second start is ignored', () => {
    const b = new Bench();
    const scs = b.scs();
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Primary' });
    assert.equal(b.processes.started.length, 1);
    const p = b.processes.last('SIP_A')!;
    assert.deepEqual(lastReport(scs, 'SIP_A'), {
      app: 'SIP_A',
      process: 'running',
      pid: p.pid,
      lastExit: null,
      status: null,
      mode: null,
      readiness: null,
    });
    assert.deepEqual(b.events('10-61005')[0]?.params, {
      host: 'h1',
      app: 'SIP_A',
      pid: p.pid,
      mode: 'Primary',
    });
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Backup' });
    assert.equal(b.processes.started.length, 1, 'not started twice');

    const a = client(b, 'SIP_A', p.pid);
    assert.deepEqual(a.modes, [['Primary', 'initial mode given by the SCS']]);
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Backup' });
    assert.equal(b.processes.started.length, 1, 'still once');
  });

  test('a just-started LCA holds start-app: an orphaned server that registers meanwhile gets no duplicate', () => {
    const b = new Bench({ startHoldMs: 3000 });
    const scs = b.scs();
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Backup' });
    assert.equal(b.processes.started.length, 0, 'held: a server of the previous LCA may still register');
    assert.equal(b.events('10-61012').length, 1);
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Backup' });
    assert.equal(b.events('10-61012').length, 1, 'one hold, logged once');
    // The orphan (not started by this LCA) re-registers within its 1 s retry.
    client(b, 'SIP_A', 777);
    assert.equal(lastReport(scs, 'SIP_A')?.pid, 777);
    b.sim.runFor(5000);
    assert.equal(b.processes.started.length, 0, 'no duplicate after the hold either');
    assert.equal(lastReport(scs, 'SIP_A')?.process, 'running');

    // SIP_B has no orphan: its start goes through when the hold ends.
    const c = new Bench({ startHoldMs: 3000 });
    const scs2 = c.scs();
    c.command(scs2, { type: 'start-app', app: 'SIP_B', mode: 'Backup' });
    assert.equal(c.processes.started.length, 0);
    c.sim.runFor(3500);
    assert.equal(c.processes.started.length, 1, 'started when the hold ended');
    assert.equal(lastReport(scs2, 'SIP_B')?.process, 'running');
    // After the hold a start-app is carried out at once.
    const p = c.processes.last('SIP_B')!;
    p.exit(1, null);
    c.settle();
    c.command(scs2, { type: 'start-app', app: 'SIP_B', mode: 'Backup' });
    assert.equal(c.processes.started.length, 2);
  });

  test('a process exit is reported at once, with its code, and logged as an unexpected termination', () => {
    const b = new Bench();
    const scs = b.scs();
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Primary' });
    const p = b.processes.last('SIP_A')!;
    const a = client(b, 'SIP_A', p.pid);
    a.c.report('Running', 'Primary', READY);
    b.settle();
    const before = scs.received.length;
    const t0 = b.sim.now;
    p.exit(137, null);
    // The report is on its way at once: it arrives after one link delay, not after any timeout.
    assert.ok(b.sim.runUntil(() => scs.received.length > before, { timeoutMs: 100 }));
    assert.ok(b.sim.now - t0 <= 20, `took ${b.sim.now - t0} ms`);
    b.settle();
    assert.deepEqual(lastReport(scs, 'SIP_A'), {
      app: 'SIP_A',
      process: 'exited',
      pid: null,
      lastExit: 'exit code 137',
      status: null,
      mode: null,
      readiness: null,
    });
    assert.deepEqual(b.events('10-61006')[0]?.params, { app: 'SIP_A', pid: p.pid, exit: 'exit code 137' });
    assert.deepEqual(b.events('10-10007')[0]?.params, { app: 'SIP_A', reason: 'exit code 137' });
    const relayed = scs.received.find((m) => m.type === 'log-event' && m.id === '10-10007');
    assert.equal(relayed?.app, 'SIP_A');
    // Reported once, although the link closes too.
    assert.equal(reportsOf(scs, 'SIP_A').filter((r) => r.process === 'exited').length, 1);
    // It can be started again.
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Backup' });
    assert.equal(b.processes.started.length, 2);
    assert.equal(lastReport(scs, 'SIP_A')?.process, 'running');
  });

  test("a server's lost link is reported as exited at once, and the process is killed so it cannot act on", () => {
    const b = new Bench();
    const scs = b.scs();
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Primary' });
    const p = b.processes.last('SIP_A')!;
    const a = client(b, 'SIP_A', p.pid);
    a.c.report('Running', 'Primary', READY);
    b.settle();
    const t0 = b.sim.now;
    a.node.crash(); // its kernel closes the socket: the LCA sees the close one link delay later
    assert.ok(b.sim.runUntil(() => lastReport(scs, 'SIP_A')?.process === 'exited', { timeoutMs: 1000 }));
    assert.ok(b.sim.now - t0 <= 30, `took ${b.sim.now - t0} ms (no ADDP wait)`);
    assert.match(lastReport(scs, 'SIP_A')!.lastExit!, /^link lost: closed by the peer/);
    assert.deepEqual(p.kills, ['SIGKILL']);
    assert.equal(b.events('10-10007').length, 1);
    b.settle();
    // The exit that follows is not reported a second time.
    assert.equal(reportsOf(scs, 'SIP_A').filter((r) => r.process === 'exited').length, 1);
  });

  test('a hung server (silent link) is found by ADDP and reported exited', () => {
    const b = new Bench();
    const scs = b.scs();
    const a = client(b, 'SIP_B', 5);
    const t0 = b.sim.now;
    b.sim.network.partition(a.node.hosts, [LCA_HOST]);
    assert.ok(b.sim.runUntil(() => lastReport(scs, 'SIP_B')?.process === 'exited', { timeoutMs: 10_000 }));
    // ADDP 2 s: between 2 and 4 s of silence.
    assert.ok(b.sim.now - t0 >= 2000 && b.sim.now - t0 <= 4100, `took ${b.sim.now - t0} ms`);
    assert.match(lastReport(scs, 'SIP_B')!.lastExit!, /ADDP/);
  });

  test('start-app of a process reported dead but still dying waits for its exit', () => {
    const b = new Bench();
    b.processes.termExitMs = undefined;
    const scs = b.scs();
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Primary' });
    const p = b.processes.last('SIP_A')!;
    const a = client(b, 'SIP_A', p.pid);
    a.node.crash();
    b.settle();
    assert.equal(lastReport(scs, 'SIP_A')?.process, 'exited');
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Backup' });
    assert.equal(b.processes.started.length, 1, 'not while the old one is alive');
    p.exit(null, 'SIGKILL');
    b.settle();
    assert.equal(b.processes.started.length, 2);
    assert.equal(lastReport(scs, 'SIP_A')?.process, 'running');
  });

  test('stop-app sends stop and SIGTERM; the exit is expected (no 10-10007)', () => {
    const b = new Bench();
    const scs = b.scs();
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Primary' });
    const p = b.processes.last('SIP_A')!;
    const a = client(b, 'SIP_A', p.pid);
    b.command(scs, { type: 'stop-app', app: 'SIP_A', reason: 'operator' });
    assert.deepEqual(a.stops, ['operator']);
    assert.deepEqual(p.kills, ['SIGTERM']);
    b.settle(200);
    assert.equal(p.exited, true);
    assert.equal(lastReport(scs, 'SIP_A')?.process, 'exited');
    assert.deepEqual(b.events('10-10007'), []);
    assert.equal(b.events('10-61006').length, 1);
  });

  test('stop-app: a process still running 10 s after SIGTERM gets SIGKILL', () => {
    const b = new Bench();
    b.processes.termExitMs = undefined; // ignores SIGTERM
    const scs = b.scs();
    b.command(scs, { type: 'start-app', app: 'SIP_B', mode: 'Backup' });
    const p = b.processes.last('SIP_B')!;
    const t0 = b.sim.now;
    b.command(scs, { type: 'stop-app', app: 'SIP_B', reason: 'test' });
    b.sim.runFor(9_900 - (b.sim.now - t0));
    assert.deepEqual(p.kills, ['SIGTERM']);
    b.sim.runFor(200);
    assert.deepEqual(p.kills, ['SIGTERM', 'SIGKILL']);
    assert.equal(b.events('10-61009').length, 1);
    p.exit(null, 'SIGKILL');
    b.settle();
    assert.deepEqual(lastReport(scs, 'SIP_B'), {
      app: 'SIP_B',
      process: 'exited',
      pid: null,
      lastExit: 'signal SIGKILL',
      status: null,
      mode: null,
      readiness: null,
    });
  });

  test('a process that cannot be started is reported exited with the reason', () => {
    const b = new Bench();
    b.processes.failWith = 'spawn ENOMEM';
    const scs = b.scs();
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: null });
    assert.equal(lastReport(scs, 'SIP_A')?.process, 'exited');
    assert.match(lastReport(scs, 'SIP_A')!.lastExit!, /could not start: spawn ENOMEM/);
    assert.equal(b.events('10-61008').length, 1);
  });

  test('shutdown stops every started server (SIGTERM, SIGKILL after the grace) and closes the links', () => {
    const b = new Bench();
    const scs = b.scs();
    b.command(scs, { type: 'start-app', app: 'SIP_A', mode: 'Primary' });
    b.processes.termExitMs = undefined;
    b.command(scs, { type: 'start-app', app: 'SIP_B', mode: 'Backup' });
    const [pa, pb] = b.processes.started;
    let done = false;
    b.sim.schedule(0, () => b.lca.shutdown(3000, () => (done = true)));
    b.settle(500);
    assert.equal(pa!.exited, true);
    assert.deepEqual(pb!.kills, ['SIGTERM']);
    assert.equal(done, false);
    b.sim.runFor(3000);
    assert.deepEqual(pb!.kills, ['SIGTERM', 'SIGKILL']);
    assert.equal(done, false, 'waits for the exit');
    b.sim.schedule(0, () => pb!.exit(null, 'SIGKILL'));
    b.settle();
    assert.equal(done, true);
    assert.ok(scs.closed, 'SCS link closed');
  });
});

describe('LCA: refusals', () => {
  test('an unauthenticated peer is refused and logged', () => {
    const b = new Bench();
    const bad = b.peer('intruder', 'scs', 'not-the-right-secret');
    b.settle();
    assert.equal(bad.link, undefined);
    assert.ok(bad.failed);
    const refused = b.events('10-60008');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.params.action, 'LCA link');
    assert.match(String(refused[0]!.params.source), /^10\.0\.1\.1:/);
    // An unknown protocol is refused too.
    const other = b.peer('ha-peer', 'ha' as 'scs');
    b.settle();
    assert.equal(other.link, undefined);
    assert.equal(b.events('10-60008').length, 2);
  });

  test('an application of another host (or not a server) cannot register, and the SCS cannot start it', () => {
    const b = new Bench();
    const scs = b.scs();
    for (const app of ['SIP_C', 'VIP_UP', 'NOPE']) {
      const s = b.peer(`srv-${app}`, 'lca-app');
      s.send({ type: 'register', app, pid: 9 });
      b.settle();
      assert.ok(s.closed, `${app} closed`);
    }
    const msgs = b.events('10-61011').map((e) => e.msg);
    assert.match(msgs[0]!, /"SIP_C" runs on host h2, not h1/);
    assert.match(msgs[1]!, /"VIP_UP" is a script application/);
    assert.match(msgs[2]!, /"NOPE" is not an application of env.yaml/);
    // Anything but register first is refused as well.
    const s = b.peer('srv-x', 'lca-app');
    s.send({ type: 'status', app: 'SIP_A', status: 'Running', mode: 'Primary', readiness: READY });
    b.settle();
    assert.ok(s.closed);
    assert.equal(lastReport(scs, 'SIP_A'), undefined, 'nothing relayed');

    b.command(scs, { type: 'start-app', app: 'SIP_C', mode: 'Primary' });
    b.command(scs, { type: 'stop-app', app: 'SIP_C', reason: 'x' });
    b.command(scs, { type: 'set-mode', app: 'SIP_C', mode: 'Primary', reason: 'x' });
    assert.equal(b.processes.started.length, 0);
    assert.equal(b.events('10-61011').length, 7);
  });

  test('malformed SCS commands and server messages change nothing', () => {
    const b = new Bench();
    const scs = b.scs();
    scs.send({ type: 'start-app', app: 42 });
    scs.send({ type: 'set-mode', app: 'SIP_A', mode: 'Boss' });
    scs.send({ type: 'run-script' });
    scs.send({ type: 'whatever' });
    b.settle();
    assert.equal(b.processes.started.length, 0);
    assert.equal(b.scripts.runs.length, 0);
    const a = client(b, 'SIP_A', 3);
    const n = reportsOf(scs, 'SIP_A').length;
    a.c.report('Sleeping' as 'Running', 'Primary', READY);
    b.settle();
    assert.equal(reportsOf(scs, 'SIP_A').length, n);
    assert.ok(a.c.connected, 'the link stays up');
  });
});

describe('LCA: link secret', () => {
  test('without scs.link-secret the insecure default is used and its use is logged once', () => {
    const raw = rawEnvironment();
    delete raw.scs['link-secret'];
    const b = new Bench({ raw });
    const warned = b.events('10-61010');
    assert.equal(warned.length, 1);
    assert.match(warned[0]!.msg, /No scs.link-secret in env.yaml/);
    const scs = b.peer('SCS', 'scs', 'duet-insecure-default');
    assert.ok(scs.link, 'the default secret opens the link');
  });
});

describe('LCA: scripts', () => {
  test('a configured script of this host runs with its timeout and the result goes back to the SCS', () => {
    const b = new Bench();
    const scs = b.scs();
    b.command(scs, { type: 'run-script', requestId: 'r1', script: 'VIP_UP' });
    assert.equal(b.scripts.runs.length, 1);
    const run = b.scripts.runs[0]!;
    assert.equal(run.script.name, 'VIP_UP');
    assert.equal(run.script.command, '/usr/sbin/ip');
    assert.equal(run.timeoutMs, 5000);
    b.sim.schedule(0, () => run.done({ exitCode: 0, timedOut: false, output: 'ok' }));
    b.settle();
    assert.deepEqual(
      scs.received.find((m) => m.type === 'script-result'),
      {
        type: 'script-result',
        requestId: 'r1',
        script: 'VIP_UP',
        exitCode: 0,
        timedOut: false,
        output: 'ok',
      },
    );
    assert.deepEqual(b.events('10-60003')[0]?.params, { script: 'VIP_UP', host: 'h1', code: 0 });

    // A script without a host runs on the LCA asked; its default timeout is 30 s.
    b.command(scs, { type: 'run-script', requestId: 'r2', script: 'VIP_ANY' });
    const run2 = b.scripts.runs[1]!;
    assert.equal(run2.timeoutMs, 30_000);
    b.sim.schedule(0, () => run2.done({ exitCode: null, timedOut: true, output: '' }));
    b.settle();
    const r2 = scs.received.filter((m) => m.type === 'script-result')[1]!;
    assert.equal(r2.requestId, 'r2');
    assert.equal(r2.timedOut, true);
    assert.equal(r2.exitCode, null);
    assert.match(b.events('10-60003')[1]!.msg, /killed after 30 s/);
  });

  test('anything but a configured script of this host is refused, and nothing runs', () => {
    const b = new Bench();
    const scs = b.scs();
    const cases: Array<[string, RegExp]> = [
      ['rm -rf /', /"rm -rf \/" is not an application of env.yaml/],
      ['SIP_A', /"SIP_A" is a sip-server application, not a script/],
      ['OTHER_HOST', /belongs to host h2, not h1/],
      ['__proto__', /is not an application/],
    ];
    cases.forEach(([script], i) => {
      b.command(scs, { type: 'run-script', requestId: `q${i}`, script });
    });
    assert.equal(b.scripts.runs.length, 0);
    const results = scs.received.filter((m) => m.type === 'script-result');
    assert.equal(results.length, cases.length);
    cases.forEach(([script, why], i) => {
      const r = results[i]!;
      assert.equal(r.requestId, `q${i}`);
      assert.equal(r.script, script);
      assert.equal(r.exitCode, null);
      assert.equal(r.timedOut, false);
      assert.match(String(r.output), /^refused: /);
      assert.match(String(r.output), why);
    });
    assert.equal(b.events('10-60008').length, cases.length);
  });

  test('a reload makes a new script runnable at once', () => {
    const raw = rawEnvironment();
    const b = new Bench({ raw });
    const scs = b.scs();
    b.command(scs, { type: 'run-script', requestId: 'a', script: 'NEW' });
    assert.equal(b.scripts.runs.length, 0);
    raw.applications.NEW = { type: 'script', host: 'h1', command: '/bin/echo' };
    b.lca.reconfigure(configOf(raw));
    b.command(scs, { type: 'run-script', requestId: 'b', script: 'NEW' });
    assert.equal(b.scripts.runs.length, 1);
  });
});
