/**
 * Trunks (SPEC S2.7, S2.8) with sipp trunks on loopback: longest-prefix selection, overflow on
 * sip-error-codes-overflow, inbound calls trusted by source address, and active out-of-service detection
 * with OPTIONS (a silent trunk is skipped, and comes back when it answers again).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { skipUnless } from '../helpers/tools.ts';
import {
  expectStatusScenario,
  finished,
  freePort,
  type RunningServer,
  register,
  sippBackground,
  sippRun,
  startServer,
  stopAllSipps,
  withStatus,
} from './harness.ts';

const skip = skipUnless('sipp');

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('outbound and inbound trunks', { skip }, () => {
  const servers: RunningServer[] = [];
  after(async () => {
    await stopAllSipps();
    for (const s of servers) await s.stop();
  });

  test('the longest prefix wins; a 503 overflows to the next trunk; inbound calls reach DNs', async () => {
    const [t1, t2, t3, t4] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const server = await startServer({
      dns: {
        '1001': { type: 'Extension' },
        '1002': { type: 'Extension' },
        '9001': { type: 'Trunk', options: { prefix: '9', priority: 1, contact: `127.0.0.1:${t1}` } },
        '9002': { type: 'Trunk', options: { prefix: '9', priority: 2, contact: `127.0.0.1:${t2}` } },
        '9003': { type: 'Trunk', options: { prefix: '91', priority: 9, contact: `127.0.0.1:${t3}` } },
        '9004': { type: 'Trunk', options: { prefix: '7', contact: `127.0.0.1:${t4}` } },
      },
    });
    servers.push(server);

    // 91...: only 9003 has the longest prefix, though its priority is the worst.
    const long = await sippBackground('callee-answer.xml', ['-d', '100', '-m', '1'], t3);
    const r1 = await sippRun(server, 'call-uac.xml', [
      '-key',
      'caller',
      '1001',
      '-s',
      '915550100',
      '-d',
      '100',
      '-m',
      '1',
    ]);
    assert.equal(r1.code, 0, r1.errors);
    assert.equal(await finished(long), 0, long.output());

    // 9...: 9001 (priority 1) answers 503, the call overflows to 9002, which answers.
    const busy = await sippBackground(
      withStatus('callee-reject.xml', 503, 'Service Unavailable'),
      ['-m', '1'],
      t1,
    );
    const next = await sippBackground('callee-answer.xml', ['-d', '100', '-m', '1'], t2);
    const r2 = await sippRun(server, 'call-uac.xml', [
      '-key',
      'caller',
      '1001',
      '-s',
      '95550100',
      '-d',
      '100',
      '-m',
      '1',
    ]);
    assert.equal(r2.code, 0, r2.errors);
    assert.equal(await finished(busy), 0, busy.output());
    assert.equal(await finished(next), 0, next.output());
    const stats = (await server.get('/server?sipTrunkStatistics')) as {
      trunks: { dn: string; overflows: number }[];
    };
    assert.equal(stats.trunks.find((t) => t.dn === '9001')?.overflows, 1, JSON.stringify(stats));

    // Inbound: a call from trunk 9004's address reaches DN 1002, whatever the From says.
    const phone = await sippBackground('callee-answer.xml', ['-d', '100', '-m', '1']);
    await register(server, '1002', phone.port);
    const inbound = await sippRun(
      server,
      'call-uac.xml',
      ['-key', 'caller', '+15550199', '-s', '1002', '-d', '100', '-m', '1'],
      30,
      t4,
    );
    assert.equal(inbound.code, 0, inbound.errors);
    assert.equal(await finished(phone), 0, phone.output());
  });

  test('with sip-error-codes-overflow 487,50X a 504 overflows and a 486 does not', async () => {
    const [t1, t2] = [await freePort(), await freePort()];
    const server = await startServer({
      tserver: { 'sip-error-codes-overflow': '487,50X' },
      dns: {
        '1001': { type: 'Extension' },
        '9001': { type: 'Trunk', options: { prefix: '9', priority: 1, contact: `127.0.0.1:${t1}` } },
        '9002': { type: 'Trunk', options: { prefix: '9', priority: 2, contact: `127.0.0.1:${t2}` } },
      },
    });
    servers.push(server);

    const gateway = await sippBackground(
      withStatus('callee-reject.xml', 504, 'Server Time-out'),
      ['-m', '1'],
      t1,
    );
    const next = await sippBackground('callee-answer.xml', ['-d', '100', '-m', '1'], t2);
    const r = await sippRun(server, 'call-uac.xml', [
      '-key',
      'caller',
      '1001',
      '-s',
      '95550100',
      '-d',
      '100',
      '-m',
      '1',
    ]);
    assert.equal(r.code, 0, r.errors);
    assert.equal(await finished(gateway), 0);
    assert.equal(await finished(next), 0);

    const busy = await sippBackground(withStatus('callee-reject.xml', 486, 'Busy Here'), ['-m', '1'], t1);
    const r2 = await sippRun(server, expectStatusScenario(486), [
      '-key',
      'caller',
      '1001',
      '-s',
      '95550100',
      '-m',
      '1',
    ]);
    assert.equal(r2.code, 0, r2.errors);
    assert.equal(await finished(busy), 0);
  });

  test('a trunk that stops answering OPTIONS goes out of service, is skipped, and comes back', async () => {
    const [probed, spare] = [await freePort(), await freePort()];
    const oosCheck = 2;
    const oosForce = 5;
    const server = await startServer({
      dns: {
        '1001': { type: 'Extension' },
        '9005': {
          type: 'Trunk',
          options: {
            prefix: '8',
            priority: 1,
            contact: `127.0.0.1:${probed}`,
            'oos-check': oosCheck,
            'oos-force': oosForce,
          },
        },
        '9006': { type: 'Trunk', options: { prefix: '8', priority: 2, contact: `127.0.0.1:${spare}` } },
      },
    });
    servers.push(server);
    type Checker = { devices: { dn: string; inService: boolean }[] };
    const inService = async (dn: string): Promise<boolean | undefined> =>
      ((await server.get('/server?sipServiceChecker')) as Checker).devices.find((d) => d.dn === dn)
        ?.inService;

    let responder = await sippBackground('options-responder.xml', ['-m', '1000'], probed);
    await until('answered probes', async () => ((await inService('9005')) === true ? true : undefined), 5000);

    await responder.stop();
    const stoppedAt = Date.now();
    await until(
      'out of service',
      async () => ((await inService('9005')) === false ? true : undefined),
      15_000,
    );
    const took = (Date.now() - stoppedAt) / 1000;
    assert.ok(took <= oosCheck + oosForce + oosCheck + 1, `out of service after ${took} s`);

    // Calls skip the out-of-service trunk and go to the next.
    const callee = await sippBackground('callee-answer.xml', ['-d', '100', '-m', '1'], spare);
    const r = await sippRun(server, 'call-uac.xml', [
      '-key',
      'caller',
      '1001',
      '-s',
      '85550100',
      '-d',
      '100',
      '-m',
      '1',
    ]);
    assert.equal(r.code, 0, r.errors);
    assert.equal(await finished(callee), 0, callee.output());

    responder = await sippBackground('options-responder.xml', ['-m', '1000'], probed);
    await until(
      'back in service',
      async () => ((await inService('9005')) === true ? true : undefined),
      oosCheck * 1000 + 3000,
    );
    await responder.stop();
  });
});
