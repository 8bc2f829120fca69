/**
 * What a REGISTER asks of an address of record's bindings, decided before anything is committed (RFC 3261
 * §10.3 steps 6-7). The plan is all or nothing: step 7 says the updates are made visible "if and only if all
 * binding updates and additions succeed", so every contact is checked first and a refusal changes nothing.
 * Pure: no clock, no store, no I/O.
 */

import type { Contact } from '../../model/contact.ts';
import { isExpired } from '../../model/contact.ts';
import { getCallId, getContacts, getCSeq, getExpires, getHeaderValues } from '../../sip/message/headers.ts';
import type { HeaderField, NameAddr, SipRequest, Uri } from '../../sip/message/types.ts';
import { formatUri, parseUri, uriEquals } from '../../sip/message/uri.ts';
import type { ExpiresPolicy } from './expires-policy.ts';

export type BindingChange =
  /** Add or refresh: `expires` is the granted interval in seconds (> 0, capped at maxExpires). */
  { kind: 'bind'; uri: string; expires: number; q: number } | { kind: 'remove'; uri: string };

export type RegisterPlan =
  | { ok: true; changes: BindingChange[] }
  | { ok: false; status: number; reason: string; headers?: HeaderField[] };

/** RFC 3261 §20.10 / §25.1: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ). */
const QVALUE = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/;
const DELTA_SECONDS = /^\d+$/;
const MAX_DELTA = 0xffffffff;

/**
 * Plans the binding changes of `req` for the bindings `existing` (every binding the store holds for the AOR,
 * expired or not). Malformed Contact / Expires headers throw SipSyntaxError (the caller answers 400).
 */
export function planRegister(
  req: SipRequest,
  existing: readonly Contact[],
  policy: ExpiresPolicy,
  now: number,
): RegisterPlan {
  const callId = getCallId(req);
  const cseq = getCSeq(req).seq;
  const headerExpires = getExpires(req);
  const values = getHeaderValues(req, 'Contact').map((v) => v.trim());

  if (values.includes('*')) return planRemoveAll(values, headerExpires, existing, callId, cseq, now);

  const contacts = getContacts(req) as NameAddr[];
  const known = existing.map((c) => ({ contact: c, uri: parseUri(c.uri) }));
  // One change per binding: a URI listed twice in one request takes its last value.
  const changes = new Map<string, BindingChange>();
  for (const na of contacts) {
    const scheme = na.uri.scheme;
    if (scheme !== 'sip' && scheme !== 'sips') {
      return refuse(400, `Contact URI scheme "${scheme}" is not supported (sip or sips only)`);
    }
    const asked = requestedExpires(na, headerExpires, policy);
    if (typeof asked === 'string') return refuse(400, asked);
    if (asked > 0 && asked < policy.minExpires) {
      // §10.3 step 6: 423 with the shortest interval this registrar accepts.
      return {
        ok: false,
        status: 423,
        reason: 'Interval Too Brief',
        headers: [{ name: 'Min-Expires', value: String(policy.minExpires) }],
      };
    }
    const q = qOf(na);
    if (typeof q === 'string') return refuse(400, q);

    const match = known.find((k) => k.uri !== undefined && uriEquals(k.uri, na.uri as Uri));
    const uri = match?.contact.uri ?? formatUri(na.uri);
    if (match !== undefined && !isExpired(match.contact, now) && outOfOrder(match.contact, callId, cseq)) {
      return outOfOrderRefusal(match.contact);
    }
    if (asked === 0) {
      if (match !== undefined) changes.set(uri, { kind: 'remove', uri });
      else changes.delete(uri);
    } else {
      changes.set(uri, { kind: 'bind', uri, expires: Math.min(asked, policy.maxExpires), q });
    }
  }
  return { ok: true, changes: [...changes.values()] };
}

/** §10.3 step 6: `Contact: *` must stand alone and come with Expires: 0; it removes every binding. */
function planRemoveAll(
  values: readonly string[],
  headerExpires: number | undefined,
  existing: readonly Contact[],
  callId: string,
  cseq: number,
  now: number,
): RegisterPlan {
  if (values.length !== 1) return refuse(400, 'Contact: * must be the only Contact');
  if (headerExpires !== 0) return refuse(400, 'Contact: * requires Expires: 0');
  for (const c of existing) {
    if (!isExpired(c, now) && outOfOrder(c, callId, cseq)) return outOfOrderRefusal(c);
  }
  return { ok: true, changes: existing.map((c) => ({ kind: 'remove', uri: c.uri })) };
}

/** §10.3 step 7: a binding made by this Call-ID with the same or a higher CSeq is newer than the request. */
function outOfOrder(c: Contact, callId: string, cseq: number): boolean {
  return c.callId === callId && cseq <= c.cseq;
}

function outOfOrderRefusal(c: Contact): RegisterPlan {
  // §10.3 step 7 says only that "the request fails"; 500 is what implementations send (and what a UA
  // retries with a fresh CSeq), with a reason phrase that says why.
  return refuse(500, `Out of order REGISTER: CSeq must be above ${c.cseq} for this Call-ID`);
}

/** The contact's `expires` parameter, else the Expires header, else the default (§10.2.1.1); or an error. */
function requestedExpires(
  na: NameAddr,
  headerExpires: number | undefined,
  policy: ExpiresPolicy,
): number | string {
  if (Object.hasOwn(na.params, 'expires')) {
    const v = na.params.expires;
    if (v === null || v === undefined || !DELTA_SECONDS.test(v)) {
      return `Invalid expires parameter "${v ?? ''}" in Contact (delta-seconds expected)`;
    }
    return Math.min(Number(v), MAX_DELTA);
  }
  return headerExpires ?? policy.defaultExpires;
}

function qOf(na: NameAddr): number | string {
  if (!Object.hasOwn(na.params, 'q')) return 1;
  const v = na.params.q;
  if (v === null || v === undefined || !QVALUE.test(v)) {
    return `Invalid q parameter "${v ?? ''}" in Contact (0 to 1, at most 3 decimals)`;
  }
  return Number(v);
}

function refuse(status: number, reason: string): RegisterPlan {
  return { ok: false, status, reason };
}
