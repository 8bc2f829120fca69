/**
 * RFC 3261 §13.3.1.4: a UAS core resends its 2xx to an INVITE from T1, doubling up to T2, until the ACK
 * arrives, and gives up after 64*T1 (then the dialog should end with a BYE: the caller never confirmed it).
 * Over a reliable transport the 2xx is sent once and only the 64*T1 wait remains. RFC 6026 leaves this to
 * the TU: the INVITE server transaction only absorbs the INVITE retransmissions.
 */
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { SipResponse } from '../message/types.ts';
import type { Inbound, SipSender } from '../transport/types.ts';
import { isReliable } from '../transport/types.ts';

export class TwoXxRetransmitter {
  private timer: TimerHandle | null = null;
  private interval: number;
  private readonly deadline: number;
  private done = false;

  constructor(
    private readonly clock: Clock,
    private readonly sender: SipSender,
    private readonly response: SipResponse,
    private readonly inbound: Inbound,
    private readonly timers: { T1: number; T2: number },
    /** Called when no ACK came within 64*T1. */
    private readonly onGiveUp: () => void,
  ) {
    this.interval = timers.T1;
    this.deadline = clock.now() + 64 * timers.T1;
    this.timer = clock.setTimer(isReliable(inbound.transport) ? 64 * timers.T1 : timers.T1, () =>
      this.tick(),
    );
  }

  /** The ACK arrived (or the call ended): stop. */
  stop(): void {
    this.done = true;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private tick(): void {
    this.timer = null;
    if (this.done) return;
    const now = this.clock.now();
    if (now >= this.deadline) {
      this.done = true;
      this.onGiveUp();
      return;
    }
    this.sender.sendResponse(this.response, this.inbound);
    this.interval = Math.min(this.interval * 2, this.timers.T2);
    this.timer = this.clock.setTimer(Math.min(this.interval, this.deadline - now), () => this.tick());
  }
}
