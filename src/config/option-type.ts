/**
 * The kinds of value an option can hold. Each kind is a zod schema (which coerces the file's text to the
 * typed value and words the error) plus the human text of its valid values, so the loader's messages and
 * the generated docs say the same thing.
 *
 * Scalars arrive as strings (the loader reads YAML with the failsafe schema so that `prefix: 09` keeps its
 * zero and `password: no` stays a password), or as JS values when a config object is built in code; both
 * are accepted.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { type OverflowCodes, parseOverflowCodes } from './overflow-codes.ts';
import { showValue } from './show-value.ts';
import { suggest } from './suggest.ts';

export interface OptionType<T> {
  /** Parses the raw value (never undefined: absence is handled by the option's default). */
  readonly schema: z.ZodType<T>;
  /** Valid values in words, for messages and docs: "200-1000", "true, false". */
  readonly validValues: string;
  /** A value as the docs print it. */
  show(value: T): string;
}

function asNumber(v: unknown): unknown {
  return typeof v === 'string' && /^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(v.trim()) ? Number(v) : v;
}

function asText(v: unknown): unknown {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
}

export function bool(): OptionType<boolean> {
  const reason = (input: unknown) => `${showValue(input)} is not true or false`;
  return {
    schema: z.preprocess(
      (v) => (v === 'true' ? true : v === 'false' ? false : v),
      z.boolean({ error: (iss) => reason(iss.input) }),
    ),
    validValues: 'true, false',
    show: String,
  };
}

export interface NumberRange {
  min: number;
  max: number;
  /** Fractions allowed (seconds below one, e.g. ADDP timeouts). */
  fractions?: boolean;
}

export function number({ min, max, fractions = false }: NumberRange): OptionType<number> {
  const range = `${min}-${max}`;
  return {
    schema: z.preprocess(
      asNumber,
      z
        .number({ error: (iss) => `${showValue(iss.input)} is not a number in ${range}` })
        .refine((n) => fractions || Number.isInteger(n), {
          error: (iss) => `${showValue(iss.input)} is not a whole number in ${range}`,
        })
        .refine((n) => n >= min && n <= max, {
          error: (iss) => `${showValue(iss.input)} is not in ${range}`,
        }),
    ),
    validValues: fractions ? `${range} (fractions allowed, e.g. 0.5)` : range,
    show: String,
  };
}

export function port({ zeroOff = false } = {}): OptionType<number> {
  const base = number({ min: zeroOff ? 0 : 1, max: 65535 });
  return { ...base, validValues: zeroOff ? '0 (off), 1-65535' : '1-65535' };
}

export function oneOf<const V extends string>(values: readonly V[]): OptionType<V> {
  const list = values.join(', ');
  return {
    schema: z.preprocess(
      asText,
      z
        .string({ error: (iss) => `${showValue(iss.input)} is not one of: ${list}` })
        .refine((s) => (values as readonly string[]).includes(s), {
          error: (iss) => {
            const close = typeof iss.input === 'string' ? suggest(iss.input, values) : undefined;
            return `${showValue(iss.input)} is not one of: ${list}${close ? ` (did you mean "${close}"?)` : ''}`;
          },
        }),
    ) as unknown as z.ZodType<V>,
    validValues: list,
    show: String,
  };
}

/**
 * A comma list of names from `values`, case-insensitive, spaces allowed around the commas: "register, INVITE".
 * The value is the list in lower case, each name once, in the order first given.
 */
export function nameList<const V extends string>(values: readonly V[]): OptionType<readonly V[]> {
  const validValues = `a comma list of ${values.join(', ')} (case-insensitive), e.g. ${values.join(',')}`;
  const reason = (input: unknown, detail?: string) =>
    `${showValue(input)} is not valid${detail ? `: ${detail}` : ''}; expected ${validValues}`;
  return {
    schema: z.preprocess(
      asText,
      z.string({ error: (iss) => reason(iss.input) }).transform((s, ctx): readonly V[] => {
        const names: V[] = [];
        for (const part of s.split(',')) {
          const name = part.trim().toLowerCase();
          if (!(values as readonly string[]).includes(name)) {
            const close = name === '' ? undefined : suggest(name, values);
            const detail =
              name === ''
                ? 'an empty item'
                : `"${part.trim()}" is not one of ${values.join(', ')}${close ? ` (did you mean "${close}"?)` : ''}`;
            ctx.addIssue({ code: 'custom', message: reason(s, detail), input: s });
            return z.NEVER;
          }
          if (!names.includes(name as V)) names.push(name as V);
        }
        return names;
      }),
    ),
    validValues,
    show: (v) => v.join(','),
  };
}

