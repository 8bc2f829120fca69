import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  buildInDialogRequest,
  DialogError,
  type DialogState,
  dialogFromUacResponse,
  dialogFromUasRequest,
  dialogKey,
  sameDialogId,
  validateDialogState,
} from '../../../src/sip/dialog/index.ts';
import {
  getCallId,
  getCSeq,
  getFrom,
  getRoutes,
  getTo,
  parseUri,
  serializeMessage,
  uriEquals,
} from '../../../src/sip/message/index.ts';
import type { SipUri } from '../../../src/sip/message/types.ts';
import {
  aliceInvite,
  aliceReceives,
  bobReceivesInvite,
  onTheWire,
  parseRequest,
  parseResponse,
  via,
} from './fixtures.ts';

/** What the HA link does to a dialog: it crosses to another process as JSON text. */
const overTheLink = (d: DialogState): DialogState => validateDialogState(JSON.parse(JSON.stringify(d)));

const bob = (): DialogState =>
  dialogFromUasRequest(parseRequest(bobReceivesInvite), {
    localTag: 'bo1',
    localContact: '<sip:bob@10.0.0.2:5070>',
  });
const alice = (): DialogState =>
  dialogFromUacResponse(parseRequest(aliceInvite), parseResponse(aliceReceives('200 OK')));

describe('JSON round trip (SPEC S2.3: the backup sends in-dialog requests after a takeover)', () => {
  test('a dialog survives JSON unchanged, both roles', () => {
    for (const d of [bob(), alice()]) assert.deepEqual(overTheLink(d), d);
  });

  test('a BYE built from the deserialized UAS state has every header right', () => {
    const restored = overTheLink(bob());
    const { request, state, destination } = buildInDialogRequest(restored, 'BYE', {
      ...via,
      viaHost: '10.0.0.2',
      viaPort: 5070,
    });
    const bye = onTheWire(request);
    assert.ok(uriEquals(bye.uri, parseUri('sip:alice@10.0.0.1:5060')!));
    assert.equal(getCallId(bye), 'c1@10.0.0.1');
    assert.equal(getFrom(bye)!.params.tag, 'bo1');
    assert.ok(uriEquals(getFrom(bye)!.uri, parseUri('sip:bob@example.com')!));
    assert.equal(getTo(bye)!.params.tag, 'al1');
    assert.ok(uriEquals(getTo(bye)!.uri, parseUri('sip:alice@example.com')!));
    assert.deepEqual(getCSeq(bye), { seq: 1, method: 'BYE' });
    // UAS route set in received order: P2 (nearest Bob) first.
    assert.deepEqual(
      getRoutes(bye).map((r) => (r.uri as SipUri).host),
      ['10.0.0.20', '10.0.0.10'],
    );
    assert.deepEqual(destination, { transport: 'UDP', host: '10.0.0.20', port: 5060 });
    assert.equal(state.localSeq, 1);
  });

  test('the same request comes out of a state whether or not it crossed the link', () => {
    const methods = fc.constantFrom('INVITE', 'UPDATE', 'INFO', 'OPTIONS', 'NOTIFY', 'ACK', 'CANCEL', 'BYE');
    fc.assert(
      fc.property(fc.boolean(), fc.array(methods, { maxLength: 12 }), (asUac, sequence) => {
        let local = asUac ? alice() : bob();
        let remote = overTheLink(local);
        let lastSeq = local.localSeq;
        for (const method of sequence) {
          const a = buildInDialogRequest(local, method, via);
          const b = buildInDialogRequest(remote, method, via);
          assert.deepEqual(serializeMessage(a.request), serializeMessage(b.request));
          assert.deepEqual(a.destination, b.destination);
          const seq = getCSeq(a.request).seq;
          assert.equal(seq, method === 'ACK' || method === 'CANCEL' ? lastSeq : lastSeq + 1);
          lastSeq = seq;
          local = a.state;
          remote = overTheLink(b.state);
          assert.deepEqual(remote, local);
        }
      }),
    );
  });
});

describe('validateDialogState', () => {
  test('names the broken field', () => {
    const good = JSON.parse(JSON.stringify(alice()));
    const cases: [string, unknown][] = [
      ['id', { ...good, id: null }],
      ['id.localTag', { ...good, id: { ...good.id, localTag: 7 } }],
      ['role', { ...good, role: 'proxy' }],
      ['state', { ...good, state: 'gone' }],
      ['remoteTarget', { ...good, remoteTarget: '' }],
      ['localSeq', { ...good, localSeq: -1 }],
      ['localSeq', { ...good, localSeq: 2 ** 31 }],
      ['remoteSeq', { ...good, remoteSeq: '5' }],
      ['routeSet', { ...good, routeSet: [1] }],
      ['secure', { ...good, secure: 'no' }],
      ['transport', { ...good, transport: 'TLS' }],
    ];
    for (const [field, value] of cases) {
      assert.throws(
        () => validateDialogState(value),
        (e: unknown) => e instanceof DialogError && e.message.includes(`${field} must be`),
        field,
      );
    }
    assert.throws(() => validateDialogState('x'), DialogError);
    assert.deepEqual(validateDialogState(good), good);
  });
});

describe('dialog ids', () => {
  test('the two ends of one dialog have mirrored ids and distinct keys', () => {
    const a = alice().id;
    const b = bob().id;
    assert.equal(a.localTag, b.remoteTag);
    assert.equal(a.remoteTag, b.localTag);
    assert.equal(sameDialogId(a, b), false);
    assert.equal(sameDialogId(a, { ...a }), true);
    assert.notEqual(dialogKey(a), dialogKey(b));
    assert.equal(dialogKey(a), dialogKey({ ...a }));
  });
});
