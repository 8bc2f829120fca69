/**
 * Third-party call control and call events of the B2BUA (SPEC S3, issue 5 items 3-4), on the simulator: one
 * server with phones (test/sim/cti-phone.ts) and a trunk peer; each test drives SIP and the B2BUA methods and
 * checks the call events (T-Library sequences), the SIP each phone saw, the store, and the refusals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config, SipServerApp } from '../../../src/config/config.ts';
import { createLogger } from '../../../src/log/logger.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import type { CallEvent, RequestFailure } from '../../../src/server/b2bua/call-events.ts';
import { SipServer } from '../../../src/server/sip-server.ts';
import { CtiPhone, mediaOf } from '../../sim/cti-phone.ts';
import { pairConfig, VIP } from '../../sim/pair.ts';

const server = { transport: 'UDP' as const, host: VIP, port: 5060 };
const TRUNK_HOST = '192.0.2.50';

const EXTRA_DNS = `
  "1005": { type: Extension, options: { sip-cti-control: "talk" } }
  "T1": { type: Trunk, options: { contact: "${TRUNK_HOST}:5060", prefix: "9" } }
`;

interface World {
  sim: Simulator;
  node: SimNode;
  sip: SipServer;
  events: CallEvent[];
  /** Accepted requests whose SIP part failed (b2bua.onRequestFailed). */
  failures: RequestFailure[];
  log: { event: string; params: Record<string, unknown> }[];
  phone(dn: string, opts?: ConstructorParameters<typeof CtiPhone>[3]): CtiPhone;
  trunk(number: string, opts?: { answerAfterMs?: number }): CtiPhone;
  /** The events as "Type thisDn otherDn callState", in order. */
  seen(): string[];
}

function world(seed: number, tweak?: (config: Config) => void): World {
  const sim = new Simulator({ seed });
  sim.network.setDefaultFaults({ delayMs: [1, 5] });
  const config = pairConfig('hot-standby', EXTRA_DNS);
  tweak?.(config);
  const node = sim.addNode('SIP_A', [VIP]);
  const log: World['log'] = [];
  const logger = createLogger({
    app: 'SIP_A',
    level: 'all',
    destination: {
      write(line: string) {
        const e = JSON.parse(line) as { event?: string; params?: Record<string, unknown> };
        if (e.event) log.push({ event: e.event, params: e.params ?? {} });
      },
    },
  });
  const sip = new SipServer({
    clock: node.clock,
    random: node.random,
    net: node.net,
    config,
    app: 'SIP_A',
    logger,
  });
  sip.start(() => {});
  const events: CallEvent[] = [];
  sip.b2bua.onCallEvent((e) => events.push(e));
  const failures: RequestFailure[] = [];
  sip.b2bua.onRequestFailed((f) => failures.push(f));
  let n = 10;
  return {
    sim,
    node,
    sip,
    events,
    failures,
    log,
    phone(dn, opts) {
      const p = new CtiPhone(sim.addNode(dn, [`192.0.2.${n++}`]), dn, server, opts);
      p.register();
      return p;
    },
    trunk(number, opts) {
      return new CtiPhone(sim.addNode('trunk', [TRUNK_HOST]), number, server, opts);
    },
    seen: () => events.map((e) => `${e.type} ${e.thisDn} ${e.otherDn} ${e.callState}`),
  };
}

function onlyCall(w: World): string {
  const calls = [...w.sip.store.calls()];
  assert.equal(calls.length, 1, JSON.stringify(calls.map((c) => c.connId)));
  return calls[0]!.connId;
}

test('internal call: Dialing, Ringing, Established on both, Released on both, one ConnID', () => {
  const w = world(1);
  const a = w.phone('1001');
  const b = w.phone('1002', { answerAfterMs: 300 });
  w.sim.runFor(500);
  a.call('1002');
  w.sim.runFor(150);
  const connId = onlyCall(w);
  assert.deepEqual(w.sip.b2bua.callsOf('1002'), [
    { connId, partyState: 'Ringing', otherDn: '1001', callType: 'Internal', userData: {} },
  ]);
  w.sim.runFor(1000);
  assert.deepEqual(w.sip.b2bua.callsOf('1001')[0]?.partyState, 'Established');
  a.hangup();
  w.sim.runFor(1000);
  assert.deepEqual(w.seen(), [
    'Dialing 1001 1002 Ok',
    'Ringing 1002 1001 Ok',
    'Established 1002 1001 Ok',
    'Established 1001 1002 Ok',
    'Released 1001 1002 Ok',
    'Released 1002 1001 Ok',
  ]);
  assert.ok(w.events.every((e) => e.connId === connId && e.callType === 'Internal'));
  assert.deepEqual(b.log, ['INVITE sdp', 'ACK', 'BYE']);
  assert.equal(w.sip.store.callCount, 0);
});

test('busy callee: Released on the callee and the caller with CallState Busy', () => {
  const w = world(2);
  const a = w.phone('1001');
  w.phone('1002', { rejectWith: 486 });
  w.sim.runFor(500);
  a.call('1002');
  w.sim.runFor(1000);
  assert.deepEqual(w.seen(), [
    'Dialing 1001 1002 Ok',
    'Ringing 1002 1001 Ok',
    'Released 1002 1001 Busy',
    'Released 1001 1002 Busy',
  ]);
  assert.match(w.events.at(-1)!.cause ?? '', /486/);
});