/** Any text, or text matching `pattern` (described by `validValues`). Numbers are taken as their text. */
export function text(validValues = 'any text', pattern?: RegExp): OptionType<string> {
  const reason = (input: unknown) => `${showValue(input)} is not valid: expected ${validValues}`;
  const s = z.string({ error: (iss) => reason(iss.input) });
  return {
    schema: z.preprocess(asText, pattern ? s.regex(pattern, { error: (iss) => reason(iss.input) }) : s),
    validValues,
    show: (v) => JSON.stringify(v),
  };
}

const hostLabel =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export function isAddress(s: string): boolean {
  return isIP(s) !== 0 || (hostLabel.test(s) && !/^[0-9.]+$/.test(s));
}

/** An IP address (v4 or v6) or a fully qualified domain name. */
export function address(): OptionType<string> {
  return {
    schema: z.preprocess(
      asText,
      z
        .string({ error: (iss) => `${showValue(iss.input)} is not an IP address or FQDN` })
        .refine(isAddress, { error: (iss) => `${showValue(iss.input)} is not an IP address or FQDN` }),
    ),
    validValues: 'an IP address or FQDN',
    show: (v) => v,
  };
}

/** Where a trunk or service is reached: `host`, `host:port`, or a `sip:`/`sips:` URI. */
export function contact(): OptionType<string> {
  const valid = (s: string): boolean => {
    if (/^sips?:\S+$/i.test(s)) return true;
    const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(s);
    if (v6) return isIP(v6[1]!) === 6 && (v6[2] === undefined || Number(v6[2]) <= 65535);
    const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(s);
    return (
      m !== null && isAddress(m[1]!) && (m[2] === undefined || (Number(m[2]) >= 1 && Number(m[2]) <= 65535))
    );
  };
  const reason = (input: unknown) => `${showValue(input)} is not host, host:port or a sip: URI`;
  return {
    schema: z.preprocess(
      asText,
      z.string({ error: (iss) => reason(iss.input) }).refine(valid, { error: (iss) => reason(iss.input) }),
    ),
    validValues: 'host, host:port, or a sip:/sips: URI',
    show: (v) => v,
  };
}

export function overflowCodes(): OptionType<OverflowCodes> {
  return {
    schema: z.preprocess(
      asText,
      z
        .string({ error: (iss) => `${showValue(iss.input)} is not a list of error code patterns` })
        .transform((s, ctx) => {
          const parsed = parseOverflowCodes(s);
          if (parsed.ok) return parsed.codes;
          ctx.addIssue({ code: 'custom', message: parsed.error, input: s });
          return z.NEVER;
        }),
    ),
    validValues:
      'comma-separated patterns of 3 characters, digits or X (any digit); each starts with a digit, X only ' +
      'at the end of a pattern, and a pattern containing X must be the last in the list: 503 / 503,504 / ' +
      '487,50X / 487,5XX are valid, 5X3 and XXX are not',
    show: (v) => (v.length === 1 && v[0] === '503' ? 'An empty string (503)' : v.join(',')),
  };
}

export function textList(validValues = 'a list of strings'): OptionType<string[]> {
  return {
    schema: z.array(
      z.preprocess(asText, z.string({ error: (iss) => `${showValue(iss.input)} is not a string` })),
      {
        error: (iss) => `${showValue(iss.input)} is not a list (write [a, b] or one "- item" per line)`,
      },
    ),
    validValues,
    show: (v) => JSON.stringify(v),
  };
}

/** A log event ID as the registry writes it: two digits, a dash, five digits (00-04200). */
export function eventId(): OptionType<string> {
  const reason = (input: unknown) => `${showValue(input)} is not a log event ID like 00-04200`;
  return {
    schema: z.preprocess(
      asText,
      z
        .string({ error: (iss) => reason(iss.input) })
        .regex(/^\d{2}-\d{5}$/, { error: (iss) => reason(iss.input) }),
    ),
    validValues: 'a log event ID: NN-NNNNN, e.g. 00-04200',
    show: (v) => v,
  };
}

export type AlarmReaction = { kind: 'switchover' } | { kind: 'restart' } | { kind: 'script'; script: string };

export function alarmReaction(): OptionType<AlarmReaction> {
  const reason = (input: unknown) => `${showValue(input)} is not switchover, restart or "script NAME"`;
  return {
    schema: z.preprocess(
      asText,
      z.string({ error: (iss) => reason(iss.input) }).transform((s, ctx): AlarmReaction => {
        const t = s.trim();
        if (t === 'switchover' || t === 'restart') return { kind: t };
        const m = /^script\s+(\S+)$/.exec(t);
        if (m) return { kind: 'script', script: m[1]! };
        ctx.addIssue({ code: 'custom', message: reason(s), input: s });
        return z.NEVER;
      }),
    ),
    validValues: 'switchover, restart, or script NAME (NAME: a script application)',
    show: (v) => (v.kind === 'script' ? `script ${v.script}` : v.kind),
  };
}
