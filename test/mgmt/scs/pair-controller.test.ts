/**
 * The SCS's pair decision machine (SPEC S4.5, seeds 001, 004) on plain inputs: no network, no clock, just
 * `now` in milliseconds. Every rule of the brief has its test; a seeded fuzz checks the two invariants
 * (never two Primary commands outstanding, never Primary to a server that is not Running) on random input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AppReport, AppStatus, ExecutionMode, Readiness } from '../../../src/mgmt/protocol.ts';
import {
  type PairCommand,
  PairController,
  type PairControllerOptions,
  type PairEvent,
  type PairOutput,
} from '../../../src/mgmt/scs/pair-controller.ts';
import { SeededRandom } from '../../../src/runtime/random.ts';

const T0 = 1_700_000_000_000;

const ready: Readiness = {
  haLink: 'established',
  callsPendingSync: 0,
  readyForSwitchover: 1,
  readyForUpgrade: 0,
  calls: 3,
};
const notReady: Readiness = { ...ready, callsPendingSync: 42, readyForSwitchover: 0 };

function options(over: Partial<PairControllerOptions> = {}): PairControllerOptions {
  return {
    pair: 'PAIR',
    primary: { app: 'A', host: 'h1', disconnectSwitchoverTimeoutMs: 0, haflipDetectTimeoutMs: 10_000 },
    backup: { app: 'B', host: 'h2', disconnectSwitchoverTimeoutMs: 0, haflipDetectTimeoutMs: 10_000 },
    redundancyType: 'hot-standby',
    ...over,
  };
}

const hostOf: Record<string, string> = { A: 'h1', B: 'h2' };

function report(app: string, over: Partial<AppReport> = {}): AppReport {
  return {
    app,
    process: 'running',
    pid: app === 'A' ? 101 : 102,
    lastExit: null,
    status: 'Running',
    mode: null,
    readiness: ready,
    ...over,
  };
}

/** Drives a controller and keeps everything it said. */
class Rig {
  readonly c: PairController;
  now = T0;
  commands: PairCommand[] = [];
  events: PairEvent[] = [];
  wakeAt: number | null = null;
  /** Last report per app, so that a test can change one field. */
  private last = new Map<string, AppReport>();

  constructor(over: Partial<PairControllerOptions> = {}) {
    this.c = new PairController(options(over));
  }

  /** Takes an output of any controller call. */
  feed(o: PairOutput): PairOutput {
    this.commands.push(...o.commands);
    this.events.push(...o.events);
    this.wakeAt = o.wakeAt;
    this.checkInvariant();
    return o;
  }

  checkInvariant(): void {
    assert.ok(this.c.outstandingPrimaryCommands().length <= 1, 'two Primary commands outstanding');
  }

  up(host: string, ...reports: AppReport[]): PairOutput {
    for (const r of reports) this.last.set(r.app, r);
    return this.feed(this.c.hostUp(host, reports, this.now));
  }

  /** Both LCAs up, both servers Running with the given modes. */
  start(modeA: ExecutionMode | null = null, modeB: ExecutionMode | null = null): void {
    this.up('h1', report('A', { mode: modeA }));
    this.up('h2', report('B', { mode: modeB }));
  }

  down(host: string): PairOutput {
    return this.feed(this.c.hostDown(host, this.now));
  }

  report(app: string, over: Partial<AppReport>): PairOutput {
    const r = { ...(this.last.get(app) ?? report(app)), ...over };
    this.last.set(app, r);
    return this.feed(this.c.appReport(r, this.now));
  }

  mode(app: string, mode: ExecutionMode): PairOutput {
    return this.report(app, { mode });
  }

  status(app: string, status: AppStatus): PairOutput {
    return this.report(app, { status });
  }

  exit(app: string, lastExit = 'signal SIGKILL'): PairOutput {
    return this.report(app, {
      process: 'exited',
      pid: null,
      status: null,
      mode: null,
      readiness: null,
      lastExit,
    });
  }

  advance(ms: number): PairOutput {
    this.now += ms;
    return this.feed(this.c.tick(this.now));
  }

  /** Runs every wake-up up to `ms` from now. */
  runFor(ms: number): void {
    const end = this.now + ms;
    while (this.wakeAt !== null && this.wakeAt <= end) {
      this.now = this.wakeAt;
      this.feed(this.c.tick(this.now));
    }
    this.now = end;
    this.feed(this.c.tick(this.now));
  }

