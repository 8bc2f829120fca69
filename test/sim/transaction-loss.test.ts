/**
 * Simulation ring (DESIGN §6): a UAC and the sip/ UAS on the simulated network with 30% packet loss in both
 * directions. Retransmissions (timers A/E on the client, the UAS core's 2xx retransmission, the server
 * transactions' absorption) carry every transaction to completion; and a seed is a replayable run: the same
 * seed gives the identical event log twice.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Simulator } from '../../src/runtime/sim/simulator.ts';
import { SipTransport } from '../../src/sip/transport/transport.ts';
import { SimpleUas } from '../../src/sip/ua/uas.ts';
import { TestUac } from './uac.ts';

interface RunResult {
  log: string[];
  results: TestUac['results'];
  dropped: number;
  uasEvents: string[];
}

function runScenario(seed: number, transport: 'UDP' | 'TCP' = 'UDP'): RunResult {
  const sim = new Simulator({ seed });
  sim.network.setDefaultFaults({ loss: 0.3, delayMs: [5, 40] });
  const uasNode = sim.addNode('uas', ['192.0.2.10']);
  const uacNode = sim.addNode('uac', ['192.0.2.20']);
  const uasEvents: string[] = [];

  let uas: SimpleUas | undefined;
  const uasTransport = new SipTransport({
    net: uasNode.net,
    clock: uasNode.clock,
    host: '192.0.2.10',
    port: 5060,
    protocols: [transport],
    onMessage: (msg, inbound) => uas?.layer.receive(msg, inbound),
  });
  uasTransport.listen((err) => assert.equal(err, undefined));
  uas = new SimpleUas({
    clock: uasNode.clock,
    random: uasNode.random,
    sender: uasTransport,
    contact: 'sip:uas@192.0.2.10:5060',
    answerAfterMs: 300,
    onEvent: (e) => {
      uasEvents.push(`${e.kind} ${e.callId}`);
      sim.record(`uas ${e.kind} ${e.callId}`);
    },
  });

  let uac: TestUac | undefined;
  const uacTransport = new SipTransport({
    net: uacNode.net,
    clock: uacNode.clock,
    host: '192.0.2.20',
    port: 5060,
    protocols: [transport],
    onMessage: (msg, inbound) => uac?.layer.receive(msg, inbound),
  });
  uacTransport.listen((err) => assert.equal(err, undefined));
  uac = new TestUac(
    uacNode.clock,
    uacNode.random,
    uacTransport,
    { host: '192.0.2.20', port: 5060 },
    { transport, host: '192.0.2.10', port: 5060 },
    (line) => sim.record(`uac ${line}`),
  );

  sim.run({ until: sim.now + 10 });
  for (let i = 0; i < 5; i++) {
    sim.clock.setTimer(i * 1000, () => uac?.options());
    sim.clock.setTimer(i * 1000 + 500, () => uac?.call(2000));
  }
  const finished = sim.runUntil(() => (uac?.results.length ?? 0) === 10, { timeoutMs: 120_000 });
  assert.ok(finished, `seed ${seed}: only ${uac.results.length} of 10 attempts ended`);
  // Let the late retransmissions and timers (J, K, L) drain so the log covers the whole run.
  sim.runFor(40_000);
  return { log: [...sim.log], results: uac.results, dropped: sim.network.stats.dropped, uasEvents };
}

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: with 30% loss every OPTIONS and every INVITE dialog completes`, () => {
    const r = runScenario(seed);
    const failed = r.results.filter((x) => x.outcome !== 'ok');
    assert.deepEqual(failed, [], `seed ${seed}: ${JSON.stringify(failed)}`);
    assert.equal(r.results.filter((x) => x.kind === 'call').length, 5);
    // Every loss was made good by a retransmission, since every attempt still ended well.
    assert.ok(r.dropped > 10, `the network really lost packets (${r.dropped})`);
    assert.equal(r.uasEvents.filter((e) => e.startsWith('bye')).length, 5);
  });
}

test('the same seed gives the identical event log; another seed does not', () => {
  const a = runScenario(7);
  const b = runScenario(7);
  assert.ok(a.log.length > 100);
  assert.deepEqual(a.log, b.log);
  const c = runScenario(8);
  assert.notDeepEqual(a.log, c.log);
});

test('over simulated TCP (reliable, split and coalesced segments) the same scenario completes', () => {
  const r = runScenario(4, 'TCP');
  assert.deepEqual(
    r.results.filter((x) => x.outcome !== 'ok'),
    [],
  );
});
