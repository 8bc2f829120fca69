/**
 * The whole HA system in the simulator (SPEC S8.2, S8.3, S10.1): SCS, two LCAs, both SIP Servers and busy
 * phones, with faults drawn from the seed, and the invariants of test/sim/world/world.ts. More seeds:
 * `npm run sim -- --seeds 1000`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Contact } from '../../src/model/contact.ts';
import { phoneAddress, VIP } from './world/config.ts';
import {
  describeFault,
  FAULT_KINDS,
  type FaultKind,
  replayCommand,
  runWorld,
  type World,
  type WorldResult,
} from './world/world.ts';

const SEEDS = 30;

/** The fault kinds every seed of `npm test` draws from: all of them. */
const GATING_KINDS: readonly FaultKind[] = FAULT_KINDS;

function explain(r: WorldResult, kinds?: readonly FaultKind[]): string {
  const kindsArg = kinds ? ` --kinds ${kinds.join(',')}` : '';
  return (
    `seed ${r.seed} failed; faults: ${r.faults.map(describeFault).join(', ') || 'none'}\n` +
    `${r.violations.join('\n')}\nreplay: ${replayCommand(r.seed)}${kindsArg}`
  );
}

test(`HA world: ${SEEDS} seeds of crashes, HA-link partitions, SCS loss and SIP loss keep every invariant`, () => {
  let failovers = 0;
  let throughFailover = 0;
  let snapshots = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = runWorld({ seed, kinds: GATING_KINDS });
    assert.ok(r.ok, explain(r, GATING_KINDS));
    failovers += r.stats.failovers;
    throughFailover += r.stats.callsThroughFailover;
    snapshots += r.stats.snapshotChecks;
    assert.ok(r.stats.callsCompleted > 0, `seed ${seed}: no call completed`);
  }
  // The run exercised what it claims to: takeovers with calls up, and store comparisons.
  assert.ok(failovers > SEEDS, `${failovers} role changes in ${SEEDS} seeds`);
  assert.ok(throughFailover > 10, `${throughFailover} calls went through a failover`);
  assert.ok(snapshots > SEEDS * 50, `${snapshots} store comparisons`);
});

test('a seed replays identically: same sim.log, same outcome', () => {
  const a = runWorld({ seed: 10, kinds: GATING_KINDS });
  const b = runWorld({ seed: 10, kinds: GATING_KINDS });
  assert.equal(a.logHash, b.logHash);
  assert.equal(a.log.length, b.log.length);
  assert.deepEqual(a.violations, b.violations);
  assert.deepEqual(a.stats, b.stats);
  assert.ok(a.stats.callsThroughFailover > 0, 'seed 10 kills the primary with calls up');
  const c = runWorld({ seed: 11, kinds: GATING_KINDS });
  assert.notEqual(c.logHash, a.logHash, 'another seed, another run');
});

// ---- the invariants catch what they claim to (each sabotage must be reported) ------------------------------

function at(world: World, ms: number, fn: () => void): void {
  world.sim.at(world.sim.startTime + ms, fn);
}

test('invariant 1 catches a second primary with its port open', () => {
  const r = runWorld({
    seed: 3,
    faults: [],
    onStart: (w) =>
      at(w, 20_000, () => {
        // A rogue promotion behind the SCS's back: the backup takes the VIP and opens the SIP port.
        const b = w.liveServers().find((s) => s.gate.role === 'Backup')!;
        w.vipUp(b.host);
        b.gate.set('Primary');
      }),
  });
  assert.equal(r.ok, false);
  assert.match(r.violations[0] ?? '', /\(1\) split brain/);
});

