/**
 * Shared vocabulary of the transaction layer (RFC 3261 §17): kinds, states, the handlers a TU gives, and the
 * context every machine runs in.
 */
import type { Clock } from '../../runtime/clock.ts';
import type { NetError } from '../../runtime/net.ts';
import type { SipResponse } from '../message/types.ts';
import type { SipSender } from '../transport/types.ts';
import type { TimerConfig } from './timers.ts';

export type TransactionKind = 'invite-client' | 'non-invite-client' | 'invite-server' | 'non-invite-server';

/** §17.1.1.2 with RFC 6026 §7.2 (Accepted). */
export type InviteClientState = 'Calling' | 'Proceeding' | 'Completed' | 'Accepted' | 'Terminated';
/** §17.1.2.2 */
export type NonInviteClientState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';
/** §17.2.1 with RFC 6026 §7.1 (Accepted). */
export type InviteServerState = 'Proceeding' | 'Completed' | 'Confirmed' | 'Accepted' | 'Terminated';
/** §17.2.2 */
export type NonInviteServerState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

export type TransactionState =
  | InviteClientState
  | NonInviteClientState
  | InviteServerState
  | NonInviteServerState;

/** What the TU hears from a client transaction. */
export interface ClientHandlers {
  /** Every response the TU must see: provisionals, the final, and (INVITE, Accepted) further 2xx. */
  onResponse(res: SipResponse): void;
  /** Timer B or F fired without a final response (§17.1.1.2, §17.1.2.2); the transaction is Terminated. */
  onTimeout(): void;
  /** The transport could not send (§17.1.4); the transaction is Terminated. */
  onTransportError(err: NetError): void;
  /** Last call of all, whatever the cause. */
  onTerminated?(): void;
}

/** What the TU hears from a server transaction; set with `ServerTransaction.setHandlers`. */
export interface ServerHandlers {
  /** INVITE only: timer H fired, the ACK for the non-2xx final never came (§17.2.1). */
  onTimeout?(): void;
  /** A response could not be sent (§17.2.4). */
  onTransportError?(err: NetError): void;
  /** Last call of all, whatever the cause. */
  onTerminated?(): void;
}

/** What every machine runs on: time, a way to send, and the timer values. */
export interface TransactionContext {
  clock: Clock;
  sender: SipSender;
  timers: TimerConfig;
}

/** One row of `TransactionLayer.list()`. */
export interface TransactionInfo {
  id: string;
  kind: TransactionKind;
  state: TransactionState;
  method: string;
  /** The top Via branch ("" for an RFC 2543 request without one). */
  branch: string;
  /** Clock time of creation, ms. */
  createdAt: number;
}
