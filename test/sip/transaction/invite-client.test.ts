import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCallId, getCSeq, getHeader, getTo, getTopVia, getVias } from '../../../src/sip/message/index.ts';
import type { SipRequest } from '../../../src/sip/message/types.ts';
import { InviteClientTransaction } from '../../../src/sip/transaction/invite-client.ts';
import type { TransportProtocol } from '../../../src/sip/transport/types.ts';
import { destination, request, response, rig, TuRecorder } from './helpers.ts';

function start(transport: TransportProtocol = 'UDP', timers = {}, invite?: SipRequest) {
  const r = rig(timers);
  const tu = new TuRecorder();
  const req = invite ?? request({ transport });
  let ended = 0;
  const tx = new InviteClientTransaction({
    id: 'ict-test',
    context: r.context,
    request: req,
    branch: 'z9hG4bK776asdhds',
    destination: destination(transport),
    handlers: tu,
    onEnd: () => ended++,
  });
  tx.start();
  return { ...r, tu, tx, req, ended: () => ended };
}

describe('INVITE client transaction (RFC 3261 §17.1.1)', () => {
  it('retransmits on timer A at T1, 2T1, 4T1, ... without the T2 cap, and times out on B = 64*T1', () => {
    const { clock, sender, tu, tx, t0, ended } = start('UDP');
    assert.equal(tx.state, 'Calling');
    clock.advance(31_999);
    // Intervals 500, 1000, 2000, 4000, 8000, 16000: A keeps doubling past T2 = 4000.
    assert.deepEqual(sender.timesOf(sender.requests('INVITE'), t0), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.deepEqual(tu.events, []);
    clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(tu.events, ['timeout', 'terminated']);
    assert.equal(ended(), 1);
    clock.advance(100_000);
    assert.equal(sender.requests('INVITE').length, 7);
    assert.equal(clock.pendingTimers, 0);
  });

  it('follows a configured T1', () => {
    const { clock, sender, tu, t0 } = start('UDP', { T1: 100, T2: 400 });
    clock.advance(6_399);
    assert.deepEqual(sender.timesOf(sender.requests('INVITE'), t0), [0, 100, 300, 700, 1500, 3100, 6300]);
    assert.deepEqual(tu.events, []);
    clock.advance(1);
    assert.deepEqual(tu.events, ['timeout', 'terminated']);
  });

  it('does not retransmit over TCP, and still times out on B', () => {
    const { clock, sender, tu, tx } = start('TCP');
    clock.advance(31_999);
    assert.equal(sender.requests('INVITE').length, 1);
    assert.equal(tx.state, 'Calling');
    clock.advance(1);
    assert.deepEqual(tu.events, ['timeout', 'terminated']);
  });

  it('a provisional moves to Proceeding, passes it up and stops A and B', () => {
    const { clock, sender, tu, tx, req } = start('UDP');
    clock.advance(700);
    tx.receiveResponse(response(req, 180, 'bob1'));
    assert.equal(tx.state, 'Proceeding');
    assert.equal(tx.hasProvisional, true);
    tx.receiveResponse(response(req, 183, 'bob1'));
    clock.advance(200_000);
    assert.equal(sender.requests('INVITE').length, 2, 'the sends at 0 and 500 only');
    assert.equal(tx.state, 'Proceeding');
    assert.deepEqual(tu.events, ['response 180', 'response 183']);
  });

  it('a non-2xx final: ACK per §17.1.1.3, TU told once, ACK resent for retransmissions, timer D = 32 s', () => {
    const invite = request({ routes: ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'] });
    const { clock, sender, tu, tx, req, t0 } = start('UDP', {}, invite);
    clock.advance(100);
    tx.receiveResponse(response(req, 180, 'bob1'));
    clock.advance(100);
    const busy = response(req, 486, 'bob1');
    tx.receiveResponse(busy);
    assert.equal(tx.state, 'Completed');
    const acks = sender.requests('ACK');
    assert.equal(acks.length, 1);
    const ack = acks[0]!.message as SipRequest;
    assert.deepEqual(acks[0]!.dest, destination('UDP'));
    assert.deepEqual(ack.uri, req.uri);
    const vias = getVias(ack);
    assert.equal(vias.length, 1, 'a single Via');
    assert.deepEqual(vias[0], getTopVia(req));
    assert.equal(getTo(ack).params.tag, 'bob1', 'To with the tag of the response');
    assert.equal(getHeader(ack, 'To'), getHeader(busy, 'To'));
    assert.equal(getHeader(ack, 'From'), getHeader(req, 'From'));
    assert.equal(getCallId(ack), getCallId(req));
    assert.deepEqual(getCSeq(ack), { seq: 314159, method: 'ACK' });
    assert.deepEqual(
      ack.headers.filter((h) => h.name === 'Route').map((h) => h.value),
      ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'],
    );
    assert.equal(ack.body.length, 0);

    // A retransmitted 486 means our ACK was lost: resend it, do not bother the TU.
    clock.advance(1_000);
    tx.receiveResponse(response(req, 486, 'bob1'));
    assert.equal(sender.requests('ACK').length, 2);
    assert.equal(sender.requests('ACK')[1]!.message, ack, 'the same ACK is resent');
    assert.deepEqual(tu.events, ['response 180', 'response 486']);

    clock.advance(31_999 - 1_000);
    assert.equal(tx.state, 'Completed');
    clock.advance(1);
    assert.equal(clock.now() - t0, 200 + 32_000, 'timer D runs 32 s from the final response');
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(tu.events, ['response 180', 'response 486', 'terminated']);
  });

  it('timer D is 0 over TCP: Terminated right after the ACK', () => {
    const { sender, tu, tx, req } = start('TCP');
    tx.receiveResponse(response(req, 503, 'x'));
    assert.equal(sender.requests('ACK').length, 1);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(tu.events, ['response 503', 'terminated']);
  });

  it('timer D is at least 64*T1 when T1 is raised', () => {
    const { clock, tx, req } = start('UDP', { T1: 1_000, T2: 4_000 });
    tx.receiveResponse(response(req, 404, 'x'));
    clock.advance(63_999);
    assert.equal(tx.state, 'Completed');
    clock.advance(1);
    assert.equal(tx.state, 'Terminated');
  });

  it('RFC 6026: a 2xx moves to Accepted; further 2xx (retransmission, other fork) go to the TU; timer M', () => {
    const { clock, sender, tu, tx, req, t0 } = start('UDP');
    clock.advance(300);
    tx.receiveResponse(response(req, 200, 'fork1'));
    assert.equal(tx.state, 'Accepted');
    clock.advance(2_000);
    tx.receiveResponse(response(req, 200, 'fork1'));
    tx.receiveResponse(response(req, 200, 'fork2'));
    tx.receiveResponse(response(req, 486, 'fork3'));
    tx.receiveResponse(response(req, 180, 'fork4'));
    assert.deepEqual(
      tu.responses.map((r) => `${r.status} ${getTo(r).params.tag}`),
      ['200 fork1', '200 fork1', '200 fork2'],
    );
    assert.equal(sender.requests('ACK').length, 0, 'the TU ACKs 2xx, not the transaction');
    clock.advance(32_000 - 2_000 - 1);
    assert.equal(tx.state, 'Accepted');
    clock.advance(1);
    assert.equal(clock.now() - t0, 300 + 32_000);
    assert.equal(tx.state, 'Terminated');
    assert.equal(sender.requests('INVITE').length, 1, 'A stopped at the 2xx (sent at 0, before A fired)');
  });

  it('a transport error while Calling informs the TU and terminates (§17.1.4)', () => {
    const { clock, sender, tu, tx } = start('UDP');
    clock.advance(600);
    sender.fail(sender.requests('INVITE')[1]!, 'EHOSTUNREACH');
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(tu.events, ['transport-error EHOSTUNREACH', 'terminated']);
    assert.equal(tu.errors[0]!.code, 'EHOSTUNREACH');
    clock.advance(60_000);
    assert.equal(sender.requests('INVITE').length, 2, 'no retransmission after the failure');
    assert.equal(clock.pendingTimers, 0);
  });

  it('a late transport error after a final response changes nothing', () => {
    const { sender, tu, tx, req } = start('TCP');
    tx.receiveResponse(response(req, 200, 'b'));
    sender.fail(sender.requests('INVITE')[0]!);
    assert.equal(tx.state, 'Accepted');
    assert.deepEqual(tu.events, ['response 200']);
  });
});
