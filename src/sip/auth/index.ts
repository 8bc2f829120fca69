/** HTTP Digest authentication for SIP (RFC 3261 §22, RFC 7616, RFC 8760), on header value strings. */
export * from './algorithm.ts';
export { type DigestParams, parseDigestParams } from './auth-params.ts';
export * from './challenge.ts';
export * from './client.ts';
export * from './credentials.ts';
export * from './digest.ts';
export * from './digest-error.ts';
export * from './nonce.ts';
export * from './nonce-counts.ts';
export * from './server.ts';
