/**
 * Bad input on the CTI port of a real `duet server`, over real sockets (issue 5 "must show"): a wrong
 * password, an unknown application, a request before RequestRegisterClient, a malformed frame, a frame that is
 * not a request, an unknown request, a missing ReferenceID, a DN this client did not register, a DN not in the
 * config, an oversized frame header. Each gets a clear EventError (or a refused connection), and nothing else
 * changes: the agent logged in by another client keeps its state, the connection that sent a bad frame of good
 * length keeps working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CtiClient, CtiError } from '../../src/client/cti/index.ts';
import { APP, APP_PASSWORD, type CtiServer, RawCti, startCtiServer, until } from './cti-harness.ts';

describe('CTI bad input over real sockets', () => {
  let server: CtiServer;
  const raws: RawCti[] = [];
  const open = async () => {
    const r = await RawCti.open(server.ctiPort);
    raws.push(r);
    return r;
  };
  let agentDesk: CtiClient;

  before(async () => {
    server = await startCtiServer({
      dns: { '1001': { type: 'Extension' }, '1002': { type: 'Extension' } },
      agents: { agent1: { password: 'a1' } },
    });
    agentDesk = new CtiClient({
      servers: [{ host: '127.0.0.1', port: server.ctiPort }],
      application: APP,
      password: APP_PASSWORD,
    });
    await agentDesk.connect();
    await agentDesk.register('1001');
    await agentDesk.loginAgent('1001', 'agent1', { password: 'a1' });
    await agentDesk.ready('1001');
  });

  after(async () => {
    agentDesk?.close();
    for (const r of raws) r.close();
    await server?.stop();
  });

  async function agentUnchanged(): Promise<void> {
    const info = await agentDesk.queryAddress('1001');
    assert.deepEqual(info.Agent, { AgentID: 'agent1', Status: 'Ready', AgentWorkMode: 'ManualIn' });
  }

  test('a wrong password or an unknown application: EventError AuthenticationFailed, connection closed', async () => {
    for (const [app, pw] of [
      [APP, 'wrong'],
      ['NoSuchApp', APP_PASSWORD],
    ] as const) {
      const r = await open();
      const ev = await r.request({
        message: 'RequestRegisterClient',
        ReferenceID: 5,
        ApplicationName: app,
        Password: pw,
      });
      assert.equal(ev.message, 'EventError');
      assert.equal(ev.ErrorCode, 43);
      assert.match(String(ev.ErrorMessage), /^AuthenticationFailed: unknown application or wrong password/);
      await until('the connection closed', () => r.closed);
    }
    // The library says so, and gives up (the password will not become right by retrying).
    const lib = new CtiClient({
      servers: [{ host: '127.0.0.1', port: server.ctiPort }],
      application: APP,
      password: 'wrong',
    });
    await assert.rejects(lib.connect(), (err: CtiError) => {
      assert.ok(err instanceof CtiError);
      assert.equal(err.codeName, 'AuthenticationFailed');
      assert.match(err.message, /RequestRegisterClient refused by 127\.0\.0\.1:\d+: AuthenticationFailed/);
      return true;
    });
    await agentUnchanged();
  });

  test('a request before RequestRegisterClient: EventError NotRegisteredClient, connection closed', async () => {
    const r = await open();
    const ev = await r.request({ message: 'RequestAgentLogout', ReferenceID: 3, ThisDN: '1001' });
    assert.equal(ev.message, 'EventError');
    assert.equal(ev.ErrorCode, 44);
    assert.match(String(ev.ErrorMessage), /the first message must be RequestRegisterClient/);
    await until('the connection closed', () => r.closed);
    await agentUnchanged();
  });

  test('malformed frames, unknown requests, missing ReferenceID: EventError each, the connection goes on', async () => {
    const r = await open();
    await r.register();

    let from = r.received.length;
    r.sendRaw(Buffer.from('{"message": "RequestQueryServer", ', 'utf8'));
    const bad = await r.waitFor('EventError for bad JSON', (m) => m.message === 'EventError', from);
    assert.equal(bad.ErrorCode, 40);
    assert.match(String(bad.ErrorMessage), /^InvalidMessage: invalid JSON in a frame of \d+ bytes/);

    from = r.received.length;
    r.send([1, 2, 3]);
    const notObject = await r.waitFor('EventError for an array', (m) => m.message === 'EventError', from);
    assert.equal(notObject.ErrorCode, 40);

    const unknown = await r.request({ message: 'RequestFlyToTheMoon', ReferenceID: 11 });
    assert.deepEqual(
      [unknown.message, unknown.ErrorCode, unknown.RequestName],
      ['EventError', 41, 'RequestFlyToTheMoon'],
    );
    assert.match(String(unknown.ErrorMessage), /"RequestFlyToTheMoon" is not a request this server knows/);

    from = r.received.length;
    r.send({ message: 'RequestQueryServer' });
    const noRef = await r.waitFor('EventError for no ReferenceID', (m) => m.message === 'EventError', from);
    assert.equal(noRef.ErrorCode, 42);
    assert.match(String(noRef.ErrorMessage), /ReferenceID must be a positive integer/);

    const info = await r.request({ message: 'RequestQueryServer', ReferenceID: 12 });
    assert.equal(info.message, 'EventServerInfo', 'the connection still works');
    assert.ok(!r.closed);
    await agentUnchanged();
  });

  test('a DN not registered by this client, a DN not in the config: DnNotRegistered, InvalidDn; the agent is untouched', async () => {
    const r = await open();
    await r.register();
    for (const req of [
      { message: 'RequestAgentLogout', ReferenceID: 21, ThisDN: '1001' },
      { message: 'RequestAgentNotReady', ReferenceID: 22, ThisDN: '1001' },
      { message: 'RequestQueryAddress', ReferenceID: 23, ThisDN: '1001' },
      { message: 'RequestReleaseCall', ReferenceID: 24, ThisDN: '1001', ConnID: '0123456789abcdef' },
    ]) {
      const ev = await r.request(req);
      assert.equal(ev.message, 'EventError', JSON.stringify(ev));
      assert.equal(ev.ErrorCode, 45, JSON.stringify(ev));
      assert.equal(ev.RequestName, req.message);
      assert.match(String(ev.ErrorMessage), /DN 1001 is not registered by this client/);
    }
    const unknownDn = await r.request({ message: 'RequestRegisterAddress', ReferenceID: 25, ThisDN: '7777' });
    assert.equal(unknownDn.ErrorCode, 46);
    assert.match(String(unknownDn.ErrorMessage), /^InvalidDn: DN 7777 is not in the config/);
    // Through the library: the same refusals as typed errors.
    await assert.rejects(agentDesk.logout('1002'), (err: CtiError) => err.codeName === 'DnNotRegistered');
    await assert.rejects(agentDesk.register('7777'), (err: CtiError) => err.codeName === 'InvalidDn');
    await agentUnchanged();
  });

  test('a frame header over the 1 MiB limit: EventError, then the connection is closed', async () => {
    const r = await open();
    await r.register();
    const from = r.received.length;
    const head = Buffer.alloc(4);
    head.writeUInt32BE(50 * 1024 * 1024, 0);
    r.sendBytes(Buffer.concat([head, Buffer.from('xxxx')]));
    const ev = await r.waitFor('EventError for the oversized frame', (m) => m.message === 'EventError', from);
    assert.equal(ev.ErrorCode, 40);
    assert.match(String(ev.ErrorMessage), /larger than the limit of 1048576 bytes.*the connection is closed/);
    await until('the connection closed', () => r.closed);
    await agentUnchanged();
    const stats = (await server.get('/server?tLibClientsStatistics')) as {
      totals?: { registeredClients: number };
    };
    assert.ok((stats.totals?.registeredClients ?? 0) >= 1, JSON.stringify(stats));
  });
});
