/**
 * name-addr / addr-spec values (RFC 3261 §20.10, §25.1): From, To, Contact, Route, Record-Route, Reply-To,
 * Refer-To... `"Display" <uri>;params`, `Display Tokens <uri>;params`, or a bare `uri;params` whose
 * parameters then belong to the header, not the URI (§20.10).
 */

import { excerpt, is, isWsp, skipWsp, TOKEN, trimWsp } from './chars.ts';
import { SipSyntaxError } from './errors.ts';
import { quote, readQuoted } from './escaping.ts';
import { splitList } from './list.ts';
import { formatParams, readParams } from './params.ts';
import type { NameAddr } from './types.ts';
import { formatUri, parseUri } from './uri.ts';

/** Parses one name-addr or addr-spec with its parameters. Throws SipSyntaxError naming the fault. */
export function readNameAddr(value: string): NameAddr {
  const s = trimWsp(value);
  if (s.length === 0) throw new SipSyntaxError('empty value');
  let i = 0;
  let displayName: string | undefined;
  let lt = -1;
  if (s.charCodeAt(0) === 34) {
    const q = readQuoted(s, 0);
    if (q === undefined) throw new SipSyntaxError('unbalanced quote in display name');
    displayName = q.text;
    i = skipWsp(s, q.end);
    if (s.charCodeAt(i) !== 60) throw new SipSyntaxError('expected <URI> after the quoted display name');
    lt = i;
  } else if (s.charCodeAt(0) === 60) {
    lt = 0;
  } else {
    // Either display-name tokens followed by <uri>, or a bare addr-spec.
    let j = 0;
    while (j < s.length && (is(s.charCodeAt(j), TOKEN) || isWsp(s.charCodeAt(j)))) j++;
    if (j < s.length && s.charCodeAt(j) === 60) {
      displayName = trimWsp(s.slice(0, j));
      lt = j;
    } else if (s.indexOf('<') !== -1) {
      if (s.indexOf('"') !== -1 && s.indexOf('"') < s.indexOf('<')) {
        throw new SipSyntaxError('unbalanced quote in display name');
      }
      throw new SipSyntaxError(
        `display name must be a quoted string or tokens (found '${s[j]}' in '${excerpt(s.slice(0, s.indexOf('<')))}')`,
      );
    }
  }
  if (lt === -1) {
    // addr-spec: a URI holding ';', '?' or ',' must be enclosed in <> (§20), so the first ';' ends it.
    const semi = s.indexOf(';');
    const text = semi === -1 ? s : trimWsp(s.slice(0, semi));
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      if (c === 63 || c === 44) {
        throw new SipSyntaxError(`a URI containing '${text[k]}' must be enclosed in <> (RFC 3261 §20)`);
      }
      if (isWsp(c)) throw new SipSyntaxError(`whitespace inside the URI '${excerpt(text)}'`);
    }
    const uri = parseUri(text);
    if (uri === undefined) throw new SipSyntaxError(`invalid URI '${excerpt(text)}'`);
    return { uri, params: semi === -1 ? {} : readParams(s, semi) };
  }
  const gt = s.indexOf('>', lt + 1);
  if (gt === -1) throw new SipSyntaxError("missing '>' after the URI");
  const text = s.slice(lt + 1, gt);
  if (text.length > 0 && (isWsp(text.charCodeAt(0)) || isWsp(text.charCodeAt(text.length - 1)))) {
    throw new SipSyntaxError('whitespace between <> and the URI');
  }
  const uri = parseUri(text);
  if (uri === undefined) throw new SipSyntaxError(`invalid URI '${excerpt(text)}'`);
  const na: NameAddr = { uri, params: readParams(s, gt + 1) };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
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
  for (const element of splitList(value)) {
    if (element.length === 0) throw new SipSyntaxError('empty element in the list');
    out.push(readNameAddr(element));
  }
  return out;
}

/** Parses a comma-separated name-addr list. Throws SipSyntaxError ("Invalid name-addr list: ..."). */
export function parseNameAddrList(value: string): NameAddr[] {
  try {
    return readNameAddrList(value);
  } catch (e) {
    throw new SipSyntaxError(`Invalid name-addr list: ${(e as Error).message}`);
  }
}