  /** Plays the servers: each set-mode is obeyed and reported back. */
  obey(): void {
    for (let i = 0; i < 10; i++) {
      const pending = this.clear().filter((c) => c.type === 'set-mode');
      if (pending.length === 0) return;
      for (const c of pending) if (c.type === 'set-mode') this.mode(c.app, c.mode);
    }
  }

  clear(): PairCommand[] {
    const c = this.commands;
    this.commands = [];
    return c;
  }

  setModes(): string[] {
    return this.commands.filter((c) => c.type === 'set-mode').map((c) => `${c.app}:${c.mode}`);
  }

  eventIds(): string[] {
    return this.events.map((e) => e.id);
  }

  primary(): string | null {
    return this.c.view().primary;
  }
}

describe('start assignment', () => {
  test('the configured primary, Running, gets Primary; the other Backup', () => {
    const r = new Rig();
    r.start();
    assert.deepEqual(r.setModes().sort(), ['A:Primary', 'B:Backup']);
    assert.equal(r.primary(), 'A');
    assert.ok(r.eventIds().includes('10-62001'));
    for (const c of r.commands) assert.equal(c.host, hostOf[c.app]);
  });

  test('the backup alone Running waits for the start grace, then gets Primary', () => {
    const r = new Rig({ startGraceMs: 5000 });
    r.up('h2', report('B'));
    assert.equal(r.primary(), null);
    assert.deepEqual(r.setModes(), [], 'nobody is told anything before the assignment');
    assert.equal(r.wakeAt, T0 + 5000);
    r.runFor(4999);
    assert.equal(r.primary(), null);
    r.runFor(1);
    assert.equal(r.primary(), 'B');
    assert.ok(r.setModes().includes('B:Primary'));
  });

  test('the configured primary Running within the grace keeps the role', () => {
    const r = new Rig();
    r.up('h2', report('B', { mode: 'Backup' }));
    r.advance(2000);
    r.up('h1', report('A', { status: 'Initializing' }));
    assert.equal(r.primary(), null);
    r.status('A', 'Running');
    assert.equal(r.primary(), 'A');
  });

  test('a configured primary reporting ServiceUnavailable gives the role to the backup at once', () => {
    const r = new Rig();
    r.up('h1', report('A', { status: 'ServiceUnavailable' }));
    r.up('h2', report('B'));
    assert.equal(r.primary(), 'B');
    assert.deepEqual(r.setModes().sort(), ['A:Backup', 'B:Primary']);
  });

  test('neither Running: nobody is given Primary', () => {
    const r = new Rig();
    r.up('h1', report('A', { status: 'Initializing' }));
    r.up('h2', report('B', { status: 'ServiceUnavailable' }));
    r.runFor(60_000);
    assert.equal(r.primary(), null);
    assert.ok(!r.setModes().some((m) => m.endsWith(':Primary')));
  });

  test('a restarted SCS adopts the server already Primary: no role change', () => {
    const r = new Rig();
    r.start('Backup', 'Primary');
    assert.equal(r.primary(), 'B');
    assert.deepEqual(r.setModes(), []);
    assert.ok(!r.eventIds().includes('10-20008'));
  });

  test('servers not started are started as Backup, then assigned', () => {
    const r = new Rig();
    r.up('h1', { ...report('A'), process: 'not-started', pid: null, status: null, readiness: null });
    r.up('h2'); // an LCA that does not list the app: not started
    assert.deepEqual(
      r.commands.filter((c) => c.type === 'start-app'),
      [
        { type: 'start-app', host: 'h1', app: 'A', mode: 'Backup' },
        { type: 'start-app', host: 'h2', app: 'B', mode: 'Backup' },
      ],
    );
    r.clear();
    r.report('A', { process: 'running', pid: 7, status: 'Running', mode: 'Backup' });
    assert.equal(r.primary(), 'A');
    assert.deepEqual(r.setModes(), ['A:Primary']);
  });
});

