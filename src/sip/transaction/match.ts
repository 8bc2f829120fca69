/**
 * Transaction matching: which transaction a received message belongs to.
 *  - responses to client transactions: §17.1.3 (top Via branch + CSeq method);
 *  - requests to server transactions with an RFC 3261 branch: §17.2.3 (branch + sent-by + method, ACK
 *    taken as INVITE);
 *  - requests without the magic cookie: the RFC 2543 rules of §17.2.3, by comparison (no key exists,
 *    because Request-URI equality is not string equality, §19.1.4).
 */
import {
  formatVia,
  getCallId,
  getCSeq,
  getFrom,
  getTo,
  getTopVia,
  getVias,
  uriEquals,
} from '../message/index.ts';
import type { NameAddr, SipMessage, SipRequest, Via } from '../message/types.ts';
import { isRfc3261Branch } from './branch.ts';

/** The top Via's branch; undefined when there is no Via or no branch. */
export function topBranch(msg: SipMessage): string | undefined {
  const branch = getVias(msg)[0]?.params.branch;
  return typeof branch === 'string' && branch !== '' ? branch : undefined;
}

/** §17.1.3: the key of a client transaction, from the branch it sent and the method of its request. */
export function clientKey(branch: string, method: string): string {
  return `${branch}\n${method}`;
}

/** The client key a response belongs to, or undefined when it carries no branch. */
export function responseKey(msg: SipMessage): string | undefined {
  const branch = topBranch(msg);
  if (branch === undefined) return undefined;
  return clientKey(branch, getCSeq(msg).method);
}

function sentBy(via: Via): string {
  return via.port === undefined ? via.host : `${via.host}:${via.port}`;
}

/**
 * §17.2.3: the server key of a request with an RFC 3261 branch, or undefined for an RFC 2543 request.
 * `asMethod` overrides the method (CANCEL looks for its INVITE, §9.2); an ACK is keyed as its INVITE.
 */
export function serverKey(req: SipRequest, asMethod?: string): string | undefined {
  const via = getTopVia(req);
  const branch = via.params.branch;
  if (typeof branch !== 'string' || !isRfc3261Branch(branch)) return undefined;
  const method = asMethod ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  return `${branch}\n${sentBy(via)}\n${method}`;
}

function tagOf(na: NameAddr): string | undefined {
  const tag = na.params.tag;
  return typeof tag === 'string' ? tag : undefined;
}

/** The fields of an RFC 2543 request that §17.2.3 compares. */
export interface LegacyIdentity {
  request: SipRequest;
  fromTag: string | undefined;
  toTag: string | undefined;
  callId: string;
  cseq: number;
  method: string;
  topVia: string;
}

export function legacyIdentity(req: SipRequest): LegacyIdentity {
  return {
    request: req,
    fromTag: tagOf(getFrom(req)),
    toTag: tagOf(getTo(req)),
    callId: getCallId(req),
    cseq: getCSeq(req).seq,
    method: req.method,
    topVia: formatVia(getTopVia(req)),
  };
}

/** The comparisons shared by every RFC 2543 rule: Request-URI, From tag, Call-ID, CSeq number, top Via. */
function sameOrigin(tx: LegacyIdentity, req: LegacyIdentity): boolean {
  return (
    tx.callId === req.callId &&
    tx.cseq === req.cseq &&
    tx.fromTag === req.fromTag &&
    tx.topVia === req.topVia &&
    uriEquals(tx.request.uri, req.request.uri)
  );
}

/**
 * §17.2.3 for a request without the magic cookie.
 *  - a retransmission (same method): also the To tag must match;
 *  - an ACK against an INVITE transaction: the ACK's To tag must match the To tag of the response the
 *    transaction sent (`responseToTag`);
 *  - a CANCEL looking for its INVITE (§9.2, `asMethod` = INVITE): matched like a retransmission of it.
 */
export function legacyMatches(
  tx: LegacyIdentity,
  req: LegacyIdentity,
  responseToTag: string | undefined,
  asMethod?: string,
): boolean {
  if (!sameOrigin(tx, req)) return false;
  if (req.method === 'ACK' && asMethod === undefined) {
    return tx.method === 'INVITE' && req.toTag === responseToTag;
  }
  return tx.method === (asMethod ?? req.method) && tx.toTag === req.toTag;
}