test('inbound call to a Routing Point: RouteRequest, routeParked -> RouteUsed, Ringing with the caller number', () => {
  const w = world(3);
  const carrier = w.trunk('5551234');
  const agent = w.phone('1003');
  w.sim.runFor(500);
  carrier.call('5000');
  w.sim.runFor(200);
  const connId = onlyCall(w);
  assert.deepEqual(w.seen(), ['RouteRequest 5000 5551234 Ok']);
  assert.deepEqual(w.sip.b2bua.callsOf('5000'), [
    { connId, partyState: 'Queued', otherDn: '5551234', callType: 'Inbound', userData: {} },
  ]);
  // Refusals change nothing.
  assert.equal(w.sip.b2bua.routeParked('0123456789abcdef', '1003').ok, false);
  const wrongRp = w.sip.b2bua.routeParked(connId, '1003', '5001');
  assert.ok(!wrongRp.ok && wrongRp.kind === 'not-a-party', JSON.stringify(wrongRp));
  const bad = w.sip.b2bua.routeParked(connId, '77777');
  assert.ok(!bad.ok && bad.kind === 'invalid-destination', JSON.stringify(bad));
  assert.equal(w.sip.store.call(connId)?.state, 'parked');
  assert.deepEqual(w.sip.b2bua.routeParked(connId, '1003', '5000'), { ok: true });
  const again = w.sip.b2bua.routeParked(connId, '1003');
  assert.ok(!again.ok && again.kind === 'invalid-state');
  w.sim.runFor(1000);
  assert.deepEqual(w.seen(), [
    'RouteRequest 5000 5551234 Ok',
    'RouteUsed 5000 1003 Ok',
    'Ringing 1003 5551234 Ok',
    'Established 1003 5551234 Ok',
  ]);
  assert.ok(w.events.every((e) => e.connId === connId && e.callType === 'Inbound'));
  carrier.hangup();
  w.sim.runFor(1000);
  assert.deepEqual(w.seen().at(-1), 'Released 1003 5551234 Ok');
  assert.deepEqual(agent.log, ['INVITE sdp', 'ACK', 'BYE']);
});

test('router-timeout: RouteUsed to the default DN, then Ringing there', () => {
  const w = world(4);
  const carrier = w.trunk('5550000');
  w.phone('1002');
  w.sim.runFor(500);
  carrier.call('5000');
  w.sim.runFor(9000);
  assert.deepEqual(w.seen(), [
    'RouteRequest 5000 5550000 Ok',
    'RouteUsed 5000 1002 Ok',
    'Ringing 1002 5550000 Ok',
    'Established 1002 5550000 Ok',
  ]);
});

test('makeCall: the origin phone auto-answers with an offer, is ACKed on hold, the destination gets the offer, the phone is re-INVITEd with its answer', () => {
  const w = world(5);
  const a = w.phone('1001');
  const b = w.phone('1002', { answerAfterMs: 300 });
  w.sim.runFor(500);
  const made = w.sip.b2bua.makeCall('1001', '1002', { case: '42' });
  assert.ok(made.ok, JSON.stringify(made));
  w.sim.runFor(2000);
  assert.deepEqual(w.seen(), [
    'Dialing 1001 1002 Ok',
    'Ringing 1002 1001 Ok',
    'Established 1002 1001 Ok',
    'Established 1001 1002 Ok',
  ]);
  assert.ok(w.events.every((e) => e.connId === made.connId && e.userData.case === '42'));
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp', 'reINVITE active', 'ACK']);
  assert.deepEqual(b.log, ['INVITE sdp', 'ACK']);
  // The media descriptions crossed: each phone sends to the other.
  assert.equal(mediaOf(a.activeCalls[0]!.remoteSdp), b.media);
  assert.equal(mediaOf(b.activeCalls[0]!.remoteSdp), a.media);
  assert.match(b.activeCalls[0]!.remoteSdp ?? '', /o=1001 /);
  // The origin leg's SDP from the server keeps one o= line, its version going up (RFC 3264 §8).
  const [held, connected] = a.activeCalls[0]!.sdps;
  assert.equal(held!.replace(/^o=(\S+ \S+) 1 /m, 'o=$1 2 ').split(/\r\n/)[1], connected!.split(/\r\n/)[1]);
  const leg = w.sip.store.call(made.connId)!.legs.find((l) => l.id === 'a')!;
  assert.equal(leg.initiatedByServer, true);
  assert.equal(leg.sentInvite, null, 'the ACK went out');
  assert.equal(leg.localSdp, connected);

  // Hold and retrieve by the origin DN: the other party is re-INVITEd.
  const twice = (): void => {
    const r = w.sip.b2bua.holdCall(made.connId, '1001');
    assert.ok(!r.ok && r.kind === 'invalid-state', JSON.stringify(r));
  };
  const early = w.sip.b2bua.retrieveCall(made.connId, '1001');
  assert.ok(!early.ok && early.kind === 'invalid-state');
  assert.deepEqual(w.sip.b2bua.holdCall(made.connId, '1001'), { ok: true });
  twice(); // in progress
  w.sim.runFor(500);
  twice(); // held
  assert.equal(b.activeCalls[0]!.held, true);
  assert.deepEqual(w.sip.b2bua.callsOf('1001')[0]?.partyState, 'Held');
  assert.deepEqual(w.sip.b2bua.retrieveCall(made.connId, '1001'), { ok: true });
  w.sim.runFor(500);
  assert.equal(b.activeCalls[0]!.held, false);
  assert.deepEqual(b.log, ['INVITE sdp', 'ACK', 'reINVITE hold', 'ACK', 'reINVITE active', 'ACK']);
  // Each new offer has a higher o= version than the last one sent (RFC 3264 §8).
  const versions = [b.activeCalls[0]!.remoteSdp].map((s) => Number(/^o=\S+ \S+ (\d+)/m.exec(s ?? '')?.[1]));
  assert.ok(versions[0]! >= 3, String(versions));

  // Release by the origin DN ends both legs.
  const wrong = w.sip.b2bua.releaseCall(made.connId, '1003');
  assert.ok(!wrong.ok && wrong.kind === 'not-a-party');
  assert.deepEqual(w.sip.b2bua.releaseCall(made.connId, '1001'), { ok: true });
  w.sim.runFor(1000);
  assert.deepEqual(w.seen().slice(4), [
    'Held 1001 1002 Ok',
    'Retrieved 1001 1002 Ok',
    'Released 1001 1002 Ok',
    'Released 1002 1001 Ok',
  ]);
  assert.equal(a.log.at(-1), 'BYE');
  assert.equal(b.log.at(-1), 'BYE');
  assert.equal(w.sip.store.callCount, 0);
  const missing = w.sip.b2bua.releaseCall(made.connId, '1001');
  assert.ok(!missing.ok && missing.kind === 'no-such-call');
});

