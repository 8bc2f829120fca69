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
  type FaultKind,
  replayCommand,
  runWorld,
  type World,
  type WorldResult,
} from './world/world.ts';

const SEEDS = 30;

/**
 * The fault kinds every seed of `npm test` draws from. The LCA crashes are left to the todo tests below and to
 * `npm run sim`: they find two known problems of the management layer (see the todo tests).
 */
const GATING_KINDS: readonly FaultKind[] = [
  'kill-primary',
  'kill-backup',
  'partition-ha',
  'crash-scs',
  'sip-loss',
];

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

// ---- known problems found by `npm run sim` (reported to the lead; src/ is not this harness's to change) -----

test(
  'losing the LCA of the primary host does not leave two primaries (seed 7)',
  {
    todo:
      'S8.3: with disconnect-switchover-timeout 0 the SCS promotes the backup when the primary host LCA is lost, ' +
      'but the old primary is never told and stays Primary with its SIP port open until its LCA returns',
  },
  () => {
    const kinds: FaultKind[] = ['crash-lca-primary'];
    const r = runWorld({ seed: 7, faults: [{ at: 13_000, kind: 'crash-lca-primary', durationMs: 1500 }] });
    assert.ok(r.ok, explain(r, kinds));
  },
);

test(
  'a restarted LCA does not start a second process of a server that still runs (seed 1286)',
  {
    todo:
      'the new LCA reports the app not-started before the orphan server re-registers (it retries every 1 s); the ' +
      'SCS starts a duplicate, which registers first; the orphan keeps the ha-port, the pair never resyncs',
  },
  () => {
    const r = runWorld({ seed: 1286 });
    assert.ok(r.ok, explain(r));
  },
);

test(
  'the primary dying while the backup host LCA is down does not lose the synced calls (seed 1176)',
  {
    todo:
      'the SCS restarts the dead primary and gives it Primary back with an empty store while the synced backup ' +
      'is unknown (its LCA reconnecting); the backup then resyncs from it and its calls are swept',
  },
  () => {
    const r = runWorld({ seed: 1176 });
    assert.ok(r.ok, explain(r));
  },
);
