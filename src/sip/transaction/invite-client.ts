/**
 * The INVITE client transaction: RFC 3261 §17.1.1, with the Accepted state of RFC 6026 §7.2 so that 2xx
 * retransmissions and 2xx from other forks reach the TU (which ACKs them) instead of being lost.
 */
import type { NetError } from '../../runtime/net.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import { type Destination, isReliable } from '../transport/types.ts';
import type { ClientTransactionInit } from './client-init.ts';
import { createNon2xxAck } from './derived-request.ts';
import { timerD } from './timers.ts';
import { Transaction } from './transaction.ts';
import type { ClientHandlers, InviteClientState } from './types.ts';

export class InviteClientTransaction extends Transaction<InviteClientState> {
  readonly kind = 'invite-client' as const;
  readonly destination: Destination;
  private readonly handlers: ClientHandlers;
  private readonly reliable: boolean;
  /** Built once for the first non-2xx final and resent for each retransmission of it (§17.1.1.2). */
  private ack: SipRequest | undefined;
  private provisional = false;
  private readonly onSendError = (err: NetError): void => this.transportError(err);

  constructor(init: ClientTransactionInit) {
    super(init, 'Calling');
    this.destination = init.destination;
    this.handlers = init.handlers;
    this.reliable = isReliable(init.destination.transport);
  }

  /** True once a provisional response has arrived: a CANCEL may be sent only then (§9.1). */
  get hasProvisional(): boolean {
    return this.provisional;
  }

  /** Sends the INVITE and arms timers A (unreliable only) and B. */
  start(): void {
    const { T1 } = this.ctx.timers;
    this.send(this.request);
    if (this.state !== 'Calling') return;
    // Timer A doubles without the T2 cap that E and G have (§17.1.1.2): at most 6 retransmissions within B.
    if (!this.reliable) this.armA(T1);
    this.timers.start('B', 64 * T1, () => this.terminate(() => this.handlers.onTimeout()));
  }

  receiveResponse(res: SipResponse): void {
    const status = res.status;
    switch (this.state) {
      case 'Calling':
      case 'Proceeding':
        // Timer B only limits the wait for a first response (§17.1.1.2, Figure 5): a provisional means the
        // request arrived; how long to ring is the TU's decision (it may CANCEL).
        this.timers.stop('A');
        this.timers.stop('B');
        if (status < 200) {
          this.provisional = true;
          this.setState('Proceeding');
          this.handlers.onResponse(res);
        } else if (status < 300) {
          this.setState('Accepted');
          this.timers.start('M', 64 * this.ctx.timers.T1, () => this.terminate());
          this.handlers.onResponse(res);
        } else {
          this.setState('Completed');
          this.ack = createNon2xxAck(this.request, res);
          this.send(this.ack);
          this.handlers.onResponse(res);
          if (this.stillIn('Completed')) this.armD();
        }
        return;
      case 'Completed':
        // A retransmitted non-2xx final means our ACK was lost: resend it, the TU has seen the response.
        if (status >= 300 && this.ack !== undefined) this.send(this.ack);
        return;
      case 'Accepted':
        // RFC 6026 §7.2: every 2xx goes to the TU, which alone ACKs 2xx (§13.2.2.4).
        if (status >= 200 && status < 300) this.handlers.onResponse(res);
        return;
      case 'Terminated':
        return;
    }
  }

  private armA(interval: number): void {
    this.timers.start('A', interval, () => {
      if (this.state !== 'Calling') return;
      this.send(this.request);
      this.armA(interval * 2);
    });
  }

  private armD(): void {
    const d = timerD(this.ctx.timers, this.reliable);
    if (d === 0) this.terminate();
    else this.timers.start('D', d, () => this.terminate());
  }

  private send(req: SipRequest): void {
    this.ctx.sender.sendRequest(req, this.destination, this.onSendError);
  }

  private transportError(err: NetError): void {
    // §17.1.4 is about a request that cannot be delivered. Once a final response has come (Completed,
    // Accepted) the INVITE evidently arrived and the TU holds its answer: a late error about an earlier copy
    // or the ACK changes nothing, and the transaction keeps absorbing retransmissions until D or M.
    if (this.state !== 'Calling' && this.state !== 'Proceeding') return;
    this.terminate(() => this.handlers.onTransportError(err));
  }

  protected notifyTerminated(): void {
    this.handlers.onTerminated?.();
  }
}
