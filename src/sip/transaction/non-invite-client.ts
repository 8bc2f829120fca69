/** The non-INVITE client transaction: RFC 3261 §17.1.2 (Figure 6). */
import type { NetError } from '../../runtime/net.ts';
import type { SipResponse } from '../message/types.ts';
import { type Destination, isReliable } from '../transport/types.ts';
import type { ClientTransactionInit } from './client-init.ts';
import { Transaction } from './transaction.ts';
import type { ClientHandlers, NonInviteClientState } from './types.ts';

export class NonInviteClientTransaction extends Transaction<NonInviteClientState> {
  readonly kind = 'non-invite-client' as const;
  readonly destination: Destination;
  private readonly handlers: ClientHandlers;
  private readonly reliable: boolean;
  private readonly onSendError = (err: NetError): void => this.transportError(err);

  constructor(init: ClientTransactionInit) {
    super(init, 'Trying');
    this.destination = init.destination;
    this.handlers = init.handlers;
    this.reliable = isReliable(init.destination.transport);
  }

  /** Sends the request and arms timers E (unreliable only) and F. */
  start(): void {
    const { T1 } = this.ctx.timers;
    this.send();
    if (this.state !== 'Trying') return;
    if (!this.reliable) this.armE(T1);
    this.timers.start('F', 64 * T1, () => this.terminate(() => this.handlers.onTimeout()));
  }

  receiveResponse(res: SipResponse): void {
    if (this.state !== 'Trying' && this.state !== 'Proceeding') return; // Completed absorbs retransmissions
    if (res.status < 200) {
      this.setState('Proceeding');
      this.handlers.onResponse(res);
      return;
    }
    this.setState('Completed');
    this.timers.stop('E');
    this.timers.stop('F');
    this.handlers.onResponse(res);
    if (!this.stillIn('Completed')) return;
    // Timer K: linger to absorb retransmitted finals on UDP; nothing to absorb on a reliable transport.
    if (this.reliable) this.terminate();
    else this.timers.start('K', this.ctx.timers.T4, () => this.terminate());
  }

  private armE(interval: number): void {
    this.timers.start('E', interval, () => {
      this.send();
      const { T2 } = this.ctx.timers;
      // §17.1.2.2: doubling up to T2 while Trying; once a provisional came, every T2.
      this.armE(this.state === 'Proceeding' ? T2 : Math.min(interval * 2, T2));
    });
  }

  private send(): void {
    this.ctx.sender.sendRequest(this.request, this.destination, this.onSendError);
  }

  private transportError(err: NetError): void {
    // After the final response the request evidently arrived (§17.1.4 concerns undeliverable requests).
    if (this.state !== 'Trying' && this.state !== 'Proceeding') return;
    this.terminate(() => this.handlers.onTransportError(err));
  }

  protected notifyTerminated(): void {
    this.handlers.onTerminated?.();
  }
}