test('makeCall to an external number: Dialing, NetworkReached, Established; Outbound', () => {
  const w = world(6);
  const a = w.phone('1001');
  const carrier = w.trunk('carrier', { answerAfterMs: 400 });
  w.sim.runFor(500);
  const made = w.sip.b2bua.makeCall('1001', '95551234', {});
  assert.ok(made.ok, JSON.stringify(made));
  w.sim.runFor(2000);
  assert.deepEqual(w.seen(), [
    'Dialing 1001 95551234 Ok',
    'NetworkReached 1001 95551234 Ok',
    'Established 1001 95551234 Ok',
  ]);
  assert.ok(w.events.every((e) => e.callType === 'Outbound'));
  assert.deepEqual(carrier.log, ['INVITE sdp', 'ACK']);
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp', 'reINVITE active', 'ACK']);
  assert.equal(mediaOf(a.activeCalls[0]!.remoteSdp), carrier.media);
  carrier.hangup();
  w.sim.runFor(1000);
  assert.deepEqual(w.seen().at(-1), 'Released 1001 95551234 Ok');
  assert.equal(a.log.at(-1), 'BYE');
});

test('makeCall refusals: no contact, unknown or own number, a Routing Point as origin; a busy destination', () => {
  const w = world(7);
  const a = w.phone('1001');
  w.phone('1002', { rejectWith: 486 });
  w.sim.runFor(500);
  const cases: [string, string, string][] = [
    ['1004', '1001', 'no-contact'],
    ['1001', '77777', 'invalid-destination'],
    ['1001', '1001', 'invalid-destination'],
    ['5000', '1001', 'not-supported'],
    ['T1', '1001', 'not-supported'],
  ];
  for (const [origin, dest, kind] of cases) {
    const r = w.sip.b2bua.makeCall(origin, dest, {});
    assert.ok(!r.ok && r.kind === kind, `${origin} -> ${dest}: ${JSON.stringify(r)}`);
    assert.ok(r.message.length > 10);
  }
  assert.equal(w.sip.store.callCount, 0);
  assert.deepEqual(a.log, []);
  // A destination that answers busy: the origin phone, ACKed on hold at once, is hung up.
  const made = w.sip.b2bua.makeCall('1001', '1002', {});
  assert.ok(made.ok);
  w.sim.runFor(2000);
  assert.deepEqual(w.seen(), [
    'Dialing 1001 1002 Ok',
    'Ringing 1002 1001 Ok',
    'Released 1002 1001 Busy',
    'Released 1001 1002 Busy',
  ]);
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp', 'BYE']);
  assert.deepEqual(a.sessions.values().next().value!.sdps, [
    `v=0\r\no=duet ${Number.parseInt(made.connId.slice(0, 12), 16)} 1 IN IP4 ${VIP}\r\ns=-\r\n` +
      'c=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=inactive\r\n',
  ]);
});

test('user data: attach/update merge, AttachedDataChanged on every DN party, in the store', () => {
  const w = world(8);
  w.phone('1001');
  w.phone('1002');
  w.sim.runFor(500);
  const made = w.sip.b2bua.makeCall('1001', '1002', { a: '1' });
  assert.ok(made.ok);
  w.sim.runFor(2000);
  w.events.length = 0;
  assert.deepEqual(w.sip.b2bua.updateUserData(made.connId, { b: '2' }, 'attach'), { ok: true });
  assert.deepEqual(w.sip.b2bua.updateUserData(made.connId, { a: '3' }, 'update'), { ok: true });
  assert.deepEqual(w.sip.store.call(made.connId)?.userData, { a: '3', b: '2' });
  assert.deepEqual(
    w.events.map((e) => `${e.type} ${e.thisDn} ${JSON.stringify(e.userData)}`),
    [
      'AttachedDataChanged 1001 {"a":"1","b":"2"}',
      'AttachedDataChanged 1002 {"a":"1","b":"2"}',
      'AttachedDataChanged 1001 {"a":"3","b":"2"}',
      'AttachedDataChanged 1002 {"a":"3","b":"2"}',
    ],
  );
  const none = w.sip.b2bua.updateUserData('0123456789abcdef', { x: '1' }, 'attach');
  assert.ok(!none.ok && none.kind === 'no-such-call');
  const bad = w.sip.b2bua.updateUserData(
    made.connId,
    { x: 1 } as unknown as Record<string, string>,
    'attach',
  );
  assert.ok(!bad.ok);
  assert.deepEqual(w.sip.store.call(made.connId)?.userData, { a: '3', b: '2' });
});

