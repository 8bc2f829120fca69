/**
 * Splits a byte stream (TCP) into SIP messages (RFC 3261 §18.3): a message is a head ending in an empty line,
 * then exactly Content-Length bytes of body. On a stream Content-Length is mandatory, since nothing else says
 * where the body ends; a head without it, or a head that never ends within the limit, leaves the stream out of
 * step, so the connection must be closed (there is no way to find the next message).
 *
 * Empty lines between messages are keepalives (RFC 5626 §3.5.1, "CRLF CRLF" ping, answered with "CRLF").
 */

export type FrameEvent =
  | { kind: 'message'; bytes: Uint8Array }
  | { kind: 'ping' }
  | { kind: 'error'; reason: string };

const CR = 13;
const LF = 10;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    private readonly maxHeadBytes = 16384 * 4,
    private readonly maxBodyBytes = 1 << 20,
  ) {}

  /** Feeds bytes; returns the complete frames they finish. After an 'error' the framer must be dropped. */
  push(chunk: Uint8Array): FrameEvent[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: FrameEvent[] = [];
    for (;;) {
      // Leading CR/LF: keepalive pings between messages.
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === CR || this.buf[start] === LF)) start++;
      if (start > 0) {
        const crlfs = this.buf.subarray(0, start).toString('latin1');
        if (crlfs.includes('\r\n\r\n')) out.push({ kind: 'ping' });
        this.buf = this.buf.subarray(start);
      }
      if (this.buf.length === 0) return out;
      const headEnd = this.buf.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        if (this.buf.length > this.maxHeadBytes) {
          out.push({ kind: 'error', reason: `message head exceeds ${this.maxHeadBytes} bytes` });
        }
        return out;
      }
      const head = this.buf.subarray(0, headEnd).toString('latin1');
      const length = contentLength(head);
      if (length === undefined) {
        out.push({ kind: 'error', reason: 'Content-Length is required on a stream transport' });
        return out;
      }
      if (length < 0 || length > this.maxBodyBytes) {
        out.push({ kind: 'error', reason: `Content-Length ${length} is not in 0-${this.maxBodyBytes}` });
        return out;
      }
      const total = headEnd + 4 + length;
      if (this.buf.length < total) return out;
      out.push({ kind: 'message', bytes: this.buf.subarray(0, total) });
      this.buf = this.buf.subarray(total);
    }
  }

  /** Bytes waiting for the rest of their message. */
  get buffered(): number {
    return this.buf.length;
  }
}

/** Content-Length (or compact `l`) of a head, -1 when malformed, undefined when absent. */
function contentLength(head: string): number | undefined {
  let found: number | undefined;
  let pos = head.indexOf('\r\n');
  while (pos >= 0) {
    const lineStart = pos + 2;
    const next = head.indexOf('\r\n', lineStart);
    const line = head.slice(lineStart, next < 0 ? head.length : next);
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === 'content-length' || name === 'l') {
        const value = line.slice(colon + 1).trim();
        if (!/^\d{1,9}$/.test(value)) return -1;
        const n = Number(value);
        if (found !== undefined && found !== n) return -1;
        found = n;
      }
    }
    pos = next;
  }
  return found;
}