describe('failover', () => {
  function running(over: Partial<PairControllerOptions> = {}): Rig {
    const r = new Rig(over);
    r.start();
    r.obey();
    r.clear();
    r.events = [];
    return r;
  }

  test('the primary process exits: the backup is promoted at once and the dead server restarted', () => {
    const r = running();
    r.exit('A');
    assert.equal(r.primary(), 'B');
    assert.deepEqual(r.setModes(), ['B:Primary']);
    assert.ok(r.commands.some((c) => c.type === 'start-app' && c.app === 'A' && c.mode === 'Backup'));
    const sw = r.events.find((e) => e.id === '10-20008');
    assert.ok(sw && sw.id === '10-20008');
    assert.equal(sw.params.kind, 'failover');
    assert.equal(sw.params.from, 'A');
    assert.equal(sw.params.to, 'B');
    // It comes back as Backup and stays there.
    r.clear();
    r.mode('B', 'Primary');
    r.report('A', { process: 'running', pid: 9, status: 'Running', mode: 'Backup', readiness: ready });
    assert.deepEqual(r.setModes(), []);
    assert.equal(r.primary(), 'B');
    assert.ok(r.eventIds().includes('10-62008'));
  });

  test('the primary reports ServiceUnavailable: demoted first, the backup promoted when it reports Backup', () => {
    const r = running();
    r.status('A', 'ServiceUnavailable');
    assert.deepEqual(r.setModes(), ['A:Backup']);
    assert.equal(r.primary(), 'A');
    assert.equal(r.c.view().transition?.step, 'demoting');
    r.clear();
    r.mode('A', 'Backup');
    assert.deepEqual(r.setModes(), ['B:Primary']);
    assert.equal(r.primary(), 'B');
  });

  test('a primary told Primary but not yet confirmed is told Backup before the backup gets Primary', () => {
    const r = new Rig();
    r.start();
    assert.deepEqual(r.setModes().sort(), ['A:Primary', 'B:Backup']);
    r.mode('B', 'Backup');
    r.clear();
    // A has not switched yet (still reports Backup) when it fails.
    r.status('A', 'ServiceUnavailable');
    assert.deepEqual(r.setModes(), ['A:Backup']);
    assert.equal(r.primary(), 'A');
    r.clear();
    // It processes the Primary command, then the Backup one: only then is B promoted.
    r.mode('A', 'Primary');
    assert.deepEqual(r.setModes(), []);
    r.mode('A', 'Backup');
    assert.deepEqual(r.setModes(), ['B:Primary']);
    assert.equal(r.primary(), 'B');
  });

  test('an old primary that does not confirm Backup within 10 s: promoted anyway, then it is stopped', () => {
    const r = running();
    r.status('A', 'ServiceUnavailable');
    r.clear();
    r.runFor(9_999);
    assert.deepEqual(r.setModes(), []);
    r.runFor(1);
    assert.ok(r.eventIds().includes('10-62007'));
    assert.deepEqual(r.setModes(), ['B:Primary']);
    // Still Primary 10 s after being told Backup: stopped (S8.3), and restarted as Backup when it exits.
    assert.ok(r.commands.some((c) => c.type === 'stop-app' && c.app === 'A'));
    assert.ok(r.eventIds().includes('10-62009'));
  });

  test('LCA lost with disconnect-switchover-timeout 0: failover at once', () => {
    const r = running();
    r.down('h1');
    assert.equal(r.primary(), 'B');
    assert.deepEqual(r.setModes(), ['B:Primary']);
  });

  test('LCA lost with disconnect-switchover-timeout 5 s: nothing before 5 s, failover at 5 s', () => {
    const r = running({
      primary: { app: 'A', host: 'h1', disconnectSwitchoverTimeoutMs: 5000, haflipDetectTimeoutMs: 10_000 },
    });
    r.down('h1');
    assert.equal(r.wakeAt, r.now + 5000);
    r.runFor(4999);
    assert.equal(r.primary(), 'A');
    assert.deepEqual(r.setModes(), []);
    r.runFor(1);
    assert.equal(r.primary(), 'B');
    assert.deepEqual(r.setModes(), ['B:Primary']);
  });

  test('disconnect-switchover-timeout changed by a reload applies to the next loss', () => {
    const r = running();
    r.feed(
      r.c.updateSettings(
        { app: 'A', host: 'h1', disconnectSwitchoverTimeoutMs: 8000, haflipDetectTimeoutMs: 10_000 },
        r.now,
      ),
    );
    r.down('h1');
    r.runFor(7999);
    assert.equal(r.primary(), 'A');
    r.runFor(1);
    assert.equal(r.primary(), 'B');
  });

  test('an LCA back within disconnect-switchover-timeout: no failover, the mode is re-checked', () => {
    const r = running({
      primary: { app: 'A', host: 'h1', disconnectSwitchoverTimeoutMs: 5000, haflipDetectTimeoutMs: 10_000 },
    });
    r.down('h1');
    r.runFor(3000);
    r.up('h1', report('A', { mode: 'Primary' }));
    r.runFor(10_000);
    assert.equal(r.primary(), 'A');
    assert.deepEqual(r.setModes(), []);
  });

  test('the old primary comes back still Primary after a failover: demoted at once', () => {
    const r = running();
    r.down('h1');
    r.obey();
    r.up('h1', report('A', { mode: 'Primary' }));
    assert.deepEqual(r.setModes(), ['A:Backup']);
    assert.equal(r.primary(), 'B');
  });

  test('00-04200 from the primary (listener failed): the role goes to the other server', () => {
    const r = running();
    r.feed(r.c.logEvent('A', '00-04200', r.now));
    assert.deepEqual(r.setModes(), ['A:Backup']);
    r.obey();
    assert.equal(r.primary(), 'B');
    // The other cannot open it either: the role alternates back.
    r.clear();
    r.feed(r.c.logEvent('B', '00-04200', r.now));
    r.obey();
    assert.equal(r.primary(), 'A');
    // 00-04200 from the backup is not a failover trigger.
    r.clear();
    r.feed(r.c.logEvent('B', '00-04200', r.now));
    assert.deepEqual(r.setModes(), []);
  });
});