test('answerCall: NOTIFY Event: talk for DNs with sip-cti-control=talk, a clear refusal otherwise', () => {
  const w = world(9);
  const a = w.phone('1001');
  const manual = w.phone('1005', { answerAfterMs: Number.POSITIVE_INFINITY });
  const plain = w.phone('1002', { answerAfterMs: Number.POSITIVE_INFINITY });
  w.sim.runFor(500);
  a.call('1002');
  w.sim.runFor(300);
  const first = onlyCall(w);
  const refused = w.sip.b2bua.answerCall(first, '1002');
  assert.ok(!refused.ok && refused.kind === 'not-supported' && /sip-cti-control/.test(refused.message));
  const notParty = w.sip.b2bua.answerCall(first, '1005');
  assert.ok(!notParty.ok && notParty.kind === 'not-a-party');
  assert.deepEqual(w.sip.b2bua.releaseCall(first, '1001'), { ok: true });
  w.sim.runFor(500);
  assert.deepEqual(plain.log, ['INVITE sdp', 'CANCEL']);
  assert.deepEqual(w.seen().slice(-2), ['Released 1001 1002 Ok', 'Released 1002 1001 Ok']);

  w.events.length = 0;
  a.call('1005');
  w.sim.runFor(300);
  const second = onlyCall(w);
  const notRinging = w.sip.b2bua.answerCall(second, '1001');
  assert.ok(!notRinging.ok && notRinging.kind === 'invalid-state');
  assert.deepEqual(w.sip.b2bua.answerCall(second, '1005'), { ok: true });
  w.sim.runFor(500);
  assert.deepEqual(manual.log, ['INVITE sdp', 'NOTIFY talk', 'ACK']);
  assert.deepEqual(w.seen().slice(-2), ['Established 1005 1001 Ok', 'Established 1001 1005 Ok']);
});

test('initiateTransfer + completeTransfer: the held caller is joined with the consulted DN', () => {
  const w = world(10);
  const carrier = w.trunk('5551234');
  const agent = w.phone('1001');
  const expert = w.phone('1002', { answerAfterMs: 300 });
  w.sim.runFor(500);
  carrier.call('1001');
  w.sim.runFor(1000);
  const held = onlyCall(w);
  const consult = w.sip.b2bua.initiateTransfer(held, '1001', '1002', { note: 'vip' });
  assert.ok(consult.ok, JSON.stringify(consult));
  w.sim.runFor(2000);
  assert.equal(carrier.activeCalls[0]!.held, true);
  assert.deepEqual(w.sip.store.call(consult.connId)?.consultOf, held);
  assert.deepEqual(
    w.sip.b2bua.callsOf('1001').map((c) => `${c.connId === held ? 'H' : 'C'} ${c.partyState}`),
    ['H Held', 'C Established'],
  );
  // Not completable from a DN that is not in both calls, nor with the calls swapped.
  const wrongDn = w.sip.b2bua.completeTransfer(held, consult.connId, '1002');
  assert.ok(!wrongDn.ok && wrongDn.kind === 'not-a-party');
  const swapped = w.sip.b2bua.completeTransfer(consult.connId, held, '1001');
  assert.ok(!swapped.ok && swapped.kind === 'invalid-state');

  w.events.length = 0;
  assert.deepEqual(w.sip.b2bua.completeTransfer(held, consult.connId, '1001'), { ok: true });
  w.sim.runFor(2000);
  assert.deepEqual(
    w.events.map((e) => `${e.type} ${e.connId === held ? 'H' : 'C'} ${e.thisDn} ${e.otherDn} ${e.callState}`),
    [
      'Released H 1001 5551234 Transferred',
      'PartyChanged H 1002 5551234 Transferred',
      'Released C 1001 1002 Transferred',
    ],
  );
  const changed = w.events[1]!;
  assert.equal(changed.previousConnId, consult.connId);
  assert.equal(changed.thirdPartyDn, '1001');
  assert.equal(changed.userData.note, undefined, "the surviving call keeps the held call's user data");
  assert.equal(w.sip.store.callCount, 1);
  assert.deepEqual(w.sip.b2bua.callsOf('1002'), [
    { connId: held, partyState: 'Established', otherDn: '5551234', callType: 'Inbound', userData: {} },
  ]);
  // The agent's phone: the caller's call, then the consultation call (ACKed on hold, re-INVITEd with the
  // expert's media when the expert answered), then one BYE per call.
  assert.deepEqual(agent.log, [
    'INVITE sdp',
    'ACK',
    'INVITE nosdp auto',
    'ACK sdp',
    'reINVITE active',
    'ACK',
    'BYE',
    'BYE',
  ]);
  assert.equal(agent.activeCalls.length, 0);
  assert.deepEqual(expert.log, ['INVITE sdp', 'ACK', 'reINVITE nosdp', 'ACK sdp']);
  assert.equal(carrier.activeCalls[0]!.held, false, 'the caller is off hold, talking to the expert');
  assert.match(carrier.activeCalls[0]!.remoteSdp ?? '', /o=1002 /);
  assert.match(expert.activeCalls[0]!.remoteSdp ?? '', /o=5551234 /);
  // The caller hangs up: the expert gets the BYE.
  carrier.hangup();
  w.sim.runFor(1000);
  assert.equal(expert.log.at(-1), 'BYE');
  assert.deepEqual(w.seen().at(-1), 'Released 1002 5551234 Ok');
  assert.equal(w.sip.store.callCount, 0);
});

