import { parseAlgorithm } from './algorithm.ts';
import { isToken, parseDigestParams, quote } from './auth-params.ts';
import { DigestError, type DigestParseResult } from './digest-error.ts';

/** An `Authorization` / `Proxy-Authorization` Digest answer (RFC 3261 §20.7, §22.2; RFC 7616 §3.4). */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  /** The digest-uri as sent; it enters the hash byte for byte. */
  uri: string;
  /** The request-digest, lower-cased hex. */
  response: string;
  /** A known name in canonical spelling, any other as written; undefined means MD5 (RFC 2617 §3.2.2). */
  algorithm?: string;
  cnonce?: string;
  /** Lower-cased; undefined for an RFC 2069 style answer. */
  qop?: string;
  /** The nonce count as sent: exactly 8 hex digits (RFC 7616 §3.4). */
  nc?: string;
  opaque?: string;
}

const NC = /^[0-9a-fA-F]{8}$/;
const HEX = /^[0-9a-fA-F]+$/;

/** Parses one credentials value. Never throws; incomplete or malformed credentials give `ok: false`. */
export function parseCredentials(value: string): DigestParseResult<DigestCredentials> {
  const parsed = parseDigestParams(value);
  if (!parsed.ok) return parsed;
  const p = parsed.value.values;
  if (p.get('userhash')?.toLowerCase() === 'true') {
    return { ok: false, error: 'userhash=true (RFC 7616 §3.4.4) is not supported' };
  }
  const username = p.get('username');
  if (username === undefined) {
    return p.has('username*')
      ? { ok: false, error: 'username* (RFC 7616 §3.4.4) is not supported; send username' }
      : { ok: false, error: 'credentials have no username' };
  }
  const realm = p.get('realm');
  if (realm === undefined) return { ok: false, error: 'credentials have no realm' };
  const nonce = p.get('nonce');
  if (nonce === undefined) return { ok: false, error: 'credentials have no nonce' };
  const uri = p.get('uri');
  if (uri === undefined) return { ok: false, error: 'credentials have no uri' };
  const response = p.get('response');
  if (response === undefined) return { ok: false, error: 'credentials have no response' };
  if (!HEX.test(response)) return { ok: false, error: 'response is not hexadecimal' };

  const credentials: DigestCredentials = { username, realm, nonce, uri, response: response.toLowerCase() };
  const algorithm = p.get('algorithm');
  if (algorithm !== undefined) credentials.algorithm = parseAlgorithm(algorithm) ?? algorithm;
  const opaque = p.get('opaque');
  if (opaque !== undefined) credentials.opaque = opaque;
  const cnonce = p.get('cnonce');
  if (cnonce !== undefined) credentials.cnonce = cnonce;
  const nc = p.get('nc');
  if (nc !== undefined) {
    if (!NC.test(nc)) return { ok: false, error: `nc "${nc}" is not 8 hex digits` };
    credentials.nc = nc;
  }
  const qop = p.get('qop');
  if (qop !== undefined) {
    credentials.qop = qop.toLowerCase();
    // RFC 7616 §3.4: with qop, cnonce and nc MUST be present; without them the hash is not defined.
    if (cnonce === undefined) return { ok: false, error: 'qop is present but cnonce is missing' };
    if (nc === undefined) return { ok: false, error: 'qop is present but nc is missing' };
  }
  return { ok: true, value: credentials };
}

/**
 * Formats a credentials value. Quoted: username, realm, nonce, uri, response, cnonce, opaque; tokens:
 * algorithm, qop, nc (RFC 7616 §3.4, RFC 3261 §25.1). Throws DigestError for values no header can carry.
 */
export function formatCredentials(c: DigestCredentials): string {
  const parts = [
    `username=${quote(c.username, 'username')}`,
    `realm=${quote(c.realm, 'realm')}`,
    `nonce=${quote(c.nonce, 'nonce')}`,
    `uri=${quote(c.uri, 'uri')}`,
    `response=${quote(c.response, 'response')}`,
  ];
  if (c.algorithm !== undefined) {
    if (!isToken(c.algorithm)) throw new DigestError(`algorithm "${c.algorithm}" is not a token`);
    parts.push(`algorithm=${c.algorithm}`);
  }
  if (c.cnonce !== undefined) parts.push(`cnonce=${quote(c.cnonce, 'cnonce')}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque, 'opaque')}`);
  if (c.qop !== undefined) {
    if (!isToken(c.qop)) throw new DigestError(`qop "${c.qop}" is not a token`);
    parts.push(`qop=${c.qop}`);
  }
  if (c.nc !== undefined) {
    if (!NC.test(c.nc)) throw new DigestError(`nc "${c.nc}" is not 8 hex digits`);
    parts.push(`nc=${c.nc}`);
  }
  return `Digest ${parts.join(', ')}`;
}
