/**
 * Log templates: `{name}` placeholders. A missing parameter is a programming error, not something to
 * print as "undefined": an operator's alarm condition may depend on the text.
 */
import type { ParamValue } from './events.ts';

const placeholder = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

export function templateParams(template: string): string[] {
  return [...new Set([...template.matchAll(placeholder)].map((m) => m[1]!))];
}

export class LogEventError extends Error {
  override name = 'LogEventError';
}

export function renderTemplate(template: string, params: Readonly<Record<string, ParamValue>>): string {
  return template.replace(placeholder, (_, name: string) => {
    if (!Object.hasOwn(params, name) || params[name] === undefined) {
      throw new LogEventError(`log template "${template}" needs the parameter "${name}"`);
    }
    return String(params[name]);
  });
}
