/**
 * Header access on a message's ordered field list (the single source of truth, see types.ts), and typed,
 * read-only views of the headers the SIP layers use. A view is parsed once per HeaderField object and kept
 * with it: fields are immutable, and replacing a field (setHeader/addHeader) drops its view with it.
 * Views are shared, like the fields (createResponse copies Via/From/To by reference), so they are READ-ONLY:
 * to change a value, build a new one (`{ ...via, params: { ...via.params, received } }`) and store it with
 * setHeader(msg, 'Via', formatVia(...)). (They are not frozen: freezing cost ~10% of the parse time.)
 */

import { trimWsp } from './chars.ts';
import { readCSeq } from './cseq.ts';
import { SipSyntaxError } from './errors.ts';
import { canonicalHeaderName, knownSpelling, LIST_HEADERS } from './header-names.ts';
import { splitList } from './list.ts';
import { readNameAddr, readNameAddrList } from './name-addr.ts';
import { readDeltaSeconds, readMaxForwards } from './scalars.ts';
import type { CSeq, HeaderField, NameAddr, SipMessage, Via } from './types.ts';
import { readVia } from './via.ts';

export { parseCSeq } from './cseq.ts';
export { SipSyntaxError } from './errors.ts';
export { canonicalHeaderName, isKnownHeader } from './header-names.ts';
export { formatNameAddr, parseNameAddr, parseNameAddrList } from './name-addr.ts';
export { formatParams } from './params.ts';
export { formatVia, parseVia } from './via.ts';

/**
 * Whether a field named `fieldName` is a `canon` field (canon: a canonicalHeaderName result). Fields the
 * parser and these functions make carry the canonical name, so `===` nearly always decides; other spellings
 * come from fields built by hand.
 */
function nameMatches(fieldName: string, canon: string): boolean {
  if (fieldName === canon) return true;
  // Same length (other case) or a one-letter compact form: anything else cannot be the same header.
  if (fieldName.length !== canon.length && fieldName.length !== 1) return false;
  // A spelling this stack knows names exactly one header.
  const known = knownSpelling(fieldName);
  if (known !== undefined) return known === canon;
  return fieldName.toLowerCase() === canon.toLowerCase();
}

function findAll(msg: SipMessage, name: string): HeaderField[] {
  const canon = canonicalHeaderName(name);
  const out: HeaderField[] = [];
  const headers = msg.headers;
  for (let i = 0; i < headers.length; i++) if (nameMatches(headers[i].name, canon)) out.push(headers[i]);
  return out;
}

function findFirst(msg: SipMessage, name: string): HeaderField | undefined {
  const canon = canonicalHeaderName(name);
  const headers = msg.headers;
  for (let i = 0; i < headers.length; i++) if (nameMatches(headers[i].name, canon)) return headers[i];
  return undefined;
}

/** The value of the first field with that name (any spelling or compact form), or undefined. */
export function getHeader(msg: SipMessage, name: string): string | undefined {
  return findFirst(msg, name)?.value;
}

/** The values of every field with that name; list headers (Via, Contact, Allow, ...) split into elements. */
export function getHeaderValues(msg: SipMessage, name: string): string[] {
  const canon = canonicalHeaderName(name);
  const split = LIST_HEADERS.has(canon);
  const out: string[] = [];
  for (const f of findAll(msg, name)) {
    if (!split) out.push(f.value);
    else for (const e of splitList(f.value)) if (e.length > 0) out.push(e);
  }
  return out;
}

export function hasHeader(msg: SipMessage, name: string): boolean {
  return findFirst(msg, name) !== undefined;
}

function field(name: string, value: string): HeaderField {
  return { name: canonicalHeaderName(name), value: trimWsp(value) };
}

/** Replaces every field of that name by one field, at the place of the first (or at the end if none). */
export function setHeader(msg: SipMessage, name: string, value: string): void {
  const canon = canonicalHeaderName(name);
  const replacement = field(name, value);
  const out: HeaderField[] = [];
  let placed = false;
  for (const f of msg.headers) {
    if (!nameMatches(f.name, canon)) out.push(f);
    else if (!placed) {
      out.push(replacement);
      placed = true;
    }
  }
  if (!placed) out.push(replacement);
  msg.headers.splice(0, msg.headers.length, ...out);
}

