/**
 * Framing of a link (SPEC S1): the generic length-prefixed JSON framing of runtime/framing, with the link's
 * message check (a JSON object with a string `type`). Any unreadable frame closes the link ('bad-frame').
 */
import {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame as encodeAnyFrame,
  FrameDecoder as GenericFrameDecoder,
  notAnObject,
} from '../../runtime/framing/frame-codec.ts';
import type { LinkMessage } from './types.ts';

export { DEFAULT_MAX_FRAME_BYTES, FrameError } from '../../runtime/framing/frame-codec.ts';

/** One Buffer per frame, so that a frame is one write on the connection. */
export function encodeFrame(msg: LinkMessage): Buffer {
  return encodeAnyFrame(msg);
}

/** Checks what a parsed frame body must be: a JSON object with a string `type`. */
export function asLinkMessage(value: unknown): LinkMessage | string {
  const notObject = notAnObject(value);
  if (notObject !== undefined) return notObject;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return 'the message has no string "type"';
  return value as LinkMessage;
}

/** Reassembles link messages from the chunks of a TCP stream (see RawFrameDecoder); any bad frame is fatal. */
export class FrameDecoder extends GenericFrameDecoder<LinkMessage> {
  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    super(asLinkMessage, maxFrameBytes);
  }
}
