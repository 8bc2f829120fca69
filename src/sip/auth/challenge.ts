import { parseAlgorithm } from './algorithm.ts';
import { isToken, parseDigestParams, quote } from './auth-params.ts';
import { DigestError, type DigestParseResult } from './digest-error.ts';

/** A `WWW-Authenticate` / `Proxy-Authenticate` Digest challenge (RFC 3261 §20.44, §22; RFC 7616 §3.3). */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  /**
   * The algorithm as offered: a known name in its canonical spelling ("SHA-256"), any other name as written.
   * Undefined when absent, which means MD5 (RFC 2617 §3.2.1).
   */
  algorithm?: string;
  /** qop options offered, lower-cased ("auth", "auth-int"); empty when the challenge has no qop (RFC 2069). */
  qop: string[];
  /** TRUE when the previous answer was refused only because its nonce had expired (RFC 7616 §3.3). */
  stale: boolean;
  domain?: string;
}

/** Parses one challenge value. Never throws; a value that is not a usable Digest challenge gives `ok: false`. */
export function parseChallenge(value: string): DigestParseResult<DigestChallenge> {
  const parsed = parseDigestParams(value);
  if (!parsed.ok) return parsed;
  const p = parsed.value.values;
  const realm = p.get('realm');
  if (realm === undefined) return { ok: false, error: 'challenge has no realm' };
  const nonce = p.get('nonce');
  if (nonce === undefined || nonce === '') return { ok: false, error: 'challenge has no nonce' };
  const challenge: DigestChallenge = {
    realm,
    nonce,
    qop: splitQopOptions(p.get('qop')),
    // RFC 7616 §3.3: "stale" is TRUE or FALSE, case-insensitively; anything else counts as FALSE.
    stale: p.get('stale')?.toLowerCase() === 'true',
  };
  const opaque = p.get('opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  const algorithm = p.get('algorithm');
  if (algorithm !== undefined) challenge.algorithm = parseAlgorithm(algorithm) ?? algorithm;
  const domain = p.get('domain');
  if (domain !== undefined) challenge.domain = domain;
  return { ok: true, value: challenge };
}

function splitQopOptions(qop: string | undefined): string[] {
  if (qop === undefined) return [];
  return qop
    .split(',')
    .map((o) => o.trim().toLowerCase())
    .filter((o) => o !== '');
}

/**
 * Formats a challenge value, quoting what RFC 7616 §3.3 says is quoted (realm, nonce, opaque, qop, domain) and
 * leaving algorithm and stale as tokens. Throws DigestError for values no header can carry.
 */
export function formatChallenge(c: {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm?: string;
  qop?: readonly string[];
  stale?: boolean;
  domain?: string;
}): string {
  const parts = [`realm=${quote(c.realm, 'realm')}`];
  if (c.domain !== undefined) parts.push(`domain=${quote(c.domain, 'domain')}`);
  parts.push(`nonce=${quote(c.nonce, 'nonce')}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque, 'opaque')}`);
  if (c.algorithm !== undefined) {
    if (!isToken(c.algorithm)) throw new DigestError(`algorithm "${c.algorithm}" is not a token`);
    parts.push(`algorithm=${c.algorithm}`);
  }
  if (c.qop !== undefined && c.qop.length > 0) {
    for (const option of c.qop) {
      if (!isToken(option)) throw new DigestError(`qop option "${option}" is not a token`);
    }
    parts.push(`qop=${quote(c.qop.join(','), 'qop')}`);
  }
  if (c.stale) parts.push('stale=TRUE');
  return `Digest ${parts.join(', ')}`;
}
