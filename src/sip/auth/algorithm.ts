import { createHash } from 'node:crypto';

/**
 * Digest algorithms we can compute: RFC 2617 (MD5, MD5-sess) and RFC 7616 / RFC 8760 (SHA-256, SHA-256-sess).
 * SHA-512-256 (RFC 7616) is left out: RFC 8760 §2.2 only requires SHA-256 and MD5 of SIP user agents, and
 * Node's support for that truncated hash depends on the OpenSSL build.
 */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'];

/** Algorithm names are case-insensitive (RFC 7616 §3.3), so "sha-256" is SHA-256; unknown names give undefined. */
export function parseAlgorithm(name: string): DigestAlgorithm | undefined {
  const lower = name.toLowerCase();
  return DIGEST_ALGORITHMS.find((a) => a.toLowerCase() === lower);
}

/** Whether HA1 is re-derived per nonce and cnonce (RFC 7616 §3.4.2, the "-sess" variants). */
export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith('-sess');
}

/** The hash behind an algorithm: the "-sess" variants hash with the same function as their base. */
export function baseAlgorithm(algorithm: DigestAlgorithm): 'MD5' | 'SHA-256' {
  return algorithm.startsWith('SHA-256') ? 'SHA-256' : 'MD5';
}

/** Lower-case hex digest, as every digest value is written on the wire (RFC 7616 §3.4.1). Strings hash as UTF-8. */
export function hashHex(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  return createHash(baseAlgorithm(algorithm) === 'SHA-256' ? 'sha256' : 'md5')
    .update(data)
    .digest('hex');
}

/** Hex length of a digest (32 for MD5, 64 for SHA-256): a response of another length cannot be right. */
export function hashHexLength(algorithm: DigestAlgorithm): number {
  return baseAlgorithm(algorithm) === 'SHA-256' ? 64 : 32;
}
