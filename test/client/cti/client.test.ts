/**
 * The duet/cti client library against a fake pair of CTI servers on loopback (test/client/cti/fake-server.ts):
 * the session, the choice of the primary, one event stream across a switchover (no duplicates, one
 * EventPrimaryChanged), requests waiting for a primary, reconnection with re-registration, ADDP, errors.
 * The end-to-end tests with the real server are test/integration/cti-*.test.ts.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { CtiClient, type CtiClientOptions, CtiError, type CtiEvent } from '../../../src/client/cti/index.ts';
import { until } from '../../helpers/until.ts';
import { FakeCtiServer } from './fake-server.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pair(opts: { password?: string } = {}): Promise<{ a: FakeCtiServer; b: FakeCtiServer }> {
  const a = await new FakeCtiServer({ name: 'SIP_A', role: 'Primary', peerName: 'SIP_B', ...opts }).start();
  const b = await new FakeCtiServer({ name: 'SIP_B', role: 'Backup', peerName: 'SIP_A', ...opts }).start();
  cleanups.push(
    () => a.kill(),
    () => b.kill(),
  );
  return { a, b };
}

function client(
  servers: FakeCtiServer[],
  extra: Partial<CtiClientOptions> = {},
): { cti: CtiClient; events: CtiEvent[] } {
  const cti = new CtiClient({
    servers: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    application: 'Desktop',
    password: 'pw',
    reconnectMinMs: 20,
    reconnectMaxMs: 100,
    ...extra,
  });
  const events: CtiEvent[] = [];
  cti.on('event', (e) => events.push(e));
  cleanups.push(() => cti.close());
  return { cti, events };
}

const names = (evs: CtiEvent[]) => evs.map((e) => e.message);

const ringing = (connId: string, dn: string) => ({
  message: 'EventRinging',
  ConnID: connId,
  ThisDN: dn,
  OtherDN: '555',
  CallType: 'Inbound',
  CallState: 'Ok',
  UserData: {},
});

test('connects to both servers, finds the primary, registers DNs on both, sends requests to the primary', async () => {
  const { a, b } = await pair({ password: 'pw' });
  const { cti, events } = client([b, a]); // order does not matter
  await cti.connect();
  assert.equal(cti.primary, 'SIP_A');
  const reg = await cti.register('1001');
  assert.equal(reg.message, 'EventRegistered');
  assert.equal(reg.ThisDN, '1001');
  await until('registered on the backup too', () => [...b.clients].some((c) => c.dns.has('1001')));
  const login = await cti.loginAgent('1001', 'agent1', { workMode: 'ManualIn' });
  assert.equal(login.message, 'EventAgentLogin');
  assert.equal(login.AgentID, 'agent1');
  assert.ok(
    !b.requests.some((r) => r.message === 'RequestAgentLogin'),
    'agent requests are not sent to the backup',
  );
  // The stream: one EventLinkConnected, then the primary's answers (the backup's EventRegistered is not in it).
  assert.deepEqual(names(events), ['EventLinkConnected', 'EventRegistered', 'EventAgentLogin']);
  const statuses = cti.servers();
  assert.deepEqual(
    statuses.map((s) => [s.name, s.state, s.role, s.primary]),
    [
      ['SIP_B', 'registered', 'Backup', false],
      ['SIP_A', 'registered', 'Primary', true],
    ],
  );
});

test('call events come from the primary only: a backup that sends one is not heard (no duplicates)', async () => {
  const { a, b } = await pair();
  const { cti, events } = client([a, b]);
  await cti.connect();
  await cti.register('1001');
  await until('both registered', () => [a, b].every((s) => [...s.clients].some((c) => c.dns.has('1001'))));
  b.toDn('1001', ringing('c1', '1001'));
  a.toDn('1001', ringing('c1', '1001'));
  await until('the ringing', () => events.some((e) => e.message === 'EventRinging'));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(events.filter((e) => e.message === 'EventRinging').length, 1);
});

test('EventError rejects the request with a typed CtiError', async () => {
  const { a, b } = await pair();
  const { cti } = client([a, b]);
  await cti.connect();
  await assert.rejects(cti.ready('1001'), (err: unknown) => {
    assert.ok(err instanceof CtiError);
    assert.equal(err.code, 45);
    assert.equal(err.codeName, 'DnNotRegistered');
    assert.equal(err.requestName, 'RequestAgentReady');
    assert.equal(err.origin, 'server');
    assert.equal(err.server, 'SIP_A');
    assert.match(err.message, /RequestAgentReady: DnNotRegistered \(45\): DN 1001 is not registered/);
    return true;
  });
  await assert.rejects(cti.register('bad'), (err: CtiError) => err.codeName === 'InvalidDn');
  assert.deepEqual(cti.dns, [], 'a DN every server refused is forgotten');
});

test('a switchover: one EventPrimaryChanged, then the new primary state; requests follow; the old primary comes back as backup and gets the DNs again', async () => {
  const { a, b } = await pair();
  const { cti, events } = client([a, b]);
  await cti.connect();
  await cti.register('1001');
  await until('both registered', () => [a, b].every((s) => [...s.clients].some((c) => c.dns.has('1001'))));
  const aPort = a.port;
  await a.kill();
  b.promote('SIP_A', (dn) => [
    { message: 'EventAgentLogin', ThisDN: dn, AgentID: 'agent1', AgentWorkMode: 'ManualIn' },
    { message: 'EventAgentReady', ThisDN: dn, AgentID: 'agent1', AgentWorkMode: 'ManualIn' },
  ]);
  await until('the new primary state', () => events.some((e) => e.message === 'EventAgentReady'));
  assert.equal(cti.primary, 'SIP_B');
  const after = events.slice(events.findIndex((e) => e.message === 'EventRegistered') + 1);
  assert.deepEqual(names(after), ['EventPrimaryChanged', 'EventAgentLogin', 'EventAgentReady']);
  assert.deepEqual(after[0], {
    message: 'EventPrimaryChanged',
    ServerName: 'SIP_B',
    PreviousPrimary: 'SIP_A',
  });
  const login = await cti.loginAgent('1001', 'agent2');
  assert.equal(login.message, 'EventAgentLogin');

  // SIP_A restarts (as the backup) on its port: the client reconnects and registers its DNs there again.
  const a2 = await new FakeCtiServer({ name: 'SIP_A', role: 'Backup', port: aPort }).start();
  cleanups.push(() => a2.kill());
  await until('re-registered on the restarted server', () => [...a2.clients].some((c) => c.dns.has('1001')));
  assert.equal(cti.primary, 'SIP_B');
  assert.ok(!names(events).includes('EventLinkDisconnected'));
  assert.equal(names(events).filter((n) => n === 'EventPrimaryChanged').length, 1);
});

test('a graceful switchover (old primary stays up): EventLinkDisconnected from it is not shown, EventPrimaryChanged once', async () => {
  const { a, b } = await pair();
  const { cti, events } = client([a, b]);
  await cti.connect();
  a.demote();
  b.promote('SIP_A');
  await until('primary SIP_B', () => cti.primary === 'SIP_B');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(names(events), ['EventLinkConnected', 'EventPrimaryChanged']);
  // Switching back is another switchover.
  b.demote();
  a.promote('SIP_B');
  await until('primary SIP_A', () => cti.primary === 'SIP_A');
  assert.deepEqual(names(events), ['EventLinkConnected', 'EventPrimaryChanged', 'EventPrimaryChanged']);
});

test('no primary: a request waits, then is sent when a primary appears', async () => {
  const { a, b } = await pair();
  a.role = 'Backup';
  const { cti, events } = client([a, b], { primaryWaitMs: 3000 });
  await cti.connect(); // both registered, neither primary
  assert.equal(cti.primary, undefined);
  await cti.register('1001');
  const pending = cti.loginAgent('1001', 'agent1');
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(!a.requests.some((r) => r.message === 'RequestAgentLogin'));
  a.promote(null);
  const login = await pending;
  assert.equal(login.message, 'EventAgentLogin');
  assert.deepEqual(names(events).slice(0, 1), ['EventLinkConnected']);
});

test('no primary for primaryWaitMs: the request rejects clearly, then EventLinkDisconnected', async () => {
  const { a, b } = await pair();
  const { cti, events } = client([a, b], { primaryWaitMs: 200 });
  await cti.connect();
  await cti.register('1001');
  a.demote();
  await until('no primary', () => cti.primary === undefined);
  await assert.rejects(cti.ready('1001'), (err: CtiError) => {
    assert.equal(err.origin, 'client');
    assert.equal(err.codeName, 'ServiceUnavailable');
    assert.match(
      err.message,
      /no primary server within 200 ms \(SIP_A: Primary, link disconnected; SIP_B: Backup\)/,
    );
    return true;
  });
  await until('EventLinkDisconnected', () => names(events).includes('EventLinkDisconnected'));
  b.promote('SIP_A');
  await until('link connected again', () => names(events).at(-1) === 'EventPrimaryChanged');
  assert.deepEqual(names(events).slice(-4), [
    'EventRegistered',
    'EventLinkDisconnected',
    'EventLinkConnected',
    'EventPrimaryChanged',
  ]);
});

test('a request in flight when its server dies rejects; so does one with no answer', async () => {
  const { a, b } = await pair();
  const { cti } = client([a, b], { requestTimeoutMs: 300 });
  await cti.connect();
  await cti.register('1001');
  a.onRequest = (req) => (req.message === 'RequestAgentReady' ? [] : undefined); // never answers
  await assert.rejects(cti.ready('1001'), /no answer from SIP_A within 300 ms/);
  const inFlight = cti.ready('1001');
  await until('sent', () => a.requests.filter((r) => r.message === 'RequestAgentReady').length === 2);
  await a.kill();
  await assert.rejects(inFlight, /connection to SIP_A was lost before the answer/);
});

test('a wrong password: connect() rejects with AuthenticationFailed and the client is closed', async () => {
  const { a, b } = await pair({ password: 'right' });
  const { cti } = client([a, b], { password: 'wrong' });
  await assert.rejects(cti.connect(), (err: CtiError) => {
    assert.equal(err.codeName, 'AuthenticationFailed');
    assert.match(err.message, /RequestRegisterClient refused by 127\.0\.0\.1:\d+: authentication failed/);
    return true;
  });
  await assert.rejects(cti.queryServer(), /the client is closed/);
});

test('nothing listening: connect() rejects with the reason for each server', async () => {
  const { a, b } = await pair();
  await a.kill();
  await b.kill();
  const { cti } = client([a, b]);
  await assert.rejects(cti.connect(), /could not connect: 127\.0\.0\.1:\d+: .*connection refused/);
});

test('one server of two up: connect() resolves; the other is retried in the background', async () => {
  const { a, b } = await pair();
  const bPort = b.port;
  await b.kill();
  const { cti } = client([a, b]);
  await cti.connect();
  await cti.register('1001');
  assert.equal(cti.servers()[1]!.state === 'registered', false);
  const b2 = await new FakeCtiServer({ name: 'SIP_B', role: 'Backup', port: bPort }).start();
  cleanups.push(() => b2.kill());
  await until('registered on SIP_B when it came up', () => [...b2.clients].some((c) => c.dns.has('1001')));
});

test('ADDP: the client asks the server to poll it, answers polls, and drops a server that stops answering', async () => {
  const { a, b } = await pair();
  const { cti, events } = client([a, b], { addpTimeout: 0.1, primaryWaitMs: 2000 });
  await cti.connect();
  assert.equal([...a.clients][0]!.addpTimeout, 0.1, 'AddpTimeout sent in RequestRegisterClient');
  // The client answers a poll.
  const c = [...a.clients][0]!;
  let got = '';
  c.socket.on('data', (d) => (got += d.toString('utf8')));
  a.send(c, { message: 'AddpPoll' });
  await until('the answer to our poll', () => got.includes('AddpAnswer'));
  // A hung primary (socket open, nothing answered): closed by ADDP, the backup promoted, one stream.
  a.frozen = true;
  await until('SIP_A dropped', () => cti.servers()[0]!.state !== 'registered', 3000);
  assert.match(cti.servers()[0]!.lastError ?? '', /ADDP: nothing from SIP_A within 100 ms of a poll/);
  b.promote('SIP_A');
  await until('SIP_B primary', () => cti.primary === 'SIP_B');
  assert.deepEqual(names(events), ['EventLinkConnected', 'EventPrimaryChanged']);
});

test('the async iterator yields the stream; close() ends it', async () => {
  const { a, b } = await pair();
  const { cti } = client([a, b]);
  const it = cti.events();
  await cti.connect();
  await cti.register('1001');
  a.toDn('1001', ringing('c9', '1001'));
  const seen: string[] = [];
  for await (const ev of it) {
    seen.push(ev.message);
    if (ev.message === 'EventRinging') break;
  }
  assert.deepEqual(seen, ['EventLinkConnected', 'EventRegistered', 'EventRinging']);
  const it2 = cti.events();
  const end = it2.next();
  cti.close();
  assert.deepEqual(await end, { value: undefined, done: true });
});

test('bad options are refused with the option named', () => {
  assert.throws(
    () => new CtiClient({ servers: [], application: 'x' }),
    /CtiClient servers: one server or the two of a pair expected, got 0/,
  );
  assert.throws(
    () => new CtiClient({ servers: [{ host: 'h', port: 70000 }], application: 'x' }),
    /port 1\.\.65535/,
  );
  assert.throws(
    () => new CtiClient({ servers: [{ host: 'h', port: 1 }], application: 'x', addpTimeout: -1 }),
    /addpTimeout: seconds >= 0 expected/,
  );
});
