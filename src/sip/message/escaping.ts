/**
 * The two escape mechanisms of SIP text: %HH escapes inside URIs (RFC 3261 §19.1.2, RFC 3986 §2.1) and
 * backslash quoted-pairs inside quoted strings (§25.1).
 */
import { is, isHexDigit } from './chars.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

/** True when every '%' in `s` starts a valid %HH escape. */
export function escapesValid(s: string): boolean {
  let i = s.indexOf('%');
  while (i !== -1) {
    if (i + 2 >= s.length || !isHexDigit(s.charCodeAt(i + 1)) || !isHexDigit(s.charCodeAt(i + 2)))
      return false;
    i = s.indexOf('%', i + 3);
  }
  return true;
}

/**
 * Decodes %HH escapes. The bytes are read as UTF-8 when they form valid UTF-8 (RFC 3986 §2.5), else one
 * character per byte, so that no input is lost. Call only on text that passed `escapesValid`.
 */
export function unescapePercent(s: string): string {
  if (s.indexOf('%') === -1) return s;
  const bytes: number[] = [];
  let wide = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      const b = (hexValue(s.charCodeAt(i + 1)) << 4) | hexValue(s.charCodeAt(i + 2));
      if (b >= 128) wide = true;
      bytes.push(b);
      i += 2;
    } else {
      bytes.push(c);
    }
  }
  const arr = Uint8Array.from(bytes);
  if (wide) {
    try {
      return utf8.decode(arr);
    } catch {
      // Not UTF-8: keep one character per byte (lossless, and re-escaped the same way by escapePercent).
    }
  }
  let out = '';
  for (let i = 0; i < arr.length; i++) out += String.fromCharCode(arr[i]);
  return out;
}

const HEX = '0123456789ABCDEF';

/**
 * Escapes every character outside the `allowed` class (a flag set from chars.ts) as %HH of its UTF-8 bytes
 * (characters U+0080-U+00FF that came from non-UTF-8 escapes are written back as one byte).
 */
export function escapePercent(s: string, allowed: number): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    if (!is(s.charCodeAt(i), allowed)) {
      clean = false;
      break;
    }
  }
  if (clean) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (is(c, allowed)) {
      out += ch;
      continue;
    }
    const bytes = c < 128 ? [c] : Buffer.from(ch, 'utf8');
    for (const b of bytes) out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/**
 * Where a quoted-string starting at `c[start] === '"'` ends (the index after the closing quote), or -1 when
 * the quote is not closed before `end` or the string holds a raw CR/LF or an invalid quoted-pair (§25.1).
 * Allocates nothing: the parser validates display names and parameter values with it.
 */
export function quotedEnd(c: Uint8Array, start: number, end: number): number {
  for (let i = start + 1; i < end; i++) {
    const x = c[i];
    if (x === 34) return i + 1;
    if (x === 92) {
      // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): the escaped character stands for itself.
      if (i + 1 >= end) return -1;
      const n = c[i + 1];
      if (n === 10 || n === 13 || n > 127) return -1;
      i++;
    } else if (x === 13 || x === 10) {
      return -1;
    }
  }
  return -1;
}

/**
 * The unescaped content of the quoted-string s[start, close) that quotedEnd has found valid (close is what it
 * returned).
 */
export function unquote(s: string, start: number, close: number): string {
  const last = close - 1;
  let bs = s.indexOf('\\', start + 1);
  if (bs === -1 || bs >= last) return s.slice(start + 1, last);
  let out = '';
  let runStart = start + 1;
  while (bs !== -1 && bs < last) {
    out += s.slice(runStart, bs) + s[bs + 1];
    runStart = bs + 2;
    bs = s.indexOf('\\', runStart);
  }
  return out + s.slice(runStart, last);
}

/**
 * Writes `text` as a quoted-string: " and \ escaped, other controls escaped as quoted-pairs; CR and LF cannot
 * be carried even escaped (§25.1), so they become spaces (which also stops header injection).
 */
export function quote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 || c === 10) out += ' ';
    else if (c === 34 || c === 92 || c < 32 || c === 127) {
      if (c === 9) out += '\t';
      else out += `\\${text[i]}`;
    } else out += text[i];
  }
  return `${out}"`;
}
