/**
 * What the four machines share: identity, the state variable, the named timers, and the one way out
 * (terminate), which stops every timer so that nothing of a Terminated transaction can fire again.
 */
import type { SipRequest } from '../message/types.ts';
import { TimerSet } from './timer-set.ts';
import type { TransactionContext, TransactionInfo, TransactionKind, TransactionState } from './types.ts';

export interface TransactionInit {
  /** Unique among live transactions; the layer assigns it. */
  id: string;
  context: TransactionContext;
  /** The request that created the transaction. */
  request: SipRequest;
  /** Top Via branch of the request ("" when absent). */
  branch: string;
  /** For the owner (the layer): called once on Terminated, before the TU's onTerminated. */
  onEnd?: () => void;
}

export abstract class Transaction<S extends TransactionState> {
  abstract readonly kind: TransactionKind;
  readonly id: string;
  readonly request: SipRequest;
  readonly method: string;
  readonly branch: string;
  readonly createdAt: number;
  protected readonly ctx: TransactionContext;
  protected readonly timers: TimerSet;
  private current: S | 'Terminated';
  private readonly onEnd: (() => void) | undefined;

  protected constructor(init: TransactionInit, initial: S) {
    this.id = init.id;
    this.ctx = init.context;
    this.request = init.request;
    this.method = init.request.method;
    this.branch = init.branch;
    this.createdAt = init.context.clock.now();
    this.timers = new TimerSet(init.context.clock);
    this.current = initial;
    this.onEnd = init.onEnd;
  }

  get state(): S | 'Terminated' {
    return this.current;
  }

  get terminated(): boolean {
    return this.current === 'Terminated';
  }

  info(): TransactionInfo {
    return {
      id: this.id,
      kind: this.kind,
      state: this.current,
      method: this.method,
      branch: this.branch,
      createdAt: this.createdAt,
    };
  }

  /**
   * State test that TypeScript does not narrow: after a TU callback the state may have changed (the TU can
   * act on the transaction from inside the callback), so it must be read again.
   */
  protected stillIn(state: S): boolean {
    return this.current === state;
  }

  protected setState(next: S): void {
    this.current = next;
  }

  /**
   * Enters Terminated: timers stop first, so a TU callback that inspects the transaction sees it ended;
   * then `inform` (the reason, for the TU), then the owner, then the TU's onTerminated.
   */
  protected terminate(inform?: () => void): void {
    if (this.current === 'Terminated') return;
    this.current = 'Terminated';
    this.timers.stopAll();
    try {
      inform?.();
    } finally {
      this.onEnd?.();
      this.notifyTerminated();
    }
  }

  protected abstract notifyTerminated(): void;
}
