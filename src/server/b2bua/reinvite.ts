/**
 * A re-INVITE the server itself sends on a leg (hold, retrieve, transfers), with its offer/answer handling:
 * with SDP, the ACK goes at once; without SDP, the endpoint's 2xx carries its offer and the ACK waits for the
 * answer (RFC 3264 §4, RFC 3725). Retransmitted 2xx are re-ACKed as the first was, from the call's `acks`.
 */
import type { ConnID } from '../../model/call/call.ts';
import type { LegChanges } from '../../model/store/records.ts';
import type { buildInDialogRequest } from '../../sip/dialog/request.ts';
import type { DialogState } from '../../sip/dialog/state.ts';
import { onInDialogResponse } from '../../sip/dialog/update.ts';
import { getCSeq } from '../../sip/message/headers.ts';
import type { ServerContext } from '../context.ts';
import { bodyText } from './messages.ts';

/** The outcome of a re-INVITE: on 2xx the endpoint's SDP and, when we sent none, how to ACK with the answer. */
export type ReinviteOutcome =
  | { ok: true; sdp: string | null; ack: (body: string | undefined) => void }
  | { ok: false; status: number; reason: string };

/** What a re-INVITE needs of the B2BUA core: the legs' dialogs and the call's transient ACK bodies. */
export interface DialogOps {
  /** Builds a request in a leg's dialog and commits the dialog's new local CSeq. */
  inDialog(
    connId: ConnID,
    legId: string,
    method: string,
    extra: { body?: Uint8Array; contentType?: string },
  ): ReturnType<typeof buildInDialogRequest> | undefined;
  updateLeg(connId: ConnID, legId: string, changes: LegChanges): void;
  /** The ACK of a 2xx; `body` is the SDP answer when the 2xx carried the offer. */
  sendAck(dialog: DialogState, inviteSeq: number, body?: string): void;
  /** ACKs that carried an SDP answer, by "Call-ID CSeq" ('' while the answer is awaited). */
  runtimeOf(connId: ConnID): { acks: Map<string, string> };
}

/**
 * A re-INVITE on a leg, with `sdp` as the offer (ACKed at once), or without SDP to get the endpoint's offer
 * (then `ack` must be called with the answer). `done` gets the outcome once; 2xx retransmissions are
 * re-ACKed as the first was.
 */
export function reinvite(
  ctx: ServerContext,
  core: DialogOps,
  connId: ConnID,
  legId: string,
  sdp: string | null,
  done: (r: ReinviteOutcome) => void,
): void {
  const out = core.inDialog(
    connId,
    legId,
    'INVITE',
    sdp ? { body: Buffer.from(sdp, 'latin1'), contentType: 'application/sdp' } : {},
  );
  const leg = ctx.store.call(connId)?.legs.find((l) => l.id === legId);
  if (!out || !leg || !ctx.gate.mayAct()) {
    done({ ok: false, status: 500, reason: 'the leg has no dialog' });
    return;
  }
  if (sdp) core.updateLeg(connId, legId, { localSdp: sdp });
  const seq = getCSeq(out.request).seq;
  const key = `${leg.callId} ${seq}`;
  const rt = core.runtimeOf(connId);
  let finished = false;
  const finish = (r: ReinviteOutcome): void => {
    if (finished) return;
    finished = true;
    done(r);
  };
  ctx.transactions.sendRequest(out.request, out.destination, {
    onResponse: (res) => {
      if (res.status < 200) return;
      const current = ctx.store.call(connId)?.legs.find((l) => l.id === legId);
      if (res.status >= 300) {
        finish({ ok: false, status: res.status, reason: res.reason });
        return;
      }
      const dialog = current?.dialog ? onInDialogResponse(current.dialog, out.request, res) : out.state;
      if (finished) {
        const body = rt.acks.get(key);
        if (body !== '') core.sendAck(dialog, seq, body);
        return;
      }
      const theirs = bodyText(res);
      if (current) core.updateLeg(connId, legId, { dialog, ...(theirs ? { remoteSdp: theirs } : {}) });
      if (sdp) core.sendAck(dialog, seq);
      else rt.acks.set(key, '');
      finish({
        ok: true,
        sdp: theirs,
        ack: (body) => {
          if (body) rt.acks.set(key, body);
          else rt.acks.delete(key);
          core.sendAck(dialog, seq, body);
        },
      });
    },
    onTimeout: () => finish({ ok: false, status: 408, reason: 'No response' }),
    onTransportError: (err) => finish({ ok: false, status: 503, reason: `Transport error: ${err.code}` }),
  });
}
