import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipResponse } from '../../../src/sip/message/types.ts';
import { NonInviteServerTransaction } from '../../../src/sip/transaction/non-invite-server.ts';
import type { TransportProtocol } from '../../../src/sip/transport/types.ts';
import { inbound, request, response, rig } from './helpers.ts';

function start(transport: TransportProtocol = 'UDP') {
  const r = rig();
  const req = request({ method: 'REGISTER', transport });
  const events: string[] = [];
  const tx = new NonInviteServerTransaction({
    id: 'nist-test',
    context: r.context,
    request: req,
    branch: 'z9hG4bK776asdhds',
    inbound: inbound(transport),
  });
  tx.setHandlers({
    onTransportError: (err) => events.push(`transport-error ${err.code}`),
    onTerminated: () => events.push('terminated'),
  });
  tx.start();
  return { ...r, req, tx, events };
}

const statuses = (sent: { message: unknown }[]) => sent.map((s) => (s.message as SipResponse).status);

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('discards retransmissions in Trying and sends no automatic 100', () => {
    const { clock, sender, tx } = start();
    tx.receiveRetransmission();
    clock.advance(10_000);
    assert.equal(sender.sent.length, 0);
    assert.equal(tx.state, 'Trying');
  });

  it('in Proceeding resends the latest provisional for a retransmission', () => {
    const { sender, tx, req } = start();
    assert.equal(tx.respond(response(req, 100)), true);
    assert.equal(tx.state, 'Proceeding');
    tx.receiveRetransmission();
    assert.deepEqual(statuses(sender.sent), [100, 100]);
  });

  it('a final: Completed, resent for retransmissions, later finals discarded, timer J = 64*T1 on UDP', () => {
    const { clock, sender, tx, req, events } = start();
    clock.advance(20);
    const ok = response(req, 200, 'r');
    assert.equal(tx.respond(ok), true);
    assert.equal(tx.state, 'Completed');
    const okAt = clock.now();
    clock.advance(3_000);
    tx.receiveRetransmission();
    assert.equal(sender.sent.at(-1)!.message, ok);
    assert.equal(tx.respond(response(req, 500, 'r')), false);
    assert.equal(tx.respond(response(req, 180, 'r')), false);
    assert.deepEqual(statuses(sender.sent), [200, 200], 'no retransmission of its own, no other response');
    clock.advance(32_000 - 3_000 - 1);
    assert.equal(tx.state, 'Completed');
    clock.advance(1);
    assert.equal(clock.now() - okAt, 32_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['terminated']);
  });

  it('timer J is 0 over TCP', () => {
    const { tx, req, events } = start('TCP');
    tx.respond(response(req, 200, 'r'));
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['terminated']);
  });

  it('a transport error informs the TU and terminates (§17.2.4)', () => {
    const { sender, tx, req, events } = start('TCP');
    tx.respond(response(req, 180, 'r'));
    sender.fail(sender.sent[0]!, 'ECONNRESET');
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['transport-error ECONNRESET', 'terminated']);
    assert.equal(tx.respond(response(req, 200, 'r')), false);
  });
});