describe('never promote a backup that is not Running', () => {
  const cases: Array<[string, (r: Rig) => void]> = [
    ['ServiceUnavailable', (r) => r.status('B', 'ServiceUnavailable')],
    ['Initializing', (r) => r.status('B', 'Initializing')],
    ['exited', (r) => r.exit('B')],
    ['unknown (LCA lost)', (r) => r.down('h2')],
  ];
  for (const [name, breakBackup] of cases) {
    test(`backup ${name}: alarm once, wait, promote when it is Running`, () => {
      const r = new Rig();
      r.start();
      r.obey();
      breakBackup(r);
      r.clear();
      r.events = [];
      r.exit('A');
      r.runFor(1000);
      r.status('A', 'Running'); // a stale report of a dead process changes nothing
      assert.ok(!r.setModes().includes('B:Primary'));
      assert.equal(r.eventIds().filter((id) => id === '10-62002').length, 1);
      assert.equal(r.primary(), 'A');
      assert.match(r.c.view().failoverBlocked ?? '', /B is not Running/);
      // The backup becomes Running: promoted.
      if (name.startsWith('unknown')) r.up('h2', report('B', { mode: 'Backup' }));
      else
        r.report('B', { process: 'running', pid: 55, status: 'Running', mode: 'Backup', readiness: ready });
      assert.ok(r.setModes().includes('B:Primary'));
      assert.equal(r.primary(), 'B');
      assert.equal(r.c.view().failoverBlocked, null);
    });
  }

  test('the primary recovers while blocked: it stays primary, nothing promoted', () => {
    const r = new Rig();
    r.start();
    r.obey();
    r.status('B', 'ServiceUnavailable');
    r.status('A', 'ServiceUnavailable');
    assert.ok(r.eventIds().includes('10-62002'));
    r.clear();
    r.status('A', 'Running');
    r.status('B', 'Running');
    assert.deepEqual(r.setModes(), []);
    assert.equal(r.primary(), 'A');
    assert.equal(r.c.view().failoverBlocked, null);
  });

  test('a dead primary restarted while the backup is down gets Primary again', () => {
    const r = new Rig();
    r.start();
    r.obey();
    r.exit('B');
    r.exit('A');
    r.clear();
    r.report('A', { process: 'running', pid: 77, status: 'Running', mode: 'Backup', readiness: ready });
    assert.deepEqual(r.setModes(), ['A:Primary']);
    assert.ok(!r.eventIds().includes('10-20008'), 'not a role change');
  });
});