test('singleStepTransfer: the DN leaves, the other party is connected to the destination', () => {
  const w = world(11);
  const carrier = w.trunk('5551234');
  const agent = w.phone('1001');
  const other = w.phone('1002', { answerAfterMs: 300 });
  w.sim.runFor(500);
  carrier.call('1001');
  w.sim.runFor(1000);
  const connId = onlyCall(w);
  for (const [dest, kind] of [
    ['77777', 'invalid-destination'],
    ['T1', 'invalid-destination'],
    ['1001', 'invalid-destination'],
    ['1004', 'invalid-destination'],
  ] as const) {
    const r = w.sip.b2bua.singleStepTransfer(connId, '1001', dest);
    assert.ok(!r.ok && r.kind === kind, `${dest}: ${JSON.stringify(r)}`);
  }
  w.events.length = 0;
  assert.deepEqual(w.sip.b2bua.singleStepTransfer(connId, '1001', '1002'), { ok: true });
  w.sim.runFor(2000);
  assert.deepEqual(w.seen(), [
    'Released 1001 5551234 Transferred',
    'Ringing 1002 5551234 Ok',
    'Established 1002 5551234 Ok',
  ]);
  assert.equal(agent.log.at(-1), 'BYE');
  assert.deepEqual(other.log, ['INVITE nosdp', 'ACK sdp']);
  assert.deepEqual(carrier.log, ['reINVITE active', 'ACK']);
  assert.match(carrier.activeCalls[0]!.remoteSdp ?? '', /o=1002 /);
  other.hangup();
  w.sim.runFor(1000);
  assert.equal(carrier.log.at(-1), 'BYE');
  assert.equal(w.sip.store.callCount, 0);
});

test('makeCall to a Routing Point parks the call; routeParked sends it on; an origin phone that refuses', () => {
  const w = world(12);
  const a = w.phone('1001');
  const b = w.phone('1002', { answerAfterMs: 200 });
  const busy = w.phone('1003', { rejectWith: 486 });
  w.sim.runFor(500);
  const made = w.sip.b2bua.makeCall('1001', '5000', {});
  assert.ok(made.ok);
  w.sim.runFor(500);
  assert.deepEqual(w.seen(), ['Dialing 1001 5000 Ok', 'RouteRequest 5000 1001 Ok']);
  assert.deepEqual(w.sip.b2bua.routeParked(made.connId, '1002', '5000'), { ok: true });
  w.sim.runFor(1000);
  assert.deepEqual(w.seen().slice(2), [
    'RouteUsed 5000 1002 Ok',
    'Ringing 1002 1001 Ok',
    'Established 1002 1001 Ok',
    'Established 1001 1002 Ok',
  ]);
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp', 'reINVITE active', 'ACK']);
  assert.deepEqual(b.log, ['INVITE sdp', 'ACK']);
  assert.equal(mediaOf(a.activeCalls[0]!.remoteSdp), b.media);
  b.hangup();
  w.sim.runFor(1000);
  assert.equal(a.log.at(-1), 'BYE');

  w.events.length = 0;
  const refused = w.sip.b2bua.makeCall('1003', '1002', {});
  assert.ok(refused.ok);
  w.sim.runFor(1000);
  assert.deepEqual(w.seen(), ['Dialing 1003 1002 Ok', 'Released 1003 1002 Busy']);
  assert.deepEqual(busy.log, ['INVITE nosdp auto']);
  assert.deepEqual(b.log.slice(3), [], 'the destination was never rung');
  assert.equal(w.sip.store.callCount, 0);
});

