/**
 * The SIP message parser (RFC 3261 §7, §25). It never throws: every input gives a ParseResult, and a refusal
 * names its fault concretely so that the transport can answer 400 (or 505) with it (RFC 4475 §3.1.2).
 *
 * Speed (bench/RESULTS.md): the header section is located with Buffer#indexOf and decoded once; lines are
 * found with String#indexOf, and the character tests of the header fields read the received bytes (codes.ts)
 * rather than String#charCodeAt, which costs two to three times more per character. Values are validated
 * where they lie, with no substring but the field value itself.
 * The headers every layer needs (Via, From, To, Call-ID, CSeq, Max-Forwards, Content-Length; Contact on
 * REGISTER) are validated here; the views every transaction and dialog reads (Via, From, To, CSeq) are built
 * in the same pass and kept on their fields, so later accessor calls cost a property read.
 */
import { Buffer, isAscii } from 'node:buffer';
import { allOfRange, excerpt, isDigits, isToken, isWsp, TOKEN, trimWsp } from './chars.ts';
import { codesOf, ownCodesOf } from './codes.ts';
import { readCSeqAt } from './cseq.ts';
import { knownHeaderAt } from './header-names.ts';
import { keepCSeq, keepNameAddr, keepVias } from './headers.ts';
import { checkNameAddrListAt, readNameAddrAt } from './name-addr.ts';
import { checkCallIdAt, checkDate, readContentLengthAt, readMaxForwardsAt } from './scalars.ts';
import type {
  HeaderField,
  OtherUri,
  ParseLimits,
  ParseResult,
  SipMessage,
  SipParseError,
  SipRequest,
  SipResponse,
  Uri,
  Via,
} from './types.ts';
import { parseUri, readUriAt } from './uri.ts';
import { readViaAt } from './via.ts';

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

