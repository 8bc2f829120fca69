/**
 * The SIP message parser (RFC 3261 §7, §25). It never throws: every input gives a ParseResult, and a refusal
 * names its fault concretely so that the transport can answer 400 (or 505) with it (RFC 4475 §3.1.2).
 *
 * Speed: the header section is located with Buffer#indexOf, decoded once, and scanned with indexOf/charCodeAt;
 * the few regular expressions left are linear and run on bounded text. The headers every layer needs (Via,
 * From, To, Call-ID, CSeq, Max-Forwards, Content-Length; Contact on REGISTER) are validated here and their
 * typed views cached on the fields, so later accessor calls cost a property read.
 */
import { Buffer } from 'node:buffer';
import { excerpt, isDigits, isToken, isWsp, trimWsp } from './chars.ts';
import { canonicalHeaderName } from './header-names.ts';
import { contactsOf, cseqOf, nameAddrOf, viaOf } from './headers.ts';
import { checkCallId, checkDate, readContentLength, readMaxForwards } from './scalars.ts';
import type {
  CSeq,
  HeaderField,
  OtherUri,
  ParseLimits,
  ParseResult,
  SipMessage,
  SipParseError,
  SipRequest,
  SipResponse,
  Uri,
} from './types.ts';
import { parseUri } from './uri.ts';

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageBytes: 65535,
  maxHeaders: 256,
  maxLineBytes: 16384,
});

export interface ParseOptions {
  limits?: Partial<ParseLimits>;
  /**
   * The message came over a stream transport (TCP): Content-Length is required (RFC 3261 §18.3), a body
   * shorter than it gives INCOMPLETE (wait for more bytes), and bytes after the message are ignored.
   * Otherwise (UDP) an absent Content-Length means "the rest of the datagram" and a larger one is an error.
   */
  stream?: boolean;
}

const EMPTY = Buffer.alloc(0);
const LF_CRLF = Buffer.from('\n\r\n', 'latin1');
const LF_LF = Buffer.from('\n\n', 'latin1');

function fail(code: SipParseError['code'], reason: string): ParseResult {
  return { ok: false, error: { code, reason } };
}

/** Parses one SIP message. Never throws. */
export function parseMessage(data: Uint8Array | string, opts?: ParseOptions): ParseResult {
  try {
    return parse(data, opts);
  } catch (e) {
    // Defensive: a bug here must cost one message, never the process (SPEC S2.1).
    return fail('BAD_HEADER', `Unreadable message: ${excerpt(String((e as Error)?.message ?? e), 80)}`);
  }
}

function toBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function isSipVersionShape(v: string): boolean {
  // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (case-insensitive literal, §25.1)
  if (v.length < 7 || v.slice(0, 4).toUpperCase() !== 'SIP/') return false;
  const dot = v.indexOf('.', 4);
  return dot !== -1 && isDigits(v.slice(4, dot)) && isDigits(v.slice(dot + 1));
}

interface StartLine {
  kind: 'request' | 'response';
  version: string;
  method?: string;
  uri?: Uri;
  status?: number;
  reason?: string;
  /** A fault of the start line; the rest may still be read to answer it. */
  error?: SipParseError;
}

function readResponseLine(line: string): StartLine {
  const sp1 = line.indexOf(' ');
  const version = sp1 === -1 ? line : line.slice(0, sp1);
  const out: StartLine = { kind: 'response', version };
  if (sp1 === -1) {
    out.error = { code: 'BAD_START_LINE', reason: `Invalid status line '${excerpt(line)}': no status code` };
    return out;
  }
  const sp2 = line.indexOf(' ', sp1 + 1);
  const code = sp2 === -1 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2);
  out.reason = sp2 === -1 ? '' : line.slice(sp2 + 1);
  if (!isDigits(code)) {
    out.error = {
      code: 'BAD_START_LINE',
      reason: `Invalid status line: status code '${excerpt(code, 20)}' is not a number`,
    };
  } else if (code.length !== 3 || Number(code) < 100 || Number(code) > 699) {
    out.error = {
      code: 'BAD_START_LINE',
      reason: `Invalid status line: status code ${excerpt(code, 20)} is out of range 100-699`,
    };
  } else {
    out.status = Number(code);
  }
  if (version.toUpperCase() === 'SIP/2.0') out.version = 'SIP/2.0';
  else if (isSipVersionShape(version))
    out.error ??= { code: 'BAD_VERSION', reason: `SIP version ${excerpt(version, 20)} not supported` };
  else out.error = { code: 'BAD_START_LINE', reason: `Invalid status line '${excerpt(line)}'` };
  return out;
}

