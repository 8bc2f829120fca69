/**
 * Registrations against a real server (SPEC S2.4) with sipp: a DN with a password is challenged (401), then
 * registered with the right credentials (200) and refused with a wrong password (403); a binding survives a
 * restart of the server (contact database) and expires at its time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { skipUnless } from '../helpers/tools.ts';
import { freePort, type RunningServer, register, sippRun, startServer, stopAllSipps } from './harness.ts';

describe('registrar', { skip: skipUnless('sipp') }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({
      dns: {
        '1001': { type: 'Extension', options: { password: 'secret1001' } },
        '1002': { type: 'Extension' },
      },
    });
  });
  after(async () => {
    await stopAllSipps();
    await server?.stop();
  });

  const contacts = async (): Promise<number> =>
    ((await server.get('/server?sipServer')) as { contacts: number }).contacts;

  test('401 with a challenge, then 200 with the right password; 403 with a wrong one', async () => {
    const ok = await sippRun(server, 'register-auth.xml', [
      '-s',
      '1001',
      '-au',
      '1001',
      '-ap',
      'secret1001',
      '-m',
      '1',
    ]);
    assert.equal(ok.code, 0, ok.errors);
    assert.equal(await contacts(), 1);
    const wrong = await sippRun(server, 'register-wrong.xml', [
      '-s',
      '1001',
      '-au',
      '1001',
      '-ap',
      'not-the-password',
      '-m',
      '1',
    ]);
    assert.equal(wrong.code, 0, wrong.errors);
    assert.equal(await contacts(), 1, 'a refused REGISTER changes nothing');
  });

  test('a binding survives a restart of the server and expires at its time', async () => {
    const before = await contacts();
    const registeredAt = Date.now();
    await register(server, '1002', await freePort(), 60);
    assert.equal(await contacts(), before + 1);
    await server.restart();
    assert.equal(await contacts(), before + 1, 'restored from the contact database');
    // The registrar's minimum is 60 s: wait for the binding to end, then some (the expiry timer is exact; the
    // margin is for a loaded machine).
    const waitMs = registeredAt + 60_000 - Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, waitMs - 2000)));
    assert.equal(await contacts(), before + 1, 'still bound just before its expiry');
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(await contacts(), before, 'gone once expired');
  });
});
