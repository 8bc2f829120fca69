/**
 * How long a registration may last (RFC 3261 §10.2.1.1, §10.3 step 6): the registrar's minimum (below it a
 * REGISTER gets 423 Interval Too Brief), maximum (longer requests are shortened) and the default for a contact
 * that asks for nothing.
 */

export interface ExpiresPolicy {
  /** Seconds; a non-zero request below this is refused with 423 and Min-Expires. */
  minExpires: number;
  /** Seconds; longer requests are capped (the 200 says how long was granted). */
  maxExpires: number;
  /** Seconds, for a contact with neither an `expires` parameter nor an Expires header. */
  defaultExpires: number;
}

export const DEFAULT_EXPIRES_POLICY: Readonly<ExpiresPolicy> = {
  minExpires: 60,
  maxExpires: 3600,
  defaultExpires: 3600,
};

/** Fills defaults and checks the ranges; a bad value throws a RangeError that names the option. */
export function expiresPolicy(opts: Partial<ExpiresPolicy> = {}): ExpiresPolicy {
  const p: ExpiresPolicy = {
    minExpires: opts.minExpires ?? DEFAULT_EXPIRES_POLICY.minExpires,
    maxExpires: opts.maxExpires ?? DEFAULT_EXPIRES_POLICY.maxExpires,
    defaultExpires: opts.defaultExpires ?? DEFAULT_EXPIRES_POLICY.defaultExpires,
  };
  for (const [name, v] of Object.entries(p)) {
    if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) {
      throw new RangeError(`registrar ${name}: ${v} is not a whole number of seconds in 1-4294967295`);
    }
  }
  if (p.minExpires > p.maxExpires) {
    throw new RangeError(
      `registrar minExpires: ${p.minExpires} is above maxExpires ${p.maxExpires}; it must be in 1-${p.maxExpires}`,
    );
  }
  if (p.defaultExpires < p.minExpires || p.defaultExpires > p.maxExpires) {
    throw new RangeError(
      `registrar defaultExpires: ${p.defaultExpires} is not in ${p.minExpires}-${p.maxExpires} (minExpires-maxExpires)`,
    );
  }
  return p;
}