describe('the state holder first (chaos seeds 43, 281)', () => {
  const empty: Readiness = {
    haLink: 'connecting',
    callsPendingSync: 1,
    readyForSwitchover: 0,
    readyForUpgrade: 1,
    calls: 0,
  };
  /** A primary, B synced backup; B's LCA is lost; A dies and is restarted empty (pid 77). */
  function setup(): Rig {
    const r = new Rig();
    r.start();
    r.obey();
    r.down('h2');
    r.now += 2000;
    r.exit('A');
    r.report('A', { process: 'running', pid: 77, status: 'Running', mode: 'Backup', readiness: empty });
    return r;
  }

  test('the restarted, empty primary is not given Primary while the synced backup is unknown', () => {
    const r = setup();
    assert.ok(!r.setModes().includes('A:Primary'));
    const held = r.events.filter((e) => e.id === '10-62014');
    assert.equal(held.length, 1);
    assert.deepEqual(held[0]?.params, {
      pair: 'PAIR',
      app: 'A',
      why: 'not synchronized',
      peer: 'B',
      seconds: 8,
    });
    assert.equal(r.wakeAt, T0 + 10_000, 'wakes when the grace (from the LCA loss) ends');
  });

  test('the backup comes back Running with its calls: it becomes the primary, the empty one stays Backup', () => {
    const r = setup();
    r.clear();
    r.now += 1500;
    r.up('h2', report('B', { mode: 'Backup', readiness: { ...ready, haLink: 'none' } }));
    assert.deepEqual(r.setModes(), ['B:Primary']);
    assert.equal(r.primary(), 'B');
    const fo = r.events.filter((e) => e.id === '10-20008').at(-1);
    assert.match(String(fo?.params.reason), /B came back holding the calls/);
  });

  test('a new LCA reports it not-started, then the orphan re-registers: still held until it speaks, then promoted', () => {
    const r = setup();
    r.clear();
    r.now += 1000;
    r.up('h2', report('B', { process: 'not-started', pid: null, status: null, mode: null, readiness: null }));
    assert.ok(!r.setModes().includes('A:Primary'), 'not-started from a fresh LCA is not news of its death');
    r.now += 800;
    r.report('B', { process: 'running', pid: 102, status: null, mode: null, readiness: null });
    assert.ok(!r.setModes().includes('A:Primary'), 'registered, no status yet');
    r.report('B', { status: 'Running', mode: 'Backup', readiness: { ...ready, haLink: 'none' } });
    // (B registered with no mode yet and was told Backup first.)
    assert.deepEqual(r.setModes(), ['B:Backup', 'B:Primary']);
    assert.equal(r.primary(), 'B');
  });

  test('the grace passes without news: the restarted server gets Primary', () => {
    const r = setup();
    r.clear();
    r.runFor(7000);
    assert.ok(!r.setModes().includes('A:Primary'), 'within 10 s of the loss');
    r.runFor(2000);
    assert.deepEqual(r.setModes(), ['A:Primary']);
    assert.equal(r.primary(), 'A');
  });

  test('the backup comes back dead, or as a new empty process: the restarted server gets Primary at once', () => {
    const r = setup();
    r.clear();
    r.up('h2', report('B', { process: 'exited', pid: null, status: null, mode: null, readiness: null }));
    assert.ok(r.setModes().includes('A:Primary'));
    assert.equal(r.primary(), 'A');

    const r2 = setup();
    r2.clear();
    r2.up('h2', report('B', { pid: 555, mode: 'Backup', readiness: empty }));
    assert.deepEqual(r2.setModes(), ['A:Primary']);
    assert.equal(r2.primary(), 'A');
  });

  test('a synchronized backup as the chosen primary is never held; stateGraceMs 0 turns the rule off', () => {
    const r = new Rig();
    r.start();
    r.obey();
    r.down('h1'); // A, the primary, lost: B (synced) is promoted at once, A unknown
    assert.ok(r.setModes().includes('B:Primary'));
    const off = new Rig({ stateGraceMs: 0 });
    off.start();
    off.obey();
    off.down('h2');
    off.exit('A');
    off.clear();
    off.report('A', { process: 'running', pid: 77, status: 'Running', mode: 'Backup', readiness: empty });
    assert.deepEqual(off.setModes(), ['A:Primary']);
  });
});

