/**
 * A deep copy of the plain JSON data records carry (objects, arrays, strings, numbers, booleans, null; records
 * are JSON by contract, records.ts). The store copies what it keeps from a record so that the state never
 * shares an object with the caller. structuredClone did this at some 15 times the cost (a serialize and
 * deserialize round trip), with some twenty records per call (bench/RESULTS.md, CPU per call).
 */
export function clonePlain<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = clonePlain(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  // for-in over a plain object walks V8's enum cache (Object.keys would allocate an array per object); a
  // record's objects are plain, so there are no inherited enumerable keys to pick up.
  for (const key in value) out[key] = clonePlain((value as Record<string, unknown>)[key]);
  return out as T;
}
