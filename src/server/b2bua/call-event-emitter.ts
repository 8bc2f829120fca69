/**
 * Emission of CallEvents (SPEC S3): the event for one DN of a call as it is now, delivered to the server's hook
 * and the listeners, and only while this server may act (a backup, or a just-demoted primary, sends none).
 */
import type { Call, ConnID } from '../../model/call/call.ts';
import type { ServerContext } from '../context.ts';
import type {
  CallEvent,
  CallEventListener,
  CallEventType,
  RequestFailure,
  RequestFailureListener,
} from './call-events.ts';
import { otherDnOf } from './party-view.ts';

/** DN types that get call events (T-Library parties); never Trunks or services. */
const CTI_DN_TYPES = new Set(['Extension', 'ACD Position', 'Routing Point', 'ACD Queue']);

export class CallEventEmitter {
  private readonly listeners = new Set<CallEventListener>();
  private readonly failureListeners = new Set<RequestFailureListener>();

  constructor(
    private readonly ctx: ServerContext,
    /** Read at each delivery: the server's hook (B2buaHooks.callEvent). */
    private readonly hooks: () => { callEvent?(event: CallEvent): void } | undefined,
  ) {}

  /** Call events, one per DN per change, only while this server may act. */
  onCallEvent(listener: CallEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Failures of accepted requests (RequestFailure), only while this server may act. */
  onRequestFailed(listener: RequestFailureListener): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** Reports an accepted request whose SIP part failed (the call is unchanged). */
  requestFailed(failure: RequestFailure): void {
    if (!this.ctx.gate.mayAct()) return;
    for (const l of this.failureListeners) l(failure);
  }

  /** The event `type` for `dn` in `call` now, or undefined when dn gets no call events (a Trunk). */
  eventOf(
    call: Readonly<Call>,
    type: CallEventType,
    dn: string,
    extra: Partial<CallEvent> = {},
  ): CallEvent | undefined {
    if (!CTI_DN_TYPES.has(this.ctx.dn(dn)?.type ?? '')) return undefined;
    return {
      type,
      connId: call.connId,
      thisDn: dn,
      otherDn: otherDnOf(call, dn),
      callType: call.callType,
      callState: 'Ok',
      userData: { ...call.userData },
      ...extra,
    };
  }

  emit(connId: ConnID, type: CallEventType, dn: string, extra: Partial<CallEvent> = {}): void {
    const call = this.ctx.store.call(connId);
    const e = call && this.eventOf(call, type, dn, extra);
    if (e) this.deliver(e);
  }

  /** The same event on every party still in the call except `dn` (NetworkReached: the caller's side). */
  emitToOthers(connId: ConnID, type: CallEventType, dn: string): void {
    for (const p of this.ctx.store.call(connId)?.parties ?? []) {
      if (p.dn !== dn && p.state !== 'Released') this.emit(connId, type, p.dn);
    }
  }

  /** Call events go out only while this server may act: a backup (or a just-demoted primary) sends none. */
  deliver(e: CallEvent): void {
    if (!this.ctx.gate.mayAct()) return;
    this.hooks()?.callEvent?.(e);
    for (const l of this.listeners) l(e);
  }
}
