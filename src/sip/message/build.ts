/** Building messages: responses per RFC 3261 §8.2.6, requests from parts, and copies. */
import { Buffer } from 'node:buffer';
import { SipSyntaxError } from './errors.ts';
import { canonicalHeaderName } from './header-names.ts';
import { nameAddrOf } from './headers.ts';
import { reasonPhrase } from './reason-phrases.ts';
import type { HeaderField, SipMessage, SipRequest, SipResponse, Uri } from './types.ts';
import { cloneUri } from './uri.ts';

export { reasonPhrase } from './reason-phrases.ts';

const EMPTY = Buffer.alloc(0);

export interface ResponseOptions {
  /** Added as `;tag=` to To when the request's To has no tag (§8.2.6.2). */
  toTag?: string;
  /** Extra header fields, appended after the copied ones. */
  headers?: HeaderField[];
  body?: Uint8Array;
  /** Content-Type of the body. */
  contentType?: string;
}

/**
 * A response to `req`: the Via fields (all, in order), From, To (with the tag added when asked and missing),
 * Call-ID and CSeq are copied (§8.2.6.2); a 100 also copies Timestamp (§8.2.6.1); a 101-299 copies the
 * Record-Route fields (§12.1.1), then the extra headers. Copied fields are shared (they are immutable).
 * Fields are copied as text, so this never throws on a refused request's malformed From/To/CSeq (the 400
 * of SPEC S2.1).
 */
export function createResponse(
  req: SipRequest,
  status: number,
  reason?: string,
  opts?: ResponseOptions,
): SipResponse {
  const recordRoutes = status > 100 && status < 300;
  const headers: HeaderField[] = [];
  for (const f of req.headers) {
    const name =
      f.name.length === 1 || f.name !== canonicalHeaderName(f.name) ? canonicalHeaderName(f.name) : f.name;
    switch (name) {
      case 'Via':
      case 'From':
      case 'Call-ID':
      case 'CSeq':
        headers.push(name === f.name ? f : { name, value: f.value });
        break;
      case 'To':
        if (opts?.toTag !== undefined && toNeedsTag(f)) {
          headers.push({ name, value: `${f.value};tag=${opts.toTag}` });
        } else headers.push(name === f.name ? f : { name, value: f.value });
        break;
      case 'Record-Route':
        if (recordRoutes) headers.push(name === f.name ? f : { name, value: f.value });
        break;
      case 'Timestamp':
        if (status === 100) headers.push(name === f.name ? f : { name, value: f.value });
        break;
    }
  }
  if (opts?.headers) for (const h of opts.headers) headers.push(h);
  if (opts?.contentType !== undefined) headers.push({ name: 'Content-Type', value: opts.contentType });
  return {
    kind: 'response',
    version: 'SIP/2.0',
    status,
    reason: reason ?? reasonPhrase(status),
    headers,
    body: opts?.body ?? EMPTY,
  };
}

/**
 * Whether a To field lacks a tag. A To that cannot be read (only a refused request's can be: SipParseError
 * `request`) is copied as it is: the response still goes back, and no tag can be added to an unreadable value.
 */
function toNeedsTag(f: HeaderField): boolean {
  try {
    return nameAddrOf(f).params.tag === undefined;
  } catch (e) {
    if (e instanceof SipSyntaxError) return false;
    throw e;
  }
}

export interface RequestInit {
  method: string;
  uri: Uri;
  headers: HeaderField[];
  body?: Uint8Array;
}

export function createRequest(init: RequestInit): SipRequest {
  return {
    kind: 'request',
    version: 'SIP/2.0',
    method: init.method,
    uri: init.uri,
    headers: [...init.headers],
    body: init.body ?? EMPTY,
  };
}

/**
 * A copy that can be changed without touching the original: new header list (the immutable fields are
 * shared), new Request-URI object, new body bytes.
 */
export function cloneMessage<M extends SipMessage>(msg: M): M {
  const body = msg.body.length === 0 ? EMPTY : Buffer.from(msg.body);
  if (msg.kind === 'request') {
    return { ...msg, uri: cloneUri(msg.uri), headers: [...msg.headers], body } as M;
  }
  return { ...msg, headers: [...msg.headers], body } as M;
}
