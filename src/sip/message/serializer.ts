/**
 * Writes a message to bytes (RFC 3261 §7): start line, header fields, one Content-Length that always matches
 * the body (any existing one is replaced in place, so a stale length can never frame the next message on a
 * stream), an empty line, the body. The head is built as one string and written once.
 */
import { Buffer } from 'node:buffer';
import type { SipMessage } from './types.ts';
import { formatUri } from './uri.ts';

/** CR or LF inside a value would start a new header line (header injection); a fold is one SP anyway. */
function oneLine(s: string): string {
  if (s.indexOf('\r') === -1 && s.indexOf('\n') === -1) return s;
  return s.replace(/[\r\n]+[ \t]*/g, ' ');
}

function isContentLength(name: string): boolean {
  return name === 'Content-Length' || name === 'l' || name === 'L' || name.toLowerCase() === 'content-length';
}

export function serializeMessage(msg: SipMessage): Uint8Array {
  let head =
    msg.kind === 'request'
      ? `${oneLine(msg.method)} ${oneLine(formatUri(msg.uri))} ${msg.version}\r\n`
      : `${msg.version} ${msg.status} ${oneLine(msg.reason)}\r\n`;
  const length = `Content-Length: ${msg.body.length}\r\n`;
  let wroteLength = false;
  for (const f of msg.headers) {
    if (isContentLength(f.name)) {
      if (!wroteLength) head += length;
      wroteLength = true;
      continue;
    }
    head += `${f.name}: ${oneLine(f.value)}\r\n`;
  }
  if (!wroteLength) head += length;
  head += '\r\n';
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + msg.body.length);
  out.write(head, 0, 'utf8');
  if (msg.body.length > 0) out.set(msg.body, headLength);
  return out;
}