/** Reads what can be read of a faulty request line, so that the request can still be answered. */
function readRequestLineLeniently(line: string, out: StartLine): void {
  const words = line.split(/[ \t]+/).filter((w) => w.length > 0);
  if (words.length < 3 || !isToken(words[0])) return;
  out.method = words[0];
  out.version = words[words.length - 1].toUpperCase() === 'SIP/2.0' ? 'SIP/2.0' : words[words.length - 1];
  const text = words.slice(1, -1).join(' ');
  const parsed = words.length === 3 && text.charCodeAt(0) !== 60 ? parseUri(text) : undefined;
  const colon = text.indexOf(':');
  out.uri =
    parsed ?? ({ scheme: colon > 0 ? text.slice(0, colon).toLowerCase() : '', raw: text } satisfies OtherUri);
}

function badRequestLine(line: string, reason: string): StartLine {
  const out: StartLine = { kind: 'request', version: '', error: { code: 'BAD_START_LINE', reason } };
  readRequestLineLeniently(line, out);
  return out;
}

function readRequestLine(line: string): StartLine {
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 === -1 ? -1 : line.indexOf(' ', sp1 + 1);
  if (
    sp2 === -1 ||
    line.indexOf(' ', sp2 + 1) !== -1 ||
    sp1 === 0 ||
    sp2 === sp1 + 1 ||
    sp2 === line.length - 1 ||
    line.indexOf('\t') !== -1
  ) {
    if (line.indexOf('\t') !== -1) return badRequestLine(line, 'Invalid request line: it contains a tab');
    if (isWsp(line.charCodeAt(line.length - 1))) {
      return badRequestLine(line, 'Invalid request line: whitespace after the SIP version');
    }
    if (isWsp(line.charCodeAt(0)))
      return badRequestLine(line, 'Invalid request line: whitespace before the method');
    const parts = line.split(' ');
    if (parts.length < 3) {
      return badRequestLine(
        line,
        `Invalid request line '${excerpt(line)}': expected 'Method Request-URI SIP/2.0'`,
      );
    }
    if (parts.some((p) => p.length === 0)) {
      return badRequestLine(
        line,
        'Invalid request line: elements must be separated by single spaces (RFC 3261 §7.1)',
      );
    }
    return badRequestLine(
      line,
      `Invalid Request-URI '${excerpt(parts.slice(1, -1).join(' '))}': it contains whitespace`,
    );
  }
  const method = line.slice(0, sp1);
  const uriText = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(method)) return badRequestLine(line, `Invalid method '${excerpt(method)}'`);
  const out: StartLine = { kind: 'request', version: 'SIP/2.0', method };
  if (version !== 'SIP/2.0' && version.toUpperCase() !== 'SIP/2.0') {
    if (!isSipVersionShape(version)) {
      return badRequestLine(line, `Invalid request line: '${excerpt(version, 20)}' is not a SIP version`);
    }
    out.version = version;
  }
  if (uriText.charCodeAt(0) === 60)
    return badRequestLine(line, 'Invalid Request-URI: it must not be enclosed in <>');
  const uri = parseUri(uriText);
  if (uri === undefined) return badRequestLine(line, `Invalid Request-URI '${excerpt(uriText)}'`);
  out.uri = uri;
  if ('headers' in uri) {
    for (const _ in uri.headers) {
      out.error = {
        code: 'BAD_START_LINE',
        reason: 'Invalid Request-URI: headers (?...) are not allowed in a Request-URI (RFC 3261 §19.1.1)',
      };
      return out;
    }
  }
  if (out.version !== 'SIP/2.0') {
    out.error = { code: 'BAD_VERSION', reason: `SIP version ${excerpt(version, 20)} not supported` };
  }
  return out;
}

