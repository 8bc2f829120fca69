import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildInDialogRequest,
  confirm,
  DialogError,
  type DialogState,
  dialogFromUacResponse,
  dialogFromUasRequest,
  onInDialogRequest,
  onInDialogResponse,
  terminate,
} from '../../../src/sip/dialog/index.ts';
import { parseUri, uriEquals } from '../../../src/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../src/sip/message/types.ts';
import {
  aliceInvite,
  aliceReceives,
  bobReceivesInvite,
  parseRequest,
  parseResponse,
  via,
  wire,
} from './fixtures.ts';

/** Bob's dialog (UAS) after answering the INVITE of CSeq 101. */
function bobDialog(): DialogState {
  return dialogFromUasRequest(parseRequest(bobReceivesInvite), {
    localTag: 'bo1',
    localContact: '<sip:bob@10.0.0.2:5070>',
  });
}

/** A request from Alice as Bob receives it. */
function fromAlice(
  method: string,
  seq: number,
  extra: string[] = [],
  tags = { from: 'al1', to: 'bo1' },
): SipRequest {
  return parseRequest(
    wire([
      `${method} sip:bob@10.0.0.2:5070 SIP/2.0`,
      'Via: SIP/2.0/UDP 10.0.0.20:5060;branch=z9hG4bKp2x',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKax',
      'Max-Forwards: 69',
      `From: "Alice" <sip:alice@example.com>;tag=${tags.from}`,
      `To: Bob <sip:bob@example.com>;tag=${tags.to}`,
      'Call-ID: c1@10.0.0.1',
      `CSeq: ${seq} ${method}`,
      ...extra,
      'Content-Length: 0',
    ]),
  );
}

/** Bob's response to a request Alice sent in the dialog, as Alice receives it. */
function toAlice(req: SipRequest, status: string, extra: string[] = [], toTag = 'bo1'): SipResponse {
  const cseq = req.headers.find((h) => h.name === 'CSeq')!.value;
  return parseResponse(
    wire([
      `SIP/2.0 ${status}`,
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnew1',
      'From: "Alice" <sip:alice@example.com>;tag=al1',
      `To: Bob <sip:bob@example.com>;tag=${toTag}`,
      'Call-ID: c1@10.0.0.1',
      `CSeq: ${cseq}`,
      ...extra,
      'Content-Length: 0',
    ]),
  );
}

const same = (a: string, b: string): boolean => uriEquals(parseUri(a)!, parseUri(b)!);

describe('onInDialogRequest (RFC 3261 §12.2.2)', () => {
  test('a higher CSeq is accepted and recorded', () => {
    const r = onInDialogRequest(bobDialog(), fromAlice('INFO', 102));
    assert.ok('state' in r);
    assert.equal(r.state.remoteSeq, 102);
  });

  test('a lower CSeq is refused with 500 and the state is kept', () => {
    const after = onInDialogRequest(bobDialog(), fromAlice('INFO', 105));
    assert.ok('state' in after);
    const r = onInDialogRequest(after.state, fromAlice('INFO', 104));
    assert.ok('reject' in r);
    assert.equal(r.reject, 500);
    assert.match(r.reason, /104/);
    assert.equal(after.state.remoteSeq, 105);
  });

  test('the ACK for the 2xx carries the INVITE number and is accepted', () => {
    const r = onInDialogRequest(bobDialog(), fromAlice('ACK', 101));
    assert.ok('state' in r);
    assert.equal(r.state.remoteSeq, 101);
  });

  test('the first request of a peer that had sent nothing sets remoteSeq', () => {
    const alice = dialogFromUacResponse(parseRequest(aliceInvite), parseResponse(aliceReceives('200 OK')));
    assert.equal(alice.remoteSeq, null);
    const byeFromBob = parseRequest(
      wire([
        'BYE sip:alice@10.0.0.1:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.10:5060;branch=z9hG4bKp1y',
        'From: Bob <sip:bob@example.com>;tag=bo1',
        'To: "Alice" <sip:alice@example.com>;tag=al1',
        'Call-ID: c1@10.0.0.1',
        'CSeq: 9 BYE',
        'Content-Length: 0',
      ]),
    );
    const r = onInDialogRequest(alice, byeFromBob);
    assert.ok('state' in r);
    assert.equal(r.state.remoteSeq, 9);
    assert.equal(r.state.state, 'terminated');
  });

  test('re-INVITE and UPDATE with a Contact refresh the remote target; INFO does not', () => {
    const d = bobDialog();
    for (const method of ['INVITE', 'UPDATE']) {
      const r = onInDialogRequest(d, fromAlice(method, 102, ['Contact: <sip:alice@10.0.0.99:5099>']));
      assert.ok('state' in r);
      assert.ok(same(r.state.remoteTarget, 'sip:alice@10.0.0.99:5099'), method);
    }
    const info = onInDialogRequest(d, fromAlice('INFO', 102, ['Contact: <sip:alice@10.0.0.99:5099>']));
    assert.ok('state' in info);
    assert.ok(same(info.state.remoteTarget, 'sip:alice@10.0.0.1:5060'));
  });

  test('a re-INVITE without Contact keeps the target', () => {
    const r = onInDialogRequest(bobDialog(), fromAlice('INVITE', 102));
    assert.ok('state' in r);
    assert.ok(same(r.state.remoteTarget, 'sip:alice@10.0.0.1:5060'));
  });

  test('a BYE ends the dialog, and a later request gets 481', () => {
    const r = onInDialogRequest(bobDialog(), fromAlice('BYE', 102));
    assert.ok('state' in r);
    assert.equal(r.state.state, 'terminated');
    const late = onInDialogRequest(r.state, fromAlice('INFO', 103));
    assert.deepEqual('reject' in late && late.reject, 481);
  });

  test('a request of another dialog gets 481', () => {
    const r = onInDialogRequest(bobDialog(), fromAlice('INFO', 102, [], { from: 'al1', to: 'other' }));
    assert.ok('reject' in r);
    assert.equal(r.reject, 481);
  });

  test('the input state is not modified', () => {
    const d = bobDialog();
    const copy = structuredClone(d);
    onInDialogRequest(d, fromAlice('INVITE', 150, ['Contact: <sip:alice@10.0.0.99>']));
    assert.deepEqual(d, copy);
  });
});

