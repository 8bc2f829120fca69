/**
 * Case-insensitive lookup of a fixed set of ASCII names (header names, parameter names) in a range of a larger
 * string, without cutting the range out: the parser finds "Via" or "branch" where it lies in the message and
 * gets back one shared string, so no substring is made and property stores under it need no interning.
 *
 * The names' lower-case codes live in one Uint8Array (reading a typed array keeps the compare loop
 * monomorphic), grouped by (length, first character). Only ASCII letters compare case-insensitively.
 */
export class NameTable {
  readonly #codes: Uint8Array;
  /** By key (length << 7 | lower-case first code): where its entries start in #entries, and how many. */
  readonly #first: Uint16Array;
  readonly #count: Uint8Array;
  /** [offset in #codes, index in #values] per entry, grouped by key. */
  readonly #entries: Int32Array;
  readonly #values: string[] = [];
  readonly #maxLength: number;

  /** `entries`: [name in lower case, value returned for it]. */
  constructor(entries: readonly (readonly [string, string])[]) {
    let total = 0;
    let max = 0;
    for (const [name] of entries) {
      if (!/^[a-z0-9.+-]+$/.test(name)) throw new Error(`NameTable: '${name}' is not lower-case a-z0-9.+-`);
      total += name.length;
      max = Math.max(max, name.length);
    }
    const keyOf = (name: string): number => (name.length << 7) | name.charCodeAt(0);
    const sorted = [...entries].sort((x, y) => keyOf(x[0]) - keyOf(y[0]));
    this.#codes = new Uint8Array(total);
    this.#first = new Uint16Array((max + 1) << 7);
    this.#count = new Uint8Array((max + 1) << 7);
    this.#entries = new Int32Array(sorted.length * 2);
    this.#maxLength = max;
    let offset = 0;
    sorted.forEach(([name, value], k) => {
      for (let i = 0; i < name.length; i++) this.#codes[offset + i] = name.charCodeAt(i);
      const key = keyOf(name);
      if (this.#count[key] === 0) this.#first[key] = k;
      this.#count[key]++;
      this.#entries[2 * k] = offset;
      this.#entries[2 * k + 1] = this.#values.length;
      this.#values.push(value);
      offset += name.length;
    });
  }

  /** The value for the name c[a, b) (codes.ts) in any case, or undefined. */
  find(c: Uint8Array, a: number, b: number): string | undefined {
    const len = b - a;
    if (len <= 0 || len > this.#maxLength) return undefined;
    const key = (len << 7) | ((c[a] | 32) & 127);
    const count = this.#count[key];
    if (count === 0) return undefined;
    const codes = this.#codes;
    const entries = this.#entries;
    const first = this.#first[key];
    next: for (let k = first; k < first + count; k++) {
      const offset = entries[2 * k];
      for (let i = 0; i < len; i++) {
        const x = c[a + i];
        const code = codes[offset + i];
        // `| 32` maps A-Z onto a-z; the range test keeps it from matching anything but a letter.
        if (x !== code && ((x | 32) !== code || code < 97 || code > 122)) continue next;
      }
      return this.#values[entries[2 * k + 1]];
    }
    return undefined;
  }
}