test('invariant 2 catches a backup whose store differs from the primary', () => {
  const r = runWorld({
    seed: 4,
    faults: [],
    onStart: (w) =>
      at(w, 20_000, () => {
        const b = w.liveServers().find((s) => s.gate.role === 'Backup')!;
        const now = w.sim.now;
        const rogue: Contact = {
          aor: '1001',
          uri: 'sip:rogue@192.0.2.99:5060',
          expiresAt: now + 300_000,
          callId: 'rogue',
          cseq: 1,
          q: 1,
          source: { transport: 'UDP', host: '192.0.2.99', port: 5060 },
          registeredAt: now,
        };
        b.server.store.applyReplicated({ type: 'ContactBound', contact: rogue });
      }),
  });
  assert.equal(r.ok, false);
  assert.match(r.violations[0] ?? '', /\(2\) backup SIP_B#\d+ \(synced\) differs/);
});

test('invariant 3 catches synced calls that do not end after a failover', () => {
  const r = runWorld({
    seed: 5,
    faults: [{ at: 15_000, kind: 'kill-primary', durationMs: 0 }],
    onStart: (w) =>
      at(w, 15_500, () => {
        // The phones lose the VIP for good just after the takeover: no BYE can go through.
        w.sim.network.partition(
          w.phones.map((_, i) => phoneAddress(i)),
          [VIP],
        );
      }),
  });
  assert.equal(r.ok, false);
  assert.ok(r.stats.callsThroughFailover > 0);
  assert.match(r.violations[0] ?? '', /\(3\) call \w+ .* was lost/);
});

// ---- management bugs found by `npm run sim`, fixed: each scenario replayed with its faults ------------------

/** Runs a world and collects the log events (ids) of its servers, LCAs and SCS. */
function runWithEvents(options: Parameters<typeof runWorld>[0]): {
  r: WorldResult;
  world: World;
  events: Array<{ app: string; event: string; msg: string }>;
} {
  const events: Array<{ app: string; event: string; msg: string }> = [];
  let world: World | undefined;
  const r = runWorld({
    ...options,
    onStart: (w) => {
      world = w;
      options.onStart?.(w);
    },
    onAppLog: (line) => {
      const j = JSON.parse(line) as { app: string; event?: string; msg: string };
      if (j.event) events.push({ app: j.app, event: j.event, msg: j.msg });
    },
  });
  return { r, world: world!, events };
}

test('losing the LCA of the primary host does not leave two primaries (seed 7)', () => {
  const kinds: FaultKind[] = ['crash-lca-primary'];
  const r = runWorld({ seed: 7, faults: [{ at: 13_000, kind: 'crash-lca-primary', durationMs: 1500 }] });
  assert.ok(r.ok, explain(r, kinds));
});

test('a restarted LCA does not start a second process of a server that still runs (seed 1286)', () => {
  // The backup host's LCA dies; its server lives on (an orphan) and re-registers with the next LCA, which
  // holds the SCS's start-app meanwhile. Then the primary dies: the orphan, synced, is promoted.
  // Seed 1 with these faults: the SCS reaches the new LCA before the orphan re-registers (the race of 1286).
  // The seed is picked for that race (the last assertion checks it happened): code that changes the order of
  // random draws may move the race to another seed.
  const { r, world, events } = runWithEvents({
    seed: 1,
    faults: [
      { at: 13_000, kind: 'crash-lca-backup', durationMs: 1200 },
      { at: 22_000, kind: 'kill-primary', durationMs: 0 },
    ],
  });
  assert.ok(r.ok, explain(r));
  const b = world.servers.filter((s) => s.app === 'SIP_B');
  assert.equal(b.length, 1, `SIP_B processes: ${b.map((s) => s.pid).join(', ')}`);
  const held = events.filter((e) => e.event === '10-61012' && e.app === 'LCA_B');
  assert.equal(held.length, 2, 'held at the first start and after the LCA restart');
  assert.ok(r.stats.callsThroughFailover > 0, 'calls went through the failover to the orphan');
});

test('a duplicate server that cannot bind its ha-port exits with an error', () => {
  // Force the duplicate: an LCA without the start hold, restarted while its server lives on.
  const { r, world } = runWithEvents({
    seed: 5,
    faults: [],
    onStart: (w) =>
      at(w, 12_000, () => {
        const b = w.liveServers().find((s) => s.app === 'SIP_B')!;
        // The server's LCA link drops for good at the LCA's crash: a second process of the app is started
        // by hand next to it, as a holdless LCA would.
        const dup = w.startDuplicate(b.host, 'SIP_B');
        w.sim.record(`test: duplicate ${dup.app}#${dup.pid}`);
      }),
  });
  const b = world.servers.filter((s) => s.app === 'SIP_B');
  assert.equal(b.length, 2);
  assert.equal(b[1]!.alive, false, 'the duplicate exited');
  assert.equal(b[0]!.alive, true, 'the original lives on');
  assert.ok(
    r.log.some((l) => l.includes(`SIP_B#${b[1]!.pid} dies`) && l.includes('cannot bind the HA port')),
    'it stopped because of the HA port',
  );
  assert.ok(r.ok, explain(r));
});

test('the primary dying while the backup host LCA is down does not lose the synced calls (seeds 43, 281)', () => {
  const { r, events } = runWithEvents({
    seed: 281,
    faults: [
      { at: 11_030, kind: 'crash-lca-backup', durationMs: 3092 },
      { at: 14_984, kind: 'kill-primary', durationMs: 0 },
    ],
  });
  assert.ok(r.ok, explain(r));
  assert.ok(r.stats.callsThroughFailover > 0);
  assert.ok(
    events.some((e) => e.event === '10-62014'),
    'Primary held from the restarted, empty server',
  );
  assert.ok(
    events.some((e) => e.event === '10-20008' && /came back holding the calls/.test(e.msg)),
    'the backup that holds the calls was promoted when it came back',
  );
});

test('two primaries after an HA partition and an LCA crash converge: the one cut from the SCS steps down (seed 113)', () => {
  const { r, events } = runWithEvents({
    seed: 113,
    faults: [
      { at: 20_769, kind: 'partition-ha', durationMs: 6917 },
      { at: 27_845, kind: 'crash-lca-primary', durationMs: 2978 },
    ],
  });
  assert.ok(r.ok, explain(r));
  const down = events.find((e) => e.event === '10-20017' && e.app === 'SIP_A');
  assert.match(down?.msg ?? '', /SIP_A steps down: SIP_A cannot reach the SCS/);
});

test('invariant 1 catches two primaries that do not converge once they can see each other', () => {
  // Sabotage: during an HA partition the primary's LCA dies and the SCS promotes the backup; the old primary
  // is made deaf to the probe (its HA node stopped), so nothing makes it step down after the heal.
  const r = runWorld({
    seed: 113,
    faults: [
      { at: 20_000, kind: 'partition-ha', durationMs: 4000 },
      { at: 21_000, kind: 'crash-lca-primary', durationMs: 30_000 },
    ],
    onStart: (w) =>
      at(w, 20_500, () => {
        const p = w.liveServers().find((s) => s.gate.role === 'Primary')!;
        p.ha.stop();
      }),
  });
  assert.equal(r.ok, false);
  assert.match(r.violations[0] ?? '', /\(1\) split brain for \d+ ms after the two could see each other/);
});
