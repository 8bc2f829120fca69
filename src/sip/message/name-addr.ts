/**
 * name-addr / addr-spec values (RFC 3261 §20.10, §25.1): From, To, Contact, Route, Record-Route, Reply-To,
 * Refer-To... `"Display" <uri>;params`, `Display Tokens <uri>;params`, or a bare `uri;params` whose
 * parameters then belong to the header, not the URI (§20.10).
 *
 * One reader serves the parser, which reads a value where it lies in the message (building From and To,
 * only validating a REGISTER's Contact), and the typed views, which read a field's value when a layer asks.
 * Both run the same code, so a value the parser accepted can always be built.
 */

import { excerpt, isCode, skipWspTo, TOKEN, trimWsp } from './chars.ts';
import { codesOf } from './codes.ts';
import { SipSyntaxError } from './errors.ts';
import { quote, quotedEnd, unquote } from './escaping.ts';
import { listElementEnd } from './list.ts';
import { checkParams, formatParams, readParams } from './params.ts';
import type { NameAddr } from './types.ts';
import { formatUri, readUriAt } from './uri.ts';

/** Returned by readNameAddrAt in validation mode. Never leaves this file. */
const VALID: NameAddr = { uri: { scheme: '', raw: '' }, params: {} };

/** The first `code` in c[from, end), or -1. */
function indexBefore(c: Uint8Array, code: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (c[i] === code) return i;
  return -1;
}

function isWspCode(x: number): boolean {
  return x === 32 || x === 9;
}

/**
 * Reads one name-addr or addr-spec in s[a, b) (no leading or trailing whitespace; c: its codes, codes.ts) with
 * its parameters. With `build` false it only validates. Throws SipSyntaxError naming the fault.
 */
export function readNameAddrAt(s: string, c: Uint8Array, a: number, b: number, build: boolean): NameAddr {
  if (a === b) throw new SipSyntaxError('empty value');
  let displayName: string | undefined;
  let lt = -1;
  const c0 = c[a];
  if (c0 === 34) {
    const close = quotedEnd(c, a, b);
    if (close === -1) throw new SipSyntaxError('unbalanced quote in display name');
    if (build) displayName = unquote(s, a, close);
    const i = skipWspTo(c, close, b);
    if (i >= b || c[i] !== 60) throw new SipSyntaxError('expected <URI> after the quoted display name');
    lt = i;
  } else if (c0 === 60) {
    lt = a;
  } else {
    // Either display-name tokens followed by <uri>, or a bare addr-spec.
    let j = a;
    while (j < b) {
      const x = c[j];
      if (!isCode(x, TOKEN) && !isWspCode(x)) break;
      j++;
    }
    if (j < b && c[j] === 60) {
      if (build) {
        let e = j;
        while (e > a && isWspCode(c[e - 1])) e--;
        displayName = s.slice(a, e);
      }
      lt = j;
    } else {
      const open = indexBefore(c, 60, a, b);
      if (open !== -1) {
        const q = indexBefore(c, 34, a, b);
        if (q !== -1 && q < open) throw new SipSyntaxError('unbalanced quote in display name');
        throw new SipSyntaxError(
          `display name must be a quoted string or tokens (found '${s[j]}' in '${excerpt(s.slice(a, open))}')`,
        );
      }
    }
  }
  if (lt === -1) {
    // addr-spec: a URI holding ';', '?' or ',' must be enclosed in <> (§20), so the first ';' ends it.
    const semi = indexBefore(c, 59, a, b);
    let textEnd = semi === -1 ? b : semi;
    while (textEnd > a && isWspCode(c[textEnd - 1])) textEnd--;
    for (let k = a; k < textEnd; k++) {
      const x = c[k];
      if (x === 63 || x === 44) {
        throw new SipSyntaxError(`a URI containing '${s[k]}' must be enclosed in <> (RFC 3261 §20)`);
      }
      if (isWspCode(x))
        throw new SipSyntaxError(`whitespace inside the URI '${excerpt(s.slice(a, textEnd))}'`);
    }
    const uri = readUriAt(s, c, a, textEnd, build);
    if (uri === undefined) throw new SipSyntaxError(`invalid URI '${excerpt(s.slice(a, textEnd))}'`);
    if (!build) {
      if (semi !== -1) checkParams(s, c, semi, b);
      return VALID;
    }
    return { uri, params: semi === -1 ? {} : readParams(s, c, semi, b) };
  }
  const gt = indexBefore(c, 62, lt + 1, b);
  if (gt === -1) throw new SipSyntaxError("missing '>' after the URI");
  if (gt > lt + 1 && (isWspCode(c[lt + 1]) || isWspCode(c[gt - 1]))) {
    throw new SipSyntaxError('whitespace between <> and the URI');
  }
  const uri = readUriAt(s, c, lt + 1, gt, build);
  if (uri === undefined) throw new SipSyntaxError(`invalid URI '${excerpt(s.slice(lt + 1, gt))}'`);
  if (!build) {
    checkParams(s, c, gt + 1, b);
    return VALID;
  }
  const na: NameAddr = { uri, params: readParams(s, c, gt + 1, b) };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

/** Parses one name-addr or addr-spec with its parameters. Throws SipSyntaxError naming the fault. */
export function readNameAddr(value: string): NameAddr {
  const s = trimWsp(value);
  return readNameAddrAt(s, codesOf(s), 0, s.length, true);
}

/**
 * Reads (or with `out` null, validates) the comma-separated name-addrs in s[a, b). Throws on an empty
 * element (the elements are those of splitList).
 */
function readListAt(s: string, c: Uint8Array, a: number, b: number, out: NameAddr[] | null): void {
  let i = a;
  for (;;) {
    const e = listElementEnd(c, i, b);
    const x = skipWspTo(c, i, e);
    let y = e;
    while (y > x && isWspCode(c[y - 1])) y--;
    if (x === y) throw new SipSyntaxError('empty element in the list');
    if (out === null) readNameAddrAt(s, c, x, y, false);
    else out.push(readNameAddrAt(s, c, x, y, true));
    if (e >= b) return;
    i = e + 1;
  }
}

/** Parses one name-addr/addr-spec. Throws SipSyntaxError ("Invalid name-addr: ..."). */
export function parseNameAddr(value: string): NameAddr {
  try {
    return readNameAddr(value);
  } catch (e) {
    throw new SipSyntaxError(`Invalid name-addr: ${(e as Error).message}`);
  }
}

/** Always writes the `<uri>` form, which is valid for any URI and any parameters (§20.10). */
export function formatNameAddr(na: NameAddr): string {
  const name = na.displayName !== undefined ? `${quote(na.displayName)} ` : '';
  return `${name}<${formatUri(na.uri)}>${formatParams(na.params)}`;
}

/** Reads a comma-separated list of name-addrs (Contact, Route, Record-Route...). Throws on an empty element. */
export function readNameAddrList(value: string): NameAddr[] {
  const out: NameAddr[] = [];
  readListAt(value, codesOf(value), 0, value.length, out);
  return out;
}

/** Validates the comma-separated name-addrs in s[a, b) (c: its codes) as readNameAddrList would read them. */
export function checkNameAddrListAt(s: string, c: Uint8Array, a: number, b: number): void {
  readListAt(s, c, a, b, null);
}

/** Parses a comma-separated name-addr list. Throws SipSyntaxError ("Invalid name-addr list: ..."). */
export function parseNameAddrList(value: string): NameAddr[] {
  try {
    return readNameAddrList(value);
  } catch (e) {
    throw new SipSyntaxError(`Invalid name-addr list: ${(e as Error).message}`);
  }
}