test('hold whose re-INVITE is refused or unanswered: RequestFailure with the SIP status, no event, call unchanged', () => {
  const w = world(13);
  const carrier = w.trunk('5551234');
  w.phone('1001');
  w.sim.runFor(500);
  carrier.call('1001');
  w.sim.runFor(1000);
  const connId = onlyCall(w);
  w.events.length = 0;
  // The caller's phone has forgotten the dialog: it answers the hold re-INVITE 481.
  const session = carrier.activeCalls[0]!;
  session.state = 'ended';
  assert.deepEqual(w.sip.b2bua.holdCall(connId, '1001'), { ok: true });
  w.sim.runFor(1000);
  assert.deepEqual(w.events, [], 'no Held');
  assert.equal(w.failures.length, 1, JSON.stringify(w.failures));
  const f = w.failures[0]!;
  assert.deepEqual(
    { request: f.request, connId: f.connId, dn: f.dn, status: f.status },
    { request: 'hold', connId, dn: '1001', status: 481 },
  );
  assert.match(
    f.message,
    /hold of call \w+ by DN 1001 failed: 5551234 answered the re-INVITE 481 .*unchanged \(Established on DN 1001\)/,
  );
  assert.equal(w.sip.b2bua.callsOf('1001')[0]?.partyState, 'Established');
  assert.ok(w.log.some((l) => l.event === '10-40032' && l.params.dn === 'T1' && l.params.status === 481));

  // Nobody answers the next one (the caller's network is cut): 408 after the transaction's timeout.
  session.state = 'confirmed';
  w.sim.network.partition([TRUNK_HOST], [VIP]);
  assert.deepEqual(w.sip.b2bua.holdCall(connId, '1001'), { ok: true });
  w.sim.runFor(40_000);
  assert.deepEqual(w.events, []);
  assert.equal(w.failures.length, 2);
  assert.equal(w.failures[1]!.status, 408);
  assert.match(w.failures[1]!.message, /5551234 did not answer the re-INVITE \(408/);
  // Not in progress any more: a hold is taken again, and with the network back it succeeds.
  w.sim.network.heal();
  assert.deepEqual(w.sip.b2bua.holdCall(connId, '1001'), { ok: true });
  w.sim.runFor(1000);
  assert.deepEqual(w.seen(), ['Held 1001 5551234 Ok']);
  assert.equal(w.failures.length, 2);
});

test('retrieve whose re-INVITE is refused: RequestFailure retrieve, the call stays held', () => {
  const w = world(14);
  const carrier = w.trunk('5551234');
  w.phone('1001');
  w.sim.runFor(500);
  carrier.call('1001');
  w.sim.runFor(1000);
  const connId = onlyCall(w);
  assert.deepEqual(w.sip.b2bua.holdCall(connId, '1001'), { ok: true });
  w.sim.runFor(1000);
  carrier.activeCalls[0]!.state = 'ended';
  assert.deepEqual(w.sip.b2bua.retrieveCall(connId, '1001'), { ok: true });
  w.sim.runFor(1000);
  assert.deepEqual(w.seen().slice(-1), ['Held 1001 5551234 Ok']);
  assert.deepEqual(
    w.failures.map((f) => `${f.request} ${f.dn} ${f.status}`),
    ['retrieve 1001 481'],
  );
  assert.match(w.failures[0]!.message, /\(Held on DN 1001\)/);
  assert.equal(w.sip.b2bua.callsOf('1001')[0]?.partyState, 'Held');
});

test('answerCall whose NOTIFY goes unanswered: RequestFailure answer; a released call reports nothing', () => {
  // No no-answer-timeout: the call rings longer than the NOTIFY transaction lasts (32 s).
  const w = world(15, (c) => {
    const tserver = (c.applications.SIP_A as SipServerApp).options.tserver as { noAnswerTimeout: number };
    tserver.noAnswerTimeout = 0;
  });
  const a = w.phone('1001');
  w.phone('1005', { answerAfterMs: Number.POSITIVE_INFINITY });
  w.sim.runFor(500);
  a.call('1005');
  w.sim.runFor(300);
  const connId = onlyCall(w);
  w.sim.network.partition(['192.0.2.11'], [VIP]); // 1005's phone (the second phone made)
  assert.deepEqual(w.sip.b2bua.answerCall(connId, '1005'), { ok: true });
  w.sim.runFor(20_000);
  assert.equal(w.failures.length, 0, 'the NOTIFY transaction is still running');
  w.sim.runFor(20_000);
  assert.deepEqual(
    w.failures.map((f) => `${f.request} ${f.connId === connId} ${f.dn} ${f.status}`),
    ['answer true 1005 408'],
  );
  assert.match(
    w.failures[0]!.message,
    /the phone did not answer NOTIFY Event: talk \(408 .*Ringing on DN 1005/,
  );
  assert.ok(w.log.some((l) => l.event === '10-40034' && l.params.status === 408));
  // Again, but the call ends before the NOTIFY times out: its Released answers, no failure.
  assert.deepEqual(w.sip.b2bua.answerCall(connId, '1005'), { ok: true });
  w.sim.runFor(1000);
  assert.deepEqual(w.sip.b2bua.releaseCall(connId, '1001'), { ok: true });
  w.sim.runFor(40_000);
  assert.equal(w.failures.length, 1);
});

test('singleStepTransfer to a Routing Point: the call parks there, routeParked connects the caller to the chosen DN', () => {
  const w = world(16);
  const carrier = w.trunk('5551234');
  const agent = w.phone('1001');
  const next = w.phone('1003', { answerAfterMs: 300 });
  w.sim.runFor(500);
  carrier.call('1001');
  w.sim.runFor(1000);
  const connId = onlyCall(w);
  assert.deepEqual(w.sip.b2bua.updateUserData(connId, { case: '7' }, 'attach'), { ok: true });
  w.events.length = 0;
  assert.deepEqual(w.sip.b2bua.singleStepTransfer(connId, '1001', '5000'), { ok: true });
  w.sim.runFor(1000);
  assert.deepEqual(w.seen(), ['Released 1001 5551234 Transferred', 'RouteRequest 5000 5551234 Ok']);
  assert.equal(w.sip.store.call(connId)?.state, 'parked');
  assert.deepEqual(w.sip.b2bua.callsOf('5000'), [
    { connId, partyState: 'Queued', otherDn: '5551234', callType: 'Inbound', userData: { case: '7' } },
  ]);
  assert.equal(agent.log.at(-1), 'BYE');
  assert.deepEqual(carrier.log, [], 'the caller stays as it is while parked');
  // A destination that cannot take the call is refused; the call stays parked for the router to choose again.
  for (const dest of ['77777', '1004']) {
    const r = w.sip.b2bua.routeParked(connId, dest, '5000');
    assert.ok(!r.ok && r.kind === 'invalid-destination', `${dest}: ${JSON.stringify(r)}`);
  }
  assert.equal(w.sip.store.call(connId)?.state, 'parked');
  assert.deepEqual(w.sip.b2bua.routeParked(connId, '1003', '5000'), { ok: true });
  w.sim.runFor(2000);
  assert.deepEqual(w.seen().slice(2), [
    'RouteUsed 5000 1003 Ok',
    'Ringing 1003 5551234 Ok',
    'Established 1003 5551234 Ok',
  ]);
  assert.ok(
    w.events.every((e) => e.connId === connId && e.userData.case === '7'),
    'user data kept',
  );
  assert.deepEqual(next.log, ['INVITE nosdp', 'ACK sdp']);
  assert.deepEqual(carrier.log, ['reINVITE active', 'ACK']);
  assert.match(carrier.activeCalls[0]!.remoteSdp ?? '', /o=1003 /);
  assert.match(next.activeCalls[0]!.remoteSdp ?? '', /o=5551234 /);
  assert.equal(w.sip.store.call(connId)?.state, 'established');
  carrier.hangup();
  w.sim.runFor(1000);
  assert.equal(next.log.at(-1), 'BYE');
  assert.equal(w.seen().at(-1), 'Released 1003 5551234 Ok');
  assert.equal(w.sip.store.callCount, 0);
});

test('singleStepTransfer to a Routing Point: router-timeout counts from the transfer, then default-dn', () => {
  const w = world(17);
  const carrier = w.trunk('5551234');
  w.phone('1001');
  const fallback = w.phone('1002', { answerAfterMs: 300 });
  w.sim.runFor(500);
  carrier.call('1001');
  w.sim.runFor(20_000); // a conversation longer than router-timeout (8 s)
  const connId = onlyCall(w);
  w.events.length = 0;
  assert.deepEqual(w.sip.b2bua.singleStepTransfer(connId, '1001', '5000'), { ok: true });
  w.sim.runFor(7000);
  assert.deepEqual(w.seen(), ['Released 1001 5551234 Transferred', 'RouteRequest 5000 5551234 Ok']);
  w.sim.runFor(3000);
  assert.deepEqual(w.seen().slice(2), [
    'RouteUsed 5000 1002 Ok',
    'Ringing 1002 5551234 Ok',
    'Established 1002 5551234 Ok',
  ]);
  assert.ok(w.log.some((l) => l.event === '10-40006' && l.params.seconds === 8));
  assert.deepEqual(fallback.log, ['INVITE nosdp', 'ACK sdp']);
  assert.match(carrier.activeCalls[0]!.remoteSdp ?? '', /o=1002 /);
});

test('singleStepTransfer to a Routing Point whose default-dn is the remaining party: the call ends at the timeout', () => {
  const w = world(18);
  const a = w.phone('1001');
  const b = w.phone('1002', { answerAfterMs: 200 });
  w.sim.runFor(500);
  a.call('1002'); // 1001 is the caller: the remaining party 1002 is on a callee leg
  w.sim.runFor(1000);
  const connId = onlyCall(w);
  w.events.length = 0;
  assert.deepEqual(w.sip.b2bua.singleStepTransfer(connId, '1001', '5000'), { ok: true });
  w.sim.runFor(1000);
  const busy = w.sip.b2bua.routeParked(connId, '1002', '5000');
  assert.ok(!busy.ok && busy.kind === 'invalid-destination' && /already in call/.test(busy.message));
  w.sim.runFor(9000);
  assert.deepEqual(w.seen(), [
    'Released 1001 1002 Transferred',
    'RouteRequest 5000 1002 Ok',
    'Released 1002 5000 NoAnswer',
    'Released 5000 1002 NoAnswer',
  ]);
  assert.equal(b.log.at(-1), 'BYE');
  assert.equal(w.sip.store.callCount, 0);
});

/** A world where DNs ring as long as the test wants (no no-answer-timeout). */
function longRinging(seed: number): World {
  return world(seed, (c) => {
    const tserver = (c.applications.SIP_A as SipServerApp).options.tserver as { noAnswerTimeout: number };
    tserver.noAnswerTimeout = 0;
  });
}

/** The black-hole answer the origin phone's offer gets in the ACK (RFC 3725 §4.1 flow IV, message 3). */
function assertHeldAnswer(sdp: string | undefined): void {
  assert.match(sdp ?? '', /^o=duet \d+ 1 IN IP4 /m);
  assert.match(sdp ?? '', /^c=IN IP4 0\.0\.0\.0$/m);
  assert.match(sdp ?? '', /^m=audio 9 RTP\/AVP 0$/m, 'the m-line and the formats of the offer');
  assert.match(sdp ?? '', /^a=inactive$/m);
}

test('makeCall to a DN that rings 45 s: the origin phone is ACKed on hold at once, stays up, then gets the destination media', () => {
  const w = longRinging(19);
  const a = w.phone('1001');
  const b = w.phone('1002', { answerAfterMs: 45_000 });
  w.sim.runFor(500);
  const made = w.sip.b2bua.makeCall('1001', '1002', {});
  assert.ok(made.ok, JSON.stringify(made));
  w.sim.runFor(1000);
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp'], 'ACKed before the destination answers');
  assertHeldAnswer(a.activeCalls[0]?.sdps[0]);
  assert.deepEqual(b.log, ['INVITE sdp']);
  assert.equal(mediaOf(b.sessions.values().next().value!.remoteSdp), a.media, "the phone's offer");
  // Longer than 64*T1 (32 s), when a phone gives up on a 2xx that is not ACKed.
  w.sim.runFor(40_000);
  assert.deepEqual(w.seen(), ['Dialing 1001 1002 Ok', 'Ringing 1002 1001 Ok']);
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp'], 'no ack-timeout, no BYE');
  assert.equal(a.activeCalls.length, 1);
  w.sim.runFor(5000);
  assert.deepEqual(w.seen(), [
    'Dialing 1001 1002 Ok',
    'Ringing 1002 1001 Ok',
    'Established 1002 1001 Ok',
    'Established 1001 1002 Ok',
  ]);
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp', 'reINVITE active', 'ACK']);
  assert.deepEqual(b.log, ['INVITE sdp', 'ACK']);
  assert.equal(
    mediaOf(a.activeCalls[0]!.remoteSdp),
    b.media,
    "the re-INVITE carries the destination's media",
  );
  assert.equal(mediaOf(b.activeCalls[0]!.remoteSdp), a.media);
  assert.equal(a.activeCalls[0]!.held, false);
  assert.deepEqual(w.sip.b2bua.releaseCall(made.connId, '1001'), { ok: true });
  w.sim.runFor(1000);
  assert.equal(a.log.at(-1), 'BYE');
  assert.equal(b.log.at(-1), 'BYE');
  assert.equal(w.sip.store.callCount, 0);
});

test('makeCall to an external number that rings 45 s: NetworkReached, then Established; the agent phone never drops', () => {
  const w = world(20);
  const a = w.phone('1001');
  const carrier = w.trunk('carrier', { answerAfterMs: 45_000 });
  w.sim.runFor(500);
  const made = w.sip.b2bua.makeCall('1001', '95551234', {});
  assert.ok(made.ok, JSON.stringify(made));
  w.sim.runFor(44_000);
  assert.deepEqual(w.seen(), ['Dialing 1001 95551234 Ok', 'NetworkReached 1001 95551234 Ok']);
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp']);
  w.sim.runFor(2000);
  assert.deepEqual(w.seen(), [
    'Dialing 1001 95551234 Ok',
    'NetworkReached 1001 95551234 Ok',
    'Established 1001 95551234 Ok',
  ]);
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp', 'reINVITE active', 'ACK']);
  assert.equal(mediaOf(a.activeCalls[0]!.remoteSdp), carrier.media);
  assert.equal(mediaOf(carrier.activeCalls[0]!.remoteSdp), a.media);
  carrier.hangup();
  w.sim.runFor(1000);
  assert.equal(a.log.at(-1), 'BYE');
  assert.equal(w.seen().at(-1), 'Released 1001 95551234 Ok');
});

test('makeCall failures: the agent hangs up while it rings; the phone refuses the media (488, 491 twice); the destination times out', () => {
  // The agent's phone hangs up after 35 s of ringing: the destination is cancelled.
  let w = longRinging(21);
  let a = w.phone('1001');
  let b = w.phone('1002', { answerAfterMs: Number.POSITIVE_INFINITY });
  w.sim.runFor(500);
  let made = w.sip.b2bua.makeCall('1001', '1002', {});
  assert.ok(made.ok);
  w.sim.runFor(35_000);
  a.hangup();
  w.sim.runFor(1000);
  assert.deepEqual(w.seen(), [
    'Dialing 1001 1002 Ok',
    'Ringing 1002 1001 Ok',
    'Released 1001 1002 Ok',
    'Released 1002 1001 Ok',
  ]);
  assert.deepEqual(b.log, ['INVITE sdp', 'CANCEL']);
  assert.equal(w.sip.store.callCount, 0);

  // The origin phone refuses the destination's media: the call ends, both phones get a BYE.
  for (const [seed, status, reinvites] of [
    [22, 488, 1],
    [23, 491, 2], // a crossing re-INVITE is retried once, after 2.1-4 s
  ] as const) {
    w = world(seed);
    a = w.phone('1001', { reinviteStatus: status });
    b = w.phone('1002', { answerAfterMs: 1000 });
    w.sim.runFor(500);
    made = w.sip.b2bua.makeCall('1001', '1002', {});
    assert.ok(made.ok);
    w.sim.runFor(10_000);
    assert.deepEqual(w.seen(), [
      'Dialing 1001 1002 Ok',
      'Ringing 1002 1001 Ok',
      'Established 1002 1001 Ok',
      'Established 1001 1002 Ok',
      'Released 1001 1002 Ok',
      'Released 1002 1001 Ok',
    ]);
    assert.deepEqual(a.log, [
      'INVITE nosdp auto',
      'ACK sdp',
      ...Array(reinvites).fill('reINVITE active'),
      'BYE',
    ]);
    assert.deepEqual(b.log, ['INVITE sdp', 'ACK', 'BYE']);
    assert.match(w.events.at(-1)!.cause ?? '', new RegExp(`connecting the media failed: 1001 .*${status}`));
    assert.ok(w.log.some((l) => l.event === '10-40032' && l.params.purpose === 'connect'));
    assert.equal(w.sip.store.callCount, 0);
  }

  // The destination never answers (no-answer-timeout 30 s): both released NoAnswer, the phone gets a BYE.
  w = world(24);
  a = w.phone('1001');
  b = w.phone('1002', { answerAfterMs: Number.POSITIVE_INFINITY });
  w.sim.runFor(500);
  made = w.sip.b2bua.makeCall('1001', '1002', {});
  assert.ok(made.ok);
  w.sim.runFor(31_000);
  assert.deepEqual(w.seen(), [
    'Dialing 1001 1002 Ok',
    'Ringing 1002 1001 Ok',
    'Released 1001 1002 NoAnswer',
    'Released 1002 1001 NoAnswer',
  ]);
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp', 'BYE']);
  assert.deepEqual(b.log, ['INVITE sdp', 'CANCEL']);
});

test('makeCall: an origin phone that answers the re-INVITE with media elsewhere; the destination is re-INVITEd with it', () => {
  const w = world(25);
  const a = w.phone('1001', { newMediaOnReinvite: true });
  const b = w.phone('1002', { answerAfterMs: 500 });
  w.sim.runFor(500);
  const made = w.sip.b2bua.makeCall('1001', '1002', {});
  assert.ok(made.ok);
  w.sim.runFor(3000);
  assert.deepEqual(a.log, ['INVITE nosdp auto', 'ACK sdp', 'reINVITE active', 'ACK']);
  assert.deepEqual(b.log, ['INVITE sdp', 'ACK', 'reINVITE active', 'ACK']);
  assert.match(a.media, / 4002$/);
  assert.equal(mediaOf(b.activeCalls[0]!.remoteSdp), a.media);
  assert.equal(mediaOf(a.activeCalls[0]!.remoteSdp), b.media);
  assert.equal(w.seen().length, 4, 'no event for the media change');
});
