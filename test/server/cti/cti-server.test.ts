/**
 * The CTI server core on the simulator (SPEC S3, S8.1): the session (RequestRegisterClient, passwords),
 * bad input (each gets the right EventError and changes nothing else), agent state, call requests and call
 * events fanned out to exactly the clients registered on the DN, backup mode, the promotion sequence, ADDP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import { CtiErrorCodes } from '../../../src/server/cti/protocol.ts';
import { callEvent, client, ctiNode, type Msg, RawClient, registerDns } from './harness.ts';

function sim(seed = 1): Simulator {
  const s = new Simulator({ seed });
  s.network.setDefaultFaults({ delayMs: [1, 5] });
  return s;
}

const errorOf = (m: Msg | undefined) => ({
  code: m?.ErrorCode,
  ref: m?.ReferenceID,
  request: m?.RequestName,
});

describe('CTI session', () => {
  it('registers a client: EventServerInfo echoing the ReferenceID, then EventLinkConnected on the primary', () => {
    const s = sim();
    const srv = ctiNode(s);
    const c = client(s, srv);
    const got = c.take();
    assert.deepEqual(
      got.map((m) => m.message),
      ['EventServerInfo', 'EventLinkConnected'],
    );
    assert.deepEqual(got[0], {
      message: 'EventServerInfo',
      ServerName: 'SIP_A',
      ServerRole: 'Primary',
      PeerName: null,
      Version: '0.1.0',
      ReferenceID: 1,
    });
    assert.ok(srv.log.some((e) => e.event === '10-70001' && e.params.client === 'Desktop1'));
    assert.equal(srv.cti.server.clientCount, 1);
    // A client application without a password needs none.
    const r = client(s, srv, 'Router1', null);
    assert.deepEqual(r.names(), ['EventServerInfo', 'EventLinkConnected']);
  });

  for (const [what, app, password] of [
    ['a wrong password', 'Desktop1', 'nope'],
    ['no password', 'Desktop1', null],
    ['an unknown application', 'Nobody', 'desk-pw'],
    ['a sip-server application', 'SIP_A', 'desk-pw'],
  ] as const) {
    it(`refuses ${what}: EventError AuthenticationFailed, 10-70003, closed`, () => {
      const s = sim();
      const srv = ctiNode(s);
      const c = client(s, srv, app, password);
      const got = c.take();
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.deepEqual(errorOf(got[0]), {
        code: CtiErrorCodes.AuthenticationFailed,
        ref: 1,
        request: 'RequestRegisterClient',
      });
      assert.equal(c.closed, true);
      assert.ok(srv.log.some((e) => e.event === '10-70003'));
      assert.equal(srv.cti.server.clientCount, 0);
      assert.equal(srv.cti.server.statistics().clients.length, 0);
    });
  }

  it('refuses a connection whose first message is not RequestRegisterClient', () => {
    const s = sim();
    const srv = ctiNode(s);
    const node = s.addNode('early', ['198.51.100.200']);
    const c = new RawClient(node, srv.address);
    c.request('RequestRegisterAddress', { ThisDN: '1001' });
    s.runFor(50);
    const got = c.take();
    assert.deepEqual(errorOf(got[0]), {
      code: CtiErrorCodes.NotRegisteredClient,
      ref: 1,
      request: 'RequestRegisterClient',
    });
    assert.equal(c.closed, true);
  });

  it('closes a connection that never registers', () => {
    const s = sim();
    const srv = ctiNode(s);
    const c = new RawClient(s.addNode('idle', ['198.51.100.201']), srv.address);
    s.runFor(29_000);
    assert.equal(c.closed, false);
    s.runFor(2000);
    assert.equal(c.closed, true);
    assert.equal(c.take()[0]?.ErrorCode, CtiErrorCodes.NotRegisteredClient);
  });
});

describe('CTI bad input changes nothing', () => {
  it('malformed JSON in a good frame: EventError InvalidMessage, the connection stays', () => {
    const s = sim();
    const srv = ctiNode(s);
    const c = client(s, srv);
    c.take();
    const body = Buffer.from('{"message": "RequestQueryServer", ');
    const frame = Buffer.alloc(4 + body.length);
    frame.writeUInt32BE(body.length, 0);
    body.copy(frame, 4);
    c.write(frame);
    c.send([1, 2]);
    c.send({ ReferenceID: 3 });
    s.runFor(50);
    assert.deepEqual(
      c.take().map((m) => m.ErrorCode),
      [CtiErrorCodes.InvalidMessage, CtiErrorCodes.InvalidMessage, CtiErrorCodes.InvalidMessage],
    );
    assert.equal(c.closed, false);
    c.request('RequestQueryServer');
    s.runFor(50);
    assert.deepEqual(c.names(), ['EventServerInfo']);
  });

  it('a broken frame header (over the limit): EventError, then the connection closes', () => {
    const s = sim();
    const srv = ctiNode(s);
    const c = client(s, srv);
    c.take();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xfffffff0, 0);
    c.write(header);
    s.runFor(50);
    const got = c.take();
    assert.equal(got.length, 1);
    assert.equal(got[0]?.ErrorCode, CtiErrorCodes.InvalidMessage);
    assert.match(String(got[0]?.ErrorMessage), /larger than the limit/);
    assert.equal(c.closed, true);
    assert.ok(srv.log.some((e) => e.event === '10-70002' && /bad frame/.test(String(e.params.reason))));
  });

  it('unknown request, missing or bad ReferenceID, unknown DN, DN not registered: each its EventError', () => {
    const s = sim();
    const srv = ctiNode(s);
    const c = client(s, srv);
    c.take();
    c.request('RequestSomethingElse', { ThisDN: '1001' });
    c.send({ message: 'RequestQueryServer' });
    c.send({ message: 'RequestQueryServer', ReferenceID: -4 });
    c.send({ message: 'RequestQueryServer', ReferenceID: '7' });
    const unknownDn = c.request('RequestRegisterAddress', { ThisDN: '4444' });
    const notRegistered = c.request('RequestAgentLogin', { ThisDN: '1001', AgentID: 'agent2' });
    const noDn = c.request('RequestRegisterAddress', {});
    s.runFor(50);
    assert.deepEqual(c.take().map(errorOf), [
      { code: CtiErrorCodes.UnknownRequest, ref: 1 + 1, request: 'RequestSomethingElse' },
      { code: CtiErrorCodes.InvalidAttribute, ref: undefined, request: 'RequestQueryServer' },
      { code: CtiErrorCodes.InvalidAttribute, ref: undefined, request: 'RequestQueryServer' },
      { code: CtiErrorCodes.InvalidAttribute, ref: undefined, request: 'RequestQueryServer' },
      { code: CtiErrorCodes.InvalidDn, ref: unknownDn, request: 'RequestRegisterAddress' },
      { code: CtiErrorCodes.DnNotRegistered, ref: notRegistered, request: 'RequestAgentLogin' },
      { code: CtiErrorCodes.InvalidAttribute, ref: noDn, request: 'RequestRegisterAddress' },
    ]);
    assert.equal([...srv.store.agents()].length, 0, 'no agent state was made');
    assert.deepEqual(srv.cti.server.statistics().clients[0]?.registeredDns, []);
    assert.equal(c.closed, false);
  });

  it('a call request on a DN not registered reaches no B2BUA method', () => {
    const s = sim();
    const srv = ctiNode(s);
    const c = client(s, srv);
    c.take();
    registerDns(s, c, '1001');
    c.request('RequestReleaseCall', { ThisDN: '1002', ConnID: 'aaaaaaaaaaaaaaaa' });
    c.request('RequestMakeCall', { ThisDN: '1001' });
    s.runFor(50);
    assert.deepEqual(
      c.take().map((m) => m.ErrorCode),
      [CtiErrorCodes.DnNotRegistered, CtiErrorCodes.InvalidAttribute],
    );
    assert.deepEqual(srv.calls.requests, []);
  });
});

describe('CTI agent state', () => {
  it('login, ready, not ready (after-call work), ready, logout: events to every client on the DN', () => {
    const s = sim();
    const srv = ctiNode(s);
    const agent = client(s, srv);
    const supervisor = client(s, srv, 'Desktop2');
    const other = client(s, srv, 'Router1', null);
    for (const c of [agent, supervisor, other]) c.take();
    registerDns(s, agent, '1001');
    registerDns(s, supervisor, '1001');
    registerDns(s, other, '1002');

    const login = agent.request('RequestAgentLogin', { ThisDN: '1001', AgentID: 'agent1', Password: 'a1pw' });
    s.runFor(50);
    const mine = agent.take();
    assert.deepEqual(mine, [
      {
        message: 'EventAgentLogin',
        ThisDN: '1001',
        AgentID: 'agent1',
        AgentWorkMode: 'ManualIn',
        ReferenceID: login,
      },
    ]);
    assert.deepEqual(supervisor.take(), [
      { message: 'EventAgentLogin', ThisDN: '1001', AgentID: 'agent1', AgentWorkMode: 'ManualIn' },
    ]);
    assert.equal(srv.store.agent('agent1')?.status, 'NotReady');

    agent.request('RequestAgentReady', { ThisDN: '1001' });
    s.runFor(50);
    assert.equal(srv.store.agent('agent1')?.status, 'Ready');
    const acw = agent.request('RequestAgentNotReady', {
      ThisDN: '1001',
      AgentWorkMode: 'AfterCallWork',
      Reasons: { code: 'wrap-up' },
    });
    s.runFor(50);
    assert.equal(srv.store.agent('agent1')?.status, 'AfterCallWork');
    assert.deepEqual(srv.store.agent('agent1')?.reasons, { code: 'wrap-up' });
    agent.request('RequestAgentNotReady', { ThisDN: '1001', Reasons: { code: 'break' } });
    s.runFor(50);
    assert.equal(srv.store.agent('agent1')?.status, 'NotReady');
    assert.equal(srv.store.agent('agent1')?.reason, 'break');
    agent.request('RequestAgentReady', { ThisDN: '1001' });
    agent.request('RequestAgentLogout', { ThisDN: '1001' });
    s.runFor(50);
    assert.equal(srv.store.agent('agent1')?.status, 'LoggedOut');
    const got = agent.take();
    assert.deepEqual(
      got.map((m) => [m.message, m.AgentWorkMode ?? null]),
      [
        ['EventAgentReady', 'ManualIn'],
        ['EventAgentNotReady', 'AfterCallWork'],
        ['EventAgentNotReady', 'Unknown'],
        ['EventAgentReady', 'ManualIn'],
        ['EventAgentLogout', 'Unknown'],
      ],
    );
    assert.equal(got[1]?.ReferenceID, acw);
    assert.deepEqual(got[1]?.Reasons, { code: 'wrap-up' });
    assert.deepEqual(supervisor.names(), [
      'EventAgentReady',
      'EventAgentNotReady',
      'EventAgentNotReady',
      'EventAgentReady',
      'EventAgentLogout',
    ]);
    assert.ok(supervisor.received.every((m) => m.ReferenceID === undefined));
    assert.deepEqual(other.take(), [], 'a client on another DN hears nothing');
    assert.ok(srv.log.filter((e) => e.event === '10-70004').length >= 6);
  });

  it('AutoIn logs the agent in ready', () => {
    const s = sim();
    const srv = ctiNode(s);
    const c = client(s, srv);
    c.take();
    registerDns(s, c, '1002');
    c.request('RequestAgentLogin', { ThisDN: '1002', AgentID: 'agent2', AgentWorkMode: 'AutoIn' });
    s.runFor(50);
    assert.deepEqual(c.names(), ['EventAgentLogin', 'EventAgentReady']);
    assert.equal(srv.store.agent('agent2')?.status, 'Ready');
  });

  it('refuses a second agent on a busy DN, an agent already elsewhere, a wrong password; state unchanged', () => {
    const s = sim();
    const srv = ctiNode(s);
    const c = client(s, srv);
    c.take();
    registerDns(s, c, '1001', '1002', '5000');
    c.request('RequestAgentLogin', { ThisDN: '1001', AgentID: 'agent2' });
    s.runFor(50);
    c.take();
    const before = srv.store.snapshot();
    const seq = srv.store.seq;
    c.request('RequestAgentLogin', { ThisDN: '1001', AgentID: 'agent3' });
    c.request('RequestAgentLogin', { ThisDN: '1002', AgentID: 'agent2' });
    c.request('RequestAgentLogin', { ThisDN: '1002', AgentID: 'agent1', Password: 'wrong' });
    c.request('RequestAgentLogin', { ThisDN: '1002', AgentID: 'ghost' });
    c.request('RequestAgentLogin', { ThisDN: '5000', AgentID: 'agent3' });
    c.request('RequestAgentLogin', { ThisDN: '1002', AgentID: 'agent3', AgentWorkMode: 'Sleepy' });
    c.request('RequestAgentReady', { ThisDN: '1002' });
    s.runFor(50);
    assert.deepEqual(
      c.take().map((m) => m.ErrorCode),
      [
        CtiErrorCodes.AgentLoginRefused,
        CtiErrorCodes.AgentLoginRefused,
        CtiErrorCodes.AgentLoginRefused,
        CtiErrorCodes.AgentLoginRefused,
        CtiErrorCodes.InvalidDn,
        CtiErrorCodes.InvalidAttribute,
        CtiErrorCodes.AgentNotLoggedIn,
      ],
    );
    assert.equal(srv.store.seq, seq, 'no record committed');
    assert.deepEqual(srv.store.snapshot(), before);
  });
});

describe('CTI call requests and events', () => {
  it('call events go to exactly the clients registered on the event DN', () => {
    const s = sim();
    const srv = ctiNode(s);
    const a = client(s, srv);
    const b = client(s, srv, 'Desktop2');
    const r = client(s, srv, 'Router1', null);
    for (const c of [a, b, r]) c.take();
    registerDns(s, a, '1001');
    registerDns(s, b, '1001', '1002');
    registerDns(s, r, '5000');
    srv.cti.server.onCallEvent(
      callEvent('Ringing', '1002', 'aaaaaaaaaaaaaaaa', {
        otherDn: '+3312345',
        callType: 'Inbound',
        userData: { k: 'v' },
      }),
    );
    srv.cti.server.onCallEvent(callEvent('Dialing', '1001', 'bbbbbbbbbbbbbbbb'));
    srv.cti.server.onCallEvent(callEvent('Dialing', '1003', 'cccccccccccccccc'));
    s.runFor(50);
    assert.deepEqual(a.names(), ['EventDialing']);
    const got = b.take();
    assert.deepEqual(got, [
      {
        message: 'EventRinging',
        ConnID: 'aaaaaaaaaaaaaaaa',
        ThisDN: '1002',
        OtherDN: '+3312345',
        CallType: 'Inbound',
        CallState: 'Ok',
        UserData: { k: 'v' },
      },
      {
        message: 'EventDialing',
        ConnID: 'bbbbbbbbbbbbbbbb',
        ThisDN: '1001',
        OtherDN: '1002',
        CallType: 'Internal',
        CallState: 'Ok',
        UserData: {},
      },
    ]);
    assert.deepEqual(r.take(), []);
  });

  it('MakeCall: the first event of the new call on ThisDN carries the ReferenceID (sync or later)', () => {
    const s = sim();
    const srv = ctiNode(s);
    const a = client(s, srv);
    const watcher = client(s, srv, 'Desktop2');
    a.take();
    watcher.take();
    registerDns(s, a, '1001');
    registerDns(s, watcher, '1001');
    // The B2BUA reports Dialing while it takes the request.
    srv.calls.next = { ok: true, connId: 'c000000000000001' };
    srv.calls.during = [callEvent('Dialing', '1001', 'c000000000000001')];
    const ref1 = a.request('RequestMakeCall', { ThisDN: '1001', OtherDN: '1002', UserData: { case: '42' } });
    s.runFor(50);
    assert.deepEqual(srv.calls.requests[0], { method: 'makeCall', args: ['1001', '1002', { case: '42' }] });
    // ... or later, once the origin phone answered.
    const ref2 = a.request('RequestMakeCall', { ThisDN: '1001', OtherDN: '1003' });
    s.runFor(50);
    srv.cti.server.onCallEvent(callEvent('Dialing', '1001', 'c0ffee0000000001'));
    srv.cti.server.onCallEvent(callEvent('Ringing', '1001', 'c0ffee0000000001'));
    s.runFor(50);
    assert.deepEqual(
      a.take().map((m) => [m.message, m.ConnID, m.ReferenceID]),
      [
        ['EventDialing', 'c000000000000001', ref1],
        ['EventDialing', 'c0ffee0000000001', ref2],
        ['EventRinging', 'c0ffee0000000001', undefined],
      ],
    );
    assert.ok(watcher.received.every((m) => m.ReferenceID === undefined));
    assert.equal(watcher.take().length, 3);
  });

  it('Hold, Release, RouteCall, UpdateUserData: the answering event carries the ReferenceID', () => {
    const s = sim();
    const srv = ctiNode(s);
    const a = client(s, srv);
    a.take();
    registerDns(s, a, '1001', '5000');
    const id = 'dddddddddddddddd';
    const hold = a.request('RequestHoldCall', { ThisDN: '1001', ConnID: id });
    const route = a.request('RequestRouteCall', { ThisDN: '5000', ConnID: id, OtherDN: '1001' });
    s.runFor(50);
    srv.cti.server.onCallEvent(callEvent('AttachedDataChanged', '1001', id)); // not the answer to a hold
    srv.cti.server.onCallEvent(callEvent('Held', '1001', id));
    srv.cti.server.onCallEvent(callEvent('RouteUsed', '5000', id));
    srv.calls.during = [callEvent('AttachedDataChanged', '1001', id, { userData: { a: '1' } })];
    const upd = a.request('RequestUpdateUserData', { ThisDN: '1001', ConnID: id, UserData: { a: '1' } });
    s.runFor(50);
    // Not reported by the B2BUA for ThisDN: a plain EventACK.
    const att = a.request('RequestAttachUserData', { ThisDN: '5000', ConnID: id, UserData: { b: '2' } });
    const rel = a.request('RequestReleaseCall', { ThisDN: '1001', ConnID: id });
    s.runFor(50);
    srv.cti.server.onCallEvent(callEvent('Released', '1001', id, { cause: 'released by the agent' }));
    s.runFor(50);
    assert.deepEqual(
      a.take().map((m) => [m.message, m.ReferenceID]),
      [
        ['EventAttachedDataChanged', undefined],
        ['EventHeld', hold],
        ['EventRouteUsed', route],
        ['EventAttachedDataChanged', upd],
        ['EventACK', att],
        ['EventReleased', rel],
      ],
    );
    assert.deepEqual(
      srv.calls.requests.map((r) => r.method),
      ['holdCall', 'routeParked', 'updateUserData', 'updateUserData', 'releaseCall'],
    );
    assert.deepEqual(srv.calls.requests[2]?.args, [id, { a: '1' }, 'update']);
    assert.deepEqual(srv.calls.requests[3]?.args, [id, { b: '2' }, 'attach']);
  });

  it('a refused call request: EventError with the mapped code and the B2BUA message', () => {
    const s = sim();
    const srv = ctiNode(s);
    const a = client(s, srv);
    a.take();
    registerDns(s, a, '1001');
    const cases = [
      ['no-such-call', CtiErrorCodes.InvalidConnId],
      ['invalid-state', CtiErrorCodes.InvalidState],
      ['not-supported', CtiErrorCodes.NotSupported],
      ['no-contact', CtiErrorCodes.InvalidDestination],
    ] as const;
    for (const [kind, code] of cases) {
      srv.calls.next = { ok: false, kind, message: `because ${kind}` };
      const ref = a.request('RequestAnswerCall', { ThisDN: '1001', ConnID: 'eeeeeeeeeeeeeeee' });
      s.runFor(50);
      const got = a.take();
      assert.equal(got.length, 1);
      assert.deepEqual(errorOf(got[0]), { code, ref, request: 'RequestAnswerCall' });
      assert.match(String(got[0]?.ErrorMessage), new RegExp(`because ${kind}`));
    }
    // The pending answer does not linger: a later event for that call carries no ReferenceID.
    srv.cti.server.onCallEvent(callEvent('Established', '1001', 'eeeeeeeeeeeeeeee'));
    s.runFor(50);
    assert.equal(a.take()[0]?.ReferenceID, undefined);
  });

  it('a request whose call is released first gets the EventReleased', () => {
    const s = sim();
    const srv = ctiNode(s);
    const a = client(s, srv);
    a.take();
    registerDns(s, a, '1001');
    const ans = a.request('RequestAnswerCall', { ThisDN: '1001', ConnID: 'ffffffffffffffff' });
    s.runFor(50);
    srv.cti.server.onCallEvent(callEvent('Released', '1001', 'ffffffffffffffff', { callState: 'NoAnswer' }));
    s.runFor(50);
    assert.deepEqual(
      a.take().map((m) => [m.message, m.ReferenceID]),
      [['EventReleased', ans]],
    );
  });

  it('a hold or answer whose SIP part fails: EventError RequestFailed with the SIP reason to the requester only', () => {
    const s = sim();
    const srv = ctiNode(s);
    const a = client(s, srv);
    const watcher = client(s, srv, 'Desktop2');
    a.take();
    watcher.take();
    registerDns(s, a, '1001');
    registerDns(s, watcher, '1001');
    const x = 'aaaaaaaaaaaaaaa1';
    const z = 'aaaaaaaaaaaaaaa3';
    const hold = a.request('RequestHoldCall', { ThisDN: '1001', ConnID: x });
    const ans = a.request('RequestAnswerCall', { ThisDN: '1001', ConnID: z });
    s.runFor(50);
    const message =
      `hold of call ${x} by DN 1001 failed: 5551234 answered the re-INVITE 488 Not Acceptable Here; ` +
      'the call is unchanged (Established on DN 1001)';
    srv.calls.fail({
      request: 'hold',
      connId: x,
      dn: '1001',
      status: 488,
      reason: 'Not Acceptable Here',
      message,
    });
    // A failure no request waits for (no retrieve was asked; another DN) is not sent to anyone.
    srv.calls.fail({
      request: 'retrieve',
      connId: x,
      dn: '1001',
      status: 408,
      reason: 'No response',
      message: 'r',
    });
    srv.calls.fail({
      request: 'hold',
      connId: x,
      dn: '1002',
      status: 408,
      reason: 'No response',
      message: 'h',
    });
    s.runFor(50);
    const got = a.take();
    assert.deepEqual(got.map(errorOf), [
      { code: CtiErrorCodes.RequestFailed, ref: hold, request: 'RequestHoldCall' },
    ]);
    assert.equal(got[0]?.ErrorMessage, `RequestFailed: ${message}`);
    assert.deepEqual(watcher.take(), []);
    // The hold is answered: a later Held of that call carries no ReferenceID; the answer still waits.
    srv.cti.server.onCallEvent(callEvent('Held', '1001', x));
    srv.cti.server.onCallEvent(callEvent('Established', '1001', z));
    s.runFor(50);
    assert.deepEqual(
      a.take().map((m) => [m.message, m.ReferenceID]),
      [
        ['EventHeld', undefined],
        ['EventEstablished', ans],
      ],
    );
    // Failed while the B2BUA was still taking the request.
    srv.calls.failingDuring = [
      { request: 'answer', connId: z, dn: '1001', status: 503, reason: 'Transport error', message: 'no way' },
    ];
    const ans2 = a.request('RequestAnswerCall', { ThisDN: '1001', ConnID: z });
    s.runFor(50);
    assert.deepEqual(a.take().map(errorOf), [
      { code: CtiErrorCodes.RequestFailed, ref: ans2, request: 'RequestAnswerCall' },
    ]);
    srv.cti.server.onCallEvent(callEvent('Established', '1001', z));
    s.runFor(50);
    assert.equal(a.take()[0]?.ReferenceID, undefined);
  });

  it('a request no event answers gets EventError RequestTimeout after 40 s; answered ones do not', () => {
    const s = sim();
    const srv = ctiNode(s);
    const a = client(s, srv);
    a.take();
    registerDns(s, a, '1001');
    const x = 'bbbbbbbbbbbbbbb1';
    const y = 'bbbbbbbbbbbbbbb2';
    const hold = a.request('RequestHoldCall', { ThisDN: '1001', ConnID: x });
    const retrieve = a.request('RequestRetrieveCall', { ThisDN: '1001', ConnID: y });
    s.runFor(1000);
    srv.cti.server.onCallEvent(callEvent('Held', '1001', x));
    s.runFor(37_000);
    assert.deepEqual(
      a.take().map((m) => [m.message, m.ReferenceID]),
      [['EventHeld', hold]],
    );
    s.runFor(4000);
    const got = a.take();
    assert.deepEqual(got.map(errorOf), [
      { code: CtiErrorCodes.RequestTimeout, ref: retrieve, request: 'RequestRetrieveCall' },
    ]);
    assert.match(
      String(got[0]?.ErrorMessage),
      new RegExp(
        `^RequestTimeout: no event answered RequestRetrieveCall on call ${y} for DN 1001 within 40 s`,
      ),
    );
    // Forgotten: a late EventRetrieved is an ordinary event.
    srv.cti.server.onCallEvent(callEvent('Retrieved', '1001', y));
    s.runFor(60_000);
    assert.deepEqual(
      a.take().map((m) => [m.message, m.ReferenceID]),
      [['EventRetrieved', undefined]],
    );
  });

  it('OOS changes go to the DN clients', () => {
    const s = sim();
    const srv = ctiNode(s);
    const a = client(s, srv);
    a.take();
    registerDns(s, a, '1001');
    srv.cti.server.onDnServiceChange('1001', false);
    srv.cti.server.onDnServiceChange('1002', false);
    srv.cti.server.onDnServiceChange('1001', true);
    s.runFor(50);
    assert.deepEqual(a.names(), ['EventDNOutOfService', 'EventDNBackInService']);
  });

  it('RequestQueryAddress: type, service, agent and calls', () => {
    const s = sim();
    const srv = ctiNode(s);
    const a = client(s, srv);
    a.take();
    registerDns(s, a, '1001');
    a.request('RequestAgentLogin', { ThisDN: '1001', AgentID: 'agent2', AgentWorkMode: 'AutoIn' });
    srv.calls.calls.set('1001', [
      { connId: '0123456789abcdef', partyState: 'Established', otherDn: '1002', callType: 'Internal' },
    ]);
    s.runFor(50);
    a.take();
    const ref = a.request('RequestQueryAddress', { ThisDN: '1001' });
    s.runFor(50);
    assert.deepEqual(a.take(), [
      {
        message: 'EventAddressInfo',
        ThisDN: '1001',
        DNType: 'Extension',
        InService: true,
        Agent: { AgentID: 'agent2', Status: 'Ready', AgentWorkMode: 'AutoIn' },
        Calls: [
          { ConnID: '0123456789abcdef', PartyState: 'Established', OtherDN: '1002', CallType: 'Internal' },
        ],
        ReferenceID: ref,
      },
    ]);
  });
});

describe('CTI on the backup and on promotion', () => {
  it('the backup takes registrations and queries, refuses agent and call requests, sends no call events', () => {
    const s = sim();
    const srv = ctiNode(s, 'Backup');
    const a = client(s, srv);
    const hello = a.take();
    assert.deepEqual(
      hello.map((m) => m.message),
      ['EventServerInfo'],
      'no EventLinkConnected from the backup',
    );
    assert.equal(hello[0]?.ServerRole, 'Backup');
    registerDns(s, a, '1001');
    const query = a.request('RequestQueryAddress', { ThisDN: '1001' });
    const server = a.request('RequestQueryServer');
    const login = a.request('RequestAgentLogin', { ThisDN: '1001', AgentID: 'agent2' });
    const make = a.request('RequestMakeCall', { ThisDN: '1001', OtherDN: '1002' });
    const rel = a.request('RequestReleaseCall', { ThisDN: '1001', ConnID: '0123456789abcdef' });
    s.runFor(50);
    srv.cti.server.onCallEvent(callEvent('Ringing', '1001', '0123456789abcdef'));
    srv.cti.server.onDnServiceChange('1001', false);
    s.runFor(50);
    assert.deepEqual(
      a.take().map((m) => [m.message, m.ErrorCode ?? null, m.ReferenceID ?? null]),
      [
        ['EventAddressInfo', null, query],
        ['EventServerInfo', null, server],
        ['EventError', CtiErrorCodes.BackupMode, login],
        ['EventError', CtiErrorCodes.BackupMode, make],
        ['EventError', CtiErrorCodes.BackupMode, rel],
      ],
    );
    assert.deepEqual(srv.calls.requests, [], 'nothing reached the B2BUA');
    assert.equal(srv.store.seq, 0, 'nothing committed');
  });

  it('promotion: EventLinkConnected, EventPrimaryChanged, then each registered DN: agent, then calls', () => {
    const s = sim();
    const srv = ctiNode(s, 'Backup');
    const a = client(s, srv);
    const idle = client(s, srv, 'Router1', null);
    a.take();
    idle.take();
    registerDns(s, a, '1001', '1002');
    // The state the primary synced: an agent ready on 1001, a call established on 1001 and ringing on 1002.
    srv.store.commit({
      type: 'AgentStateChanged',
      agent: { agentId: 'agent2', dn: '1001', status: 'Ready', workMode: 'ManualIn', reason: null, since: 0 },
    });
    srv.calls.calls.set('1001', [
      {
        connId: '0123456789abcdef',
        partyState: 'Established',
        otherDn: '+331',
        callType: 'Inbound',
        userData: { x: 'y' },
      },
    ]);
    srv.calls.calls.set('1002', [
      { connId: '1123456789abcdef', partyState: 'Ringing', otherDn: '1003', callType: 'Internal' },
    ]);
    srv.gate.set('Primary');
    s.runFor(50);
    const got = a.take();
    assert.deepEqual(
      got.map((m) => [m.message, m.ThisDN ?? null, m.ConnID ?? m.AgentID ?? null]),
      [
        ['EventLinkConnected', null, null],
        ['EventPrimaryChanged', null, null],
        ['EventAgentLogin', '1001', 'agent2'],
        ['EventAgentReady', '1001', 'agent2'],
        ['EventEstablished', '1001', '0123456789abcdef'],
        ['EventRinging', '1002', '1123456789abcdef'],
      ],
    );
    assert.ok(got.every((m) => m.ReferenceID === undefined));
    assert.deepEqual(got[1], { message: 'EventPrimaryChanged', ServerName: 'SIP_A', PreviousPrimary: null });
    assert.deepEqual(got[4]?.UserData, { x: 'y' });
    assert.deepEqual(idle.names(), ['EventLinkConnected', 'EventPrimaryChanged']);
    // Demotion: EventLinkDisconnected to every client, which stays connected.
    srv.gate.set('Backup');
    s.runFor(50);
    assert.deepEqual(a.names(), ['EventLinkDisconnected']);
    assert.deepEqual(idle.names(), ['EventLinkDisconnected']);
    assert.equal(a.closed || idle.closed, false);
  });
});

describe('CTI registration of a DN with state', () => {
  it('the primary follows EventRegistered with the DN state: agent, then calls (a reconnecting client resyncs)', () => {
    const s = sim();
    const srv = ctiNode(s);
    srv.store.commit({
      type: 'AgentStateChanged',
      agent: {
        agentId: 'agent2',
        dn: '1001',
        status: 'NotReady',
        workMode: 'ManualIn',
        reason: null,
        since: 0,
      },
    });
    srv.calls.calls.set('1001', [
      {
        connId: '0123456789abcdef',
        partyState: 'Held',
        otherDn: '+331',
        callType: 'Inbound',
        userData: { k: 'v' },
      },
    ]);
    const a = client(s, srv);
    a.take();
    const ref = a.request('RequestRegisterAddress', { ThisDN: '1001' });
    s.runFor(50);
    const got = a.take();
    assert.deepEqual(
      got.map((m) => [m.message, m.ReferenceID ?? null]),
      [
        ['EventRegistered', ref],
        ['EventAgentLogin', null],
        ['EventAgentNotReady', null],
        ['EventHeld', null],
      ],
    );
    assert.deepEqual(got[3]?.UserData, { k: 'v' });
    // The backup registers the DN and sends no state (it sends no call events at all).
    const s2 = sim(2);
    const backup = ctiNode(s2, 'Backup');
    backup.store.commit({
      type: 'AgentStateChanged',
      agent: { agentId: 'agent2', dn: '1001', status: 'Ready', workMode: 'ManualIn', reason: null, since: 0 },
    });
    const b = client(s2, backup);
    b.take();
    b.request('RequestRegisterAddress', { ThisDN: '1001' });
    s2.runFor(50);
    assert.deepEqual(b.names(), ['EventRegistered']);
  });
});

describe('CTI ADDP and statistics', () => {
  it('polls with the client AddpTimeout and closes a client that stopped answering', () => {
    const s = sim();
    const srv = ctiNode(s);
    const live = client(s, srv, 'Desktop1', 'desk-pw', { AddpTimeout: 0.5 });
    const dead = client(s, srv, 'Desktop2', 'desk-pw', { AddpTimeout: 0.5 });
    s.runFor(5000);
    assert.equal(live.closed || dead.closed, false, 'live clients answer the polls');
    dead.answerPolls = false;
    const stop = s.now;
    s.runUntil(() => dead.closed, { timeoutMs: 5000 });
    assert.equal(dead.closed, true);
    assert.ok(
      s.now - stop <= 1100,
      `closed ${s.now - stop} ms after it stopped answering (<= 2 x 500 + delays)`,
    );
    assert.equal(live.closed, false);
    assert.ok(srv.log.some((e) => e.event === '10-70002' && /ADDP/.test(String(e.params.reason))));
    // The server answers a client's poll whatever its own settings.
    live.send({ message: 'AddpPoll' });
    s.runFor(50);
    assert.equal(live.closed, false);
  });

  it('statistics: each client with its name, address, transport, DNs and counters', () => {
    const s = sim();
    const srv = ctiNode(s);
    const a = client(s, srv);
    a.take();
    registerDns(s, a, '1001', '1002');
    a.request('RequestQueryServer');
    s.runFor(50);
    const st = srv.cti.server.statistics();
    assert.equal(st.clients.length, 1);
    const c = st.clients[0]!;
    assert.equal(c.name, 'Desktop1');
    assert.equal(c.transport, 'tcp');
    assert.match(c.address, /^198\.51\.100\.\d+:\d+$/);
    assert.deepEqual(c.registeredDns, ['1001', '1002']);
    assert.equal(c.requests, 3);
    assert.equal(c.eventsSent, 5, 'ServerInfo, LinkConnected, 2 x Registered, ServerInfo');
    assert.deepEqual(st.totals, {
      clients: 1,
      registeredClients: 1,
      requests: 3,
      eventsSent: 5,
      closedNotReading: 0,
    });
    assert.equal(c.queuedBytes, 0, 'everything sent has been read');
    a.close();
    s.runFor(50);
    assert.equal(srv.cti.server.statistics().totals.clients, 0);
  });
});
