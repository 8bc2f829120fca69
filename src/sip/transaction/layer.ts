/**
 * The transaction layer (RFC 3261 §17): creates client transactions for the TU's requests, matches every
 * received message to its transaction (§17.1.3, §17.2.3), creates server transactions for new requests, and
 * forgets transactions as they terminate. It is fed with messages and timer firings and does no I/O itself.
 */
import type { Clock } from '../../runtime/clock.ts';
import type { Random } from '../../runtime/random.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/types.ts';
import type { Destination, Inbound, SipSender } from '../transport/types.ts';
import { isRfc3261Branch, MAGIC_COOKIE, newBranch } from './branch.ts';
import type { ClientTransactionInit } from './client-init.ts';
import { createCancel } from './derived-request.ts';
import { InviteClientTransaction } from './invite-client.ts';
import { InviteServerTransaction } from './invite-server.ts';
import {
  clientKey,
  type LegacyIdentity,
  legacyIdentity,
  legacyMatches,
  responseKey,
  serverKey,
  topBranch,
} from './match.ts';
import { NonInviteClientTransaction } from './non-invite-client.ts';
import { NonInviteServerTransaction } from './non-invite-server.ts';
import type { ServerTransactionInit } from './server-init.ts';
import { resolveTimers, type TimerConfig } from './timers.ts';
import type { ClientHandlers, TransactionContext, TransactionInfo } from './types.ts';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type AnyTransaction = ClientTransaction | ServerTransaction;

export interface TransactionLayerOptions {
  clock: Clock;
  random: Random;
  sender: SipSender;
  /** T1, T2, T4 in ms; defaults 500, 4000, 5000. */
  timers?: Partial<TimerConfig>;
  /**
   * A request for the TU: a new request with its new server transaction, the ACK of a 2xx that matched an
   * INVITE server transaction in Accepted (with that transaction), or an ACK that matched nothing (tx null:
   * the ACK of a 2xx, §17.2.3 / RFC 6026 §7.1, which the dialog layer handles).
   */
  onRequest(req: SipRequest, tx: ServerTransaction | null, inbound: Inbound): void;
  /**
   * A response that matched no client transaction, e.g. a 2xx retransmission after the INVITE client
   * transaction ended: the dialog layer needs it to ACK again (§13.2.2.4). Dropped when absent.
   */
  onStrayResponse?(res: SipResponse, inbound: Inbound): void;
}

/** What `receive` did with a message; for counters and tests. */
export type ReceiveOutcome =
  /** A response went to its client transaction. */
  | 'response'
  /** A response matched no client transaction (given to onStrayResponse). */
  | 'stray-response'
  /** A new request: a server transaction was created and the TU told. */
  | 'new-request'
  /** A request retransmission, absorbed by its server transaction. */
  | 'retransmission'
  /** The ACK of a non-2xx (or an early ACK), absorbed by its INVITE server transaction. */
  | 'ack-absorbed'
  /** An ACK given to the TU (with its Accepted transaction, or with null when it matched none). */
  | 'ack-to-tu'
  /** The message lacks what matching needs (top Via, CSeq, ...): dropped. */
  | 'unmatchable';

const NO_CANCEL_HANDLERS: ClientHandlers = {
  onResponse() {},
  onTimeout() {},
  onTransportError() {},
};

export class TransactionLayer {
  private readonly ctx: TransactionContext;
  private readonly random: Random;
  private readonly onRequest: TransactionLayerOptions['onRequest'];
  private readonly onStrayResponse: TransactionLayerOptions['onStrayResponse'];
  /** Live transactions by id, in creation order. */
  private readonly byId = new Map<string, AnyTransaction>();
  /** §17.1.3 keys. */
  private readonly clients = new Map<string, ClientTransaction>();
  /** §17.2.3 keys (requests with an RFC 3261 branch). */
  private readonly servers = new Map<string, ServerTransaction>();
  /** Server transactions of RFC 2543 requests, matched by comparison. */
  private readonly legacy = new Map<ServerTransaction, LegacyIdentity>();
  /** INVITE client transactions the TU asked to cancel; `sent` false while waiting for a provisional (§9.1). */
  private readonly cancels = new Map<InviteClientTransaction, { handlers: ClientHandlers; sent: boolean }>();
  private sequence = 0;

