/**
 * A configuration error the user can act on: where (file, line, the option's dotted path), what was found
 * and what is valid, all in one line:
 * `duet.yaml:12:32: applications.SIP_A.options.TServer.ha-max-calls-sync-at-once: 1500 is not in 200-1000`.
 */
export type Path = readonly (string | number)[];

export interface ConfigError {
  file: string;
  /** Dotted path of the option or object; "" for the file as a whole. */
  path: string;
  /** The offending value as read (undefined when something required is missing). */
  value: unknown;
  /** `path: what is wrong and what is valid` (just the fault when the path is ""). */
  message: string;
  /** 1-based position in the file, when known. */
  line?: number;
  column?: number;
}

/** Where a path is in the file: its value, or with `atKey` the key naming it (for unknown names). */
export type Locate = (path: Path, atKey?: boolean) => { line: number; column: number } | undefined;

export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

export function formatConfigError(e: ConfigError): string {
  const where = e.line !== undefined ? `${e.file}:${e.line}:${e.column ?? 1}` : e.file;
  return `${where}: ${e.message}`;
}

/** Collects every error of one load, so that the user sees them all at once rather than one per run. */
export class ConfigErrors {
  readonly list: ConfigError[] = [];

  constructor(
    private readonly file: string,
    private readonly locate: Locate = () => undefined,
  ) {}

  add(path: Path, value: unknown, reason: string, atKey = false): void {
    const p = formatPath(path);
    const pos = this.locate(path, atKey);
    this.list.push({
      file: this.file,
      path: p,
      value,
      message: p === '' ? reason : `${p}: ${reason}`,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
    });
  }

  /** An error at a known position that belongs to no option (a YAML syntax error). */
  addAt(line: number, column: number, message: string): void {
    this.list.push({ file: this.file, path: '', value: undefined, message, line, column });
  }

  get size(): number {
    return this.list.length;
  }

  /** In file order (errors without a position last, in the order found). */
  sorted(): ConfigError[] {
    return this.list
      .map((e, i) => ({ e, i }))
      .sort((a, b) => {
        const la = a.e.line ?? Number.POSITIVE_INFINITY;
        const lb = b.e.line ?? Number.POSITIVE_INFINITY;
        if (la !== lb) return la - lb;
        const ca = a.e.column ?? 0;
        const cb = b.e.column ?? 0;
        return ca !== cb ? ca - cb : a.i - b.i;
      })
      .map(({ e }) => e);
  }
}
