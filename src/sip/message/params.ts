/**
 * Header parameters (`;name=value`, `;flag`) after a Via or name-addr (RFC 3261 §25.1 generic-param):
 * SEMI and EQUAL allow whitespace around them, values are token / host / quoted-string. Names are lower-cased
 * (parameter names compare case-insensitively, §7.3.1); values are kept as written, quotes included.
 *
 * The grammar is read by one step function, nextParam, that only records where the name and value are:
 * readParams builds the Params object from it, checkParams only validates (a REGISTER's Contact at parse
 * time), Via checks the parameters the transport relies on as it reads them. One reader means validating and
 * building accept the same language.
 */

import { excerpt, GENVALUE, is, isCode, skipWspTo, TOKEN } from './chars.ts';
import { SipSyntaxError } from './errors.ts';
import { quotedEnd } from './escaping.ts';
import { NameTable } from './name-table.ts';
import type { Params } from './types.ts';

/** Sets a parameter without letting a name like `__proto__` reach the object's prototype. */
export function setParam(p: Params, name: string, value: string | null): void {
  if (name === '__proto__')
    Object.defineProperty(p, name, { value, enumerable: true, writable: true, configurable: true });
  else p[name] = value;
}

/**
 * Parameter names that messages carry all the time (RFC 3261 §20, §25.1; RFC 3581; RFC 5626; RFC 5627). A name
 * taken from this list is the string literal itself: storing a property under it costs a few nanoseconds,
 * while a name cut out of the message must first be hashed and interned by the engine (about 40 ns each).
 */
const COMMON_NAMES = [
  'branch',
  'received',
  'rport',
  'ttl',
  'maddr',
  'tag',
  'expires',
  'q',
  'lr',
  'transport',
  'user',
  'method',
  'ob',
  'reg-id',
  '+sip.instance',
  'gr',
  'comp',
  'alias',
  'keep',
  'phone-context',
  'duration',
  'reason',
  'cause',
  'text',
  'handling',
  'purpose',
  'refresher',
  'to-tag',
  'from-tag',
  'early-only',
  'id',
  'retry-after',
];

const common = new NameTable(COMMON_NAMES.map((n) => [n, n]));

/** The lower-cased name c[a, b) as an interned literal when it is a common one, else undefined. */
export function commonName(c: Uint8Array, a: number, b: number): string | undefined {
  return common.find(c, a, b);
}

/**
 * Where the parameter read by the last nextParam call is: name in [nameStart, nameEnd), value in
 * [valueStart, valueEnd) (quotes included), valueStart -1 for a flag. Shared scratch, read it right away.
 */
export const lastParam = {
  nameStart: 0,
  nameEnd: 0,
  /** The lower-cased name when it is a common one (an interned literal: compare with ===), else undefined. */
  name: undefined as string | undefined,
  valueStart: -1,
  valueEnd: -1,
  /** The value is a token (§25.1): unquoted, and none of the ':' '[' ']' a host value may hold. */
  valueIsToken: false,
};

function nameText(s: string): string {
  return s.slice(lastParam.nameStart, lastParam.nameEnd).toLowerCase();
}

/**
 * Reads one `SEMI generic-param` at c[i] (i is past any whitespace, i < end) and the whitespace after it;
 * returns the index where the next one may start. Throws SipSyntaxError naming the fault.
 */
export function nextParam(s: string, c: Uint8Array, i: number, end: number): number {
  if (c[i] !== 59) throw new SipSyntaxError(`unexpected '${s[i]}' where ';' or the end was expected`);
  i = skipWspTo(c, i + 1, end);
  const nameStart = i;
  while (i < end && isCode(c[i], TOKEN)) i++;
  if (i === nameStart) {
    throw new SipSyntaxError(
      i < end && s[i] !== ';'
        ? `invalid parameter name at '${excerpt(s.slice(i, end), 20)}'`
        : 'empty parameter',
    );
  }
  lastParam.nameStart = nameStart;
  lastParam.nameEnd = i;
  lastParam.name = common.find(c, nameStart, i);
  lastParam.valueStart = -1;
  lastParam.valueEnd = -1;
  lastParam.valueIsToken = false;
  i = skipWspTo(c, i, end);
  if (i < end && c[i] === 61) {
    i = skipWspTo(c, i + 1, end);
    const valueStart = i;
    if (i < end && c[i] === 34) {
      i = quotedEnd(c, i, end);
      if (i === -1) throw new SipSyntaxError(`unbalanced quote in parameter ${nameText(s)}`);
    } else {
      let token = true;
      while (i < end) {
        const x = c[i];
        if (!isCode(x, GENVALUE)) break;
        if (x === 58 || x === 91 || x === 93) token = false;
        i++;
      }
      if (i === valueStart) throw new SipSyntaxError(`parameter ${nameText(s)} has no value after '='`);
      lastParam.valueIsToken = token;
    }
    lastParam.valueStart = valueStart;
    lastParam.valueEnd = i;
    i = skipWspTo(c, i, end);
  }
  return i;
}

/** The name s[a, b) lower-cased, without a copy when it is a common name. */
function lowerRange(s: string, c: Uint8Array, a: number, b: number): string {
  const text = s.slice(a, b);
  for (let k = a; k < b; k++) {
    const x = c[k];
    if (x >= 65 && x <= 90) return text.toLowerCase();
  }
  return text;
}

/** Adds the parameter read by the last nextParam call, unless its name is already there (first one wins). */
export function addLastParam(s: string, c: Uint8Array, params: Params): void {
  const name = lastParam.name ?? lowerRange(s, c, lastParam.nameStart, lastParam.nameEnd);
  if (Object.hasOwn(params, name)) return;
  setParam(
    params,
    name,
    lastParam.valueStart === -1 ? null : s.slice(lastParam.valueStart, lastParam.valueEnd),
  );
}

/**
 * Reads `*( SEMI generic-param )` from position `i` up to `end`. Throws SipSyntaxError with a message naming
 * the fault. A repeated name keeps its first value (the one an RFC 3261 element acts on).
 */
export function readParams(s: string, c: Uint8Array, i: number, end: number): Params {
  const params: Params = {};
  i = skipWspTo(c, i, end);
  while (i < end) {
    i = nextParam(s, c, i, end);
    addLastParam(s, c, params);
  }
  return params;
}

/** Validates `*( SEMI generic-param )` in [i, end) without building anything. Throws like readParams. */
export function checkParams(s: string, c: Uint8Array, i: number, end: number): void {
  i = skipWspTo(c, i, end);
  while (i < end) i = nextParam(s, c, i, end);
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