/** Splits the header section (after the start line) into unfolded fields (§7.3.1), or refuses it. */
function readFields(head: string, pos: number, limits: ParseLimits): HeaderField[] | ParseResult {
  const headers: HeaderField[] = [];
  const maxLine = limits.maxLineBytes;
  const n = head.length;
  let name = '';
  let value = '';
  let folded = false;
  let open = false;
  while (pos < n) {
    let nl = head.indexOf('\n', pos);
    if (nl === -1) nl = n;
    const lineStart = pos;
    const end = nl > pos && head.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    pos = nl + 1;
    if (end - lineStart > maxLine) {
      return fail('LINE_TOO_LONG', `Header line of ${end - lineStart} bytes exceeds the limit of ${maxLine}`);
    }
    const cr = head.indexOf('\r', lineStart);
    if (cr !== -1 && cr < end)
      return fail('BAD_HEADER', `Stray CR in header line '${excerpt(head.slice(lineStart, end))}'`);
    const c0 = head.charCodeAt(lineStart);
    if (end > lineStart && (c0 === 32 || c0 === 9)) {
      if (!open) return fail('BAD_HEADER', 'Continuation line before the first header field');
      // LWS = [*WSP CRLF] 1*WSP: a fold is equivalent to one SP.
      value = `${trimWsp(value)} ${trimWsp(head.slice(lineStart, end))}`;
      folded = true;
      if (name.length + value.length > maxLine) {
        return fail('LINE_TOO_LONG', `${name} header exceeds the line limit of ${maxLine} bytes`);
      }
      continue;
    }
    if (open) {
      if (headers.length >= limits.maxHeaders)
        return fail('TOO_MANY_HEADERS', `More than ${limits.maxHeaders} header fields`);
      headers.push({ name, value: folded ? trimWsp(value) : value });
    }
    const colon = head.indexOf(':', lineStart);
    if (colon === -1 || colon >= end) {
      return fail('BAD_HEADER', `Header line without ':' ('${excerpt(head.slice(lineStart, end))}')`);
    }
    let ne = colon;
    while (ne > lineStart && isWsp(head.charCodeAt(ne - 1))) ne--;
    let vs = colon + 1;
    while (vs < end && isWsp(head.charCodeAt(vs))) vs++;
    let ve = end;
    while (ve > vs && isWsp(head.charCodeAt(ve - 1))) ve--;
    const rawName = head.slice(lineStart, ne);
    if (!isToken(rawName)) return fail('BAD_HEADER', `Invalid header name '${excerpt(rawName)}'`);
    name = canonicalHeaderName(rawName);
    value = head.slice(vs, ve);
    folded = false;
    open = true;
  }
  if (open) {
    if (headers.length >= limits.maxHeaders)
      return fail('TOO_MANY_HEADERS', `More than ${limits.maxHeaders} header fields`);
    headers.push({ name, value: folded ? trimWsp(value) : value });
  }
  return headers;
}

/** What the validation of the core headers found. */
interface CoreHeaders {
  error: SipParseError | undefined;
  viaOk: boolean;
  fromOk: boolean;
  toOk: boolean;
  callIdOk: boolean;
  cseq: CSeq | undefined;
  contentLength: number | undefined;
  clBad: boolean;
}