  constructor(options: TransactionLayerOptions) {
    this.ctx = { clock: options.clock, sender: options.sender, timers: resolveTimers(options.timers) };
    this.random = options.random;
    this.onRequest = options.onRequest;
    this.onStrayResponse = options.onStrayResponse;
  }

  get timers(): Readonly<TimerConfig> {
    return this.ctx.timers;
  }

  /** A fresh RFC 3261 branch from this layer's Random, for the Via the caller builds. */
  newBranch(): string {
    return newBranch(this.random);
  }

  /** Number of live transactions. */
  get size(): number {
    return this.byId.size;
  }

  get(id: string): AnyTransaction | undefined {
    return this.byId.get(id);
  }

  list(): TransactionInfo[] {
    return Array.from(this.byId.values(), (tx) => tx.info());
  }

  /** A message from the transport. */
  receive(msg: SipMessage, inbound: Inbound): ReceiveOutcome {
    return msg.kind === 'response' ? this.receiveResponse(msg, inbound) : this.receiveRequest(msg, inbound);
  }

  /**
   * Starts a client transaction for `req`, which must carry its top Via with an RFC 3261 branch (see
   * newBranch). ACK is refused: the ACK of a 2xx is its own transaction-less request (§17.1.1.3) that the TU
   * sends with SipSender, and the ACK of a non-2xx is built here.
   */
  sendRequest(req: SipRequest, dest: Destination, handlers: ClientHandlers): ClientTransaction {
    if (req.method === 'ACK') {
      throw new TypeError(
        'ACK is not sent through a client transaction: send the ACK of a 2xx with SipSender.sendRequest ' +
          '(RFC 3261 §13.2.2.4); the ACK of a non-2xx is generated by the INVITE transaction',
      );
    }
    const branch = topBranch(req);
    if (!isRfc3261Branch(branch)) {
      throw new TypeError(
        `cannot send ${req.method}: its top Via needs a branch starting with "${MAGIC_COOKIE}" ` +
          `(got ${branch === undefined ? 'none' : `"${branch}"`}); build one with newBranch()`,
      );
    }
    const key = clientKey(branch, req.method);
    if (this.clients.has(key)) {
      throw new Error(
        `a ${req.method} client transaction with branch ${branch} already exists: ` +
          'every new request needs a new branch (RFC 3261 §8.1.1.7)',
      );
    }
    const isInvite = req.method === 'INVITE';
    const id = this.allocateId(isInvite ? 'ict' : 'nict');
    let tx: ClientTransaction;
    const init: ClientTransactionInit = {
      id,
      context: this.ctx,
      request: req,
      branch,
      destination: dest,
      handlers: isInvite ? this.cancelAware(handlers, () => tx as InviteClientTransaction) : handlers,
      onEnd: () => {
        this.clients.delete(key);
        this.byId.delete(id);
        if (tx instanceof InviteClientTransaction) this.cancels.delete(tx);
      },
    };
    tx = isInvite ? new InviteClientTransaction(init) : new NonInviteClientTransaction(init);
    this.clients.set(key, tx);
    this.byId.set(id, tx);
    tx.start();
    return tx;
  }

  /**
   * Cancels a pending INVITE (§9.1): the CANCEL goes as its own non-INVITE client transaction to the same
   * destination, now if a provisional response has arrived, else as soon as the first one does. Returns false
   * when there is nothing left to cancel (a final response came, or the transaction ended); asking twice
   * sends one CANCEL.
   */
  cancel(invite: InviteClientTransaction, handlers: ClientHandlers = NO_CANCEL_HANDLERS): boolean {
    if (invite.state !== 'Calling' && invite.state !== 'Proceeding') return false;
    if (this.cancels.has(invite)) return true;
    const entry = { handlers, sent: false };
    this.cancels.set(invite, entry);
    if (invite.hasProvisional) this.sendCancel(invite, entry);
    return true;
  }

