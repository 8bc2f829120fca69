import { type DigestAlgorithm, hashHex, isSessionAlgorithm } from './algorithm.ts';

/** The qop values RFC 7616 §3.3 defines; "auth-int" also protects the message body. */
export type DigestQop = 'auth' | 'auth-int';

/**
 * HA1 = H(username ":" realm ":" password) (RFC 7616 §3.4.2). For a "-sess" algorithm this is still the value to
 * store: the session HA1 is derived from it per nonce by sessionHa1(). Storing HA1 instead of the password
 * means a leaked user table does not reveal passwords (it still lets one log in to this realm).
 */
export function ha1(username: string, realm: string, password: string, algorithm: DigestAlgorithm): string {
  return hashHex(algorithm, `${username}:${realm}:${password}`);
}

/** For "-sess" algorithms: H(HA1 ":" nonce ":" cnonce) (RFC 7616 §3.4.2); otherwise HA1 unchanged. */
export function sessionHa1(
  storedHa1: string,
  algorithm: DigestAlgorithm,
  nonce: string,
  cnonce: string | undefined,
): string {
  if (!isSessionAlgorithm(algorithm)) return storedHa1;
  return hashHex(algorithm, `${storedHa1}:${nonce}:${cnonce ?? ''}`);
}

export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  /** The stored (non-session) HA1, lower-case hex. */
  ha1: string;
  nonce: string;
  method: string;
  /** The digest-uri exactly as sent in the `uri` parameter. */
  uri: string;
  /** Absent for an RFC 2069 style answer (no qop offered). */
  qop?: DigestQop;
  /** Required with qop and with "-sess" algorithms. */
  cnonce?: string;
  /** The nonce count as sent: 8 hex digits (RFC 7616 §3.4). Required with qop. */
  nc?: string;
  /** The message body, for qop=auth-int; an absent body hashes as empty. */
  body?: Uint8Array;
}

/** The request-digest (RFC 7616 §3.4.1; RFC 2617 §3.2.2.1 without qop), lower-case hex. */
export function digestResponse(input: DigestResponseInput): string {
  const { algorithm, nonce, method, uri, qop, cnonce, nc } = input;
  const a1 = sessionHa1(input.ha1.toLowerCase(), algorithm, nonce, cnonce);
  const a2 =
    qop === 'auth-int'
      ? hashHex(algorithm, `${method}:${uri}:${hashHex(algorithm, input.body ?? new Uint8Array(0))}`)
      : hashHex(algorithm, `${method}:${uri}`);
  if (qop === undefined) return hashHex(algorithm, `${a1}:${nonce}:${a2}`);
  return hashHex(algorithm, `${a1}:${nonce}:${nc ?? ''}:${cnonce ?? ''}:${qop}:${a2}`);
}