function readCoreHeaders(
  headers: HeaderField[],
  method: string | undefined,
  initial: SipParseError | undefined,
): CoreHeaders {
  let error = initial;
  let viaCount = 0;
  let viaOk = true;
  let fromCount = 0;
  let toCount = 0;
  let callIdCount = 0;
  let cseqCount = 0;
  let maxForwardsCount = 0;
  let fromOk = false;
  let toOk = false;
  let callIdOk = false;
  let cseq: CSeq | undefined;
  let contentLength: number | undefined;
  let firstLength: string | undefined;
  let otherLengths: string[] | undefined;
  let clBad = false;
  for (let i = 0; i < headers.length; i++) {
    const f = headers[i];
    try {
      switch (f.name) {
        case 'Via':
          viaCount += viaOf(f).length;
          break;
        case 'From':
          fromCount++;
          nameAddrOf(f);
          if (fromCount === 1) fromOk = true;
          break;
        case 'To':
          toCount++;
          nameAddrOf(f);
          if (toCount === 1) toOk = true;
          break;
        case 'Call-ID':
          callIdCount++;
          checkCallId(f.value);
          if (callIdCount === 1) callIdOk = true;
          break;
        case 'CSeq':
          cseqCount++;
          if (cseqCount === 1) cseq = cseqOf(f);
          else cseqOf(f);
          break;
        case 'Max-Forwards':
          maxForwardsCount++;
          readMaxForwards(f.value);
          break;
        case 'Contact':
          // Validated where this layer must refuse it (REGISTER, RFC 4475 regbadct); elsewhere it is
          // checked when read (getContacts throws SipSyntaxError), which keeps the common path fast.
          if (method === 'REGISTER') contactsOf(f);
          break;
        case 'Date':
          checkDate(f.value);
          break;
        case 'Content-Length':
          if (firstLength === undefined) firstLength = f.value;
          else if (f.value !== firstLength) (otherLengths ??= []).push(f.value);
          contentLength = readContentLength(f.value);
          break;
      }
    } catch (e) {
      const detail = (e as Error).message;
      const reason = detail.startsWith('Invalid ') ? detail : `Invalid ${f.name} header: ${detail}`;
      switch (f.name) {
        case 'Via':
          viaOk = false;
          break;
        case 'CSeq':
          cseq = undefined;
          break;
        case 'From':
          fromOk = false;
          break;
        case 'To':
          toOk = false;
          break;
        case 'Call-ID':
          callIdOk = false;
          break;
      }
      if (f.name === 'Content-Length') {
        clBad = true;
        error ??= { code: 'BAD_CONTENT_LENGTH', reason };
      } else error ??= { code: 'BAD_HEADER', reason };
    }
  }
  // §7.3: only list headers may appear more than once (RFC 4475 §3.3 multi01).
  if (
    error === undefined &&
    (fromCount > 1 || toCount > 1 || callIdCount > 1 || cseqCount > 1 || maxForwardsCount > 1)
  ) {
    const repeated = [
      fromCount > 1 ? 'From' : '',
      toCount > 1 ? 'To' : '',
      callIdCount > 1 ? 'Call-ID' : '',
      cseqCount > 1 ? 'CSeq' : '',
      maxForwardsCount > 1 ? 'Max-Forwards' : '',
    ].filter((n) => n.length > 0);
    error = { code: 'BAD_HEADER', reason: `Multiple ${repeated.join(', ')} header fields` };
  }
  if (
    error === undefined &&
    (viaCount === 0 || fromCount === 0 || toCount === 0 || callIdCount === 0 || cseqCount === 0)
  ) {
    const missing = [
      viaCount === 0 ? 'Via' : '',
      fromCount === 0 ? 'From' : '',
      toCount === 0 ? 'To' : '',
      callIdCount === 0 ? 'Call-ID' : '',
      cseqCount === 0 ? 'CSeq' : '',
    ].filter((n) => n.length > 0);
    error = {
      code: 'MISSING_HEADER',
      reason: `Missing ${missing.join(', ')} header${missing.length > 1 ? 's' : ''}`,
    };
  }
  if (error === undefined && method !== undefined && cseq !== undefined && cseq.method !== method) {
    error = {
      code: 'CSEQ_MISMATCH',
      reason: `CSeq method ${cseq.method} does not match the request method ${method}`,
    };
  }
  if (otherLengths !== undefined && !clBad) {
    clBad = true;
    const values = [firstLength ?? '', ...otherLengths].map((v) => excerpt(v, 12)).join(', ');
    error ??= {
      code: 'BAD_CONTENT_LENGTH',
      reason: `Multiple Content-Length header fields with different values (${values})`,
    };
  }
  return { error, viaOk: viaOk && viaCount > 0, fromOk, toOk, callIdOk, cseq, contentLength, clBad };
}

