/** The non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8). CANCEL uses it too (§9.2). */
import type { NetError } from '../../runtime/net.ts';
import type { SipResponse } from '../message/types.ts';
import { type Inbound, isReliable } from '../transport/types.ts';
import type { ServerTransactionInit } from './server-init.ts';
import { Transaction } from './transaction.ts';
import type { NonInviteServerState, ServerHandlers } from './types.ts';

export class NonInviteServerTransaction extends Transaction<NonInviteServerState> {
  readonly kind = 'non-invite-server' as const;
  readonly inbound: Inbound;
  private handlers: ServerHandlers = {};
  private readonly reliable: boolean;
  private last: SipResponse | undefined;
  private readonly onSendError = (err: NetError): void => this.transportError(err);

  constructor(init: ServerTransactionInit) {
    super(init, 'Trying');
    this.inbound = init.inbound;
    this.reliable = isReliable(init.inbound.transport);
  }

  setHandlers(handlers: ServerHandlers): void {
    this.handlers = handlers;
  }

  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  /** Nothing to arm: a non-INVITE server sends no automatic 100 (RFC 4320 §4.1 discourages it). */
  start(): void {}

  /** Sends a response from the TU; returns false (and discards it) once a final has been sent (§17.2.2). */
  respond(res: SipResponse): boolean {
    if (this.state !== 'Trying' && this.state !== 'Proceeding') return false;
    if (res.status < 200) {
      this.setState('Proceeding');
      this.send(res);
      return true;
    }
    this.setState('Completed');
    this.send(res);
    // Timer J: linger to answer request retransmissions on UDP; a reliable transport has none.
    if (!this.stillIn('Completed')) return true;
    if (this.reliable) this.terminate();
    else this.timers.start('J', 64 * this.ctx.timers.T1, () => this.terminate());
    return true;
  }

  /**
   * The request came again: in Trying it is discarded (the TU has not answered yet); afterwards the last
   * response is resent (§17.2.2). The TU is never told.
   */
  receiveRetransmission(): void {
    if ((this.state === 'Proceeding' || this.state === 'Completed') && this.last !== undefined) {
      this.send(this.last);
    }
  }

  private send(res: SipResponse): void {
    this.last = res;
    this.ctx.sender.sendResponse(res, this.inbound, this.onSendError);
  }

  private transportError(err: NetError): void {
    if (this.state !== 'Proceeding' && this.state !== 'Completed') return;
    this.terminate(() => this.handlers.onTransportError?.(err));
  }

  protected notifyTerminated(): void {
    this.handlers.onTerminated?.();
  }
}