describe('manual switchover', () => {
  function running(over: Partial<PairControllerOptions> = {}): Rig {
    const r = new Rig(over);
    r.start();
    r.obey();
    r.clear();
    r.events = [];
    return r;
  }

  test('primary to Backup first; the backup to Primary when the old one reports Backup', () => {
    const r = running();
    const a = r.c.requestSwitchover({ whenReady: false }, r.now);
    r.feed(a);
    assert.equal(a.accepted, true);
    assert.deepEqual(r.setModes(), ['A:Backup']);
    r.clear();
    r.advance(300);
    assert.deepEqual(r.setModes(), []);
    r.mode('A', 'Backup');
    assert.deepEqual(r.setModes(), ['B:Primary']);
    assert.equal(r.c.view().transition?.step, 'confirming');
    r.mode('B', 'Primary');
    assert.equal(r.c.view().transition, null);
    assert.equal(r.primary(), 'B');
    const ids = r.eventIds();
    assert.ok(ids.includes('10-20008') && ids.includes('10-62008'));
    assert.ok(!ids.includes('10-20009'), 'both were ready: no double failure');
  });

  test('after 10 s without the old primary confirming, the backup is promoted', () => {
    const r = running();
    r.feed(r.c.requestSwitchover({ whenReady: false }, r.now));
    r.clear();
    r.runFor(10_000);
    assert.deepEqual(r.setModes(), ['B:Primary']);
  });

  test('refusals: in progress, backup not Running, no primary', () => {
    const r = running();
    r.feed(r.c.requestSwitchover({ whenReady: false }, r.now));
    const again = r.c.requestSwitchover({ whenReady: false }, r.now);
    assert.equal(again.accepted, false);
    assert.equal(!again.accepted && again.refusal, 'in-progress');

    const r2 = running();
    r2.status('B', 'ServiceUnavailable');
    const no = r2.c.requestSwitchover({ whenReady: false }, r2.now);
    assert.equal(!no.accepted && no.refusal, 'backup-not-running');
    assert.match(!no.accepted ? no.reason : '', /B is not Running/);

    const r3 = new Rig();
    const none = r3.c.requestSwitchover({ whenReady: false }, r3.now);
    assert.equal(!none.accepted && none.refusal, 'no-primary');
  });

  test('the backup failing during the demotion: the switchover is abandoned and the old primary restored', () => {
    const r = running();
    r.feed(r.c.requestSwitchover({ whenReady: false }, r.now));
    r.status('B', 'ServiceUnavailable');
    r.clear();
    r.mode('A', 'Backup');
    assert.deepEqual(r.setModes(), ['A:Primary']);
    assert.equal(r.primary(), 'A');
    assert.ok(r.eventIds().includes('10-62004'));
  });

  test('whenReady: waits (and says so) until both report readyForSwitchover 1', () => {
    const r = running();
    r.report('A', { readiness: notReady });
    const a = r.c.requestSwitchover({ whenReady: true }, r.now);
    r.feed(a);
    assert.ok(a.accepted && a.waitingForReadiness);
    assert.ok(r.eventIds().includes('10-62003'));
    r.runFor(60_000);
    assert.deepEqual(r.setModes(), []);
    assert.equal(r.c.view().transition?.step, 'waiting-ready');
    assert.equal(r.c.view().safeToSwitchOver.safe, false);
    r.report('A', { readiness: ready });
    assert.deepEqual(r.setModes(), ['A:Backup']);
    r.obey();
    assert.equal(r.primary(), 'B');
    assert.ok(!r.eventIds().includes('10-20009'));
  });

  test('whenReady can be cancelled while waiting; a failover supersedes it', () => {
    const r = running();
    r.report('B', { readiness: notReady });
    r.feed(r.c.requestSwitchover({ whenReady: true }, r.now));
    const c = r.c.cancelSwitchover(r.now);
    assert.equal(c.accepted, true);
    assert.equal(r.c.view().transition, null);
    const c2 = r.c.cancelSwitchover(r.now);
    assert.equal(!c2.accepted && c2.refusal, 'nothing-to-cancel');

    r.feed(r.c.requestSwitchover({ whenReady: true }, r.now));
    r.exit('A');
    assert.equal(r.c.view().transition?.kind, 'failover');
    assert.equal(r.primary(), 'B');
  });
});

