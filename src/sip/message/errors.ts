/**
 * Thrown by the typed header views and value parsers when a value does not follow its RFC 3261 §25 grammar.
 * The message names the header and the fault, fit for a 400 reason phrase
 * ("Invalid To header: unbalanced quote in display name"). The message parser never lets it escape.
 */
export class SipSyntaxError extends Error {
  override name = 'SipSyntaxError';
}
