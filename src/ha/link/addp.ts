/**
 * ADDP on a link (SPEC S4.2, `[backup-sync]` addp-*): the generic keeper of runtime/framing/addp.ts with the
 * link's frames {type:'addp-poll'} and {type:'addp-answer'}. The timeout a side polls with is its own, else
 * the one the peer asked for in the handshake (effectiveAddpTimeoutMs); a dead peer closes the link with
 * 'addp-timeout'.
 */
import type { Clock } from '../../runtime/clock.ts';
import { type AddpDialect, GenericAddpKeeper } from '../../runtime/framing/addp.ts';
import type { AddpOptions, LinkMessage } from './types.ts';

export { effectiveAddpTimeoutMs, validateAddpOptions } from '../../runtime/framing/addp.ts';

export const ADDP_POLL = 'addp-poll';
export const ADDP_ANSWER = 'addp-answer';

const linkDialect: AddpDialect<LinkMessage> = {
  poll: { type: ADDP_POLL },
  answer: { type: ADDP_ANSWER },
  kindOf: (msg) => (msg.type === ADDP_POLL ? 'poll' : msg.type === ADDP_ANSWER ? 'answer' : undefined),
};

export interface AddpKeeperOptions {
  clock: Clock;
  /** Polling timeout in ms; 0 = this side never polls (it still answers). */
  timeoutMs: number;
  send(msg: LinkMessage): void;
  /** Nothing arrived within the timeout after a poll: close the link with 'addp-timeout'. */
  onDead(): void;
  trace?: AddpOptions['trace'];
}

export class AddpKeeper extends GenericAddpKeeper<LinkMessage> {
  constructor(o: AddpKeeperOptions) {
    super({ ...o, dialect: linkDialect });
  }
}
