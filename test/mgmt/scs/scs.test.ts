/**
 * The SCS on the simulated network (SPEC S4.5): real authenticated links to fake LCAs that play their servers.
 * Start assignment, failover on a process death and on a lost host, reconnection to an LCA, the manual
 * switchover sequence, bad input from an LCA, a wrong secret, and determinism.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rawEnvironment, type ScsRig, scsRig } from './harness.ts';

/** How many times the loss of a host's LCA was logged. */
function lost(r: ScsRig, host: string): number {
  return r.events('10-60002').filter((l) => l.msg.startsWith(`LCA of host ${host} `)).length;
}

/** Runs until both servers are up and SIP_A is Primary. */
function steady(r: ScsRig): void {
  const ok = r.sim.runUntil(() => r.mode('SIP_A') === 'Primary' && r.mode('SIP_B') === 'Backup', {
    timeoutMs: 20_000,
  });
  assert.ok(ok, `pair not up: ${JSON.stringify(r.scs.status().pairs[0])}`);
}

describe('Scs on the simulator', () => {
  test('start: both servers started as Backup, the configured primary made Primary', () => {
    const r = scsRig();
    steady(r);
    const a = r.lcas.h1!;
    const b = r.lcas.h2!;
    assert.deepEqual(a.commands('start-app'), [{ type: 'start-app', app: 'SIP_A', mode: 'Backup' }]);
    assert.deepEqual(b.commands('start-app'), [{ type: 'start-app', app: 'SIP_B', mode: 'Backup' }]);
    assert.deepEqual(
      a.commands('set-mode').map((c) => (c.type === 'set-mode' ? c.mode : '')),
      ['Primary'],
    );
    const st = r.scs.status();
    assert.equal(st.pairs[0]!.primary, 'SIP_A');
    assert.deepEqual(
      st.hosts.map((h) => [h.host, h.lcaConnected]),
      [
        ['h1', true],
        ['h2', true],
        ['hs', false],
      ],
    );
    assert.equal(r.events('10-60001').length, 2);
    assert.ok(st.events.some((e) => e.id === '10-62001' && e.text.includes('SIP_A is the primary')));
    assert.equal(st.readOnly, false);
  });

  test('the primary process dies: the backup is Primary within one link delay, the dead one restarted', () => {
    const r = scsRig();
    steady(r);
    const killedAt = r.sim.now;
    r.lcas.h1!.kill('SIP_A');
    assert.ok(r.sim.runUntil(() => r.mode('SIP_B') === 'Primary', { timeoutMs: 5000 }));
    const takeover = r.sim.now - killedAt;
    assert.ok(takeover < 500, `takeover took ${takeover} ms of virtual time`);
    assert.ok(r.sim.runUntil(() => r.mode('SIP_A') === 'Backup', { timeoutMs: 5000 }));
    const sw = r.events('10-20008');
    assert.equal(sw.length, 1);
    assert.match(sw[0]!.msg, /failover from SIP_A to SIP_B: SIP_A process exited/);
    r.sim.runFor(30_000);
    assert.equal(r.mode('SIP_B'), 'Primary');
    assert.equal(r.mode('SIP_A'), 'Backup');
  });

  test('a host that vanishes (partition): ADDP finds it, failover at once with disconnect-switchover-timeout 0', () => {
    const r = scsRig();
    steady(r);
    const cutAt = r.sim.now;
    r.sim.network.partition(['10.0.0.1'], ['10.0.0.9', '10.0.0.2']);
    assert.ok(r.sim.runUntil(() => r.mode('SIP_B') === 'Primary', { timeoutMs: 20_000 }));
    const took = r.sim.now - cutAt;
    assert.ok(took >= 2000 && took <= 5000, `detected after ${took} ms (ADDP 2 s)`);
    assert.equal(lost(r, 'h1'), 1);
    // The partition heals: the old primary is still Primary on its side and is demoted at once.
    r.sim.network.heal();
    assert.ok(r.sim.runUntil(() => r.mode('SIP_A') === 'Backup', { timeoutMs: 10_000 }));
    assert.equal(r.mode('SIP_B'), 'Primary');
  });

  test('disconnect-switchover-timeout: a host back within it causes no failover', () => {
    const raw = rawEnvironment();
    raw.applications.SIP_A.options.TServer['disconnect-switchover-timeout'] = 30;
    const r = scsRig({ raw });
    steady(r);
    r.lcas.h1!.node.crash();
    r.sim.runFor(5000);
    assert.equal(r.scs.status().pairs[0]!.primary, 'SIP_A');
    assert.equal(r.scs.status().hosts[0]!.lcaConnected, false);
    // The LCA restarts (its servers survived it) and reports SIP_A still Primary: nothing changes.
    const lca = r.lcas.h1!;
    lca.restartNode();
    assert.ok(r.sim.runUntil(() => r.scs.status().hosts[0]!.lcaConnected, { timeoutMs: 3000 }));
    r.sim.runFor(60_000);
    assert.equal(r.scs.status().pairs[0]!.primary, 'SIP_A');
    assert.equal(r.events('10-20008').length, 0);
    // Lost once, not once per reconnection attempt.
    assert.equal(lost(r, 'h1'), 1);
  });

  test('disconnect-switchover-timeout: failover when the host stays away longer', () => {
    const raw = rawEnvironment();
    raw.applications.SIP_A.options.TServer['disconnect-switchover-timeout'] = 10;
    const r = scsRig({ raw });
    steady(r);
    r.lcas.h1!.node.crash();
    const lostAt = r.sim.now;
    assert.ok(r.sim.runUntil(() => r.mode('SIP_B') === 'Primary', { timeoutMs: 20_000 }));
    const took = r.sim.now - lostAt;
    assert.ok(took >= 10_000 && took < 11_000, `failover after ${took} ms`);
  });

  test('an LCA that is down at start is reached as soon as it listens (1 s retries)', () => {
    const r = scsRig();
    const lca = r.lcas.h2!;
    lca.listener!.close();
    r.sim.runFor(10_000);
    assert.equal(r.scs.status().hosts[1]!.lcaConnected, false);
    assert.match(r.scs.status().hosts[1]!.lastError ?? '', /ECONNREFUSED/);
    const attempts = r.sim.log.filter((l) => / connect 10\.0\.0\.9:\d+ > 10\.0\.0\.2:4999/.test(l)).length;
    assert.ok(attempts >= 9 && attempts <= 11, `${attempts} attempts in 10 s`);
    assert.equal(lost(r, 'h2'), 1, 'an unreachable LCA is logged once, not once per attempt');
    lca.listen();
    const t = r.sim.now;
    assert.ok(r.sim.runUntil(() => r.scs.status().hosts[1]!.lcaConnected, { timeoutMs: 3000 }));
    assert.ok(r.sim.now - t <= 1100);
    // The backup alone was not Running at the assignment: SIP_A got Primary, SIP_B comes up as Backup.
    assert.ok(r.sim.runUntil(() => r.mode('SIP_B') === 'Backup', { timeoutMs: 5000 }));
    assert.equal(r.mode('SIP_A'), 'Primary');
  });

  test('manual switchover: old primary to Backup first, then the backup to Primary', () => {
    const r = scsRig();
    steady(r);
    const res = r.scs.requestSwitchover('PAIR', { whenReady: false }, 'test');
    assert.deepEqual(res, { ok: true, pair: 'PAIR', from: 'SIP_A', to: 'SIP_B', waitingForReadiness: false });
    assert.ok(r.sim.runUntil(() => r.mode('SIP_B') === 'Primary', { timeoutMs: 5000 }));
    const at = (re: RegExp, from = 0) => r.sim.log.findIndex((l, i) => i >= from && re.test(l));
    const demoteSent = at(/h1 got set-mode SIP_A Backup/);
    const demoted = at(/h1 report SIP_A running Running Backup/, demoteSent);
    const promoteSent = at(/h2 got set-mode SIP_B Primary/);
    assert.ok(demoteSent >= 0 && demoted > demoteSent, 'SIP_A told Backup, then reports it');
    assert.ok(promoteSent > demoted, 'SIP_B told Primary only after SIP_A reported Backup');
    r.sim.runFor(1000);
    assert.equal(r.scs.status().pairs[0]!.transition, null);
    assert.equal(r.events('10-62008').length, 1);
    assert.equal(r.events('10-60007').length, 1);

    const again = r.scs.requestSwitchover('NOPE', { whenReady: false }, 'test');
    assert.equal(again.ok, false);
    assert.equal(!again.ok && again.code, 'unknown-pair');
    assert.match(!again.ok ? again.reason : '', /pairs: PAIR/);
  });

  test('a switchover while the backup is not ready is a double failure', () => {
    const r = scsRig();
    steady(r);
    r.lcas.h2!.update('SIP_B', {
      readiness: {
        haLink: 'established',
        callsPendingSync: 17,
        readyForSwitchover: 0,
        readyForUpgrade: 1,
        calls: 20,
      },
    });
    r.sim.runFor(100);
    assert.equal(r.scs.status().pairs[0]!.safeToSwitchOver.safe, false);
    r.scs.requestSwitchover('PAIR', { whenReady: false }, 'test');
    const df = r.events('10-20009');
    assert.equal(df.length, 1);
    assert.match(df[0]!.msg, /17 calls not yet synchronized are released/);
  });

  test('bad input from an LCA is logged and changes nothing', () => {
    const r = scsRig();
    steady(r);
    const lca = r.lcas.h1!;
    lca.sendRaw({ type: 'app', report: { app: 'SIP_A', process: 'dancing' } });
    lca.sendRaw({ type: 'nonsense' });
    lca.sendRaw({ type: 'app', report: { app: 'SIP_B', process: 'exited', pid: null } }); // not a server of h1
    r.sim.runFor(1000);
    assert.equal(r.events('10-62013').length, 3);
    assert.equal(r.mode('SIP_A'), 'Primary');
    assert.equal(r.scs.status().pairs[0]!.primary, 'SIP_A');
  });

  test('an LCA with the wrong secret is never believed', () => {
    const r = scsRig({ lcaSecret: 'not-the-secret-at-all-xx' });
    r.sim.runFor(10_000);
    assert.ok(r.scs.status().hosts.every((h) => !h.lcaConnected));
    assert.equal(r.scs.status().pairs[0]!.primary, null);
    assert.equal(r.lcas.h1!.received.length, 0);
    assert.match(r.scs.status().hosts[0]!.lastError ?? '', /./);
  });

  test('stop() closes the links and timers', () => {
    const r = scsRig();
    steady(r);
    r.scs.stop('test over');
    r.sim.runFor(5000);
    assert.ok(!r.lcas.h1!.connected && !r.lcas.h2!.connected);
    assert.equal(r.events('10-62012').length, 1);
  });

  test('same seed, same run', () => {
    const run = (): string[] => {
      const r = scsRig({ seed: 42 });
      steady(r);
      r.lcas.h1!.kill('SIP_A');
      r.sim.runFor(20_000);
      r.scs.requestSwitchover('PAIR', { whenReady: false }, 'test');
      r.sim.runFor(20_000);
      return [...r.sim.log, ...r.lines.map((l) => l.msg)];
    };
    assert.deepEqual(run(), run());
  });
});
