import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NonInviteClientTransaction } from '../../../src/sip/transaction/non-invite-client.ts';
import type { TransportProtocol } from '../../../src/sip/transport/types.ts';
import { destination, request, response, rig, TuRecorder } from './helpers.ts';

function start(transport: TransportProtocol = 'UDP', timers = {}) {
  const r = rig(timers);
  const tu = new TuRecorder();
  const req = request({ method: 'OPTIONS', transport });
  const tx = new NonInviteClientTransaction({
    id: 'nict-test',
    context: r.context,
    request: req,
    branch: 'z9hG4bK776asdhds',
    destination: destination(transport),
    handlers: tu,
  });
  tx.start();
  return { ...r, tu, tx, req };
}

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('retransmits on timer E doubling up to T2, then every T2; times out on F = 64*T1', () => {
    const { clock, sender, tu, tx, t0 } = start('UDP');
    assert.equal(tx.state, 'Trying');
    clock.advance(31_999);
    assert.deepEqual(
      sender.timesOf(sender.requests('OPTIONS'), t0),
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
    );
    assert.deepEqual(tu.events, []);
    clock.advance(1);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(tu.events, ['timeout', 'terminated']);
    clock.advance(60_000);
    assert.equal(sender.requests('OPTIONS').length, 11);
  });

  it('in Proceeding retransmits every T2 and still times out on F', () => {
    const { clock, sender, tu, tx, req, t0 } = start('UDP');
    clock.advance(600);
    tx.receiveResponse(response(req, 100));
    assert.equal(tx.state, 'Proceeding');
    clock.advance(31_399);
    // 1500 was armed in Trying (interval 1000); from there on E is reset to T2.
    assert.deepEqual(
      sender.timesOf(sender.requests('OPTIONS'), t0),
      [0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500],
    );
    clock.advance(1);
    assert.deepEqual(tu.events, ['response 100', 'timeout', 'terminated']);
  });

  it('sends once over TCP and times out on F', () => {
    const { clock, sender, tu } = start('TCP');
    clock.advance(31_999);
    assert.equal(sender.requests('OPTIONS').length, 1);
    clock.advance(1);
    assert.deepEqual(tu.events, ['timeout', 'terminated']);
  });

  it('a final response: Completed, retransmissions of it absorbed, timer K = T4 on UDP', () => {
    const { clock, sender, tu, tx, req, t0 } = start('UDP');
    clock.advance(800);
    tx.receiveResponse(response(req, 200, 'x'));
    assert.equal(tx.state, 'Completed');
    clock.advance(1_000);
    tx.receiveResponse(response(req, 200, 'x'));
    tx.receiveResponse(response(req, 180, 'x'));
    clock.advance(3_999);
    assert.equal(tx.state, 'Completed');
    assert.equal(sender.requests('OPTIONS').length, 2, 'E stopped by the final response');
    clock.advance(1);
    assert.equal(clock.now() - t0, 800 + 5_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(tu.events, ['response 200', 'terminated']);
  });

  it('timer K is 0 over TCP', () => {
    const { tu, tx, req } = start('TCP');
    tx.receiveResponse(response(req, 404, 'x'));
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(tu.events, ['response 404', 'terminated']);
  });

  it('a transport error informs the TU and terminates (§17.1.4)', () => {
    const { clock, sender, tu, tx } = start('TCP');
    sender.fail(sender.requests('OPTIONS')[0]!, 'ECONNRESET');
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(tu.events, ['transport-error ECONNRESET', 'terminated']);
    clock.advance(60_000);
    assert.deepEqual(tu.events, ['transport-error ECONNRESET', 'terminated'], 'no timeout after the error');
  });
});