  /**
   * The INVITE server transaction a received CANCEL targets (§9.2: the matching rules of §17.2.3 with the
   * method taken as INVITE), or null (the TU then answers the CANCEL with 481).
   */
  findInviteForCancel(cancel: SipRequest): InviteServerTransaction | null {
    try {
      const tx = this.findServer(cancel, serverKey(cancel, 'INVITE'), 'INVITE');
      return tx instanceof InviteServerTransaction ? tx : null;
    } catch {
      return null;
    }
  }

  private receiveResponse(res: SipResponse, inbound: Inbound): ReceiveOutcome {
    let key: string | undefined;
    try {
      key = responseKey(res);
    } catch {
      return 'unmatchable';
    }
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (tx === undefined) {
      this.onStrayResponse?.(res, inbound);
      return 'stray-response';
    }
    tx.receiveResponse(res);
    return 'response';
  }

  private receiveRequest(req: SipRequest, inbound: Inbound): ReceiveOutcome {
    let key: string | undefined;
    let identity: LegacyIdentity | undefined;
    let existing: ServerTransaction | undefined;
    try {
      key = serverKey(req);
      if (key === undefined) identity = legacyIdentity(req);
      existing = this.findServer(req, key, undefined, identity);
    } catch {
      return 'unmatchable';
    }
    if (req.method === 'ACK') {
      if (existing instanceof InviteServerTransaction) {
        if (!existing.receiveAck()) return 'ack-absorbed';
        this.onRequest(req, existing, inbound);
        return 'ack-to-tu';
      }
      this.onRequest(req, null, inbound);
      return 'ack-to-tu';
    }
    if (existing !== undefined) {
      existing.receiveRetransmission();
      return 'retransmission';
    }
    const tx = this.createServer(req, inbound, key, identity);
    tx.start();
    this.onRequest(req, tx, inbound);
    return 'new-request';
  }

  private createServer(
    req: SipRequest,
    inbound: Inbound,
    key: string | undefined,
    identity: LegacyIdentity | undefined,
  ): ServerTransaction {
    const isInvite = req.method === 'INVITE';
    const id = this.allocateId(isInvite ? 'ist' : 'nist');
    let tx: ServerTransaction;
    const init: ServerTransactionInit = {
      id,
      context: this.ctx,
      request: req,
      branch: topBranch(req) ?? '',
      inbound,
      onEnd: () => {
        if (key !== undefined) this.servers.delete(key);
        else this.legacy.delete(tx);
        this.byId.delete(id);
      },
    };
    tx = isInvite ? new InviteServerTransaction(init) : new NonInviteServerTransaction(init);
    if (key !== undefined) this.servers.set(key, tx);
    else this.legacy.set(tx, identity ?? legacyIdentity(req));
    this.byId.set(id, tx);
    return tx;
  }

  private findServer(
    req: SipRequest,
    key: string | undefined,
    asMethod?: string,
    identity?: LegacyIdentity,
  ): ServerTransaction | undefined {
    if (key !== undefined) return this.servers.get(key);
    const wanted = identity ?? legacyIdentity(req);
    for (const [tx, txIdentity] of this.legacy) {
      const toTag = tx instanceof InviteServerTransaction ? tx.finalToTag : undefined;
      if (legacyMatches(txIdentity, wanted, toTag, asMethod)) return tx;
    }
    return undefined;
  }

  /** Wraps the TU's INVITE handlers so that a CANCEL waiting for a provisional goes out with it (§9.1). */
  private cancelAware(handlers: ClientHandlers, self: () => InviteClientTransaction): ClientHandlers {
    return {
      onResponse: (res) => {
        if (res.status < 200) {
          const entry = this.cancels.get(self());
          if (entry !== undefined && !entry.sent) this.sendCancel(self(), entry);
        }
        handlers.onResponse(res);
      },
      onTimeout: () => handlers.onTimeout(),
      onTransportError: (err) => handlers.onTransportError(err),
      onTerminated: () => handlers.onTerminated?.(),
    };
  }

  private sendCancel(
    invite: InviteClientTransaction,
    entry: { handlers: ClientHandlers; sent: boolean },
  ): void {
    entry.sent = true;
    this.sendRequest(createCancel(invite.request), invite.destination, entry.handlers);
  }

  private allocateId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}-${this.sequence}`;
  }
}
