/**
 * The replicated store (DESIGN §2): a busy run of a real SipServer on the simulator — registrations, calls
 * answered and hung up, busy and unanswered calls, a Routing Point call, expiring contacts — records every
 * committed record as JSON; replaying that stream onto an empty store rebuilds the identical state, at every
 * point of the run (with calls ringing and established) and at its end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { StoreRecord } from '../../src/model/store/records.ts';
import { Store } from '../../src/model/store/store.ts';
import { Simulator } from '../../src/runtime/sim/simulator.ts';
import { SipServer } from '../../src/server/sip-server.ts';
import { SimPhone } from './phone.ts';

const CONFIG = `
hosts: { h: { address: 192.0.2.1 } }
applications:
  S:
    type: sip-server
    host: h
    options:
      TServer: { sip-port: 5060, http-port: 8080, no-answer-timeout: 4 }
dns:
  "1001": { type: Extension }
  "1002": { type: Extension }
  "1003": { type: Extension }
  "1004": { type: Extension }
  "1005": { type: Extension }
  "5000": { type: Routing Point, options: { default-dn: "1002", router-timeout: 3 } }
`;

test('replaying the record stream of a busy run rebuilds the identical state, at every checkpoint', () => {
  const loaded = loadConfig(CONFIG, 'replay.yaml');
  assert.ok(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.errors));
  const sim = new Simulator({ seed: 2024 });
  sim.network.setDefaultFaults({ loss: 0.05, delayMs: [1, 20] });
  const serverNode = sim.addNode('server', ['192.0.2.1']);
  const server = new SipServer({
    clock: serverNode.clock,
    random: serverNode.random,
    net: serverNode.net,
    config: loaded.config,
    app: 'S',
    logger: createLogger({ app: 'S', level: 'none', destination: { write() {} } }),
  });
  const stream: string[] = [];
  server.store.onRecord((r: StoreRecord) => stream.push(JSON.stringify(r)));
  server.start((err) => assert.equal(err, undefined));

  const target = { transport: 'UDP' as const, host: '192.0.2.1', port: 5060 };
  const phones = ['1001', '1002', '1003', '1004'].map(
    (dn, i) =>
      new SimPhone(sim.addNode(dn, [`192.0.2.${11 + i}`]), dn, target, { answerAfterMs: 300 + 100 * i }),
  );
  const busy = new SimPhone(sim.addNode('1005', ['192.0.2.15']), '1005', target, { rejectWith: 486 });
  sim.runFor(10);
  for (const p of [...phones, busy]) p.register(p.dn === '1004' ? 60 : 300);
  sim.runFor(2000);

  const checkpoints: number[] = [];
  const check = (): void => {
    const replayed = Store.replay(stream.map((line) => JSON.parse(line) as StoreRecord));
    assert.deepEqual(replayed.snapshot(), server.store.snapshot(), `diverged at record ${stream.length}`);
    checkpoints.push(server.store.callCount);
  };
  // Forty calls over a minute, between every pair of phones, to the busy phone, to the Routing Point.
  for (let i = 0; i < 40; i++) {
    const from = phones[i % phones.length]!;
    const to = i % 10 === 9 ? '5000' : i % 7 === 6 ? '1005' : phones[(i + 1 + (i % 3)) % phones.length]!.dn;
    sim.clock.setTimer(i * 1500, () => from.call(to, 2000 + (i % 5) * 700));
    sim.clock.setTimer(i * 1500 + 1200, check);
  }
  sim.runFor(75_000);
  check();

  const results = phones.flatMap((p) => p.results);
  assert.ok(results.filter((r) => r.outcome === 'completed').length >= 25, JSON.stringify(results));
  assert.ok(
    results.some((r) => r.outcome === 'failed-486'),
    'a busy call',
  );
  assert.ok(
    checkpoints.some((n) => n >= 2),
    `checkpoints saw calls in progress: ${checkpoints}`,
  );
  assert.ok(
    stream.some((r) => r.includes('"ContactRemoved"')),
    'a contact expired during the run',
  );
  assert.ok(stream.length > 300, `a busy run: ${stream.length} records`);
  assert.equal(server.store.callCount, 0, 'every call ended');
  server.stop();
});
