/**
 * `authenticate-requests: register,invite` on a real `duet server` with sipp phones (SPEC S2.4): an INVITE
 * without credentials is challenged (401), sipp answers the challenge (MD5) and the call goes through; a wrong
 * password is 403 with event 10-30009; a DN whose own value is `register` and a Trunk (by source address)
 * are not challenged. The trunk sends from 127.0.0.2: a trunk is recognised by its host alone when only one
 * trunk is on that host (targets.ts), so on 127.0.0.1 every phone would pass for the trunk. sipp's digest uri
 * is remote_ip:remote_port unless -auth_uri gives the Request-URI, which the server checks (RFC 2617 §3.2.2.5).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runSipp } from '../helpers/processes.ts';
import { skipUnless } from '../helpers/tools.ts';
import {
  expectStatusScenario,
  finished,
  freePort,
  type RunningServer,
  register,
  SCENARIOS,
  sippBackground,
  sippRun,
  startServer,
  stopAllSipps,
} from './harness.ts';

describe('INVITE authentication (authenticate-requests)', { skip: skipUnless('sipp') }, () => {
  let server: RunningServer;
  let trunkPort: number;

  before(async () => {
    trunkPort = await freePort();
    server = await startServer({
      tserver: { 'authenticate-requests': 'register,invite' },
      dns: {
        '1001': { type: 'Extension', options: { password: 'secret1001' } },
        '1002': { type: 'Extension' },
        '1003': {
          type: 'Extension',
          options: { password: 'secret1003', 'authenticate-requests': 'register' },
        },
        '9001': { type: 'Trunk', options: { contact: `127.0.0.2:${trunkPort}`, prefix: '9' } },
      },
    });
  });

  after(async () => {
    await stopAllSipps();
    await server?.stop();
  });

  const calls = async (): Promise<number> =>
    ((await server.get('/server?sipServer')) as { calls: number }).calls;

  test('an INVITE without credentials gets 401 and no call is made', async () => {
    const r = await sippRun(server, expectStatusScenario(401), [
      '-key',
      'caller',
      '1001',
      '-s',
      '1002',
      '-m',
      '1',
    ]);
    assert.equal(r.code, 0, r.errors || r.stdout.slice(-1500));
    assert.equal(await calls(), 0);
  });

  test('sipp answers the challenge (MD5): the call is answered and released', async () => {
    const callee = await sippBackground('callee-answer.xml', ['-m', '1']);
    await register(server, '1002', callee.port);
    const r = await sippRun(server, 'call-uac-auth.xml', [
      '-key',
      'caller',
      '1001',
      '-s',
      '1002',
      '-au',
      '1001',
      '-ap',
      'secret1001',
      '-auth_uri',
      `1002@127.0.0.1:${server.sipPort}`,
      '-d',
      '300',
      '-m',
      '1',
    ]);
    assert.equal(r.code, 0, r.errors || r.stdout.slice(-1500));
    assert.equal(r.stats['SuccessfulCall(C)'], '1');
    assert.equal(await finished(callee), 0, callee.output());
    assert.equal(await calls(), 0, 'released');
  });

  test('a wrong password: 403 and event 10-30009', async () => {
    const logged = server.process.waitFor(/"event":"10-30009".*INVITE: wrong password/, 10_000);
    const r = await sippRun(server, 'call-uac-auth-wrong.xml', [
      '-key',
      'caller',
      '1001',
      '-s',
      '1002',
      '-au',
      '1001',
      '-ap',
      'not-the-password',
      '-auth_uri',
      `1002@127.0.0.1:${server.sipPort}`,
      '-m',
      '1',
    ]);
    assert.equal(r.code, 0, r.errors || r.stdout.slice(-1500));
    assert.match(await logged, /"dn":"1001"/);
  });

  test('a DN whose own authenticate-requests is register, and a Trunk, are not challenged', async () => {
    const callee = await sippBackground('callee-answer.xml', ['-m', '2']);
    await register(server, '1002', callee.port);
    const dn = await sippRun(server, 'call-uac.xml', [
      '-key',
      'caller',
      '1003',
      '-s',
      '1002',
      '-d',
      '200',
      '-m',
      '1',
    ]);
    assert.equal(dn.code, 0, dn.errors || dn.stdout.slice(-1500));
    // From the trunk's address, even with a password DN in From: trusted by source address.
    const trunk = await runSipp([
      '-sf',
      `${SCENARIOS}/call-uac.xml`,
      '-i',
      '127.0.0.2',
      '-p',
      String(trunkPort),
      '-key',
      'caller',
      '1001',
      '-s',
      '1002',
      '-d',
      '200',
      '-m',
      '1',
      `127.0.0.1:${server.sipPort}`,
    ]);
    assert.equal(trunk.code, 0, trunk.errors || trunk.stdout.slice(-1500));
    assert.equal(await finished(callee), 0, callee.output());
  });
});
