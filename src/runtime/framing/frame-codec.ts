/**
 * Length-prefixed framing of a message stream (SPEC S1, S3): each message is a 4-byte big-endian length
 * followed by that many bytes of UTF-8 JSON. Shared by the inter-process links (ha/link: messages with a
 * `type`) and the CTI server (server/cti: messages with a `message`), so it knows nothing of either: a
 * message is whatever JSON object the user's check accepts.
 *
 * TCP is a byte stream, so the decoder reassembles frames split across chunks and splits chunks that carry
 * several frames; the length is checked before the body is buffered, so an oversized or garbage header is
 * refused at once instead of making us hold up to 4 GiB.
 */

/** 16 MiB: a missing-call resync batch of 1000 calls fits (SPEC S4.3, seed 004). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

const HEADER_BYTES = 4;
/** Fatal: invalid UTF-8 is a bad frame rather than silently replaced characters. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The stream cannot be read any further: the connection closes with this detail. */
export class FrameError extends Error {
  constructor(readonly detail: string) {
    super(`bad frame: ${detail}`);
    this.name = 'FrameError';
  }
}

/** One Buffer per frame, so that a frame is one write on the connection. */
export function encodeFrame(msg: object): Buffer {
  const json = JSON.stringify(msg);
  const bodyBytes = Buffer.byteLength(json, 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + bodyBytes);
  frame.writeUInt32BE(bodyBytes, 0);
  frame.write(json, HEADER_BYTES, 'utf8');
  return frame;
}

/** Parses a frame body: the JSON value, or why it is not JSON (invalid UTF-8 or JSON syntax). */
export function parseFrameBody(
  body: Uint8Array,
): { ok: true; value: unknown } | { ok: false; detail: string } {
  try {
    return { ok: true, value: JSON.parse(UTF8.decode(body)) };
  } catch (err) {
    return {
      ok: false,
      detail: `invalid JSON in a frame of ${body.length} bytes (${(err as Error).message})`,
    };
  }
}

/** Describes a value that is not a JSON object, or returns undefined for an object. */
export function notAnObject(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return undefined;
  return `the frame is not a JSON object (${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`;
}

/**
 * Reassembles frame bodies from the chunks of a TCP stream, without reading them. Pull-based (push() then
 * nextBody() until undefined), so that a consumer that stops in the middle (the connection closed from a
 * handler) leaves the rest unread, and an exception thrown by a handler loses nothing already received.
 * Only the header can break the stream (a length over the limit); what a body holds is the caller's business,
 * so a server may answer a frame of bad JSON and go on reading.
 */
export class RawFrameDecoder {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the frame whose body we are waiting for; undefined while reading a header. */
  private bodyLength: number | undefined;
  protected failed: FrameError | undefined;

  /** Largest frame body accepted; may be raised between frames (a link raises it once authenticated). */
  constructor(public maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  push(chunk: Uint8Array): void {
    if (this.failed !== undefined || chunk.length === 0) return;
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.buffered += chunk.length;
  }

  /** The next complete frame body, or undefined if more bytes are needed. Throws FrameError, then forever. */
  nextBody(): Buffer | undefined {
    if (this.failed !== undefined) throw this.failed;
    if (this.bodyLength === undefined) {
      if (this.buffered < HEADER_BYTES) return undefined;
      const length = this.take(HEADER_BYTES).readUInt32BE(0);
      if (length > this.maxFrameBytes) {
        return this.fail(
          `a frame of ${length} bytes is larger than the limit of ${this.maxFrameBytes} bytes`,
        );
      }
      this.bodyLength = length;
    }
    if (this.buffered < this.bodyLength) return undefined;
    const body = this.take(this.bodyLength);
    this.bodyLength = undefined;
    return body;
  }

  /** Bytes received and not yet returned as a frame (for tests and diagnostics). */
  get pendingBytes(): number {
    return this.buffered;
  }

  protected fail(detail: string): never {
    this.failed = new FrameError(detail);
    this.chunks.length = 0;
    this.buffered = 0;
    throw this.failed;
  }

  /** Removes and returns the first n buffered bytes (n <= buffered), copying only when they span chunks. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const want = n - filled;
      if (c.length <= want) {
        c.copy(out, filled);
        filled += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, filled, 0, want);
        this.chunks[0] = c.subarray(want);
        filled += want;
      }
    }
    return out;
  }
}

/**
 * A decoder for streams where any unreadable frame is fatal (the inter-process links): each body must be JSON
 * that `check` accepts (it returns the message, or a description of what is wrong).
 */
export class FrameDecoder<M> extends RawFrameDecoder {
  constructor(
    private readonly check: (value: unknown) => M | string,
    maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
  ) {
    super(maxFrameBytes);
  }

  /** The next complete message, or undefined if more bytes are needed. Throws FrameError, then again forever. */
  next(): M | undefined {
    const body = this.nextBody();
    if (body === undefined) return undefined;
    const parsed = parseFrameBody(body);
    if (!parsed.ok) return this.fail(parsed.detail);
    const msg = this.check(parsed.value);
    return typeof msg === 'string' ? this.fail(msg) : msg;
  }
}
