/** Reading the environment file for a command: every error at once, with file, path, value and range. */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.ts';
import { formatConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load.ts';

export type ConfigRead = { ok: true; config: Config } | { ok: false; messages: string[] };

export function readConfigFile(file: string): ConfigRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, messages: [`${file}: cannot read the file (${err.code ?? err.message})`] };
  }
  const result = loadConfig(text, file);
  if (result.ok) return { ok: true, config: result.config };
  return { ok: false, messages: result.errors.map(formatConfigError) };
}