function digitAt(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function readResponseLine(line: string): StartLine {
  // The form every element sends: "SIP/2.0 DDD Reason" with a status in 100-699.
  if (
    line.length >= 11 &&
    line.startsWith('SIP/2.0 ') &&
    (line.length === 11 || line.charCodeAt(11) === 32)
  ) {
    const d0 = digitAt(line, 8);
    const d1 = digitAt(line, 9);
    const d2 = digitAt(line, 10);
    if (d0 >= 1 && d0 <= 6 && d1 >= 0 && d2 >= 0) {
      const reason = line.length === 11 ? '' : line.slice(12);
      return { kind: 'response', version: 'SIP/2.0', status: d0 * 100 + d1 * 10 + d2, reason };
    }
  }
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

/** The request line (the first line of `c`, the codes of the section, codes.ts). */
function readRequestLine(line: string, c: Uint8Array): StartLine {
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
  const uri = readUriAt(line, c, sp1 + 1, sp2, true);
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

/** Where a header line ends: its value's last character and the start of the next line. */
function lineEndAt(head: string, pos: number, n: number): number {
  const nl = head.indexOf('\n', pos);
  return nl === -1 ? n : nl;
}

/** The refusal of a header line whose name is not `token *WSP ":"` (§7.3.1), worded as the fault is. */
function badNameLine(head: string, lineStart: number, end: number): ParseResult {
  const colon = head.indexOf(':', lineStart);
  if (colon === -1 || colon >= end) {
    return fail('BAD_HEADER', `Header line without ':' ('${excerpt(head.slice(lineStart, end))}')`);
  }
  let ne = colon;
  while (ne > lineStart && isWsp(head.charCodeAt(ne - 1))) ne--;
  return fail('BAD_HEADER', `Invalid header name '${excerpt(head.slice(lineStart, ne))}'`);
}

/**
 * What the validation of the core headers found, field by field (§8.1.1, §20). Mutable state of one parse.
 * The values are read where they lie in the header section (no substring), through the codes of the section
 * (codes.ts).
 */
class CoreHeaders {
  error: SipParseError | undefined = undefined;
  viaCount = 0;
  viaOk = true;
  fromCount = 0;
  toCount = 0;
  callIdCount = 0;
  cseqCount = 0;
  maxForwardsCount = 0;
  /** The first CSeq read and was valid (a faulty one clears it), with its method. */
  cseqOk = false;
  cseqMethodName = '';
  contentLength: number | undefined = undefined;
  firstLength: string | undefined = undefined;
  otherLengths: string[] | undefined = undefined;
  clBad = false;

  constructor(initial: SipParseError | undefined) {
    this.error = initial;
  }
}

/**
 * Validates one core header field whose value is s[a, b) (trimmed; c: the codes of s); records faults
 * instead of throwing. The views every layer reads (Via, From, To, CSeq) are built and kept on the field:
 * building costs little more than validating, and a transaction or dialog reads them from every message.
 */
function checkCoreField(
  core: CoreHeaders,
  f: HeaderField,
  s: string,
  c: Uint8Array,
  a: number,
  b: number,
  method: string | undefined,
): void {
  try {
    switch (f.name) {
      case 'Via': {
        const vias: Via[] = [];
        core.viaCount += readViaAt(s, c, a, b, vias);
        keepVias(f, vias);
        break;
      }
      case 'From':
        core.fromCount++;
        keepNameAddr(f, readNameAddrAt(s, c, a, b, true));
        break;
      case 'To':
        core.toCount++;
        keepNameAddr(f, readNameAddrAt(s, c, a, b, true));
        break;
      case 'Call-ID':
        core.callIdCount++;
        checkCallIdAt(s, c, a, b);
        break;
      case 'CSeq': {
        core.cseqCount++;
        const cseq = readCSeqAt(s, c, a, b);
        keepCSeq(f, cseq);
        if (core.cseqCount === 1) {
          core.cseqOk = true;
          core.cseqMethodName = cseq.method;
        }
        break;
      }
      case 'Max-Forwards':
        core.maxForwardsCount++;
        readMaxForwardsAt(s, c, a, b);
        break;
      case 'Contact':
        // Validated where this layer must refuse it (REGISTER, RFC 4475 regbadct); elsewhere it is
        // checked when read (getContacts throws SipSyntaxError), which keeps the common path fast.
        if (method === 'REGISTER' && (b - a !== 1 || c[a] !== 42)) checkNameAddrListAt(s, c, a, b);
        break;
      case 'Date':
        checkDate(f.value);
        break;
      case 'Content-Length':
        if (core.firstLength === undefined) core.firstLength = f.value;
        else if (f.value !== core.firstLength) (core.otherLengths ??= []).push(f.value);
        core.contentLength = readContentLengthAt(s, c, a, b);
        break;
    }
  } catch (e) {
    const detail = (e as Error).message;
    const reason = detail.startsWith('Invalid ') ? detail : `Invalid ${f.name} header: ${detail}`;
    if (f.name === 'Via') core.viaOk = false;
    else if (f.name === 'CSeq') core.cseqOk = false;
    if (f.name === 'Content-Length') {
      core.clBad = true;
      core.error ??= { code: 'BAD_CONTENT_LENGTH', reason };
    } else core.error ??= { code: 'BAD_HEADER', reason };
  }
}

/** The checks that need every field: repeated, missing and mismatched headers (§7.3, §8.1.1, §8.2.2). */
function checkCoreCounts(core: CoreHeaders, method: string | undefined): void {
  // §7.3: only list headers may appear more than once (RFC 4475 §3.3 multi01).
  if (
    core.error === undefined &&
    (core.fromCount > 1 ||
      core.toCount > 1 ||
      core.callIdCount > 1 ||
      core.cseqCount > 1 ||
      core.maxForwardsCount > 1)
  ) {
    const repeated = [
      core.fromCount > 1 ? 'From' : '',
      core.toCount > 1 ? 'To' : '',
      core.callIdCount > 1 ? 'Call-ID' : '',
      core.cseqCount > 1 ? 'CSeq' : '',
      core.maxForwardsCount > 1 ? 'Max-Forwards' : '',
    ].filter((n) => n.length > 0);
    core.error = { code: 'BAD_HEADER', reason: `Multiple ${repeated.join(', ')} header fields` };
  }
  if (
    core.error === undefined &&
    (core.viaCount === 0 ||
      core.fromCount === 0 ||
      core.toCount === 0 ||
      core.callIdCount === 0 ||
      core.cseqCount === 0)
  ) {
    const missing = [
      core.viaCount === 0 ? 'Via' : '',
      core.fromCount === 0 ? 'From' : '',
      core.toCount === 0 ? 'To' : '',
      core.callIdCount === 0 ? 'Call-ID' : '',
      core.cseqCount === 0 ? 'CSeq' : '',
    ].filter((n) => n.length > 0);
    core.error = {
      code: 'MISSING_HEADER',
      reason: `Missing ${missing.join(', ')} header${missing.length > 1 ? 's' : ''}`,
    };
  }
  if (core.error === undefined && method !== undefined && core.cseqOk && core.cseqMethodName !== method) {
    core.error = {
      code: 'CSEQ_MISMATCH',
      reason: `CSeq method ${core.cseqMethodName} does not match the request method ${method}`,
    };
  }
  if (core.otherLengths !== undefined && !core.clBad) {
    core.clBad = true;
    const values = [core.firstLength ?? '', ...core.otherLengths].map((v) => excerpt(v, 12)).join(', ');
    core.error ??= {
      code: 'BAD_CONTENT_LENGTH',
      reason: `Multiple Content-Length header fields with different values (${values})`,
    };
  }
}

/**
 * Reads the header section after the start line into unfolded fields (§7.3.1) and validates the core
 * headers as it goes; returns a refusal when the section itself cannot be read.
 */
function readHeaders(
  head: string,
  c: Uint8Array,
  pos: number,
  limits: ParseLimits,
  headers: HeaderField[],
  core: CoreHeaders,
  method: string | undefined,
): ParseResult | typeof BARE_LF_END | undefined {
  const maxLine = limits.maxLineBytes;
  const maxHeaders = limits.maxHeaders;
  const n = head.length;
  while (pos < n) {
    const lineStart = pos;
    if (c[pos] === 10) return BARE_LF_END;
    let nl = lineEndAt(head, pos, n);
    let end = nl > pos && c[nl - 1] === 13 ? nl - 1 : nl;
    if (end - lineStart > maxLine) {
      return fail('LINE_TOO_LONG', `Header line of ${end - lineStart} bytes exceeds the limit of ${maxLine}`);
    }
    const cr = head.indexOf('\r', lineStart);
    if (cr !== -1 && cr < end)
      return fail('BAD_HEADER', `Stray CR in header line '${excerpt(head.slice(lineStart, end))}'`);
    const c0 = c[lineStart];
    if (end > lineStart && (c0 === 32 || c0 === 9))
      return fail('BAD_HEADER', 'Continuation line before the first header field');
    // The field before this line is complete only now (it might have been folded): count it here, so that
    // the faults are found in the order the lines come.
    if (headers.length > maxHeaders) return fail('TOO_MANY_HEADERS', `More than ${maxHeaders} header fields`);
    // field-name = token, then HCOLON = *WSP ":" SWS. A known name needs no token scan: matching it proves it.
    let colon = lineStart;
    while (colon < end && c[colon] !== 58) colon++;
    if (colon >= end) return badNameLine(head, lineStart, end);
    let ne = colon;
    while (ne > lineStart && (c[ne - 1] === 32 || c[ne - 1] === 9)) ne--;
    let name = knownHeaderAt(c, lineStart, ne);
    if (name === undefined) {
      if (!allOfRange(c, lineStart, ne, TOKEN)) return badNameLine(head, lineStart, end);
      name = head.slice(lineStart, ne);
    }
    let vs = colon + 1;
    while (vs < end && (c[vs] === 32 || c[vs] === 9)) vs++;
    let ve = end;
    while (ve > vs && (c[ve - 1] === 32 || c[ve - 1] === 9)) ve--;
    pos = nl + 1;
    let value: string;
    let folded = false;
    if (pos < n && (c[pos] === 32 || c[pos] === 9)) {
      // LWS = [*WSP CRLF] 1*WSP: a fold is equivalent to one SP (§7.3.1).
      folded = true;
      value = head.slice(vs, ve);
      while (pos < n && (c[pos] === 32 || c[pos] === 9)) {
        const contStart = pos;
        nl = lineEndAt(head, pos, n);
        end = nl > pos && c[nl - 1] === 13 ? nl - 1 : nl;
        pos = nl + 1;
        if (end - contStart > maxLine) {
          return fail(
            'LINE_TOO_LONG',
            `Header line of ${end - contStart} bytes exceeds the limit of ${maxLine}`,
          );
        }
        const ccr = head.indexOf('\r', contStart);
        if (ccr !== -1 && ccr < end)
          return fail('BAD_HEADER', `Stray CR in header line '${excerpt(head.slice(contStart, end))}'`);
        value = `${trimWsp(value)} ${trimWsp(head.slice(contStart, end))}`;
        if (name.length + value.length > maxLine) {
          return fail('LINE_TOO_LONG', `${name} header exceeds the line limit of ${maxLine} bytes`);
        }
      }
      value = trimWsp(value);
    } else {
      value = head.slice(vs, ve);
    }
    const f: HeaderField = { name, value };
    headers.push(f);
    if (name.length <= 14 && isCoreName(name)) {
      // An unfolded value is read where it lies; a folded one is a new text with codes of its own.
      if (folded) checkCoreField(core, f, value, codesOf(value), 0, value.length, method);
      else checkCoreField(core, f, head, c, vs, ve, method);
    }
  }
  if (headers.length > maxHeaders) return fail('TOO_MANY_HEADERS', `More than ${maxHeaders} header fields`);
  return undefined;
}

/** The headers this layer validates at parse time (canonical names are interned, so this is a few compares). */
function isCoreName(name: string): boolean {
  switch (name) {
    case 'Via':
    case 'From':
    case 'To':
    case 'Call-ID':
    case 'CSeq':
    case 'Max-Forwards':
    case 'Contact':
    case 'Date':
    case 'Content-Length':
      return true;
  }
  return false;
}

/** The header section read: start line, fields, and what the core header checks found. */
class Head {
  constructor(
    readonly first: StartLine,
    readonly headers: HeaderField[],
    readonly core: CoreHeaders,
  ) {}
}

/** readHead met an empty bare-LF line: the header section ends there, not at the first CRLF empty line. */
const BARE_LF_END = Symbol('bare LF end');

/**
 * Reads the decoded header section (start line and fields) and checks it as a whole (§7.1-§7.3, §8.1.1).
 * `c`: the codes of `head` (codes.ts), never the shared scratch (folded values use that).
 */
function readHead(head: string, c: Uint8Array, limits: ParseLimits): Head | ParseResult | typeof BARE_LF_END {
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
    line.length >= 4 &&
    (line.charCodeAt(0) | 32) === 115 &&
    (line.charCodeAt(1) | 32) === 105 &&
    (line.charCodeAt(2) | 32) === 112 &&
    line.charCodeAt(3) === 47
      ? readResponseLine(line)
      : readRequestLine(line, c);
  const method = first.kind === 'request' ? first.method : undefined;
  const headers: HeaderField[] = [];
  const core = new CoreHeaders(first.error);
  const refusal = readHeaders(head, c, nl + 1, limits, headers, core, method);
  if (refusal !== undefined) return refusal;
  checkCoreCounts(core, method);
  return new Head(first, headers, core);
}

/**
 * Decodes the header section buf[start, end) and reads it. An ASCII section (nearly every one) is scanned
 * through its own bytes; any other gets codes of its own (codes.ts).
 */
function readSection(
  buf: Buffer,
  start: number,
  end: number,
  limits: ParseLimits,
): Head | ParseResult | typeof BARE_LF_END {
  const bytes = buf.subarray(start, end);
  if (isAscii(bytes)) return readHead(buf.toString('latin1', start, end), bytes, limits);
  const head = buf.toString('utf8', start, end);
  return readHead(head, ownCodesOf(head), limits);
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
  if (lineEnd === -1) {
    lineEnd = buf.indexOf(LF_LF, start);
    bodyStart = lineEnd + 2;
  } else if (lineEnd - start > limits.maxMessageBytes) {
    // Too long, unless a bare-LF empty line ends the section earlier (readHead finds those otherwise).
    const lfEnd = buf.subarray(start, lineEnd + 1).indexOf(LF_LF);
    if (lfEnd !== -1) {
      lineEnd = start + lfEnd;
      bodyStart = lineEnd + 2;
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
  let read = readSection(buf, start, lineEnd, limits);
  if (read === BARE_LF_END) {
    // A bare-LF empty line ends the header section before the first CRLF one (searched in the bytes: byte
    // offsets of the decoded text are not string offsets).
    lineEnd = start + buf.subarray(start, lineEnd + 1).indexOf(LF_LF);
    bodyStart = lineEnd + 2;
    read = readSection(buf, start, lineEnd, limits);
  }
  if (!(read instanceof Head)) return read as ParseResult;
  const { first, headers, core } = read;

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
  const refused: SipParseError = error ?? { code: 'BAD_START_LINE', reason: 'Invalid request line' };
  // SPEC S2.1: a request is answered (400, or 505 for the version) as soon as its Via can be read, whatever
  // else is wrong: the other fields are copied into the response as text (build.ts createResponse).
  if (req !== undefined && core.viaOk && core.viaCount > 0) {
    refused.request = req;
    refused.status = refused.code === 'BAD_VERSION' ? 505 : 400;
  }
  return { ok: false, error: refused };
}