describe('double failure (seed 004)', () => {
  test('a switchover while the backup reports readiness 0 is logged with the calls pending sync', () => {
    const r = new Rig();
    r.start();
    r.obey();
    r.report('B', { readiness: notReady });
    r.feed(r.c.requestSwitchover({ whenReady: false }, r.now));
    const df = r.events.find((e) => e.id === '10-20009');
    assert.ok(df && df.id === '10-20009');
    assert.equal(df.params.pair, 'PAIR');
    assert.equal(df.params.calls, 42);
  });

  test("a failover judged on the dead primary's last readiness", () => {
    const r = new Rig();
    r.start();
    r.obey();
    r.report('A', { readiness: notReady });
    r.events = [];
    r.exit('A');
    assert.ok(r.eventIds().includes('10-20009'));

    const ok = new Rig();
    ok.start();
    ok.obey();
    ok.events = [];
    ok.exit('A');
    assert.ok(!ok.eventIds().includes('10-20009'));
  });

  test('warm standby synchronizes nothing: no double failure', () => {
    const r = new Rig({ redundancyType: 'warm-standby' });
    r.start();
    r.obey();
    r.report('A', { readiness: notReady });
    r.exit('A');
    assert.ok(!r.eventIds().includes('10-20009'));
    assert.equal(r.primary(), 'B');
  });
});

describe('flip detection (haflip-detect-timeout)', () => {
  function flips(gapMs: number, windowMs: number): number {
    const server = (app: string, host: string) => ({
      app,
      host,
      disconnectSwitchoverTimeoutMs: 0,
      haflipDetectTimeoutMs: windowMs,
    });
    const r = new Rig({ primary: server('A', 'h1'), backup: server('B', 'h2') });
    r.start();
    r.obey();
    r.feed(r.c.requestSwitchover({ whenReady: false }, r.now));
    r.obey();
    r.advance(gapMs);
    r.feed(r.c.requestSwitchover({ whenReady: false }, r.now));
    r.obey();
    assert.equal(r.primary(), 'A');
    return r.eventIds().filter((id) => id === '10-20010').length;
  }

  test('two role changes within the timeout: one flip event', () => assert.equal(flips(3000, 10_000), 1));
  test('two role changes further apart: none', () => assert.equal(flips(10_001, 10_000), 0));
  test('timeout 0 turns detection off', () => assert.equal(flips(0, 0), 0));

  test('the flip event names the server and the window', () => {
    const r = new Rig();
    r.start();
    r.obey();
    r.exit('A');
    r.obey();
    r.report('A', { process: 'running', pid: 5, status: 'Running', mode: 'Backup', readiness: ready });
    r.status('B', 'ServiceUnavailable');
    r.obey();
    const flip = r.events.find((e) => e.id === '10-20010');
    assert.ok(flip && flip.id === '10-20010');
    assert.deepEqual(flip.params, { app: 'A', count: 2, seconds: 10 });
  });
});

describe('split brain', () => {
  test('both report Primary: the one that is not chosen is demoted at once, then stopped if it stays', () => {
    const r = new Rig();
    r.start();
    r.obey();
    r.clear();
    r.mode('B', 'Primary');
    assert.deepEqual(r.setModes(), ['B:Backup']);
    assert.ok(r.eventIds().includes('10-62005'));
    assert.equal(r.primary(), 'A');
    r.clear();
    r.runFor(10_000);
    assert.ok(r.commands.some((c) => c.type === 'stop-app' && c.app === 'B'));
    // It dies and is restarted as Backup.
    r.clear();
    r.exit('B', 'code 0');
    assert.ok(r.commands.some((c) => c.type === 'start-app' && c.app === 'B' && c.mode === 'Backup'));
  });

  test('a restarted SCS finding both Primary keeps the configured primary', () => {
    const r = new Rig();
    r.start('Primary', 'Primary');
    assert.equal(r.primary(), 'A');
    assert.deepEqual(r.setModes(), ['B:Backup']);
  });

  test('the chosen primary is not told Primary while the other still claims it', () => {
    const r = new Rig();
    r.up('h2', report('B', { mode: 'Primary' }));
    r.up('h1', report('A', { mode: 'Primary' }));
    assert.equal(r.primary(), 'B');
    assert.deepEqual(r.setModes(), ['A:Backup']);
  });
});

