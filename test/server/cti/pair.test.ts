/**
 * The CTI server in the HA pair on the simulator (SPEC S3 "hot standby on the client side", S8.2): a client
 * connected to both servers; agent state made on the primary is synced to the backup; the backup sends no
 * call events; after the primary crashes and the backup is promoted, the client gets EventLinkConnected,
 * EventPrimaryChanged and the state of its DNs (agent still ready, the established call), and
 * RequestReleaseCall on the new primary ends the call.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import { startCtiService } from '../../../src/server/cti/service.ts';
import { CtiPhone } from '../../sim/cti-phone.ts';
import { buildPair, HOST_A, HOST_B, type PairMember, VIP } from '../../sim/pair.ts';
import { SimPhone } from '../../sim/phone.ts';
import { type LoggedEvent, RawClient, recordingLogger } from './harness.ts';

function cti(m: PairMember, config: () => import('../../../src/config/config.ts').Config) {
  const log: LoggedEvent[] = [];
  const service = startCtiService({
    net: m.node.net,
    clock: m.node.clock,
    config,
    app: m.app,
    logger: recordingLogger(m.app, log),
    store: m.server.store,
    gate: m.gate,
    calls: m.server.b2bua,
    isInService: (dn) => m.server.oos.isInService(dn),
    webSocket: false,
  });
  m.server.b2bua.onCallEvent((e) => service.server.onCallEvent(e));
  return { service, log };
}

test('pair: agent state synced, no events from the backup, promotion resends the DN state', () => {
  const sim = new Simulator({ seed: 7 });
  sim.network.setDefaultFaults({ delayMs: [1, 5] });
  const pair = buildPair(sim);
  // The clients and agents of this test (the pair's config has none).
  pair.config.applications.Desktop1 = { name: 'Desktop1', type: 'cti-client', password: 'pw' };
  pair.config.agents.agent1 = { loginId: 'agent1', password: undefined, name: undefined };
  pair.promote(pair.a);
  const ctiA = cti(pair.a, () => pair.config);
  const ctiB = cti(pair.b, () => pair.config);
  sim.runFor(3000);
  assert.equal(pair.b.ha.readiness().haLink, 'established');

  const desk = sim.addNode('desk', ['198.51.100.7']);
  const toA = new RawClient(desk, { host: HOST_A, port: 3000 });
  const toB = new RawClient(desk, { host: HOST_B, port: 3000 });
  for (const c of [toA, toB]) {
    c.request('RequestRegisterClient', { ApplicationName: 'Desktop1', Password: 'pw' });
    c.request('RequestRegisterAddress', { ThisDN: '1001' });
  }
  sim.runFor(100);
  assert.deepEqual(toA.names(), ['EventServerInfo', 'EventLinkConnected', 'EventRegistered']);
  const fromB = toB.take();
  assert.deepEqual(
    fromB.map((m) => m.message),
    ['EventServerInfo', 'EventRegistered'],
  );
  assert.equal(fromB[0]?.ServerRole, 'Backup');
  assert.equal(fromB[0]?.PeerName, 'SIP_A');

  // Agent requests go to the primary; the backup refuses them.
  toA.request('RequestAgentLogin', { ThisDN: '1001', AgentID: 'agent1' });
  toA.request('RequestAgentReady', { ThisDN: '1001' });
  const refused = toB.request('RequestAgentNotReady', { ThisDN: '1001' });
  sim.runFor(100);
  assert.deepEqual(toA.names(), ['EventAgentLogin', 'EventAgentReady']);
  assert.deepEqual(
    toB.take().map((m) => [m.message, m.ErrorCode, m.ReferenceID]),
    [['EventError', 53, refused]],
  );
  assert.deepEqual(pair.b.server.store.agent('agent1'), pair.a.server.store.agent('agent1'), 'synced');
  assert.equal(pair.b.server.store.agent('agent1')?.status, 'Ready');

  // A call to the agent's DN: the primary's client sees it; the backup sends nothing.
  const target = { transport: 'UDP' as const, host: VIP, port: 5060 };
  const agentPhone = new SimPhone(sim.addNode('1001', ['192.0.2.11']), '1001', target, {
    answerAfterMs: 200,
  });
  const caller = new SimPhone(sim.addNode('1002', ['192.0.2.12']), '1002', target);
  agentPhone.register();
  caller.register();
  sim.runFor(500);
  caller.call('1001', 600_000);
  sim.runFor(2000);
  const events = toA.take();
  assert.deepEqual(
    events.map((m) => m.message),
    ['EventRinging', 'EventEstablished'],
  );
  const connId = events[0]?.ConnID as string;
  assert.equal(events[1]?.ConnID, connId);
  assert.deepEqual(toB.take(), [], 'no call events from the backup');

  // The primary dies; the backup is promoted.
  pair.nodeA.crash();
  sim.runFor(500);
  assert.equal(toA.closed, true);
  pair.promote(pair.b);
  sim.runFor(100);
  const resent = toB.take();
  assert.deepEqual(
    resent.map((m) => [m.message, m.AgentID ?? m.ConnID ?? null]),
    [
      ['EventLinkConnected', null],
      ['EventPrimaryChanged', null],
      ['EventAgentLogin', 'agent1'],
      ['EventAgentReady', 'agent1'],
      ['EventEstablished', connId],
    ],
  );
  assert.deepEqual(resent[1], {
    message: 'EventPrimaryChanged',
    ServerName: 'SIP_B',
    PreviousPrimary: 'SIP_A',
  });
  assert.ok(resent.every((m) => m.ReferenceID === undefined));

  // The new primary acts: the agent is still ready there, and ReleaseCall ends the call.
  const q = toB.request('RequestQueryAddress', { ThisDN: '1001' });
  sim.runFor(100);
  const info = toB.take()[0];
  assert.equal(info?.ReferenceID, q);
  assert.deepEqual(info?.Agent, { AgentID: 'agent1', Status: 'Ready', AgentWorkMode: 'ManualIn' });
  const rel = toB.request('RequestReleaseCall', { ThisDN: '1001', ConnID: connId });
  sim.runFor(3000);
  const released = toB.take();
  assert.deepEqual(
    released.map((m) => [m.message, m.ConnID, m.ReferenceID ?? null]),
    [['EventReleased', connId, rel]],
  );
  assert.equal(pair.b.server.store.callCount, 0);
  assert.equal(agentPhone.uas.activeSessions, 0, "the agent's phone got its BYE");
  assert.ok(ctiA.log.some((e) => e.event === '10-70004' && e.params.status === 'Ready'));
  assert.ok(ctiB.log.some((e) => e.event === '10-70001'));
  assert.ok(!ctiB.log.some((e) => e.event === '10-70004'), 'the backup changed no agent state itself');
});

test('the real B2BUA: a hold whose re-INVITE is refused answers the request with EventError RequestFailed', () => {
  const sim = new Simulator({ seed: 8 });
  sim.network.setDefaultFaults({ delayMs: [1, 5] });
  const pair = buildPair(sim);
  pair.config.applications.Desktop1 = { name: 'Desktop1', type: 'cti-client', password: 'pw' };
  pair.promote(pair.a);
  cti(pair.a, () => pair.config);
  sim.runFor(3000);
  const desk = new RawClient(sim.addNode('desk', ['198.51.100.7']), { host: HOST_A, port: 3000 });
  desk.request('RequestRegisterClient', { ApplicationName: 'Desktop1', Password: 'pw' });
  desk.request('RequestRegisterAddress', { ThisDN: '1001' });
  const target = { transport: 'UDP' as const, host: VIP, port: 5060 };
  const agentPhone = new CtiPhone(sim.addNode('1001', ['192.0.2.11']), '1001', target);
  const caller = new CtiPhone(sim.addNode('1002', ['192.0.2.12']), '1002', target);
  agentPhone.register();
  caller.register();
  sim.runFor(500);
  caller.call('1001');
  sim.runFor(2000);
  const connId = desk.take().find((m) => m.message === 'EventEstablished')?.ConnID as string;
  assert.ok(connId);
  caller.activeCalls[0]!.state = 'ended'; // the caller's phone answers the hold re-INVITE 481
  const hold = desk.request('RequestHoldCall', { ThisDN: '1001', ConnID: connId });
  sim.runFor(1000);
  const got = desk.take();
  assert.deepEqual(
    got.map((m) => [m.message, m.ErrorCode, m.ReferenceID, m.RequestName]),
    [['EventError', 55, hold, 'RequestHoldCall']],
  );
  assert.match(
    String(got[0]?.ErrorMessage),
    /^RequestFailed: hold of call \w+ by DN 1001 failed: 1002 answered the re-INVITE 481 /,
  );
  for (const sess of caller.sessions.values())
    if (sess.state === 'ended' && sess.dialog) sess.state = 'confirmed';
  const again = desk.request('RequestHoldCall', { ThisDN: '1001', ConnID: connId });
  sim.runFor(1000);
  assert.deepEqual(
    desk.take().map((m) => [m.message, m.ReferenceID]),
    [['EventHeld', again]],
  );
});
