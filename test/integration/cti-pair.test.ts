/**
 * The CTI with the HA pair, real processes (`duet up`: SCS, LCA, SIP_A primary, SIP_B backup, each with its own
 * cti-port), sipp as the phones, the duet/cti library connected to both servers (issue 5 "must show"): an agent
 * logged in and ready, a call established to the agent's phone; SIGKILL of the primary server process; the
 * library's user sees EventPrimaryChanged once (and no EventLinkDisconnected), then the new primary's state of
 * the DN; the agent is still logged in and ready on the new primary (RequestQueryAddress), and
 * RequestReleaseCall on the call ends both SIP legs (both sipp phones get their BYE).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CtiClient } from '../../src/client/cti/index.ts';
import { skipUnless } from '../helpers/tools.ts';
import { APP, APP_PASSWORD, Recorder, type RunningPair, startCtiPair, until } from './cti-harness.ts';
import { finished, type RunningServer, register, sippBackground, stopAllSipps } from './harness.ts';

let pair: RunningPair | undefined;
let cti: CtiClient | undefined;
after(async () => {
  cti?.close();
  await stopAllSipps();
  await pair?.stop();
});

test(
  'a failover under the client library: one EventPrimaryChanged, the agent still ready, the call released on the new primary',
  { skip: skipUnless('sipp') },
  async () => {
    pair = await startCtiPair({
      dns: { '1001': { type: 'Extension' }, '1002': { type: 'Extension' } },
      agents: { agent1: {} },
    });
    const p = pair;
    cti = new CtiClient({
      servers: [
        { host: '127.0.0.1', port: p.cti[1] }, // either order: the library finds the primary
        { host: '127.0.0.1', port: p.cti[0] },
      ],
      application: APP,
      password: APP_PASSWORD,
      addpTimeout: 1,
    });
    const log = new Recorder(cti);
    await cti.connect();
    // connect() resolves once both servers answered; SIP_A's EventLinkConnected may still be on its way.
    const client = cti;
    await until('the library sees SIP_A as the primary', () => client.primary === 'SIP_A');
    await cti.register('1001');
    await cti.loginAgent('1001', 'agent1');
    await cti.ready('1001');

    // A call 1002 -> 1001, answered by the agent's phone; both sides wait for a BYE.
    const target = { sipPort: p.sipPort } as RunningServer;
    const agentPhone = await sippBackground('callee-answer.xml', ['-d', '200', '-m', '1']);
    await register(target, '1001', agentPhone.port);
    const caller = await sippBackground('call-uac-wait-bye.xml', [
      '-key',
      'caller',
      '1002',
      '-s',
      '1001',
      '-m',
      '1',
      `127.0.0.1:${p.sipPort}`,
    ]);
    const established = await log.next('EventEstablished', (e) => e.message === 'EventEstablished');
    const connId = established.ConnID as string;
    await until('the call synced to the backup', async () => (await p.status(1))?.calls === 1, 10_000);

    const mark = log.events.length;
    const primaryPid = (await p.status(0))!.pid;
    process.kill(primaryPid, 'SIGKILL');

    const changed = await log
      .next('EventPrimaryChanged', (e) => e.message === 'EventPrimaryChanged', mark, 20_000)
      .catch((err: Error) =>
        assert.fail(`${err.message}\nservers: ${JSON.stringify(cti?.servers())}\n${p.log().slice(-6000)}`),
      );
    assert.deepEqual(changed, {
      message: 'EventPrimaryChanged',
      ServerName: 'SIP_B',
      PreviousPrimary: 'SIP_A',
    });
    await log.next(
      'the call state from the new primary',
      (e) => e.message === 'EventEstablished' && (e as { ConnID?: string }).ConnID === connId,
      mark,
    );
    assert.equal(cti.primary, 'SIP_B');
    const sinceKill = log.events.slice(mark).map((e) => e.message);
    assert.deepEqual(
      sinceKill,
      ['EventPrimaryChanged', 'EventAgentLogin', 'EventAgentReady', 'EventEstablished'],
      `${JSON.stringify(log.events.slice(mark))}\nservers: ${JSON.stringify(cti.servers())}\n${p.log().slice(-6000)}`,
    );

    const info = await cti.queryAddress('1001');
    assert.deepEqual(info.Agent, { AgentID: 'agent1', Status: 'Ready', AgentWorkMode: 'ManualIn' });
    assert.deepEqual(
      info.Calls.map((c) => [c.ConnID, c.PartyState]),
      [[connId, 'Established']],
    );

    const released = await cti.release('1001', connId);
    assert.equal(released.message, 'EventReleased');
    assert.equal(await finished(agentPhone), 0, `the agent's phone got its BYE: ${agentPhone.output()}`);
    assert.equal(await finished(caller), 0, `the caller got its BYE: ${caller.output()}`);
    assert.ok(
      !log.events.some((e) => e.message === 'EventLinkDisconnected'),
      'no EventLinkDisconnected: a primary was back within primaryWaitMs',
    );
    assert.equal(log.events.filter((e) => e.message === 'EventPrimaryChanged').length, 1);
  },
);
