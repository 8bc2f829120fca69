/**
 * Reads the YAML text. The failsafe schema keeps every scalar but null a string, so the option types decide what a
 * value means: `prefix: 09` keeps its leading zero, `password: no` stays the text "no", and `0x10` is not
 * silently a number. Positions of values are kept to put line and column on every error.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { Locate, Path } from './config-error.ts';

export interface YamlSource {
  data: unknown;
  syntaxErrors: { line: number; column: number; message: string }[];
  locate: Locate;
}

export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  // The null tag on top of failsafe: a plain `null`, `~` or empty value means "not set"; "null" quoted is text.
  const doc = parseDocument(text, {
    schema: 'failsafe',
    customTags: ['null'],
    lineCounter,
    prettyErrors: true,
    uniqueKeys: true,
  });
  const syntaxErrors = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
    // The library's message ends with " at line L, column C:" and a code frame; we print the position ourselves.
    const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return { line: pos.line, column: pos.col, message: `YAML syntax error: ${first}` };
  });

  const locate: Locate = (path: Path, atKey = false) => {
    let node: unknown = doc.contents;
    let best: number | undefined = offsetOf(node);
    for (const [i, seg] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        if (!pair) break;
        best = offsetOf(pair.key) ?? best;
        if (atKey && i === path.length - 1) break;
        node = pair.value;
        if (node === null) break;
        best = offsetOf(node) ?? best;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (node === undefined) break;
        best = offsetOf(node) ?? best;
      } else {
        break;
      }
    }
    if (best === undefined) return undefined;
    const { line, col } = lineCounter.linePos(best);
    return { line, column: col };
  };

  let data: unknown;
  if (syntaxErrors.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // An alias bomb ("billion laughs") or an alias to nothing.
      syntaxErrors.push({ line: 1, column: 1, message: `YAML error: ${(err as Error).message}` });
    }
  }
  return { data, syntaxErrors, locate };
}

function offsetOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
