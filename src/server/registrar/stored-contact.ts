/**
 * A binding read back from disk is input like any other (SPEC S8.1): a row damaged by hand or written by
 * another version is refused with a reason, never trusted into the model.
 */
import type { Contact } from '../../model/contact.ts';

export type StoredContactResult = { ok: true; contact: Contact } | { ok: false; error: string };

export function parseStoredContact(json: string): StoredContactResult {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  if (typeof v !== 'object' || v === null) return { ok: false, error: 'not an object' };
  const o = v as Record<string, unknown>;
  const src = o.source as Record<string, unknown> | null | undefined;
  const problems: string[] = [];
  const str = (name: string, x: unknown): void => {
    if (typeof x !== 'string' || x === '') problems.push(`${name} must be a non-empty string`);
  };
  const num = (name: string, x: unknown, ok: (n: number) => boolean = () => true): void => {
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) problems.push(`${name} is out of range`);
  };
  str('aor', o.aor);
  str('uri', o.uri);
  str('callId', o.callId);
  num('expiresAt', o.expiresAt);
  num('registeredAt', o.registeredAt);
  num('cseq', o.cseq, (n) => Number.isInteger(n) && n >= 0);
  num('q', o.q, (n) => n >= 0 && n <= 1);
  if (typeof src !== 'object' || src === null) problems.push('source must be an object');
  else {
    if (src.transport !== 'UDP' && src.transport !== 'TCP')
      problems.push('source.transport must be UDP or TCP');
    str('source.host', src.host);
    num('source.port', src.port, (n) => Number.isInteger(n) && n >= 1 && n <= 65535);
  }
  if (problems.length > 0) return { ok: false, error: problems.join('; ') };
  const s = src as { transport: 'UDP' | 'TCP'; host: string; port: number };
  return {
    ok: true,
    contact: {
      aor: o.aor as string,
      uri: o.uri as string,
      expiresAt: o.expiresAt as number,
      callId: o.callId as string,
      cseq: o.cseq as number,
      q: o.q as number,
      source: { transport: s.transport, host: s.host, port: s.port },
      registeredAt: o.registeredAt as number,
    },
  };
}
