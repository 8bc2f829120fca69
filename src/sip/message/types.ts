/**
 * The SIP message as plain data (RFC 3261 §7). This file is the contract between the parser/serializer
 * (sip/message) and everything that uses messages (transport, transaction, dialog, auth, and the server).
 *
 * A message keeps its header fields as an ordered list of (name, value) strings: that is the single source of
 * truth. Typed views (Via, CSeq, name-addr, ...) are computed by the accessor functions in headers.ts, which
 * cache the parsed value per HeaderField object, so a HeaderField must be treated as immutable: to change a
 * header, replace the HeaderField object (setHeader/addHeader/removeHeader do that).
 */

/** Parameters (`;name=value`, `;flag`): names lower-cased, values as written (null for a flag). */
export type Params = Record<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** Unescaped user part ("sips:user@example.com" for `sips%3Auser%40example.com`); undefined if absent. */
  user?: string;
  /** Unescaped password; undefined if absent. */
  password?: string;
  /** Host as written, lower-cased; IPv6 references keep their brackets: "[2001:db8::10]". */
  host: string;
  port?: number;
  params: Params;
  /** URI headers (`?name=value&...`), unescaped. */
  headers: Record<string, string>;
}

export interface TelUri {
  scheme: 'tel';
  /** The telephone-subscriber part without parameters ("+1-212-555-1212"). */
  number: string;
  params: Params;
}

/** Any other absolute URI (http:, mailto:, urn:, ...): kept as text. */
export interface OtherUri {
  scheme: string;
  raw: string;
}

export type Uri = SipUri | TelUri | OtherUri;

/** From, To, Contact, Route, Record-Route, Reply-To...: `"Display" <uri>;params` or `uri;params`. */
export interface NameAddr {
  /** Display name, unquoted and unescaped; undefined if absent. */
  displayName?: string;
  uri: Uri;
  /** Header parameters (tag, expires, q, lr is a URI param...). */
  params: Params;
}

export interface Via {
  /** "SIP/2.0" */
  protocol: string;
  /** Upper-cased: "UDP", "TCP", "TLS", "SCTP", "WS", ... */
  transport: string;
  /** Sent-by host as written, lower-cased; IPv6 keeps brackets. */
  host: string;
  port?: number;
  /** branch, received, rport (null when present without value), maddr, ttl, ... */
  params: Params;
}

export interface CSeq {
  seq: number;
  method: string;
}

export interface HeaderField {
  /** Canonical long form for known headers ("Via", "Call-ID", "CSeq", "WWW-Authenticate"); as written otherwise. */
  readonly name: string;
  /** Unfolded (line folding replaced by one space), leading/trailing whitespace trimmed. */
  readonly value: string;
}

interface MessageBase {
  /** "SIP/2.0" */
  version: string;
  headers: HeaderField[];
  /** Exactly Content-Length bytes (or the rest of the datagram when Content-Length is absent on UDP). */
  body: Uint8Array;
}

export interface SipRequest extends MessageBase {
  kind: 'request';
  /** Case-sensitive, as written ("INVITE"). */
  method: string;
  uri: Uri;
}

export interface SipResponse extends MessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/**
 * Why a message was refused. `reason` is fit for a 400 reason phrase and names the fault
 * ("Content-Length 9999 exceeds body of 0 bytes", "Invalid Via header: ...").
 */
export interface SipParseError {
  /** Machine-readable kind. */
  code:
    | 'TOO_LARGE'
    | 'TOO_MANY_HEADERS'
    | 'LINE_TOO_LONG'
    | 'BAD_START_LINE'
    | 'BAD_VERSION'
    | 'BAD_HEADER'
    | 'MISSING_HEADER'
    | 'BAD_CONTENT_LENGTH'
    | 'CSEQ_MISMATCH'
    | 'INCOMPLETE';
  reason: string;
  /**
   * What could be read of a request, so that the transport can answer 400/505 per its Via (SPEC S2.1).
   * Present whenever the start line reads as a request line (method and Request-URI; a faulty one is read
   * leniently) and every Via header field reads. The other fields are kept as raw text, as received: From,
   * To, Call-ID and CSeq may be missing or malformed (their typed accessors may then throw SipSyntaxError),
   * but createResponse copies them as text, so a 400 can always be built from it.
   */
  request?: SipRequest;
  /** The suggested status for that answer: 400 usually, 505 for an unsupported SIP version. */
  status?: number;
}

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: SipParseError };

export interface ParseLimits {
  /** Whole message, bytes. Default 65535 (UDP). */
  maxMessageBytes: number;
  /** Header field count. Default 256. */
  maxHeaders: number;
  /** One (unfolded) header line, bytes. Default 16384. */
  maxLineBytes: number;
}
