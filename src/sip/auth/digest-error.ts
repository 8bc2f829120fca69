/**
 * The one exception this module throws, for programmer or configuration mistakes (an empty realm, a bad
 * challenge handed to the client). Parsers never throw: they return `{ ok: false, error }` values instead,
 * because their input comes from the network.
 */
export class DigestError extends Error {
  override readonly name = 'DigestError';
}

/** A parse outcome: the value, or a message saying what is wrong with the input. */
export type DigestParseResult<T> = { ok: true; value: T } | { ok: false; error: string };
