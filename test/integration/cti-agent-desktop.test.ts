/**
 * The CTI end to end on one `duet server`, over real sockets, with sipp as the phones and trunks and the
 * duet/cti library as the desktops (issue 5 "must show"):
 * - the agent desktop scenario: a router client and an agent client; the agent logs in and goes ready; an
 *   inbound call from a trunk reaches a routing point; the router gets EventRouteRequest and routes to the
 *   agent's DN; the agent gets EventRinging, the phone answers, EventEstablished; hold/retrieve; the caller
 *   hangs up, EventReleased; after-call work, ready again. In this order, with one ConnID.
 * - MakeCall from a client to an external number via a trunk: EventDialing, EventNetworkReached,
 *   EventEstablished; RequestReleaseCall ends both SIP legs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CtiEvent } from '../../src/client/cti/index.ts';
import { skipUnless } from '../helpers/tools.ts';
import { ctiFixture, Recorder, ROUTER, ROUTER_PASSWORD, startCtiServer } from './cti-harness.ts';
import { finished, freePort, register, sippBackground, sippRun } from './harness.ts';

const skip = skipUnless('sipp');

const isCall = (name: string, dn: string, connId?: string) => (e: CtiEvent) =>
  e.message === name &&
  (e as { ThisDN?: string }).ThisDN === dn &&
  (connId === undefined || (e as { ConnID?: string }).ConnID === connId);

describe('CTI end to end on one server, sipp as phones', { skip }, () => {
  const { servers, client } = ctiFixture();

  test('the agent desktop: routed inbound call, ringing, answer, hold/retrieve, release, after-call work, ready', async () => {
    const trunkPort = await freePort();
    const server = await startCtiServer({
      dns: {
        '1001': { type: 'Extension' },
        '5000': { type: 'Routing Point', options: { 'default-dn': '1001', 'router-timeout': 30 } },
        '9001': { type: 'Trunk', options: { prefix: '9', contact: `127.0.0.1:${trunkPort}` } },
      },
      agents: { agent1: { password: 'a1pw' } },
    });
    servers.push(server);

    const router = client(server, ROUTER, ROUTER_PASSWORD);
    const agent = client(server);
    const routerLog = new Recorder(router);
    const agentLog = new Recorder(agent);
    await Promise.all([router.connect(), agent.connect()]);
    await router.register('5000');
    await agent.register('1001');
    const login = await agent.loginAgent('1001', 'agent1', { password: 'a1pw' });
    assert.equal(login.message, 'EventAgentLogin');
    const ready = await agent.ready('1001');
    assert.equal(ready.message, 'EventAgentReady');

    // The agent's phone rings 1 s, answers, and waits for the BYE.
    const phone = await sippBackground('callee-answer.xml', ['-d', '1000', '-m', '1']);
    await register(server, '1001', phone.port);

    // The router routes whatever arrives on the routing point to the agent.
    router.on('event', (e) => {
      if (e.message === 'EventRouteRequest') void router.routeCall('5000', e.ConnID, '1001').catch(() => {});
    });
    const caller = sippRun(
      server,
      'cti-e2e-caller-held.xml',
      ['-key', 'caller', '+15551230001', '-s', '5000', '-m', '1'],
      60,
      trunkPort,
    );

    const routeRequest = await routerLog.next('EventRouteRequest', isCall('EventRouteRequest', '5000'));
    const connId = routeRequest.ConnID as string;
    assert.equal(routeRequest.OtherDN, '+15551230001');
    assert.equal(routeRequest.CallType, 'Inbound');
    const routeUsed = await routerLog.next('EventRouteUsed', isCall('EventRouteUsed', '5000', connId));
    assert.equal(routeUsed.OtherDN, '1001');

    const ringing = await agentLog.next('EventRinging', isCall('EventRinging', '1001', connId));
    assert.equal(ringing.OtherDN, '+15551230001');
    await agentLog.next('EventEstablished', isCall('EventEstablished', '1001', connId));

    const held = await agent.hold('1001', connId);
    assert.equal(held.message, 'EventHeld');
    assert.equal((await agent.queryAddress('1001')).Calls[0]?.PartyState, 'Held');
    const retrieved = await agent.retrieve('1001', connId);
    assert.equal(retrieved.message, 'EventRetrieved');

    // The caller hangs up after the retrieve.
    const released = await agentLog
      .next('EventReleased', isCall('EventReleased', '1001', connId), 0, 20_000)
      .catch(async (err) => {
        const r = await caller;
        throw new Error(`${err.message}\ncaller: ${r.code} ${r.errors}${r.stdout.slice(-3000)}`);
      });
    assert.equal(released.ConnID, connId);
    const acw = await agent.afterCallWork('1001', { code: 'wrap-up' });
    assert.equal(acw.message, 'EventAgentNotReady');
    assert.equal(acw.AgentWorkMode, 'AfterCallWork');
    assert.equal((await agent.queryAddress('1001')).Agent?.Status, 'AfterCallWork');
    await agent.ready('1001');

    const callerResult = await caller;
    assert.equal(callerResult.code, 0, `caller: ${callerResult.errors}${callerResult.stdout.slice(-1500)}`);
    assert.equal(await finished(phone), 0, phone.output());

    // The order, and one ConnID.
    const agentSeen = agentLog.events
      .filter((e) => !['EventLinkConnected', 'EventRegistered', 'EventAddressInfo'].includes(e.message))
      .map((e) => e.message);
    assert.deepEqual(agentSeen, [
      'EventAgentLogin',
      'EventAgentReady',
      'EventRinging',
      'EventEstablished',
      'EventHeld',
      'EventRetrieved',
      'EventReleased',
      'EventAgentNotReady',
      'EventAgentReady',
    ]);
    const callEvents = agentLog.events.filter((e) => 'ConnID' in e);
    assert.ok(callEvents.every((e) => (e as { ConnID: string }).ConnID === connId));
    assert.deepEqual(
      routerLog.events.filter((e) => 'ConnID' in e).map((e) => [e.message, (e as { ConnID: string }).ConnID]),
      [
        ['EventRouteRequest', connId],
        ['EventRouteUsed', connId],
      ],
    );
  });

  test('MakeCall to an external number via a trunk: EventDialing, EventNetworkReached, EventEstablished; release ends both legs', async () => {
    const trunkPort = await freePort();
    const server = await startCtiServer({
      dns: {
        '1001': { type: 'Extension' },
        '9001': { type: 'Trunk', options: { prefix: '9', contact: `127.0.0.1:${trunkPort}` } },
      },
    });
    servers.push(server);
    const agent = client(server);
    const log = new Recorder(agent);
    await agent.connect();
    await agent.register('1001');

    const phone = await sippBackground('cti-e2e-autoanswer.xml', ['-m', '1']);
    await register(server, '1001', phone.port);
    // The trunk (the network): 180 at once, 200 after 500 ms, then waits for the BYE.
    const trunk = await sippBackground('callee-answer.xml', ['-d', '500', '-m', '1'], trunkPort);

    const dialing = await agent.makeCall('1001', '95550100', { case: '42' });
    assert.equal(dialing.message, 'EventDialing');
    assert.equal(dialing.ThisDN, '1001');
    assert.equal(dialing.OtherDN, '95550100');
    assert.equal(dialing.CallType, 'Outbound');
    assert.deepEqual(dialing.UserData, { case: '42' });
    const connId = dialing.ConnID;
    await log.next('EventEstablished', isCall('EventEstablished', '1001', connId));
    assert.deepEqual(log.callNames(connId), ['EventDialing', 'EventNetworkReached', 'EventEstablished']);

    const released = await agent.release('1001', connId);
    assert.equal(released.message, 'EventReleased');
    assert.equal(await finished(phone), 0, `the agent's phone got its BYE: ${phone.output()}`);
    assert.equal(await finished(trunk), 0, `the trunk got its BYE: ${trunk.output()}`);
    assert.deepEqual((await agent.queryAddress('1001')).Calls, []);
  });
});