function parse(data: Uint8Array | string, opts?: ParseOptions): ParseResult {
  const limits = opts?.limits ? { ...DEFAULT_PARSE_LIMITS, ...opts.limits } : DEFAULT_PARSE_LIMITS;
  const stream = opts?.stream === true;
  const buf = toBuffer(data);
  if (!stream && buf.length > limits.maxMessageBytes) {
    return fail(
      'TOO_LARGE',
      `Message of ${buf.length} bytes exceeds the limit of ${limits.maxMessageBytes} bytes`,
    );
  }
  // §7.5: CRLFs before the start line are ignored (stream keep-alives, RFC 5626 §4.4.1).
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start === buf.length) return fail('INCOMPLETE', 'Empty message');

  // The header section ends at the first empty line; bare LF line ends are tolerated.
  let lineEnd = buf.indexOf(LF_CRLF, start);
  let bodyStart = lineEnd + 3;
  let head = lineEnd === -1 ? '' : buf.toString('utf8', start, lineEnd);
  // A bare-LF empty line may end the header section earlier (checked on the decoded text: no second search
  // through the bytes in the usual case).
  if (lineEnd === -1 || head.indexOf('\n\n') !== -1) {
    const lfEnd =
      lineEnd === -1 ? buf.indexOf(LF_LF, start) : buf.subarray(start, lineEnd + 1).indexOf(LF_LF);
    if (lfEnd !== -1) {
      lineEnd = lineEnd === -1 ? lfEnd : start + lfEnd;
      bodyStart = lineEnd + 2;
      head = buf.toString('utf8', start, lineEnd);
    }
  }
  if (lineEnd === -1) {
    if (buf.length - start > limits.maxMessageBytes) {
      return fail('TOO_LARGE', `Header section exceeds the limit of ${limits.maxMessageBytes} bytes`);
    }
    return fail('INCOMPLETE', 'Message ends before the empty line that closes the header section');
  }
  if (lineEnd - start > limits.maxMessageBytes) {
    return fail('TOO_LARGE', `Header section exceeds the limit of ${limits.maxMessageBytes} bytes`);
  }

  let nl = head.indexOf('\n');
  if (nl === -1) nl = head.length;
  const line = head.slice(0, nl > 0 && head.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
  if (line.length > limits.maxLineBytes) {
    return fail(
      'LINE_TOO_LONG',
      `Start line of ${line.length} bytes exceeds the limit of ${limits.maxLineBytes}`,
    );
  }
  if (line.indexOf('\r') !== -1) return fail('BAD_START_LINE', 'Stray CR in the start line');
  const first =
    line.length >= 4 && (line.charCodeAt(0) | 32) === 115 && line.slice(0, 4).toUpperCase() === 'SIP/'
      ? readResponseLine(line)
      : readRequestLine(line);

  const fields = readFields(head, nl + 1, limits);
  if (!Array.isArray(fields)) return fields;
  const headers = fields;
  const core = readCoreHeaders(headers, first.kind === 'request' ? first.method : undefined, first.error);
  let error = core.error;

  // ---- body (§7.4, §18.3) ----
  const available = buf.length - bodyStart;
  let bodyLength = available;
  const contentLength = core.contentLength;
  if (!core.clBad) {
    if (contentLength === undefined) {
      if (stream) {
        error ??= {
          code: 'MISSING_HEADER',
          reason: 'Missing Content-Length header (required on stream transports, RFC 3261 §18.3)',
        };
      }
    } else if (stream && bodyStart - start + contentLength > limits.maxMessageBytes) {
      return fail(
        'TOO_LARGE',
        `Message of ${bodyStart - start + contentLength} bytes exceeds the limit of ${limits.maxMessageBytes} bytes`,
      );
    } else if (contentLength > available) {
      if (stream) return fail('INCOMPLETE', `Body has ${available} of ${contentLength} bytes`);
      error ??= {
        code: 'BAD_CONTENT_LENGTH',
        reason: `Content-Length ${contentLength} exceeds the body of ${available} bytes`,
      };
    } else {
      bodyLength = contentLength;
    }
  }
  let body: Uint8Array = EMPTY;
  if (bodyLength > 0) {
    const copy = Buffer.allocUnsafe(bodyLength);
    buf.copy(copy, 0, bodyStart, bodyStart + bodyLength);
    body = copy;
  }

  if (first.kind === 'response') {
    if (error !== undefined) return { ok: false, error };
    const res: SipResponse = {
      kind: 'response',
      version: first.version,
      status: first.status ?? 0,
      reason: first.reason ?? '',
      headers,
      body,
    };
    return { ok: true, message: res };
  }
  let req: SipRequest | undefined;
  if (first.method !== undefined && first.uri !== undefined) {
    req = { kind: 'request', method: first.method, uri: first.uri, version: first.version, headers, body };
  }
  if (error === undefined && req !== undefined) return { ok: true, message: req satisfies SipMessage };
  const refusal: SipParseError = error ?? { code: 'BAD_START_LINE', reason: 'Invalid request line' };
  if (
    req !== undefined &&
    core.viaOk &&
    core.fromOk &&
    core.toOk &&
    core.callIdOk &&
    core.cseq !== undefined
  ) {
    refusal.request = req;
    refusal.status = refusal.code === 'BAD_VERSION' ? 505 : 400;
  }
  return { ok: false, error: refusal };
}
