import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../../src/runtime/random.ts';
import { getCallId, getCSeq, getHeader, getTopVia, getVias } from '../../../src/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../../src/sip/message/types.ts';
import { InviteClientTransaction } from '../../../src/sip/transaction/invite-client.ts';
import type { InviteServerTransaction } from '../../../src/sip/transaction/invite-server.ts';
import {
  type ServerTransaction,
  TransactionLayer,
  type TransactionLayerOptions,
} from '../../../src/sip/transaction/layer.ts';
import type { Inbound } from '../../../src/sip/transport/types.ts';
import {
  destination,
  inbound,
  ManualClock,
  RecordingSender,
  request,
  response,
  TuRecorder,
  WireSender,
} from './helpers.ts';

interface Seen {
  req: SipRequest;
  tx: ServerTransaction | null;
  inbound: Inbound;
}

function layerRig(options: Partial<TransactionLayerOptions> = {}) {
  const clock = new ManualClock();
  const sender = new RecordingSender(clock);
  const seen: Seen[] = [];
  const strays: SipResponse[] = [];
  const layer = new TransactionLayer({
    clock,
    random: new SeededRandom(1),
    sender,
    onRequest: (req, tx, from) => seen.push({ req, tx, inbound: from }),
    onStrayResponse: (res) => strays.push(res),
    ...options,
  });
  return { clock, sender, layer, seen, strays, t0: clock.now() };
}

