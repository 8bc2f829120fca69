import { type DigestAlgorithm, parseAlgorithm } from './algorithm.ts';
import { type DigestChallenge, parseChallenge } from './challenge.ts';
import { type DigestCredentials, formatCredentials } from './credentials.ts';
import { type DigestQop, digestResponse, ha1 } from './digest.ts';
import { DigestError } from './digest-error.ts';

export interface AnswerChallengeInput {
  /** One WWW-Authenticate or Proxy-Authenticate value. */
  challenge: string;
  method: string;
  /** The Request-URI of the request being authorized (RFC 3261 §22.4: digest-uri is the Request-URI). */
  uri: string;
  username: string;
  password: string;
  /** Client nonce, from the caller's injected Random. */
  cnonce: string;
  /** How many times this nonce has been answered, counting this one (starts at 1). */
  nc: number;
  /** The request body, hashed only when the challenge offers qop=auth-int and not auth. */
  body?: Uint8Array;
}

/**
 * The Authorization / Proxy-Authorization value answering one challenge (RFC 3261 §22.2-22.3, RFC 7616 §3.4).
 * qop=auth is chosen when offered, else auth-int; a challenge without qop is answered the RFC 2069 way.
 * Throws DigestError when the challenge cannot be answered (malformed, unknown algorithm or qop) or the
 * input is out of range.
 */
export function answerChallenge(input: AnswerChallengeInput): string {
  const parsed = parseChallenge(input.challenge);
  if (!parsed.ok) throw new DigestError(`cannot answer the challenge: ${parsed.error}`);
  const challenge = parsed.value;
  const algorithm = answerableAlgorithm(challenge);
  if (algorithm === undefined) {
    throw new DigestError(`cannot answer the challenge: unsupported algorithm "${challenge.algorithm}"`);
  }
  const qop = chooseQop(challenge);
  if (qop === null) {
    throw new DigestError(`cannot answer the challenge: no supported qop in "${challenge.qop.join(',')}"`);
  }
  if (!(Number.isInteger(input.nc) && input.nc >= 1 && input.nc <= 0xffffffff)) {
    throw new DigestError(`nc must be an integer from 1 to 0xffffffff, got ${input.nc}`);
  }
  const nc = input.nc.toString(16).padStart(8, '0');
  const needsCnonce = qop !== undefined || algorithm.endsWith('-sess');
  if (needsCnonce && input.cnonce === '') throw new DigestError('cnonce must not be empty');

  const response = digestResponse({
    algorithm,
    ha1: ha1(input.username, challenge.realm, input.password, algorithm),
    nonce: challenge.nonce,
    method: input.method,
    uri: input.uri,
    qop,
    cnonce: needsCnonce ? input.cnonce : undefined,
    nc: qop !== undefined ? nc : undefined,
    body: input.body,
  });
  const credentials: DigestCredentials = {
    username: input.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: input.uri,
    response,
  };
  // Echo the algorithm only if the server named it: RFC 2069 servers may not know the parameter.
  if (challenge.algorithm !== undefined) credentials.algorithm = algorithm;
  if (needsCnonce) credentials.cnonce = input.cnonce;
  // RFC 7616 §3.4: the opaque value is returned unchanged.
  if (challenge.opaque !== undefined) credentials.opaque = challenge.opaque;
  if (qop !== undefined) {
    credentials.qop = qop;
    credentials.nc = nc;
  }
  return formatCredentials(credentials);
}

// RFC 8760 §2.4: a UAC facing several challenges for one realm uses the strongest algorithm it supports.
const PREFERENCE: readonly DigestAlgorithm[] = ['SHA-256', 'SHA-256-sess', 'MD5', 'MD5-sess'];

/**
 * Of several challenge values (one per algorithm, RFC 8760 §2.4), the one to answer: SHA-256 before MD5,
 * the first among equals. Challenges that cannot be answered (malformed, another scheme, unknown algorithm
 * or qop) are passed over; undefined when none can be.
 */
export function pickChallenge(values: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestRank = PREFERENCE.length;
  for (const value of values) {
    const parsed = parseChallenge(value);
    if (!parsed.ok) continue;
    const algorithm = answerableAlgorithm(parsed.value);
    if (algorithm === undefined || chooseQop(parsed.value) === null) continue;
    const rank = PREFERENCE.indexOf(algorithm);
    if (rank < bestRank) {
      best = value;
      bestRank = rank;
    }
  }
  return best;
}

function answerableAlgorithm(challenge: DigestChallenge): DigestAlgorithm | undefined {
  return parseAlgorithm(challenge.algorithm ?? 'MD5');
}

/** The qop to answer with; undefined for none offered, null when only unknown options are offered. */
function chooseQop(challenge: DigestChallenge): DigestQop | undefined | null {
  if (challenge.qop.length === 0) return undefined;
  if (challenge.qop.includes('auth')) return 'auth';
  if (challenge.qop.includes('auth-int')) return 'auth-int';
  return null;
}
