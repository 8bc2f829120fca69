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
import { canonicalHeaderName, LIST_HEADERS } from './header-names.ts';
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

function nameMatches(fieldName: string, canon: string, lower: string): boolean {
  if (fieldName === canon) return true;
  // Same length (other case) or a one-letter compact form: anything else cannot be the same header.
  if (fieldName.length !== canon.length && fieldName.length !== 1) return false;
  return canonicalHeaderName(fieldName).toLowerCase() === lower;
}

function findAll(msg: SipMessage, name: string): HeaderField[] {
  const canon = canonicalHeaderName(name);
  const lower = canon.toLowerCase();
  const out: HeaderField[] = [];
  for (const f of msg.headers) if (nameMatches(f.name, canon, lower)) out.push(f);
  return out;
}

function findFirst(msg: SipMessage, name: string): HeaderField | undefined {
  const canon = canonicalHeaderName(name);
  const lower = canon.toLowerCase();
  for (const f of msg.headers) if (nameMatches(f.name, canon, lower)) return f;
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
  const lower = canon.toLowerCase();
  const replacement = field(name, value);
  const out: HeaderField[] = [];
  let placed = false;
  for (const f of msg.headers) {
    if (!nameMatches(f.name, canon, lower)) out.push(f);
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
  const lower = canon.toLowerCase();
  const i = msg.headers.findIndex((h) => nameMatches(h.name, canon, lower));
  msg.headers.splice(i === -1 ? msg.headers.length : i, 0, f);
}

export function removeHeader(msg: SipMessage, name: string): void {
  const canon = canonicalHeaderName(name);
  const lower = canon.toLowerCase();
  const kept = msg.headers.filter((f) => !nameMatches(f.name, canon, lower));
  msg.headers.splice(0, msg.headers.length, ...kept);
}

// ---- typed views ----

/**
 * The parsed view of a field is kept on the field itself, in a private class field: invisible to spreads,
 * JSON, structuredClone and deep equality, and gone with the field. The field stays a plain object: a base
 * constructor that returns its argument makes `new Slot(field, view)` install the private field on `field`
 * (ECMAScript "return override"). A WeakMap would do the same, but each WeakMap.set costs about a
 * microsecond of ephemeron bookkeeping and GC, and Object.defineProperty about a quarter of one; with five
 * views per message that was most of the parse time (bench/RESULTS.md).
 */
class ReturnsTarget {
  constructor(target: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the return override is the point (see above).
    return target;
  }
}

interface ViewSlot<T> {
  read(f: HeaderField): T | undefined;
  write(f: HeaderField, v: T): T;
}

function viewSlot<T>(): ViewSlot<T> {
  class Slot extends ReturnsTarget {
    #view: T;
    constructor(target: object, view: T) {
      super(target);
      this.#view = view;
    }
    static read(target: object): T | undefined {
      return #view in target ? (target as Slot).#view : undefined;
    }
  }
  return {
    read: (f) => Slot.read(f),
    write: (f, v) => {
      // A frozen or sealed field simply goes without a cache.
      if (Object.isExtensible(f)) new Slot(f, v);
      return v;
    },
  };
}

const viaSlot = viewSlot<readonly Via[]>();
const nameAddrSlot = viewSlot<NameAddr>();
const listSlot = viewSlot<readonly NameAddr[]>();
const contactSlot = viewSlot<readonly NameAddr[] | '*'>();
const cseqSlot = viewSlot<CSeq>();

function invalid(f: HeaderField, e: unknown): SipSyntaxError {
  return new SipSyntaxError(`Invalid ${f.name} header: ${(e as Error).message}`);
}

/** The Vias of one Via field (parsed once). Throws SipSyntaxError ("Invalid Via header: ..."). */
export function viaOf(f: HeaderField): readonly Via[] {
  let v = viaSlot.read(f);
  if (v === undefined) {
    let vias: Via[];
    try {
      vias = readVia(f.value);
    } catch (e) {
      throw invalid(f, e);
    }
    v = viaSlot.write(f, vias);
  }
  return v;
}

/** The single name-addr of a From/To/Reply-To/Refer-To field (parsed once). */
export function nameAddrOf(f: HeaderField): NameAddr {
  let v = nameAddrSlot.read(f);
  if (v === undefined) {
    try {
      v = nameAddrSlot.write(f, readNameAddr(f.value));
    } catch (e) {
      throw invalid(f, e);
    }
  }
  return v;
}

/** The name-addr list of a Route/Record-Route/Path/... field (parsed once). */
export function nameAddrListOf(f: HeaderField): readonly NameAddr[] {
  let v = listSlot.read(f);
  if (v === undefined) {
    try {
      v = listSlot.write(f, readNameAddrList(f.value));
    } catch (e) {
      throw invalid(f, e);
    }
  }
  return v;
}

/** The Contacts of one Contact field, or '*' (§10.2.2, only meaningful in REGISTER). */
export function contactsOf(f: HeaderField): readonly NameAddr[] | '*' {
  let v = contactSlot.read(f);
  if (v === undefined) {
    const value = f.value;
    if (trimWsp(value) === '*') v = contactSlot.write(f, '*');
    else {
      try {
        v = contactSlot.write(f, readNameAddrList(value));
      } catch (e) {
        throw invalid(f, e);
      }
    }
  }
  return v;
}

export function cseqOf(f: HeaderField): CSeq {
  let v = cseqSlot.read(f);
  if (v === undefined) {
    try {
      v = cseqSlot.write(f, readCSeq(f.value));
    } catch (e) {
      throw invalid(f, e);
    }
  }
  return v;
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
