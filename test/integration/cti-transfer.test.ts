/**
 * CTI transfers end to end on one `duet server`, over real sockets: sipp as the phones and the trunk caller
 * (test/integration/sipp/cti-e2e-*.xml), the duet/cti library as the agent desktops and the router.
 * - Consultation transfer: a caller reaches agent 1001; the agent attaches user data, starts a consultation
 *   to agent 1002 (RequestInitiateTransfer: the caller is held), 1002's phone answers, the agent completes
 *   the transfer: 1002 gets EventPartyChanged and is talking to the caller (its phone re-INVITEd for an
 *   offer, the caller re-INVITEd with it), 1001 gets EventReleased (Transferred) for both calls and its phone
 *   both BYEs; the caller hangs up and 1002 gets EventReleased. The user data is on the call throughout.
 * - Single-step transfer to a routing point: agent 1001 transfers the caller to routing point 5000; the router
 *   gets EventRouteRequest (with the user data) and routes to 1002, whose phone gets an INVITE without SDP
 *   (its offer goes to the caller in a re-INVITE); the caller hangs up and 1002 gets EventReleased.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CtiEvent } from '../../src/client/cti/index.ts';
import { skipUnless } from '../helpers/tools.ts';
import {
  type CtiServer,
  ctiFixture,
  Recorder,
  ROUTER,
  ROUTER_PASSWORD,
  startCtiServer,
} from './cti-harness.ts';
import { finished, freePort, register, sippBackground, sippRun } from './harness.ts';

const skip = skipUnless('sipp');

const CALLER = '+15551230042';

const isCall = (name: string, dn: string, connId?: string) => (e: CtiEvent) =>
  e.message === name &&
  (e as { ThisDN?: string }).ThisDN === dn &&
  (connId === undefined || (e as { ConnID?: string }).ConnID === connId);

type Ev = CtiEvent & Record<string, unknown>;

describe('CTI transfers end to end, sipp as phones', { skip }, () => {
  const { servers, client } = ctiFixture();

  async function setup(trunkPort: number): Promise<CtiServer> {
    const server = await startCtiServer({
      dns: {
        '1001': { type: 'Extension' },
        '1002': { type: 'Extension' },
        '5000': { type: 'Routing Point', options: { 'router-timeout': 30 } },
        '9001': { type: 'Trunk', options: { prefix: '9', contact: `127.0.0.1:${trunkPort}` } },
      },
    });
    servers.push(server);
    return server;
  }

  /** The names of a recorder's events of one call, in order. */
  const namesOf = (r: Recorder, connId: string): string[] => r.callNames(connId);

  test('consultation transfer: the caller ends up talking to the second agent, user data kept', async () => {
    const trunkPort = await freePort();
    const server = await setup(trunkPort);
    const deskA = client(server);
    const deskB = client(server);
    const logA = new Recorder(deskA);
    const logB = new Recorder(deskB);
    await Promise.all([deskA.connect(), deskB.connect()]);
    await deskA.register('1001');
    await deskB.register('1002');

    // Agent 1001's phone takes two calls (the caller's, then the consultation call, auto-answered and
    // re-INVITEd with 1002's media when 1002 answers), each ending with our BYE; 1002's phone answers the
    // consultation and then the transfer's offerless re-INVITE.
    const phoneA = await sippBackground('cti-e2e-agent-phone.xml', ['-d', '500', '-m', '2']);
    await register(server, '1001', phoneA.port);
    const phoneB = await sippBackground('cti-e2e-transfer-target.xml', ['-d', '1000', '-m', '1']);
    await register(server, '1002', phoneB.port);

    const caller = sippRun(
      server,
      'cti-e2e-caller-consult.xml',
      ['-key', 'caller', CALLER, '-s', '1001', '-d', '3000', '-m', '1'],
      60,
      trunkPort,
    );
    const diagnose = async (err: Error): Promise<never> => {
      const r = await Promise.race([caller, new Promise((done) => setTimeout(done, 100, undefined))]);
      throw new Error(
        `${err.message}\ncaller: ${JSON.stringify(r)?.slice(-2000)}\nA: ${phoneA.output().slice(-1500)}\n` +
          `B: ${phoneB.output().slice(-1500)}`,
      );
    };

    const ringing = await logA.next('EventRinging on 1001', isCall('EventRinging', '1001')).catch(diagnose);
    const held = ringing.ConnID as string;
    assert.equal(ringing.OtherDN, CALLER);
    await logA.next('EventEstablished on 1001', isCall('EventEstablished', '1001', held)).catch(diagnose);
    const attached = await deskA.attachUserData('1001', held, { CaseID: 'T-42', Lang: 'fr' });
    assert.equal(attached.message, 'EventAttachedDataChanged');

    // The consultation: the caller is held, 1001's phone is rung again (auto-answer) and 1002 is called.
    const dialing = await deskA.initiateTransfer('1001', held, '1002', { Reason: 'billing' });
    assert.equal(dialing.message, 'EventDialing');
    const consult = dialing.ConnID;
    assert.notEqual(consult, held);
    assert.equal(dialing.OtherDN, '1002');
    assert.deepEqual(dialing.UserData, { CaseID: 'T-42', Lang: 'fr', Reason: 'billing' });
    await logA.next('EventHeld on 1001', isCall('EventHeld', '1001', held)).catch(diagnose);
    const consultRinging = await logB.next('EventRinging on 1002', isCall('EventRinging', '1002', consult));
    assert.equal(consultRinging.OtherDN, '1001');
    await logB.next('EventEstablished on 1002', isCall('EventEstablished', '1002', consult)).catch(diagnose);
    await logA.next('EventEstablished on 1001 (consultation)', isCall('EventEstablished', '1001', consult));

    // Complete: 1001 leaves both calls; the held call goes on between the caller and 1002.
    const done = (await deskA.completeTransfer('1001', held, consult)) as Ev;
    assert.equal(done.message, 'EventReleased');
    assert.equal(done.ConnID, held);
    assert.equal(done.CallState, 'Transferred');
    const changed = await logB.next('EventPartyChanged on 1002', isCall('EventPartyChanged', '1002', held));
    assert.equal(changed.PreviousConnID, consult);
    assert.equal(changed.ThirdPartyDN, '1001');
    assert.equal(changed.OtherDN, CALLER);
    assert.equal(changed.CallState, 'Transferred');
    assert.deepEqual(changed.UserData, { CaseID: 'T-42', Lang: 'fr' }, "the held call's user data");
    const consultGone = await logA.next(
      'EventReleased (consultation)',
      isCall('EventReleased', '1001', consult),
    );
    assert.equal(consultGone.CallState, 'Transferred');
    assert.deepEqual((await deskB.queryAddress('1002')).Calls, [
      { ConnID: held, PartyState: 'Established', OtherDN: CALLER, CallType: 'Inbound' },
    ]);
    assert.deepEqual((await deskA.queryAddress('1001')).Calls, []);
    assert.equal(await finished(phoneA, 10_000), 0, `1001's phone got both BYEs: ${phoneA.output()}`);

    // The caller hangs up (3 s after being joined): 1002's call ends.
    const released = await logB
      .next('EventReleased on 1002', isCall('EventReleased', '1002', held), 0, 20_000)
      .catch(diagnose);
    assert.equal(released.OtherDN, CALLER);
    assert.deepEqual(released.UserData, { CaseID: 'T-42', Lang: 'fr' });
    const callerResult = await caller;
    assert.equal(callerResult.code, 0, `caller: ${callerResult.errors}${callerResult.stdout.slice(-1500)}`);
    assert.equal(await finished(phoneB), 0, `1002's phone: ${phoneB.output()}`);

    assert.deepEqual(namesOf(logA, held), [
      'EventRinging',
      'EventEstablished',
      'EventAttachedDataChanged',
      'EventHeld',
      'EventReleased',
    ]);
    assert.deepEqual(namesOf(logA, consult), ['EventDialing', 'EventEstablished', 'EventReleased']);
    assert.deepEqual(namesOf(logB, consult), ['EventRinging', 'EventEstablished']);
    assert.deepEqual(namesOf(logB, held), ['EventPartyChanged', 'EventReleased']);
  });

  test('single-step transfer to a routing point, routed by the router to another agent; user data kept', async () => {
    const trunkPort = await freePort();
    const server = await setup(trunkPort);
    const router = client(server, ROUTER, ROUTER_PASSWORD);
    const deskA = client(server);
    const deskB = client(server);
    const routerLog = new Recorder(router);
    const logA = new Recorder(deskA);
    const logB = new Recorder(deskB);
    await Promise.all([router.connect(), deskA.connect(), deskB.connect()]);
    await router.register('5000');
    await deskA.register('1001');
    await deskB.register('1002');
    router.on('event', (e) => {
      if (e.message === 'EventRouteRequest') void router.routeCall('5000', e.ConnID, '1002').catch(() => {});
    });

    const phoneA = await sippBackground('callee-answer.xml', ['-d', '500', '-m', '1']);
    await register(server, '1001', phoneA.port);
    const phoneB = await sippBackground('cti-e2e-late-offer-uas.xml', ['-d', '1000', '-m', '1']);
    await register(server, '1002', phoneB.port);

    const caller = sippRun(
      server,
      'cti-e2e-caller-sst.xml',
      ['-key', 'caller', CALLER, '-s', '1001', '-d', '3000', '-m', '1'],
      60,
      trunkPort,
    );
    const diagnose = async (err: Error): Promise<never> => {
      const r = await Promise.race([caller, new Promise((done) => setTimeout(done, 100, undefined))]);
      throw new Error(
        `${err.message}\ncaller: ${JSON.stringify(r)?.slice(-2000)}\nA: ${phoneA.output().slice(-1500)}\n` +
          `B: ${phoneB.output().slice(-1500)}`,
      );
    };

    const established = await logA
      .next('EventEstablished on 1001', isCall('EventEstablished', '1001'))
      .catch(diagnose);
    const connId = established.ConnID as string;
    await deskA.attachUserData('1001', connId, { CaseID: 'S-7' });
    const transferred = (await deskA.singleStepTransfer('1001', connId, '5000')) as Ev;
    assert.equal(transferred.message, 'EventReleased');
    assert.equal(transferred.CallState, 'Transferred');
    assert.equal(await finished(phoneA, 10_000), 0, `1001's phone got its BYE: ${phoneA.output()}`);

    const routeRequest = await routerLog.next(
      'EventRouteRequest',
      isCall('EventRouteRequest', '5000', connId),
    );
    assert.equal(routeRequest.OtherDN, CALLER);
    assert.equal(routeRequest.CallType, 'Inbound');
    assert.deepEqual(routeRequest.UserData, { CaseID: 'S-7' });
    const routeUsed = await routerLog.next('EventRouteUsed', isCall('EventRouteUsed', '5000', connId));
    assert.equal(routeUsed.OtherDN, '1002');

    const ringing = await logB
      .next('EventRinging on 1002', isCall('EventRinging', '1002', connId))
      .catch(diagnose);
    assert.equal(ringing.OtherDN, CALLER);
    assert.deepEqual(ringing.UserData, { CaseID: 'S-7' });
    await logB.next('EventEstablished on 1002', isCall('EventEstablished', '1002', connId)).catch(diagnose);

    const released = await logB
      .next('EventReleased on 1002', isCall('EventReleased', '1002', connId), 0, 20_000)
      .catch(diagnose);
    assert.deepEqual(released.UserData, { CaseID: 'S-7' });
    const callerResult = await caller;
    assert.equal(callerResult.code, 0, `caller: ${callerResult.errors}${callerResult.stdout.slice(-1500)}`);
    assert.equal(await finished(phoneB), 0, `1002's phone: ${phoneB.output()}`);

    assert.deepEqual(namesOf(logA, connId), [
      'EventRinging',
      'EventEstablished',
      'EventAttachedDataChanged',
      'EventReleased',
    ]);
    assert.deepEqual(namesOf(routerLog, connId), ['EventRouteRequest', 'EventRouteUsed']);
    assert.deepEqual(namesOf(logB, connId), ['EventRinging', 'EventEstablished', 'EventReleased']);
  });
});
