/**
 * The byte view of a text that the scanners of this folder read. Every scanner takes the text twice: as a
 * string `s`, to cut values out of, and as codes `c` with c[i] = min(s.charCodeAt(i), 255), to test characters.
 * Reading a Uint8Array costs about a nanosecond per character where String#charCodeAt costs two to three
 * (V8 re-checks the string's representation on every call), and the grammar only ever asks about ASCII, so
 * clamping the rest to 255 loses nothing: 128-255 are "not ASCII" to every test.
 *
 * For a message whose header section is ASCII (nearly all), the codes are the received bytes themselves;
 * other texts are converted into a scratch buffer, which the next codesOf call overwrites.
 */

let scratch = new Uint8Array(1024);

/** The codes of `s` in a shared scratch buffer: use them before the next call. */
export function codesOf(s: string): Uint8Array {
  const n = s.length;
  if (n > scratch.length) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
  const out = scratch;
  for (let i = 0; i < n; i++) {
    const x = s.charCodeAt(i);
    out[i] = Math.min(x, 255);
  }
  return out;
}

/** The codes of `s` in a buffer of its own (for a text whose codes must outlive other conversions). */
export function ownCodesOf(s: string): Uint8Array {
  const n = s.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = s.charCodeAt(i);
    out[i] = Math.min(x, 255);
  }
  return out;
}