/** Adds one field, before the first field of that name ('first', e.g. a new top Via) or at the end ('last'). */
export function addHeader(
  msg: SipMessage,
  name: string,
  value: string,
  where: 'first' | 'last' = 'last',
): void {
  const f = field(name, value);
  if (where === 'last') {
    msg.headers.push(f);
    return;
  }
  const canon = canonicalHeaderName(name);
  const i = msg.headers.findIndex((h) => nameMatches(h.name, canon));
  msg.headers.splice(i === -1 ? msg.headers.length : i, 0, f);
}

export function removeHeader(msg: SipMessage, name: string): void {
  const canon = canonicalHeaderName(name);
  const kept = msg.headers.filter((f) => !nameMatches(f.name, canon));
  msg.headers.splice(0, msg.headers.length, ...kept);
}

// ---- typed views ----

/**
 * The parsed view of a field is kept on the field itself, in private class fields: invisible to spreads,
 * JSON, structuredClone and deep equality, and gone with the field. The field stays a plain object: a base
 * constructor that returns its argument makes `new View(field, ...)` install the private fields on `field`
 * (ECMAScript "return override"). A WeakMap would do the same, but each WeakMap.set costs about a
 * microsecond of ephemeron bookkeeping and GC, and Object.defineProperty about a quarter of one.
 * One pair of private fields serves every kind of view, so that a field with a view has one hidden class
 * whatever the view (the serializer and the lookups read `name`/`value` of every field: they stay
 * monomorphic); the kind tells the views apart, and a field keeps the first view it was asked for.
 */
class ReturnsTarget {
  constructor(target: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the return override is the point (see above).
    return target;
  }
}

const VIA = 1;
const NAME_ADDR = 2;
const NAME_ADDR_LIST = 3;
const CONTACTS = 4;
const CSEQ = 5;

class View extends ReturnsTarget {
  #kind: number;
  #view: unknown;
  constructor(target: object, kind: number, view: unknown) {
    super(target);
    this.#kind = kind;
    this.#view = view;
  }
  static read(target: object, kind: number): unknown {
    return #kind in target && (target as View).#kind === kind ? (target as View).#view : undefined;
  }
  static has(target: object): boolean {
    return #kind in target;
  }
}

/** For fields the parser has just made (extensible, no view yet): no checks needed. */
function install(f: HeaderField, kind: number, view: unknown): void {
  new View(f, kind, view);
}

function keep<T>(f: HeaderField, kind: number, view: T): T {
  // A frozen or sealed field simply goes without a cache; so does a field that holds another kind of view.
  if (!View.has(f) && Object.isExtensible(f)) new View(f, kind, view);
  return view;
}

/**
 * For the parser, on the fields it has just made: the views it built while validating, kept so that the
 * first read costs nothing.
 */
export function keepVias(f: HeaderField, vias: readonly Via[]): void {
  install(f, VIA, vias);
}

export function keepNameAddr(f: HeaderField, na: NameAddr): void {
  install(f, NAME_ADDR, na);
}

export function keepCSeq(f: HeaderField, cseq: CSeq): void {
  install(f, CSEQ, cseq);
}

function invalid(f: HeaderField, e: unknown): SipSyntaxError {
  return new SipSyntaxError(`Invalid ${f.name} header: ${(e as Error).message}`);
}

/** The Vias of one Via field (parsed once). Throws SipSyntaxError ("Invalid Via header: ..."). */
export function viaOf(f: HeaderField): readonly Via[] {
  const v = View.read(f, VIA) as readonly Via[] | undefined;
  if (v !== undefined) return v;
  try {
    return keep(f, VIA, readVia(f.value));
  } catch (e) {
    throw invalid(f, e);
  }
}

/** The single name-addr of a From/To/Reply-To/Refer-To field (parsed once). */
export function nameAddrOf(f: HeaderField): NameAddr {
  const v = View.read(f, NAME_ADDR) as NameAddr | undefined;
  if (v !== undefined) return v;
  try {
    return keep(f, NAME_ADDR, readNameAddr(f.value));
  } catch (e) {
    throw invalid(f, e);
  }
}

