/**
 * The registrar service (SPEC S2.4, RFC 3261 §10.3): REGISTER for Extension and ACD Position DNs, with digest
 * authentication for DNs that have a `password`, several contacts per DN, absolute expiry times and
 * out-of-order protection. Every binding change is one record in the replicated store (ContactBound,
 * ContactRemoved), so the backup and the persistent contact store see exactly what the primary decided.
 *
 * Choices where RFC 3261 leaves room:
 * - Any Request-URI domain is accepted (step 1): a Duet pair is the registrar of one domain, its own.
 * - The address of record is the To URI's user part (or a tel URI's number), which must be the number of an
 *   Extension or ACD Position DN; anything else is 404 (step 3 / 5).
 * - The digest username must be the DN's number; any other is 403, as a wrong password is (a new challenge
 *   would only invite guessing). The realm is REGISTRAR_REALM (realm.ts). A REGISTER is challenged when the
 *   DN has a password and its `authenticate-requests` (else the application's, default `register`) names
 *   register (server/auth/request-auth.ts, shared with the INVITE check).
 * - A binding's `source` is where the REGISTER came from (transport, address, port), so requests reach a
 *   phone behind NAT at the address its REGISTER was seen from, not at its private Contact.
 * - Only sip: and sips: contacts are accepted: the B2BUA can reach nothing else.
 * - A backup sends no SIP at all (SPEC S4.1): a REGISTER reaching it is dropped unanswered, the phone's
 *   retransmissions reach the new primary.
 */
import type { Dn } from '../../config/config.ts';
import type { Contact } from '../../model/contact.ts';
import type { DigestServer } from '../../sip/auth/server.ts';
import { createResponse } from '../../sip/message/build.ts';
import { SipSyntaxError } from '../../sip/message/errors.ts';
import { getCallId, getCSeq, getHeaderValues, getTo } from '../../sip/message/headers.ts';
import type { HeaderField, SipRequest } from '../../sip/message/types.ts';
import type { ServerTransaction } from '../../sip/transaction/layer.ts';
import type { Inbound } from '../../sip/transport/types.ts';
import { RequestAuthenticator } from '../auth/request-auth.ts';
import type { ServerContext } from '../context.ts';
import { type BindingChange, planRegister } from './binding-plan.ts';
import { ContactExpiry } from './contact-expiry.ts';
import { type ExpiresPolicy, expiresPolicy } from './expires-policy.ts';

export interface RegistrarOptions {
  digest: DigestServer;
  /** Seconds; default 60. */
  minExpires?: number;
  /** Seconds; default 3600. */
  maxExpires?: number;
  /** Seconds; default 3600. */
  defaultExpires?: number;
}

/** The DN types that register (SPEC S2.5: the phones). */
const REGISTERING_TYPES: ReadonlySet<string> = new Set(['Extension', 'ACD Position']);

export class Registrar {
  readonly policy: Readonly<ExpiresPolicy>;
  private readonly auth: RequestAuthenticator;
  private readonly expiry: ContactExpiry;

  constructor(
    private readonly ctx: ServerContext,
    opts: RegistrarOptions,
  ) {
    this.policy = expiresPolicy(opts);
    this.auth = new RequestAuthenticator(ctx, opts.digest);
    this.expiry = new ContactExpiry(ctx.clock, ctx.store, ctx.gate, (c) => this.remove(c, 'expired'));
  }

  /** Arms the expiry timer: at startup and on promotion. */
  start(): void {
    this.expiry.start();
  }

  /** Clears the expiry timer: on demotion and at shutdown. */
  stop(): void {
    this.expiry.stop();
  }

  /** When the expiry timer fires next (undefined when stopped or nothing is registered). */
  get nextExpiry(): number | undefined {
    return this.expiry.nextExpiry;
  }

  /** The DN's unexpired bindings, best first: q descending, then the most recently registered. */
  lookup(dn: string): Contact[] {
    return this.ctx.store
      .contacts(dn, this.ctx.clock.now())
      .map((c) => ({ ...c, source: { ...c.source } }))
      .sort((a, b) => b.q - a.q || b.registeredAt - a.registeredAt);
  }

