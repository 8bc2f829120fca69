/**
 * The INVITE server transaction: RFC 3261 §17.2.1, with the Accepted state of RFC 6026 §7.1: after a 2xx the
 * transaction stays alive for timer L so that INVITE retransmissions are absorbed instead of looking like new
 * requests, while the 2xx's reliability and its ACK belong to the TU (§13.3.1.4).
 */
import type { NetError } from '../../runtime/net.ts';
import { addHeader, createResponse, getHeader, getTo } from '../message/index.ts';
import type { SipResponse } from '../message/types.ts';
import { type Inbound, isReliable } from '../transport/types.ts';
import type { ServerTransactionInit } from './server-init.ts';
import { TRYING_DELAY_MS } from './timers.ts';
import { Transaction } from './transaction.ts';
import type { InviteServerState, ServerHandlers } from './types.ts';

export class InviteServerTransaction extends Transaction<InviteServerState> {
  readonly kind = 'invite-server' as const;
  readonly inbound: Inbound;
  private handlers: ServerHandlers = {};
  private readonly reliable: boolean;
  /** The most recent response sent: resent when the INVITE is retransmitted (§17.2.1). */
  private last: SipResponse | undefined;
  private readonly onSendError = (err: NetError): void => this.transportError(err);

  constructor(init: ServerTransactionInit) {
    super(init, 'Proceeding');
    this.inbound = init.inbound;
    this.reliable = isReliable(init.inbound.transport);
  }

  setHandlers(handlers: ServerHandlers): void {
    this.handlers = handlers;
  }

  /** The last response sent (undefined before the first). */
  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  /** The To tag of the final response sent, which an RFC 2543 ACK must carry (§17.2.3). */
  get finalToTag(): string | undefined {
    if (this.last === undefined || this.last.status < 200) return undefined;
    const tag = getTo(this.last).params.tag;
    return typeof tag === 'string' ? tag : undefined;
  }

  /** Arms the 100 Trying timer (§17.2.1: quench the client's retransmissions if the TU is slow). */
  start(): void {
    this.timers.start('Trying', TRYING_DELAY_MS, () => {
      if (this.state === 'Proceeding' && this.last === undefined) this.send(this.trying());
    });
  }

  /** §17.2.1 builds it per §8.2.6.1: no To tag added, and a Timestamp of the request copied. */
  private trying(): SipResponse {
    const trying = createResponse(this.request, 100, 'Trying');
    const timestamp = getHeader(this.request, 'Timestamp');
    if (timestamp !== undefined && getHeader(trying, 'Timestamp') === undefined) {
      addHeader(trying, 'Timestamp', timestamp);
    }
    return trying;
  }

  /**
   * Sends a response from the TU. Returns false when the state does not allow it (a final after the final,
   * anything but a 2xx in Accepted, anything once Terminated): the response is then discarded (§17.2.1).
   */
  respond(res: SipResponse): boolean {
    const status = res.status;
    if (this.state === 'Accepted') {
      // RFC 6026 §7.1: the TU retransmits its 2xx through the transaction.
      if (status < 200 || status >= 300) return false;
      this.send(res);
      return true;
    }
    if (this.state !== 'Proceeding') return false;
    this.timers.stop('Trying');
    if (status < 200) {
      this.send(res);
      return true;
    }
    const { T1 } = this.ctx.timers;
    if (status < 300) {
      this.setState('Accepted');
      this.timers.start('L', 64 * T1, () => this.terminate());
    } else {
      this.setState('Completed');
      if (!this.reliable) this.armG(T1);
      this.timers.start('H', 64 * T1, () => this.terminate(() => this.handlers.onTimeout?.()));
    }
    this.send(res);
    return true;
  }

  /** The INVITE came again: resend the last response; the TU is not told (§17.2.1, RFC 6026 §7.1). */
  receiveRetransmission(): void {
    if ((this.state === 'Proceeding' || this.state === 'Completed') && this.last !== undefined) {
      this.send(this.last);
    }
  }

  /**
   * An ACK matched this transaction. Returns true when it is for the TU (the ACK of a 2xx, RFC 6026 §7.1);
   * the ACK of a non-2xx is the transaction's own business (§17.2.1).
   */
  receiveAck(): boolean {
    switch (this.state) {
      case 'Completed':
        this.setState('Confirmed');
        this.timers.stop('G');
        this.timers.stop('H');
        // Timer I absorbs ACK retransmissions on UDP; a reliable transport has none.
        if (this.reliable) this.terminate();
        else this.timers.start('I', this.ctx.timers.T4, () => this.terminate());
        return false;
      case 'Accepted':
        return true;
      default:
        return false;
    }
  }

  private armG(interval: number): void {
    this.timers.start('G', interval, () => {
      if (this.state !== 'Completed' || this.last === undefined) return;
      this.send(this.last);
      this.armG(Math.min(interval * 2, this.ctx.timers.T2));
    });
  }

  private send(res: SipResponse): void {
    this.last = res;
    this.ctx.sender.sendResponse(res, this.inbound, this.onSendError);
  }

  private transportError(err: NetError): void {
    switch (this.state) {
      case 'Proceeding':
      case 'Completed':
        this.terminate(() => this.handlers.onTransportError?.(err));
        return;
      case 'Accepted':
        // The 2xx is the TU's to retransmit (§13.3.1.4), so it must hear of the failure; the transaction
        // stays to keep absorbing INVITE retransmissions until timer L (RFC 6026 §7.1).
        this.handlers.onTransportError?.(err);
        return;
      default:
        return;
    }
  }

  protected notifyTerminated(): void {
    this.handlers.onTerminated?.();
  }
}
