/**
 * Header parameters (`;name=value`, `;flag`) after a Via or name-addr (RFC 3261 §25.1 generic-param):
 * SEMI and EQUAL allow whitespace around them, values are token / host / quoted-string. Names are lower-cased
 * (parameter names compare case-insensitively, §7.3.1); values are kept as written, quotes included.
 */

import { excerpt, GENVALUE, is, skipWsp, TOKEN } from './chars.ts';
import { SipSyntaxError } from './errors.ts';
import { readQuoted } from './escaping.ts';
import type { Params } from './types.ts';

/** Sets a parameter without letting a name like `__proto__` reach the object's prototype. */
export function setParam(p: Params, name: string, value: string | null): void {
  if (name === '__proto__')
    Object.defineProperty(p, name, { value, enumerable: true, writable: true, configurable: true });
  else p[name] = value;
}

/**
 * Reads `*( SEMI generic-param )` from `s` starting at `i` up to the end of `s`. Throws SipSyntaxError with a
 * message naming the fault. A repeated name keeps its first value (the one an RFC 3261 element acts on).
 */
export function readParams(s: string, i: number): Params {
  const params: Params = {};
  const n = s.length;
  i = skipWsp(s, i);
  while (i < n) {
    if (s.charCodeAt(i) !== 59)
      throw new SipSyntaxError(`unexpected '${s[i]}' where ';' or the end was expected`);
    i = skipWsp(s, i + 1);
    const nameStart = i;
    while (i < n && is(s.charCodeAt(i), TOKEN)) i++;
    if (i === nameStart) {
      throw new SipSyntaxError(
        i < n && s[i] !== ';' ? `invalid parameter name at '${excerpt(s.slice(i), 20)}'` : 'empty parameter',
      );
    }
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWsp(s, i);
    let value: string | null = null;
    if (i < n && s.charCodeAt(i) === 61) {
      i = skipWsp(s, i + 1);
      if (s.charCodeAt(i) === 34) {
        const q = readQuoted(s, i);
        if (q === undefined) throw new SipSyntaxError(`unbalanced quote in parameter ${name}`);
        value = s.slice(i, q.end);
        i = q.end;
      } else {
        const valueStart = i;
        while (i < n && is(s.charCodeAt(i), GENVALUE)) i++;
        if (i === valueStart) throw new SipSyntaxError(`parameter ${name} has no value after '='`);
        value = s.slice(valueStart, i);
      }
      i = skipWsp(s, i);
    }
    if (!Object.hasOwn(params, name)) setParam(params, name, value);
  }
  return params;
}

/** `;name=value;flag` — values are written as stored (a quoted value keeps its quotes). */
export function formatParams(p: Params): string {
  let out = '';
  for (const name in p) {
    const v = p[name];
    out += v === null ? `;${name}` : `;${name}=${v}`;
  }
  return out;
}

/** True when `v` may be written as a parameter value without quotes (token / host). */
export function isPlainParamValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (!is(v.charCodeAt(i), GENVALUE)) return false;
  return v.length > 0;
}
