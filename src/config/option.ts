/**
 * One configurable setting and what we know about it: the seeds' metadata (default, valid values, when a
 * change takes effect) next to the value's type. Registries of these (options/*.ts) are the single source
 * from which the loader's schema, the typed config, reload classification and docs/configuration.md are
 * all built.
 */
import type { OptionType } from './option-type.ts';
import type { TakesEffect } from './take-effect.ts';

export const dnTypes = [
  'Extension',
  'ACD Position',
  'Routing Point',
  'Trunk',
  'Voice over IP Service',
] as const;
export type DnType = (typeof dnTypes)[number];

export interface OptionSpec<T = unknown> {
  readonly type: OptionType<T>;
  /** Used when the option is absent (or empty). Without a default and not required, the value is undefined. */
  readonly default?: T;
  readonly required?: boolean;
  /** How the docs state the default when it is not a plain value: "NULL", "An empty string (503)". */
  readonly defaultText?: string;
  readonly takesEffect: TakesEffect;
  /** What it does, in our words; where the SPEC was silent, the reason for the default and range chosen. */
  readonly description: string;
  /** Where the option is specified: "seed 000" ... or "SPEC S4.2" or "Duet" (our choice). */
  readonly source: string;
  /** DN options only: the DN types it may be set on. */
  readonly appliesTo?: readonly DnType[];
}

export type Registry = Readonly<Record<string, OptionSpec>>;

export type CamelCase<S extends string> = S extends `${infer Head}-${infer Rest}`
  ? `${Head}${Capitalize<CamelCase<Rest>>}`
  : S;

/** The typed values of a registry: camelCase keys; optional (T | undefined) when there is no default. */
export type ValuesOf<R extends Registry> = {
  [K in keyof R as CamelCase<K & string>]: R[K] extends OptionSpec<infer T>
    ? R[K] extends { default: unknown } | { required: true }
      ? T
      : T | undefined
    : never;
};

/** `ha-max-calls-sync-at-once` -> `haMaxCallsSyncAtOnce`: the one place option names change form (DESIGN §3). */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
