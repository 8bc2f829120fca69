import { DigestError, type DigestParseResult } from './digest-error.ts';

/**
 * The shared syntax of challenges and credentials: `Digest name=value, name="quoted", ...`
 * (RFC 3261 §25.1 and §20.44, RFC 7235 §2.1). Header values reach us already unfolded, so a CR or LF is
 * never legitimate; control characters are refused so that values are safe to log.
 */
export interface DigestParams {
  /** Values by lower-cased parameter name (names are case-insensitive, RFC 7235 §2.1); quotes and escapes removed. */
  readonly values: ReadonlyMap<string, string>;
  /** Names (lower-cased) whose value was written as a quoted-string. */
  readonly quoted: ReadonlySet<string>;
}

// RFC 3261 token characters, plus the extra tchar of RFC 7230 §3.2.6 so that HTTP-minded peers also parse.
const TOKEN_CHARS = /^[A-Za-z0-9\-.!%*_+`'~#$&^|]+$/;

function isTokenChar(c: string): boolean {
  return TOKEN_CHARS.test(c);
}

function isWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || code === 0x7f;
}

// Unquoted values should be tokens, but some user agents send e.g. `uri=sip:bob@example.com` or
// `algorithm=SHA-256` unquoted with characters outside token; accepting any visible ASCII except the
// delimiters keeps them working without making the grammar ambiguous.
function isBareValueChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 0x20 && code < 0x7f && c !== '"' && c !== ',' && c !== '\\';
}

/**
 * Parses `Digest <params>`. Fails (as a value, never by throwing) on another scheme, a missing `=`, an
 * unterminated quoted string, a control character, garbage between parameters, or a repeated parameter
 * (RFC 7235 §2.1: each name at most once). Empty list elements (`a=1,,b=2`) are allowed, per RFC 7230 §7.
 */
export function parseDigestParams(input: string): DigestParseResult<DigestParams> {
  if (typeof input !== 'string') return { ok: false, error: 'header value is not a string' };
  const s = input;
  let i = 0;
  const skipWhitespace = (): void => {
    while (isWhitespace(s[i])) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && isTokenChar(s[i]!)) i++;
    return s.slice(start, i);
  };

  skipWhitespace();
  const scheme = readToken();
  if (scheme === '') return { ok: false, error: 'expected an auth scheme such as "Digest"' };
  if (scheme.toLowerCase() !== 'digest') {
    return { ok: false, error: `auth scheme "${scheme}" is not Digest` };
  }
  if (i < s.length && !isWhitespace(s[i])) {
    return { ok: false, error: `expected a space after "${scheme}" at position ${i}` };
  }

  const values = new Map<string, string>();
  const quoted = new Set<string>();
  for (;;) {
    skipWhitespace();
    if (i >= s.length) break;
    if (s[i] === ',') {
      i++;
      continue;
    }
    const nameStart = i;
    const name = readToken().toLowerCase();
    if (name === '') return { ok: false, error: `expected a parameter name at position ${nameStart}` };
    skipWhitespace();
    if (s[i] !== '=') return { ok: false, error: `parameter "${name}" has no "=value"` };
    i++;
    skipWhitespace();
    let value: string;
    if (s[i] === '"') {
      const read = readQuoted(s, i);
      if (!read.ok) return { ok: false, error: `parameter "${name}": ${read.error}` };
      value = read.value.text;
      i = read.value.end;
      quoted.add(name);
    } else {
      const start = i;
      while (i < s.length && isBareValueChar(s[i]!)) i++;
      value = s.slice(start, i);
      if (value === '') return { ok: false, error: `parameter "${name}" has an empty or invalid value` };
    }
    if (values.has(name)) return { ok: false, error: `parameter "${name}" appears more than once` };
    values.set(name, value);
    skipWhitespace();
    if (i < s.length && s[i] !== ',') {
      return { ok: false, error: `expected "," after parameter "${name}" at position ${i}` };
    }
  }
  return { ok: true, value: { values, quoted } };
}

/** Reads a quoted-string starting at the opening quote; `end` is the index after the closing quote. */
function readQuoted(s: string, open: number): DigestParseResult<{ text: string; end: number }> {
  let text = '';
  let i = open + 1;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"') return { ok: true, value: { text, end: i + 1 } };
    if (c === '\\') {
      // quoted-pair (RFC 3261 §25.1): the escaped character stands for itself.
      const next = s[i + 1];
      if (next === undefined) break;
      if (isControl(next.charCodeAt(0))) return { ok: false, error: 'control character in quoted string' };
      text += next;
      i += 2;
      continue;
    }
    if (isControl(c.charCodeAt(0))) return { ok: false, error: 'control character in quoted string' };
    text += c;
    i++;
  }
  return { ok: false, error: 'unterminated quoted string' };
}

/**
 * Formats a quoted-string, escaping `"` and `\`. CR, LF and other control characters cannot be written in a
 * quoted-string at all (RFC 3261 §25.1 quoted-pair excludes CR and LF), and would let a value inject headers,
 * so they are refused with a DigestError.
 */
export function quote(value: string, what: string): string {
  for (let k = 0; k < value.length; k++) {
    if (isControl(value.charCodeAt(k))) {
      throw new DigestError(
        `${what} contains a control character (CR, LF, ...), which a SIP header cannot carry`,
      );
    }
  }
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Whether a value may be written unquoted (a token, RFC 3261 §25.1). */
export function isToken(value: string): boolean {
  return TOKEN_CHARS.test(value);
}
