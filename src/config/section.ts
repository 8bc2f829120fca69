/**
 * Parses one mapping of the file (a host, an option section, a DN...) against its registry: the zod
 * object schema is built from the registry, so the valid values checked are the ones the docs print.
 * Unknown names are errors (a misspelt option would otherwise silently keep its default).
 */
import { z } from 'zod';
import type { ConfigErrors, Path } from './config-error.ts';
import { camelCase, type DnType, type Registry, type ValuesOf } from './option.ts';
import { showValue } from './show-value.ts';
import { suggest } from './suggest.ts';

const schemas = new WeakMap<Registry, z.ZodType<Record<string, unknown>>>();

/** Absent, YAML null and the empty string all mean "not set": the option takes its default. */
export function isUnset(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

export function sectionSchema(registry: Registry): z.ZodType<Record<string, unknown>> {
  let schema = schemas.get(registry);
  if (!schema) {
    const shape: Record<string, z.ZodType> = {};
    for (const [name, spec] of Object.entries(registry)) {
      const inner = spec.required
        ? spec.type.schema
        : 'default' in spec
          ? // A copy per load: a default array must not be shared between two loaded configs.
            spec.type.schema.default(() => structuredClone(spec.default))
          : spec.type.schema.optional();
      shape[name] = z.preprocess((v) => (isUnset(v) ? undefined : v), inner);
    }
    schema = z.object(shape) as unknown as z.ZodType<Record<string, unknown>>;
    schemas.set(registry, schema);
  }
  return schema;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface SectionContext {
  /** "option" or "field", for the unknown-name message. */
  noun: string;
  /** Names allowed here but parsed elsewhere (`type`, `options`). */
  extraKeys?: readonly string[];
  /** For DN options: the DN's type, checked against each option's appliesTo. */
  dnType?: DnType;
}

export function parseSection<R extends Registry>(
  registry: R,
  raw: unknown,
  path: Path,
  errors: ConfigErrors,
  ctx: SectionContext,
): ValuesOf<R> | undefined {
  const input = raw === undefined || raw === null ? {} : raw;
  if (!isMapping(input)) {
    errors.add(path, raw, `${showValue(raw)} is not a mapping (write one "name: value" per line below it)`);
    return undefined;
  }
  const before = errors.size;
  const known = [...Object.keys(registry), ...(ctx.extraKeys ?? [])];
  for (const [key, value] of Object.entries(input)) {
    if (!known.includes(key)) {
      const close = suggest(key, known);
      errors.add(
        [...path, key],
        value,
        `unknown ${ctx.noun}${close ? ` (did you mean "${close}"?)` : ''}`,
        true,
      );
      continue;
    }
    const appliesTo = registry[key]?.appliesTo;
    if (ctx.dnType && appliesTo && !appliesTo.includes(ctx.dnType) && !isUnset(value)) {
      errors.add(
        [...path, key],
        value,
        `does not apply to a ${ctx.dnType} DN (it applies to: ${appliesTo.join(', ')})`,
      );
    }
  }

  const result = sectionSchema(registry).safeParse(input, { reportInput: true });
  if (!result.success) {
    const seen = new Set<string>();
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '');
      // One message per option: a value can fail more than one check, the first says it.
      const id = issue.path.map(String).join('\u0000');
      if (seen.has(id)) continue;
      seen.add(id);
      const spec = registry[key];
      const value = issue.path.reduce<unknown>(
        (v, seg) => (isMapping(v) || Array.isArray(v) ? (v as never)[seg] : undefined),
        input,
      );
      if (spec?.required && isUnset(input[key])) {
        errors.add(
          [...path, ...(issue.path as (string | number)[])],
          undefined,
          `is required: ${spec.type.validValues}`,
        );
      } else {
        // Every refusal states the valid values (issue 6): the type's own words when its message lacks them.
        const valid = spec?.type.validValues;
        const core = valid?.replace(/\s*\([^)]*\)/g, '');
        const message =
          valid === undefined ||
          issue.message.includes(valid) ||
          (core !== '' && issue.message.includes(core!))
            ? issue.message
            : `${issue.message} (valid: ${valid})`;
        errors.add([...path, ...(issue.path as (string | number)[])], value, message);
      }
    }
  }
  if (!result.success || errors.size > before) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(result.data)) out[camelCase(name)] = value;
  return out as ValuesOf<R>;
}
