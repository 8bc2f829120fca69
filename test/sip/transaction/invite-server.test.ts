import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getHeader, getTo } from '../../../src/sip/message/index.ts';
import type { SipResponse } from '../../../src/sip/message/types.ts';
import { InviteServerTransaction } from '../../../src/sip/transaction/invite-server.ts';
import type { TransportProtocol } from '../../../src/sip/transport/types.ts';
import { inbound, request, response, rig } from './helpers.ts';

function start(transport: TransportProtocol = 'UDP', timestamp?: string) {
  const r = rig();
  const req = request({ transport, timestamp });
  const events: string[] = [];
  const tx = new InviteServerTransaction({
    id: 'ist-test',
    context: r.context,
    request: req,
    branch: 'z9hG4bK776asdhds',
    inbound: inbound(transport),
  });
  tx.setHandlers({
    onTimeout: () => events.push('timeout'),
    onTransportError: (err) => events.push(`transport-error ${err.code}`),
    onTerminated: () => events.push('terminated'),
  });
  tx.start();
  return { ...r, req, tx, events };
}

describe('INVITE server transaction (RFC 3261 §17.2.1, RFC 6026)', () => {
  it('sends 100 Trying when the TU has not answered within 200 ms', () => {
    const { clock, sender, tx, t0 } = start();
    assert.equal(tx.state, 'Proceeding');
    clock.advance(199);
    assert.equal(sender.sent.length, 0);
    clock.advance(1);
    const trying = sender.responses(100);
    assert.deepEqual(sender.timesOf(trying, t0), [200]);
    assert.deepEqual(trying[0]!.inbound, inbound('UDP'));
    assert.equal((trying[0]!.message as SipResponse).reason, 'Trying');
    clock.advance(10_000);
    assert.equal(sender.sent.length, 1, 'one 100 only');
  });

  it('builds the 100 Trying per §8.2.6.1: no To tag, the request Timestamp copied', () => {
    const { clock, sender } = start('UDP', '54.2');
    clock.advance(200);
    const trying = sender.responses(100)[0]!.message as SipResponse;
    assert.equal(getTo(trying).params.tag, undefined);
    assert.equal(getHeader(trying, 'Timestamp'), '54.2');
  });

  it('sends no 100 Trying when the TU answers first', () => {
    const { clock, sender, tx, req } = start();
    clock.advance(150);
    assert.equal(tx.respond(response(req, 180, 'b')), true);
    clock.advance(1_000);
    assert.deepEqual(
      sender.sent.map((s) => (s.message as SipResponse).status),
      [180],
    );
  });

  it('absorbs INVITE retransmissions in Proceeding by resending the latest provisional', () => {
    const { clock, sender, tx, req } = start();
    tx.receiveRetransmission();
    assert.equal(sender.sent.length, 0, 'nothing to resend yet');
    clock.advance(300); // 100 Trying sent at 200
    tx.receiveRetransmission();
    assert.deepEqual(
      sender.sent.map((s) => (s.message as SipResponse).status),
      [100, 100],
    );
    const ringing = response(req, 180, 'b');
    tx.respond(ringing);
    tx.receiveRetransmission();
    assert.equal(sender.sent.at(-1)!.message, ringing);
    assert.equal(tx.state, 'Proceeding');
  });

  it('a non-2xx final: Completed, timer G doubling to T2, timer H = 64*T1 informs the TU', () => {
    const { clock, sender, tx, req, events } = start();
    clock.advance(100);
    const busy = response(req, 486, 'b');
    tx.respond(busy);
    const sentAt = clock.now();
    assert.equal(tx.state, 'Completed');
    clock.advance(31_999);
    assert.deepEqual(
      sender.timesOf(sender.responses(486), sentAt),
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
    );
    assert.deepEqual(events, []);
    clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['timeout', 'terminated']);
    clock.advance(60_000);
    assert.equal(sender.responses(486).length, 11);
  });

  it('over TCP: no G retransmissions, H still 64*T1', () => {
    const { clock, sender, tx, req, events } = start('TCP');
    tx.respond(response(req, 603, 'b'));
    clock.advance(31_999);
    assert.equal(sender.responses(603).length, 1);
    clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['timeout', 'terminated']);
  });

  it('absorbs INVITE retransmissions in Completed by resending the final', () => {
    const { sender, tx, req } = start();
    const busy = response(req, 486, 'b');
    tx.respond(busy);
    tx.receiveRetransmission();
    assert.equal(sender.responses(486).length, 2);
    assert.equal(sender.sent.at(-1)!.message, busy);
  });

  it('the ACK of a non-2xx: Confirmed, G and H stop, ACK retransmissions absorbed, timer I = T4', () => {
    const { clock, sender, tx, req, events } = start();
    tx.respond(response(req, 486, 'b'));
    clock.advance(600); // one G retransmission at 500
    assert.equal(tx.receiveAck(), false, 'not for the TU');
    assert.equal(tx.state, 'Confirmed');
    const ackAt = clock.now();
    assert.equal(tx.receiveAck(), false);
    tx.receiveRetransmission();
    clock.advance(4_999);
    assert.equal(tx.state, 'Confirmed');
    assert.equal(sender.responses(486).length, 2, 'G stopped, retransmitted INVITE ignored');
    clock.advance(1);
    assert.equal(clock.now() - ackAt, 5_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['terminated'], 'no timeout: the ACK came');
  });

  it('timer I is 0 over TCP', () => {
    const { tx, req, events } = start('TCP');
    tx.respond(response(req, 486, 'b'));
    assert.equal(tx.receiveAck(), false);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['terminated']);
  });

  it('RFC 6026: a 2xx moves to Accepted; INVITE retransmissions absorbed, ACKs for the TU, timer L', () => {
    const { clock, sender, tx, req, events } = start();
    clock.advance(50);
    const ok = response(req, 200, 'b');
    assert.equal(tx.respond(ok), true);
    assert.equal(tx.state, 'Accepted');
    const okAt = clock.now();
    tx.receiveRetransmission();
    assert.equal(sender.sent.length, 1, 'the transaction does not resend the 2xx itself');
    // The TU (dialog) retransmits its 2xx through the transaction; other responses are refused.
    clock.advance(500);
    assert.equal(tx.respond(ok), true);
    assert.equal(tx.respond(response(req, 486, 'b')), false);
    assert.equal(tx.respond(response(req, 180, 'b')), false);
    assert.deepEqual(
      sender.sent.map((s) => (s.message as SipResponse).status),
      [200, 200],
    );
    assert.equal(tx.receiveAck(), true, 'the ACK of a 2xx goes to the TU');
    assert.equal(tx.receiveAck(), true);
    assert.equal(tx.state, 'Accepted');
    clock.advance(32_000 - 500 - 1);
    assert.equal(tx.state, 'Accepted');
    clock.advance(1);
    assert.equal(clock.now() - okAt, 32_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['terminated']);
  });

  it('refuses responses after the final', () => {
    const { tx, req } = start();
    assert.equal(tx.respond(response(req, 486, 'b')), true);
    assert.equal(tx.respond(response(req, 500, 'b')), false);
    assert.equal(tx.respond(response(req, 200, 'b')), false);
  });

  it('an ACK before any final response is ignored', () => {
    const { tx } = start();
    assert.equal(tx.receiveAck(), false);
    assert.equal(tx.state, 'Proceeding');
  });

  it('a transport error in Proceeding or Completed informs the TU and terminates (§17.2.4)', () => {
    const a = start('TCP');
    a.tx.respond(response(a.req, 180, 'b'));
    a.sender.fail(a.sender.sent[0]!, 'ECONNRESET');
    assert.equal(a.tx.state, 'Terminated');
    assert.deepEqual(a.events, ['transport-error ECONNRESET', 'terminated']);

    const b = start('UDP');
    b.tx.respond(response(b.req, 486, 'b'));
    b.clock.advance(500);
    b.sender.fail(b.sender.sent[1]!, 'EHOSTUNREACH');
    assert.equal(b.tx.state, 'Terminated');
    assert.deepEqual(b.events, ['transport-error EHOSTUNREACH', 'terminated']);
    b.clock.advance(60_000);
    assert.equal(b.sender.sent.length, 2, 'no more retransmissions of the final');
  });

  it('a transport error in Accepted informs the TU, which owns the 2xx, and keeps absorbing', () => {
    const { sender, tx, req, events } = start('TCP');
    tx.respond(response(req, 200, 'b'));
    sender.fail(sender.sent[0]!, 'EPIPE');
    assert.equal(tx.state, 'Accepted');
    assert.deepEqual(events, ['transport-error EPIPE']);
  });
});