/** The name-addr list of a Route/Record-Route/Path/... field (parsed once). */
export function nameAddrListOf(f: HeaderField): readonly NameAddr[] {
  const v = View.read(f, NAME_ADDR_LIST) as readonly NameAddr[] | undefined;
  if (v !== undefined) return v;
  try {
    return keep(f, NAME_ADDR_LIST, readNameAddrList(f.value));
  } catch (e) {
    throw invalid(f, e);
  }
}

/** The Contacts of one Contact field, or '*' (§10.2.2, only meaningful in REGISTER). */
export function contactsOf(f: HeaderField): readonly NameAddr[] | '*' {
  const v = View.read(f, CONTACTS) as readonly NameAddr[] | '*' | undefined;
  if (v !== undefined) return v;
  const value = f.value;
  if (trimWsp(value) === '*') return keep(f, CONTACTS, '*');
  try {
    return keep(f, CONTACTS, readNameAddrList(value));
  } catch (e) {
    throw invalid(f, e);
  }
}

export function cseqOf(f: HeaderField): CSeq {
  const v = View.read(f, CSEQ) as CSeq | undefined;
  if (v !== undefined) return v;
  try {
    return keep(f, CSEQ, readCSeq(f.value));
  } catch (e) {
    throw invalid(f, e);
  }
}

function required(msg: SipMessage, name: string): HeaderField {
  const f = findFirst(msg, name);
  if (f === undefined) throw new SipSyntaxError(`Missing ${canonicalHeaderName(name)} header`);
  return f;
}

/** Every Via of the message, top first. */
export function getVias(msg: SipMessage): Via[] {
  const out: Via[] = [];
  for (const f of findAll(msg, 'Via')) for (const v of viaOf(f)) out.push(v);
  return out;
}

/** The top Via (§8.2.6.2, §18.2.2: where responses go). Throws SipSyntaxError when there is none. */
export function getTopVia(msg: SipMessage): Via {
  return viaOf(required(msg, 'Via'))[0];
}

export function getFrom(msg: SipMessage): NameAddr {
  return nameAddrOf(required(msg, 'From'));
}

export function getTo(msg: SipMessage): NameAddr {
  return nameAddrOf(required(msg, 'To'));
}

export function getCallId(msg: SipMessage): string {
  return required(msg, 'Call-ID').value;
}

export function getCSeq(msg: SipMessage): CSeq {
  return cseqOf(required(msg, 'CSeq'));
}

export function getMaxForwards(msg: SipMessage): number | undefined {
  const f = findFirst(msg, 'Max-Forwards');
  if (f === undefined) return undefined;
  try {
    return readMaxForwards(f.value);
  } catch (e) {
    throw invalid(f, e);
  }
}

/** All Contacts in order; '*' when a Contact field is the wildcard; [] when there is no Contact. */
export function getContacts(msg: SipMessage): NameAddr[] | '*' {
  const out: NameAddr[] = [];
  for (const f of findAll(msg, 'Contact')) {
    const v = contactsOf(f);
    if (v === '*') return '*';
    for (const c of v) out.push(c);
  }
  return out;
}

function nameAddrs(msg: SipMessage, name: string): NameAddr[] {
  const out: NameAddr[] = [];
  for (const f of findAll(msg, name)) for (const na of nameAddrListOf(f)) out.push(na);
  return out;
}

export function getRoutes(msg: SipMessage): NameAddr[] {
  return nameAddrs(msg, 'Route');
}

export function getRecordRoutes(msg: SipMessage): NameAddr[] {
  return nameAddrs(msg, 'Record-Route');
}

/** Expires in seconds (values above 2^32-1 read as 2^32-1), or undefined when absent. */
export function getExpires(msg: SipMessage): number | undefined {
  const f = findFirst(msg, 'Expires');
  if (f === undefined) return undefined;
  try {
    return readDeltaSeconds(f.value);
  } catch (e) {
    throw invalid(f, e);
  }
}

/** The Content-Type value as written (media type with any parameters), or undefined. */
export function getContentType(msg: SipMessage): string | undefined {
  return getHeader(msg, 'Content-Type');
}
