/**
 * One SIP Server with real sipp phones on loopback (issue: the call server): calls between extensions through
 * the B2BUA — ringing, answer, BYE from either side, CANCEL before the answer, busy, unregistered, unknown —
 * and a Routing Point that hands its call to default-dn after router-timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { skipUnless } from '../helpers/tools.ts';
import {
  expectStatusScenario,
  finished,
  type RunningServer,
  register,
  sippBackground,
  sippRun,
  startServer,
  stopAllSipps,
  withStatus,
} from './harness.ts';

const skip = skipUnless('sipp');

describe('calls through one server', { skip }, () => {
  let server: RunningServer;

  before(async () => {
    server = await startServer({
      tserver: { 'no-answer-timeout': 3 },
      dns: {
        '1001': { type: 'Extension' },
        '1002': { type: 'Extension' },
        '1003': { type: 'Extension' },
        '1004': { type: 'Extension' },
        '1005': { type: 'Extension' },
        '1009': { type: 'Extension' },
        '5000': { type: 'Routing Point', options: { 'default-dn': '1005', 'router-timeout': 2 } },
      },
    });
  });

  after(async () => {
    await stopAllSipps();
    await server?.stop();
  });

  test('ringing, answer and BYE from the caller, 5 calls', async () => {
    const callee = await sippBackground('callee-answer.xml', ['-d', '200', '-m', '5']);
    await register(server, '1002', callee.port);
    const r = await sippRun(server, 'call-uac.xml', [
      '-key',
      'caller',
      '1001',
      '-s',
      '1002',
      '-d',
      '300',
      '-m',
      '5',
      '-r',
      '5',
    ]);
    assert.equal(r.code, 0, r.errors || r.stdout.slice(-1500));
    assert.equal(r.stats['SuccessfulCall(C)'], '5');
    assert.equal(await finished(callee), 0, callee.output());
    const status = (await server.get('/server?sipServer')) as { calls: number };
    assert.equal(status.calls, 0, 'every call released');
  });

  test('BYE from the callee reaches the caller', async () => {
    const callee = await sippBackground('callee-hangup.xml', ['-d', '300', '-m', '2']);
    await register(server, '1003', callee.port);
    const r = await sippRun(server, 'call-uac-wait-bye.xml', [
      '-key',
      'caller',
      '1001',
      '-s',
      '1003',
      '-m',
      '2',
      '-r',
      '5',
    ]);
    assert.equal(r.code, 0, r.errors || r.stdout.slice(-1500));
    assert.equal(r.stats['SuccessfulCall(C)'], '2');
    assert.equal(await finished(callee), 0, callee.output());
  });

  test('CANCEL before the answer: caller gets 487, the ringing callee is cancelled', async () => {
    const callee = await sippBackground('callee-no-answer.xml', ['-m', '1']);
    await register(server, '1004', callee.port);
    const r = await sippRun(server, 'call-uac-cancel.xml', [
      '-key',
      'caller',
      '1001',
      '-s',
      '1004',
      '-m',
      '1',
    ]);
    assert.equal(r.code, 0, r.errors || r.stdout.slice(-1500));
    assert.equal(await finished(callee), 0, callee.output());
  });

  test('busy: the callee answers 486 and the caller gets 486', async () => {
    const callee = await sippBackground(withStatus('callee-reject.xml', 486, 'Busy Here'), ['-m', '1']);
    await register(server, '1009', callee.port);
    const r = await sippRun(server, expectStatusScenario(486), [
      '-key',
      'caller',
      '1001',
      '-s',
      '1009',
      '-m',
      '1',
    ]);
    assert.equal(r.code, 0, r.errors || r.stdout.slice(-1500));
    assert.equal(await finished(callee), 0);
  });

  test('no answer: after no-answer-timeout the callee is cancelled and the caller gets 480', async () => {
    const callee = await sippBackground('callee-no-answer.xml', ['-m', '1']);
    await register(server, '1009', callee.port);
    const started = Date.now();
    const r = await sippRun(server, expectStatusScenario(480), [
      '-key',
      'caller',
      '1001',
      '-s',
      '1009',
      '-m',
      '1',
    ]);
    assert.equal(r.code, 0, r.errors || r.stdout.slice(-1500));
    assert.ok(Date.now() - started >= 2500, 'not before no-answer-timeout (3 s)');
    assert.equal(await finished(callee), 0, callee.output());
  });

  test('an unregistered callee: 480; an unknown number: 404; an unknown caller: 403', async () => {
    const unregistered = await sippRun(server, expectStatusScenario(480), [
      '-key',
      'caller',
      '1001',
      '-s',
      '1005',
      '-m',
      '1',
    ]);
    assert.equal(unregistered.code, 0, unregistered.errors);
    const unknown = await sippRun(server, expectStatusScenario(404), [
      '-key',
      'caller',
      '1001',
      '-s',
      '7777',
      '-m',
      '1',
    ]);
    assert.equal(unknown.code, 0, unknown.errors);
    const stranger = await sippRun(server, expectStatusScenario(403), [
      '-key',
      'caller',
      '4242',
      '-s',
      '1002',
      '-m',
      '1',
    ]);
    assert.equal(stranger.code, 0, stranger.errors);
  });

  test('a Routing Point parks the call ringing, and after router-timeout it reaches default-dn', async () => {
    const agent = await sippBackground('callee-answer.xml', ['-d', '100', '-m', '1']);
    await register(server, '1005', agent.port);
    const started = Date.now();
    const r = await sippRun(server, 'call-uac.xml', [
      '-key',
      'caller',
      '1001',
      '-s',
      '5000',
      '-d',
      '200',
      '-m',
      '1',
    ]);
    assert.equal(r.code, 0, r.errors || r.stdout.slice(-1500));
    assert.ok(Date.now() - started >= 1800, 'the call waited router-timeout (2 s) on the Routing Point');
    assert.equal(await finished(agent), 0, agent.output());
  });

  test('OPTIONS to the server is answered 200', async () => {
    const r = await sippRun(server, 'options.xml', ['-m', '1']);
    assert.equal(r.code, 0);
  });
});