describe('onInDialogResponse (RFC 3261 §12.2.1.2)', () => {
  const confirmed = (): DialogState =>
    dialogFromUacResponse(parseRequest(aliceInvite), parseResponse(aliceReceives('200 OK')));

  test('a 2xx to a re-INVITE refreshes the remote target', () => {
    const sent = buildInDialogRequest(confirmed(), 'INVITE', via);
    const d = onInDialogResponse(
      sent.state,
      sent.request,
      toAlice(sent.request, '200 OK', ['Contact: <sip:bob@10.0.0.77>']),
    );
    assert.ok(same(d.remoteTarget, 'sip:bob@10.0.0.77'));
    assert.equal(d.state, 'confirmed');
    assert.equal(d.localSeq, 102);
  });

  test('a failure to a re-INVITE changes nothing', () => {
    const sent = buildInDialogRequest(confirmed(), 'INVITE', via);
    const d = onInDialogResponse(sent.state, sent.request, toAlice(sent.request, '491 Request Pending'));
    assert.equal(d, sent.state);
  });

  test('481 and 408 terminate the dialog', () => {
    for (const status of ['481 Call/Transaction Does Not Exist', '408 Request Timeout']) {
      const sent = buildInDialogRequest(confirmed(), 'INFO', via);
      assert.equal(
        onInDialogResponse(sent.state, sent.request, toAlice(sent.request, status)).state,
        'terminated',
      );
    }
  });

  test('a 2xx to BYE terminates; a 1xx changes nothing', () => {
    const sent = buildInDialogRequest(confirmed(), 'BYE', via);
    assert.equal(
      onInDialogResponse(sent.state, sent.request, toAlice(sent.request, '100 Trying')),
      sent.state,
    );
    assert.equal(
      onInDialogResponse(sent.state, sent.request, toAlice(sent.request, '200 OK')).state,
      'terminated',
    );
  });

  test('early to confirmed on the 2xx, with route set and target from the 2xx', () => {
    const invite = parseRequest(aliceInvite);
    const early = dialogFromUacResponse(
      invite,
      parseResponse(aliceReceives('180 Ringing', { recordRoute: ['Record-Route: <sip:10.0.0.10;lr>'] })),
    );
    assert.equal(early.state, 'early');
    assert.equal(early.routeSet.length, 1);
    const ok = parseResponse(aliceReceives('200 OK', { contact: '<sip:bob@10.0.0.55>' }));
    const d = onInDialogResponse(early, invite, ok);
    assert.equal(d.state, 'confirmed');
    assert.equal(d.routeSet.length, 2);
    assert.ok(same(d.remoteTarget, 'sip:bob@10.0.0.55'));
  });

  test('a failure to the INVITE ends the early dialog (§12.3)', () => {
    const invite = parseRequest(aliceInvite);
    const early = dialogFromUacResponse(invite, parseResponse(aliceReceives('180 Ringing')));
    const d = onInDialogResponse(early, invite, parseResponse(aliceReceives('486 Busy Here')));
    assert.equal(d.state, 'terminated');
  });

  test('a 2xx with another To tag is a forked dialog: refused with a pointer to dialogFromUacResponse', () => {
    const invite = parseRequest(aliceInvite);
    const early = dialogFromUacResponse(invite, parseResponse(aliceReceives('180 Ringing')));
    const forked = parseResponse(aliceReceives('200 OK').replace('tag=bo1', 'tag=bo2'));
    assert.throws(() => onInDialogResponse(early, invite, forked), /dialogFromUacResponse/);
  });

  test('a response that does not answer the request is refused', () => {
    const sent = buildInDialogRequest(confirmed(), 'INFO', via);
    const other = parseResponse(aliceReceives('200 OK')); // CSeq 101 INVITE, not 102 INFO
    assert.throws(() => onInDialogResponse(sent.state, sent.request, other), DialogError);
  });
});

describe('confirm and terminate', () => {
  test('an early UAS dialog is confirmed when its 2xx is sent', () => {
    const early = dialogFromUasRequest(parseRequest(bobReceivesInvite), {
      localTag: 'bo1',
      localContact: '<sip:bob@10.0.0.2>',
      state: 'early',
    });
    assert.equal(confirm(early).state, 'confirmed');
    assert.equal(early.state, 'early');
    assert.throws(() => confirm(terminate(early)), DialogError);
  });

  test('terminate ends the dialog and is idempotent', () => {
    const d = terminate(bobDialog());
    assert.equal(d.state, 'terminated');
    assert.equal(terminate(d), d);
  });
});
