/** SIP message helpers shared by the B2BUA's modules: the INVITEs kept in the store as text, SDP bodies. */
import { parseMessage } from '../../sip/message/parser.ts';
import { serializeMessage } from '../../sip/message/serializer.ts';
import type { SipRequest, SipResponse } from '../../sip/message/types.ts';

/** For a BYE whose outcome changes nothing: the call is already over here. */
export const IGNORE_RESPONSES = { onResponse() {}, onTimeout() {}, onTransportError() {} };

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REGISTER';

/** A request kept in the store as text (the INVITE of an unanswered leg). */
export function parseStored(text: string): SipRequest | undefined {
  const parsed = parseMessage(Buffer.from(text, 'latin1'));
  return parsed.ok && parsed.message.kind === 'request' ? parsed.message : undefined;
}

export function bodyText(msg: SipRequest | SipResponse): string | null {
  return msg.body.length > 0 ? latin1(msg.body) : null;
}

export function toText(msg: SipRequest): string {
  return latin1(serializeMessage(msg));
}

/** Bytes as latin1 text, read in place (Buffer.from(bytes) would copy them first). */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
