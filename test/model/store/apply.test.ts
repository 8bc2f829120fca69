/**
 * The store keeps copies (clonePlain): a record's objects and the state's never alias, in either direction,
 * so a caller that changes a record after committing it cannot change the state, and later changes of the
 * state cannot change a record a listener (the HA link) still holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Call } from '../../../src/model/call/call.ts';
import type { Leg } from '../../../src/model/call/leg.ts';
import { clonePlain } from '../../../src/model/store/clone.ts';
import type { StoreRecord } from '../../../src/model/store/records.ts';
import { Store } from '../../../src/model/store/store.ts';
import type { DialogState } from '../../../src/sip/dialog/state.ts';

const dialog = (localSeq: number): DialogState => ({
  id: { callId: 'c1@x', localTag: 'l1', remoteTag: 'r1' },
  role: 'uas',
  state: 'confirmed',
  localUri: '<sip:2000@192.0.2.1>',
  remoteUri: '<sip:1000@192.0.2.10>',
  localSeq,
  remoteSeq: 1,
  remoteTarget: 'sip:1000@192.0.2.10:5060',
  routeSet: ['<sip:192.0.2.5;lr>'],
  secure: false,
  localContact: '<sip:duet@192.0.2.1:5060>',
  transport: 'UDP',
});

const leg = (): Leg => ({
  id: 'a',
  side: 'caller',
  dn: '1000',
  state: 'trying',
  callId: 'c1@x',
  dialog: null,
  pendingInvite: 'INVITE sip:2000@192.0.2.1 SIP/2.0\r\n\r\n',
  sentInvite: null,
  localTag: 'l1',
  hold: 'active',
  remoteSdp: null,
});

const call = (): Call => ({
  connId: '0123456789abcdef',
  state: 'dialing',
  callType: 'Internal',
  origin: '1000',
  dialed: '2000',
  parties: [{ dn: '1000', role: 'Origination', state: 'Dialing' }],
  legs: [leg()],
  deadline: null,
  userData: { a: '1' },
  multisite: false,
  createdAt: 1,
  triedTrunks: [],
});

test('clonePlain copies nested objects and arrays and keeps every value', () => {
  const value = { a: [1, { b: 'x', c: null }], d: { e: true, f: [] as string[] }, g: 0 };
  const copy = clonePlain(value);
  assert.deepEqual(copy, value);
  assert.notEqual(copy, value);
  assert.notEqual(copy.a, value.a);
  assert.notEqual(copy.a[1], value.a[1]);
  assert.notEqual(copy.d.f, value.d.f);
  assert.equal(clonePlain('text'), 'text');
  assert.equal(clonePlain(null), null);
});

test('changing a committed record afterwards does not change the state', () => {
  const store = new Store();
  const created = call();
  store.commit({ type: 'CallCreated', call: created });
  const d = dialog(1);
  store.commit({ type: 'LegUpdated', connId: created.connId, legId: 'a', changes: { dialog: d } });
  created.parties[0]!.state = 'Released';
  created.legs[0]!.dn = '9999';
  created.userData.a = 'changed';
  d.localSeq = 42;
  d.routeSet.push('<sip:evil;lr>');
  const kept = store.call(created.connId)!;
  assert.equal(kept.parties[0]!.state, 'Dialing');
  assert.equal(kept.legs[0]!.dn, '1000');
  assert.equal(kept.userData.a, '1');
  assert.equal(kept.legs[0]!.dialog!.localSeq, 1);
  assert.deepEqual(kept.legs[0]!.dialog!.routeSet, ['<sip:192.0.2.5;lr>']);
});

test('later records do not change a record a listener kept', () => {
  const store = new Store();
  const heard: StoreRecord[] = [];
  store.onRecord((r) => heard.push(r));
  const created = call();
  store.commit({ type: 'CallCreated', call: created });
  store.commit({ type: 'CallStateChanged', connId: created.connId, state: 'ringing' });
  store.commit({ type: 'PartyStateChanged', connId: created.connId, dn: '1000', state: 'Established' });
  store.commit({ type: 'LegUpdated', connId: created.connId, legId: 'a', changes: { state: 'confirmed' } });
  const first = heard[0] as Extract<StoreRecord, { type: 'CallCreated' }>;
  assert.equal(first.call.state, 'dialing');
  assert.equal(first.call.parties[0]!.state, 'Dialing');
  assert.equal(first.call.legs[0]!.state, 'trying');
  assert.equal(store.call(created.connId)!.legs[0]!.state, 'confirmed');
});

test('a replayed record stream gives an equal state that shares nothing with the first', () => {
  const records: StoreRecord[] = [
    { type: 'CallCreated', call: call() },
    {
      type: 'PartyAdded',
      connId: '0123456789abcdef',
      party: { dn: '2000', role: 'Destination', state: 'Dialing' },
    },
    { type: 'CallDeadlineSet', connId: '0123456789abcdef', deadline: { kind: 'no-answer', at: 5 } },
    {
      type: 'CallUpdated',
      connId: '0123456789abcdef',
      changes: { triedTrunks: ['7000'], userData: { k: 'v' } },
    },
    { type: 'PartyStateChanged', connId: '0123456789abcdef', dn: '2000', state: 'Ringing' },
  ];
  const a = Store.replay(records);
  const b = Store.replay(records);
  assert.deepEqual(a.snapshot(), b.snapshot());
  const ca = a.call('0123456789abcdef')!;
  const cb = b.call('0123456789abcdef')!;
  assert.notEqual(ca.deadline, cb.deadline);
  assert.notEqual(ca.triedTrunks, cb.triedTrunks);
  assert.notEqual(ca.userData, cb.userData);
  assert.notEqual(ca.deadline, (records[2] as { deadline: unknown }).deadline);
  assert.equal(cb.parties[1]!.state, 'Ringing');
});