  /** A REGISTER with its new server transaction (RFC 3261 §10.3). Never throws: bad input gets its 4xx. */
  handleRegister(req: SipRequest, tx: ServerTransaction, inbound: Inbound): void {
    if (!this.ctx.gate.mayAct()) return;
    const toTag = this.ctx.random.hex(10);
    const respond = (status: number, reason?: string, headers?: HeaderField[]): void => {
      tx.respond(createResponse(req, status, reason, { toTag, headers }));
    };
    try {
      this.register(req, inbound, respond);
    } catch (e) {
      if (e instanceof SipSyntaxError) respond(400, e.message);
      else {
        this.ctx.logger.debug('REGISTER failed', { error: String(e), callId: safeCallId(req) });
        respond(500, 'Server Internal Error');
      }
    }
  }

  private register(
    req: SipRequest,
    inbound: Inbound,
    respond: (status: number, reason?: string, headers?: HeaderField[]) => void,
  ): void {
    if (req.method !== 'REGISTER') {
      respond(405, undefined, [{ name: 'Allow', value: 'REGISTER' }]);
      return;
    }
    // §10.3 step 2 (§8.2.2.3): we support no extension a REGISTER could require.
    const required = getHeaderValues(req, 'Require');
    if (required.length > 0) {
      respond(420, undefined, [{ name: 'Unsupported', value: required.join(', ') }]);
      return;
    }
    const dn = this.dnOf(req);
    if (dn === undefined) {
      respond(404);
      return;
    }
    if (this.auth.applies(dn, 'register')) {
      const decision = this.auth.check(req, dn, inbound);
      if (decision.outcome !== 'ok') {
        respond(decision.status, undefined, decision.outcome === 'challenge' ? decision.headers : undefined);
        return;
      }
    }

    const now = this.ctx.clock.now();
    const existing = this.ctx.store.contacts(dn.number, Number.NEGATIVE_INFINITY);
    const plan = planRegister(req, existing, this.policy, now);
    if (!plan.ok) {
      respond(plan.status, plan.reason, plan.headers);
      return;
    }
    const callId = getCallId(req);
    const cseq = getCSeq(req).seq;
    for (const change of plan.changes) this.apply(dn.number, change, { callId, cseq, inbound, now });

    // §10.3 step 8: every current binding with the time it has left, and the registrar's Date.
    const headers: HeaderField[] = this.ctx.store.contacts(dn.number, now).map((c) => ({
      name: 'Contact',
      value: `<${c.uri}>;expires=${Math.ceil((c.expiresAt - now) / 1000)}${c.q === 1 ? '' : `;q=${c.q}`}`,
    }));
    headers.push({ name: 'Date', value: new Date(now).toUTCString() });
    respond(200, undefined, headers);
  }

  private apply(
    aor: string,
    change: BindingChange,
    at: { callId: string; cseq: number; inbound: Inbound; now: number },
  ): void {
    if (change.kind === 'remove') {
      const c = this.ctx.store.contacts(aor, Number.NEGATIVE_INFINITY).find((x) => x.uri === change.uri);
      if (c !== undefined) this.remove(c, 'unregistered');
      return;
    }
    const contact: Contact = {
      aor,
      uri: change.uri,
      expiresAt: at.now + change.expires * 1000,
      callId: at.callId,
      cseq: at.cseq,
      q: change.q,
      source: { transport: at.inbound.transport, host: at.inbound.source.host, port: at.inbound.source.port },
      registeredAt: at.now,
    };
    this.ctx.store.commit({ type: 'ContactBound', contact });
    this.ctx.logger.event('10-40001', { dn: aor, contact: change.uri, expires: change.expires });
  }

  private remove(c: Readonly<Contact>, cause: 'unregistered' | 'expired'): void {
    this.ctx.store.commit({ type: 'ContactRemoved', aor: c.aor, uri: c.uri, cause });
    this.ctx.logger.event('10-40002', { dn: c.aor, contact: c.uri, reason: cause });
  }

  /** The Extension / ACD Position DN the To URI names (§10.3 step 5), or undefined. */
  private dnOf(req: SipRequest): Dn | undefined {
    const uri = getTo(req).uri;
    let user: string | undefined;
    if (uri.scheme === 'sip' || uri.scheme === 'sips') user = 'user' in uri ? uri.user : undefined;
    else if (uri.scheme === 'tel' && 'number' in uri) user = uri.number;
    if (user === undefined || user === '') return undefined;
    const dn = this.ctx.dn(user);
    return dn !== undefined && REGISTERING_TYPES.has(dn.type) ? dn : undefined;
  }
}

function safeCallId(req: SipRequest): string {
  try {
    return getCallId(req);
  } catch {
    return '?';
  }
}