describe('TransactionLayer: server side', () => {
  it('creates a server transaction for a new request and absorbs its retransmissions', () => {
    const { clock, sender, layer, seen, t0 } = layerRig();
    const options = request({ method: 'OPTIONS' });
    assert.equal(layer.receive(options, inbound()), 'new-request');
    assert.equal(seen.length, 1);
    const tx = seen[0]!.tx!;
    assert.equal(tx.kind, 'non-invite-server');
    assert.deepEqual(layer.list(), [
      {
        id: tx.id,
        kind: 'non-invite-server',
        state: 'Trying',
        method: 'OPTIONS',
        branch: 'z9hG4bK776asdhds',
        createdAt: t0,
      },
    ]);
    assert.equal(layer.receive(options, inbound()), 'retransmission');
    assert.equal(seen.length, 1, 'the TU is not told twice');
    tx.respond(response(options, 200, 'u1'));
    assert.equal(layer.receive(options, inbound()), 'retransmission');
    assert.deepEqual(
      sender.sent.map((s) => (s.message as SipResponse).status),
      [200, 200],
    );
    clock.advance(32_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(layer.list(), [], 'removed when Terminated');
    assert.equal(layer.receive(options, inbound()), 'new-request', 'after timer J it is a new request');
    assert.equal(seen.length, 2);
  });

  it('sends 100 Trying for an INVITE the TU leaves unanswered for 200 ms', () => {
    const { clock, sender, layer, seen, t0 } = layerRig();
    layer.receive(request(), inbound());
    assert.equal(seen[0]!.tx!.kind, 'invite-server');
    clock.advance(200);
    assert.deepEqual(sender.timesOf(sender.responses(100), t0), [200]);
  });

  it('matches RFC 3261 requests by branch, sent-by and method (§17.2.3)', () => {
    const { layer, seen } = layerRig();
    assert.equal(layer.receive(request(), inbound()), 'new-request');
    assert.equal(layer.receive(request({ sentBy: 'other.atlanta.com' }), inbound()), 'new-request');
    assert.equal(layer.receive(request({ method: 'CANCEL' }), inbound()), 'new-request');
    assert.equal(layer.receive(request({ branch: 'z9hG4bKother' }), inbound()), 'new-request');
    // Same branch, sent-by and method: a retransmission even if other fields differ.
    assert.equal(layer.receive(request({ callId: 'different' }), inbound()), 'retransmission');
    assert.deepEqual(
      seen.map((s) => s.tx!.kind),
      ['invite-server', 'invite-server', 'non-invite-server', 'invite-server'],
    );
    assert.equal(layer.size, 4);
  });

  it('absorbs the ACK of a non-2xx; hands the ACK of a 2xx to the TU with its Accepted transaction', () => {
    const { layer, seen } = layerRig();
    layer.receive(request(), inbound());
    const rejected = seen[0]!.tx as InviteServerTransaction;
    rejected.respond(response(rejected.request, 486, 'u1'));
    const ack = request({ method: 'ACK', toTag: 'u1' });
    assert.equal(layer.receive(ack, inbound()), 'ack-absorbed');
    assert.equal(rejected.state, 'Confirmed');
    assert.equal(layer.receive(ack, inbound()), 'ack-absorbed');
    assert.equal(seen.length, 1);

    layer.receive(request({ branch: 'z9hG4bKaccepted' }), inbound());
    const accepted = seen[1]!.tx as InviteServerTransaction;
    accepted.respond(response(accepted.request, 200, 'u2'));
    const sameBranchAck = request({ method: 'ACK', branch: 'z9hG4bKaccepted', toTag: 'u2' });
    assert.equal(layer.receive(sameBranchAck, inbound()), 'ack-to-tu');
    assert.equal(seen[2]!.tx, accepted);
    assert.equal(seen[2]!.req, sameBranchAck);

    // The usual ACK of a 2xx has a branch of its own and matches nothing.
    const ownBranchAck = request({ method: 'ACK', branch: 'z9hG4bKack2xx', toTag: 'u2' });
    assert.equal(layer.receive(ownBranchAck, inbound()), 'ack-to-tu');
    assert.equal(seen[3]!.tx, null);
    assert.equal(seen.length, 4);
  });

  it('finds the INVITE a CANCEL targets (§9.2), CANCEL having its own transaction', () => {
    const { layer, seen } = layerRig();
    layer.receive(request(), inbound());
    layer.receive(request({ method: 'CANCEL' }), inbound());
    const cancelTx = seen[1]!.tx!;
    assert.equal(cancelTx.kind, 'non-invite-server');
    assert.equal(layer.findInviteForCancel(seen[1]!.req), seen[0]!.tx);
    assert.equal(layer.findInviteForCancel(request({ method: 'CANCEL', branch: 'z9hG4bKnone' })), null);
    assert.equal(layer.findInviteForCancel(request({ method: 'CANCEL', sentBy: 'elsewhere.com' })), null);
  });

  it('matches RFC 2543 requests (no magic cookie) by Request-URI, tags, Call-ID, CSeq and top Via', () => {
    const { layer, seen } = layerRig();
    const invite = request({ branch: null });
    assert.equal(layer.receive(invite, inbound()), 'new-request');
    assert.equal(seen[0]!.tx!.branch, '');
    assert.equal(layer.receive(request({ branch: null }), inbound()), 'retransmission');
    // Request-URI equality is URI equivalence (§19.1.4), not string equality.
    assert.equal(
      layer.receive(request({ branch: null, uri: 'sip:bob@BILOXI.COM' }), inbound()),
      'retransmission',
    );
    assert.equal(layer.receive(request({ branch: null, cseq: 314160 }), inbound()), 'new-request');
    assert.equal(layer.receive(request({ branch: null, fromTag: 'other' }), inbound()), 'new-request');
    assert.equal(layer.receive(request({ branch: null, callId: 'other@x' }), inbound()), 'new-request');
    assert.equal(layer.receive(request({ branch: null, sentBy: 'other.com' }), inbound()), 'new-request');
    assert.equal(
      layer.receive(request({ branch: null, uri: 'sip:carol@biloxi.com' }), inbound()),
      'new-request',
    );
    assert.equal(layer.receive(request({ branch: null, toTag: 'zz' }), inbound()), 'new-request');
    assert.equal(seen.length, 7);

    const cancel = request({ method: 'CANCEL', branch: null });
    assert.equal(layer.findInviteForCancel(cancel), seen[0]!.tx);

    const tx = seen[0]!.tx as InviteServerTransaction;
    tx.respond(response(invite, 486, 'srv'));
    // An ACK matches when its To tag is the one of the response the transaction sent.
    const wrongTag = request({ method: 'ACK', branch: null, toTag: 'nope' });
    assert.equal(layer.receive(wrongTag, inbound()), 'ack-to-tu');
    assert.equal(seen.at(-1)!.tx, null);
    const ack = request({ method: 'ACK', branch: null, toTag: 'srv' });
    assert.equal(layer.receive(ack, inbound()), 'ack-absorbed');
    assert.equal(tx.state, 'Confirmed');
  });

  it('treats a response without a top Via branch as stray', () => {
    const { layer, seen, strays } = layerRig();
    const res = response(request(), 200, 'x');
    res.headers = res.headers.filter((h) => h.name !== 'Via');
    assert.equal(layer.receive(res, inbound()), 'stray-response');
    assert.equal(strays.length, 1, 'a response without a branch matches no transaction');
    assert.equal(seen.length, 0);
  });
});

describe('TransactionLayer: client side', () => {
  it('routes responses by branch and CSeq method (§17.1.3)', () => {
    const { layer, strays } = layerRig();
    const invite = request();
    const tu = new TuRecorder();
    const tx = layer.sendRequest(invite, destination(), tu);
    assert.ok(tx instanceof InviteClientTransaction);
    assert.equal(layer.receive(response(invite, 180, 'b'), inbound()), 'response');
    // Same branch, other method: not this transaction.
    const cancel = request({ method: 'CANCEL' });
    assert.equal(layer.receive(response(cancel, 200, 'b'), inbound()), 'stray-response');
    assert.equal(
      layer.receive(response(request({ branch: 'z9hG4bKzzz' }), 200, 'b'), inbound()),
      'stray-response',
    );
    assert.deepEqual(tu.events, ['response 180']);
    assert.equal(strays.length, 2);
    assert.deepEqual(
      layer.list().map((i) => [i.kind, i.state, i.method, i.branch]),
      [['invite-client', 'Proceeding', 'INVITE', 'z9hG4bK776asdhds']],
    );
  });

  it('gives a 2xx retransmission arriving after timer M to onStrayResponse, for the dialog to re-ACK', () => {
    const { clock, layer, strays } = layerRig();
    const invite = request();
    const tu = new TuRecorder();
    layer.sendRequest(invite, destination(), tu);
    layer.receive(response(invite, 200, 'b'), inbound());
    clock.advance(31_999);
    layer.receive(response(invite, 200, 'b'), inbound());
    assert.deepEqual(tu.events, ['response 200', 'response 200']);
    clock.advance(1);
    assert.equal(layer.size, 0);
    assert.equal(layer.receive(response(invite, 200, 'b'), inbound()), 'stray-response');
    assert.equal(strays.length, 1);
  });

  it('refuses ACK, requests without an RFC 3261 branch, and a reused branch', () => {
    const { layer } = layerRig();
    const tu = new TuRecorder();
    assert.throws(() => layer.sendRequest(request({ method: 'ACK' }), destination(), tu), /SipSender/);
    assert.throws(() => layer.sendRequest(request({ branch: null }), destination(), tu), /got none/);
    assert.throws(() => layer.sendRequest(request({ branch: 'abc' }), destination(), tu), /"abc"/);
    layer.sendRequest(request(), destination(), tu);
    assert.throws(() => layer.sendRequest(request(), destination(), tu), /new branch/);
    assert.equal(layer.size, 1);
  });

  it('makes RFC 3261 branches from its Random', () => {
    const a = layerRig({ random: new SeededRandom(42) }).layer;
    const b = layerRig({ random: new SeededRandom(42) }).layer;
    const branch = a.newBranch();
    assert.match(branch, /^z9hG4bK[0-9a-f]{24}$/);
    assert.equal(b.newBranch(), branch, 'same seed, same branch');
    assert.notEqual(a.newBranch(), branch);
  });

  it('validates the timer configuration', () => {
    assert.throws(() => layerRig({ timers: { T1: 0 } }), /T1 must be a positive/);
    assert.throws(() => layerRig({ timers: { T1: 5000, T2: 4000 } }), /T2/);
    assert.deepEqual(layerRig({ timers: { T4: 2500 } }).layer.timers, { T1: 500, T2: 4000, T4: 2500 });
  });
});

/** Two layers joined by a wire with 10 ms latency: a UAC side and a UAS side. */
function pair() {
  const clock = new ManualClock();
  const toUas = new WireSender(clock);
  const toUac = new WireSender(clock);
  const uasSeen: Seen[] = [];
  const uac = new TransactionLayer({
    clock,
    random: new SeededRandom('uac'),
    sender: toUas,
    onRequest: () => assert.fail('the UAC gets no requests here'),
  });
  const uas = new TransactionLayer({
    clock,
    random: new SeededRandom('uas'),
    sender: toUac,
    onRequest: (req, tx, from) => uasSeen.push({ req, tx, inbound: from }),
  });
  toUas.peer = uas;
  toUac.peer = uac;
  return { clock, uac, uas, toUas, toUac, uasSeen };
}

describe('TransactionLayer: two layers on a wire', () => {
  it('the ACK of a non-2xx is generated by the client and absorbed by the server, even when lost once', () => {
    const { clock, uac, uas, toUas, toUac, uasSeen } = pair();
    let ackLost = false;
    toUas.drop = (m) => m.kind === 'request' && m.method === 'ACK' && !ackLost && (ackLost = true);
    const tu = new TuRecorder();
    const invite = request();
    uac.sendRequest(invite, destination(), tu);
    clock.advance(10);
    const ist = uasSeen[0]!.tx as InviteServerTransaction;
    ist.respond(response(uasSeen[0]!.req, 486, 'uas1'));
    clock.advance(10); // 486 arrives, ACK sent and lost
    assert.deepEqual(tu.events, ['response 486']);
    assert.equal(ist.state, 'Completed');
    clock.advance(520); // G resends the 486 at 510; the client resends the ACK, which arrives at 530
    assert.equal(ist.state, 'Confirmed');
    assert.equal(toUas.requests('ACK').length, 2);
    assert.equal(toUac.responses(486).length, 2);
    assert.deepEqual(tu.events, ['response 486'], 'the TU saw the 486 once');
    assert.equal(uasSeen.length, 1, 'the server TU never sees that ACK');
    clock.advance(40_000);
    assert.equal(uac.size, 0);
    assert.equal(uas.size, 0);
  });

  it('CANCEL waits for a provisional (§9.1), matches the INVITE, and the INVITE ends with 487', () => {
    const { clock, uac, uas, toUas, uasSeen } = pair();
    const tu = new TuRecorder();
    const cancelTu = new TuRecorder();
    const invite = request({ routes: ['<sip:proxy.example.com;lr>'] });
    const ict = uac.sendRequest(invite, destination(), tu) as InviteClientTransaction;
    assert.equal(uac.cancel(ict, cancelTu), true);
    assert.equal(uac.cancel(ict, cancelTu), true, 'asking twice is harmless');
    clock.advance(100);
    assert.equal(toUas.requests('CANCEL').length, 0, 'no provisional yet: no CANCEL');

    const ist = uasSeen[0]!.tx as InviteServerTransaction;
    ist.respond(response(uasSeen[0]!.req, 180, 'uas1'));
    clock.advance(10); // 180 arrives; the CANCEL goes out with it
    const cancels = toUas.requests('CANCEL');
    assert.equal(cancels.length, 1);
    const cancel = cancels[0]!.message as SipRequest;
    assert.deepEqual(cancels[0]!.dest, destination());
    assert.deepEqual(cancel.uri, invite.uri);
    assert.equal(getVias(cancel).length, 1);
    assert.deepEqual(getTopVia(cancel), getTopVia(invite), 'the INVITE top Via, so its branch');
    assert.deepEqual(getCSeq(cancel), { seq: getCSeq(invite).seq, method: 'CANCEL' });
    for (const name of ['From', 'To', 'Call-ID', 'Route']) {
      assert.equal(getHeader(cancel, name), getHeader(invite, name), name);
    }
    assert.equal(getCallId(cancel), getCallId(invite));

    clock.advance(10); // CANCEL arrives at the UAS: its own transaction, and the INVITE is found
    const seenCancel = uasSeen[1]!;
    assert.equal(seenCancel.req.method, 'CANCEL');
    assert.equal(seenCancel.tx!.kind, 'non-invite-server');
    assert.notEqual(seenCancel.tx, ist);
    const target = uas.findInviteForCancel(seenCancel.req);
    assert.equal(target, ist);
    seenCancel.tx!.respond(response(seenCancel.req, 200, 'uas1'));
    target!.respond(response(ist.request, 487, 'uas1'));
    clock.advance(10); // 200 (CANCEL) and 487 arrive; the client ACKs the 487
    assert.deepEqual(cancelTu.events, ['response 200']);
    assert.deepEqual(tu.events, ['response 180', 'response 487']);
    assert.equal(toUas.requests('CANCEL').length, 1, 'one CANCEL');
    clock.advance(10);
    assert.equal(ist.state, 'Confirmed');
    assert.equal(uasSeen.length, 2);
    assert.equal(uac.cancel(ict, cancelTu), false, 'nothing left to cancel');
    clock.advance(40_000);
    assert.equal(uac.size, 0);
    assert.equal(uas.size, 0);
  });

  it('a CANCEL asked for before any provisional is never sent if the INVITE times out', () => {
    const { clock, uac, toUas } = pair();
    toUas.drop = () => true;
    const tu = new TuRecorder();
    const ict = uac.sendRequest(request(), destination(), tu) as InviteClientTransaction;
    uac.cancel(ict);
    clock.advance(32_000);
    assert.deepEqual(tu.events, ['timeout', 'terminated']);
    assert.equal(toUas.requests('CANCEL').length, 0);
    assert.equal(uac.size, 0);
  });

  it('RFC 6026 end to end: 2xx retransmissions from the server TU reach the client TU', () => {
    const { clock, uac, uasSeen } = pair();
    const tu = new TuRecorder();
    uac.sendRequest(request(), destination(), tu);
    clock.advance(10);
    const ist = uasSeen[0]!.tx as InviteServerTransaction;
    const ok = response(uasSeen[0]!.req, 200, 'uas1');
    ist.respond(ok);
    clock.advance(500);
    ist.respond(ok); // the UAS core retransmits its 2xx (§13.3.1.4)
    clock.advance(10);
    assert.deepEqual(tu.events, ['response 200', 'response 200']);
    assert.equal(ist.state, 'Accepted');
  });
});