describe('restarts', () => {
  test('delays between a quick death and its restart', () => {
    const r = new Rig();
    r.start();
    r.obey();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      r.clear();
      const diedAt = r.now;
      r.exit('B', 'code 1');
      let at = r.commands.some((c) => c.type === 'start-app') ? r.now : null;
      while (at === null) {
        assert.ok(r.wakeAt !== null);
        r.advance(r.wakeAt - r.now);
        if (r.commands.some((c) => c.type === 'start-app')) at = r.now;
      }
      delays.push(at - diedAt);
      r.report('B', { process: 'running', pid: 2000 + i, status: 'Running', mode: 'Backup' });
      r.advance(100);
    }
    assert.deepEqual(delays, [0, 1000, 2000, 4000, 8000, 16_000]);
  });
});

describe('invariants on random input (seeded)', () => {
  test('never two Primary commands outstanding, never Primary to a server that is not Running', () => {
    let primaryCommands = 0;
    let failovers = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = new SeededRandom(seed);
      const r = new Rig({
        primary: { app: 'A', host: 'h1', disconnectSwitchoverTimeoutMs: 2000, haflipDetectTimeoutMs: 10_000 },
      });
      const statuses: AppStatus[] = ['Running', 'Running', 'Running', 'ServiceUnavailable', 'Initializing'];
      const state = new Map<string, AppReport>([
        ['A', report('A')],
        ['B', report('B')],
      ]);
      const lca = new Map([
        ['h1', false],
        ['h2', false],
      ]);
      for (let step = 0; step < 200; step++) {
        const app = rnd.int(2) === 0 ? 'A' : 'B';
        const host = hostOf[app]!;
        const before = r.commands.length;
        switch (rnd.int(8)) {
          case 0:
            if (lca.get(host)) {
              r.down(host);
              lca.set(host, false);
            } else {
              r.up(host, state.get(app)!);
              lca.set(host, true);
            }
            break;
          case 1: {
            const s = { ...state.get(app)!, status: statuses[rnd.int(statuses.length)]! };
            state.set(app, s);
            if (lca.get(host)) r.report(app, s);
            break;
          }
          case 2: {
            const s: AppReport = {
              ...state.get(app)!,
              process: 'exited',
              pid: null,
              status: null,
              mode: null,
            };
            state.set(app, s);
            if (lca.get(host)) r.report(app, s);
            break;
          }
          case 3:
          case 4: {
            // The servers obey one pending command (possibly late, possibly out of turn).
            const pending = r.commands.filter((c) => c.type !== 'stop-app');
            const c = pending[rnd.int(Math.max(1, pending.length))];
            if (c && lca.get(c.host)) {
              const cur = state.get(c.app)!;
              const s: AppReport =
                c.type === 'start-app'
                  ? { ...cur, process: 'running', pid: rnd.int(1e6), status: 'Running', mode: c.mode }
                  : c.type === 'set-mode' && cur.process === 'running'
                    ? { ...cur, mode: c.mode }
                    : cur;
              state.set(c.app, s);
              r.report(c.app, s);
            }
            break;
          }
          case 5:
            r.feed(r.c.requestSwitchover({ whenReady: rnd.int(2) === 0 }, r.now));
            break;
          case 6:
            r.feed(r.c.logEvent(app, '00-04200', r.now));
            break;
          default:
            r.advance(rnd.int(4000));
        }
        // Every Primary command just issued went to a server that is Running and reachable.
        for (const c of r.commands.slice(before)) {
          if (c.type !== 'set-mode' || c.mode !== 'Primary') continue;
          const s = state.get(c.app)!;
          assert.ok(lca.get(c.host), `seed ${seed} step ${step}: Primary to ${c.app} with its LCA down`);
          assert.equal(s.status, 'Running', `seed ${seed} step ${step}: Primary to ${c.app} (${s.status})`);
          assert.equal(s.process, 'running');
          primaryCommands++;
        }
        if (r.commands.length > 500) r.clear();
      }
      failovers += r.events.filter((e) => e.id === '10-20008').length;
    }
    // The input reaches the interesting states: not a vacuous pass.
    assert.ok(primaryCommands > 1000, `${primaryCommands} Primary commands`);
    assert.ok(failovers > 500, `${failovers} switchovers and failovers`);
  });
});
