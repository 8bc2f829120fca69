/**
 * Digest authentication of the requests a phone DN sends (SPEC S2.4, RFC 3261 §22), shared by the registrar
 * (REGISTER) and the SIP Server's INVITE check (`authenticate-requests`, Genesys SIP Server's option name).
 *
 * - Which methods are challenged: the DN's own `authenticate-requests`, else the application's (default
 *   `register`), read at use so a reload takes effect at once. A DN without a password is never challenged.
 * - One DigestServer (realm "duet", stateless HMAC nonces signed with the pair's link secret) serves both
 *   methods, so a nonce from the 401 of one server of a pair is accepted by the other after a failover.
 * - No or stale credentials: 401 with WWW-Authenticate (MD5 first, then SHA-256). Anything else wrong (wrong
 *   password, a username other than the DN's number, a nonce this pair did not issue): 403 and event
 *   10-30009; a new challenge would only invite guessing.
 */
import type { Dn } from '../../config/config.ts';
import type { AuthenticatedMethod } from '../../config/options/tserver.ts';
import { parseCredentials } from '../../sip/auth/credentials.ts';
import type { DigestServer } from '../../sip/auth/server.ts';
import { createResponse } from '../../sip/message/build.ts';
import { getFrom, getHeaderValues } from '../../sip/message/headers.ts';
import type { HeaderField, SipRequest, SipResponse } from '../../sip/message/types.ts';
import { formatUri, parseUri, uriEquals } from '../../sip/message/uri.ts';
import type { Inbound } from '../../sip/transport/types.ts';
import { trunkAt } from '../b2bua/targets.ts';
import type { ServerContext } from '../context.ts';

/** What to do with a request: go on, or answer it with `status` (401 carries the challenge headers). */
export type AuthDecision =
  | { outcome: 'ok' }
  | { outcome: 'challenge'; status: 401; headers: HeaderField[] }
  | { outcome: 'refused'; status: 403 };

/** The phone DN types, the only ones that are challenged (trunks are trusted by source address, S2.7). */
const PHONE_TYPES: ReadonlySet<string> = new Set(['Extension', 'ACD Position']);

export class RequestAuthenticator {
  constructor(
    private readonly ctx: ServerContext,
    readonly digest: DigestServer,
  ) {}

  /** The methods challenged for `dn`: its own authenticate-requests, else the application's. */
  methodsFor(dn: Dn): readonly AuthenticatedMethod[] {
    return dn.options.authenticateRequests ?? this.ctx.app().options.tserver.authenticateRequests;
  }

  /** Whether a `method` request from phone DN `dn` must carry valid credentials. */
  applies(dn: Dn, method: AuthenticatedMethod): boolean {
    const password = dn.options.password;
    return (
      PHONE_TYPES.has(dn.type) &&
      password !== undefined &&
      password !== '' &&
      this.methodsFor(dn).includes(method)
    );
  }

  /** Checks the request's Authorization against `dn`'s password; logs 10-30009 when it is refused. */
  check(req: SipRequest, dn: Dn, inbound: Inbound): AuthDecision {
    const password = dn.options.password ?? '';
    const authorization = getHeaderValues(req, 'Authorization');
    const verdict = this.digest.verify({
      method: req.method,
      authorization,
      lookup: (username) => (username === dn.number ? { password } : undefined),
      requestUri: this.digestUriToCheck(req, authorization),
    });
    switch (verdict.outcome) {
      case 'ok':
        return { outcome: 'ok' };
      case 'missing':
      case 'stale':
        return { outcome: 'challenge', status: 401, headers: this.challenge(verdict.outcome === 'stale') };
      case 'failed':
        this.ctx.logger.event('10-30009', {
          dn: dn.number,
          source: `${inbound.source.host}:${inbound.source.port}`,
          reason: `${req.method}: ${verdict.reason}`,
        });
        return { outcome: 'refused', status: 403 };
    }
  }

  /**
   * An initial INVITE (SPEC S2.4): the answer to send instead of handing it to the B2BUA, or undefined to
   * hand it on. The caller is recognised as the B2BUA does (targets.ts): a Trunk by its source address (never
   * challenged), else the phone DN in the From URI; an unknown caller is left to the B2BUA (403).
   */
  checkInvite(req: SipRequest, inbound: Inbound): SipResponse | undefined {
    const config = this.ctx.config();
    if (trunkAt(config, inbound.source.host, inbound.source.port) !== undefined) return undefined;
    const from = getFrom(req).uri;
    const user = 'user' in from ? from.user : 'number' in from ? from.number : undefined;
    const dn = user ? config.dns[user] : undefined;
    if (dn === undefined || !this.applies(dn, 'invite')) return undefined;
    const decision = this.check(req, dn, inbound);
    if (decision.outcome === 'ok') return undefined;
    return createResponse(req, decision.status, undefined, {
      toTag: this.ctx.random.hex(10),
      headers: decision.outcome === 'challenge' ? decision.headers : undefined,
    });
  }

  /**
   * RFC 2617 §3.2.2.5: the credentials' uri must be the Request-URI. DigestServer compares text, but our
   * parser normalizes what it reads (host case, escapes), so the URIs are compared as URIs (§19.1.4) here:
   * an equal one is passed on as it was written, anything else as our text of the Request-URI, which fails.
   */
  private digestUriToCheck(req: SipRequest, authorization: readonly string[]): string {
    for (const value of authorization) {
      const parsed = parseCredentials(value);
      if (!parsed.ok || parsed.value.realm !== this.digest.realm) continue;
      const uri = parseUri(parsed.value.uri);
      if (uri !== undefined && uriEquals(uri, req.uri)) return parsed.value.uri;
    }
    return formatUri(req.uri);
  }

  private challenge(stale: boolean): HeaderField[] {
    return this.digest.challenge({ stale }).map((value) => ({ name: 'WWW-Authenticate', value }));
  }
}
