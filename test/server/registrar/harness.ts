/**
 * A registrar on a test bench: a manual clock, a recording sender under a real TransactionLayer, a Store, a
 * role gate the test can flip, a small configuration loaded from YAML, and a logger writing into an array.
 * `register()` feeds a REGISTER through the transaction layer as the transport would and returns the answer.
 */

import type { Config, SipServerApp } from '../../../src/config/config.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { Store } from '../../../src/model/store/store.ts';
import { SeededRandom } from '../../../src/runtime/random.ts';
import type { ServerContext } from '../../../src/server/context.ts';
import { createRegistrarDigest } from '../../../src/server/registrar/realm.ts';
import { Registrar, type RegistrarOptions } from '../../../src/server/registrar/registrar.ts';
import type { Role, RoleGate } from '../../../src/server/role-gate.ts';
import { answerChallenge, pickChallenge } from '../../../src/sip/auth/client.ts';
import { getHeaderValues } from '../../../src/sip/message/headers.ts';
import type { SipRequest, SipResponse } from '../../../src/sip/message/types.ts';
import { TransactionLayer } from '../../../src/sip/transaction/layer.ts';
import type { Inbound, TransportProtocol } from '../../../src/sip/transport/types.ts';
import { ManualClock, parse, RecordingSender } from '../../sip/transaction/helpers.ts';

export const CONFIG_YAML = `
hosts:
  h1:
    address: 192.0.2.10
applications:
  SIP_A:
    type: sip-server
    host: h1
    options:
      TServer: {}
scs:
  host: h1
dns:
  "1001":
    type: Extension
    options:
      password: secret1001
  "1002":
    type: Extension
  "2001":
    type: ACD Position
  "5000":
    type: Routing Point
  "9001":
    type: Trunk
    options:
      contact: 192.0.2.50:5060
`;

/** A gate whose role the test sets: Primary acts, Backup does not. */
export class TestGate implements RoleGate {
  role: Role = 'Primary';
  private readonly listeners = new Set<(role: Role) => void>();

  mayAct(): boolean {
    return this.role === 'Primary';
  }

  onChange(listener: (role: Role) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(role: Role): void {
    this.role = role;
    for (const l of this.listeners) l(role);
  }
}

export interface LoggedEvent {
  event: string;
  params: Record<string, unknown>;
  msg: string;
}

export interface Bench {
  clock: ManualClock;
  sender: RecordingSender;
  store: Store;
  gate: TestGate;
  registrar: Registrar;
  ctx: ServerContext;
  lines: string[];
  /** Logged registry events, in order. */
  events(id?: string): LoggedEvent[];
}

export const PHONE: Inbound = {
  transport: 'UDP',
  source: { host: '198.51.100.7', port: 40000 },
  local: { host: '192.0.2.10', port: 5060 },
};

export function loadTestConfig(): Config {
  const r = loadConfig(CONFIG_YAML, 'registrar-test.yaml');
  if (!r.ok) throw new Error(`test config does not load: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.config;
}

export function bench(
  options: {
    store?: Store;
    clock?: ManualClock;
    registrar?: Omit<RegistrarOptions, 'digest'>;
    nonceLifetimeMs?: number;
  } = {},
): Bench {
  const clock = options.clock ?? new ManualClock(1_700_000_000_000);
  const random = new SeededRandom('registrar-test');
  const sender = new RecordingSender(clock);
  const store = options.store ?? new Store();
  const gate = new TestGate();
  const config = loadTestConfig();
  const lines: string[] = [];
  const logger = createLogger({
    app: 'SIP_A',
    level: 'all',
    destination: { write: (line) => lines.push(line) },
    clock,
  });
  let registrar: Registrar | undefined;
  const transactions = new TransactionLayer({
    clock,
    random,
    sender,
    onRequest: (req, tx, inbound) => {
      if (tx !== null && req.method === 'REGISTER') registrar!.handleRegister(req, tx, inbound);
    },
  });
  const ctx: ServerContext = {
    clock,
    random,
    store,
    gate,
    logger,
    config: () => config,
    app: () => config.applications.SIP_A as SipServerApp,
    dn: (n) => config.dns[n],
    transactions,
    sender,
    local: { host: '192.0.2.10', port: 5060, transport: 'UDP' },
  };
  const digest = createRegistrarDigest(
    { clock, random },
    'a shared secret of the pair',
    options.nonceLifetimeMs === undefined ? {} : { nonceLifetimeMs: options.nonceLifetimeMs },
  );
  registrar = new Registrar(ctx, { digest, ...options.registrar });
  return {
    clock,
    sender,
    store,
    gate,
    registrar,
    ctx,
    lines,
    events: (id) =>
      lines
        .map((l) => JSON.parse(l) as LoggedEvent)
        .filter((e) => e.event !== undefined && (id === undefined || e.event === id)),
  };
}

export interface RegisterInit {
  dn?: string;
  /** Contact header values; each becomes one Contact header field. */
  contacts?: string[];
  expires?: number | string;
  callId?: string;
  cseq?: number;
  authorization?: string;
  /** Extra raw header lines. */
  extra?: string[];
  transport?: TransportProtocol;
}

let branchCounter = 0;

export function registerRequest(init: RegisterInit = {}): SipRequest {
  const dn = init.dn ?? '1002';
  const lines = [
    'REGISTER sip:192.0.2.10 SIP/2.0',
    `Via: SIP/2.0/${init.transport ?? 'UDP'} 10.1.1.7:5060;branch=z9hG4bK-reg-${++branchCounter};rport`,
    'Max-Forwards: 70',
    `From: <sip:${dn}@192.0.2.10>;tag=ph${dn}`,
    `To: <sip:${dn}@192.0.2.10>`,
    `Call-ID: ${init.callId ?? `call-${dn}@10.1.1.7`}`,
    `CSeq: ${init.cseq ?? 1} REGISTER`,
  ];
  for (const c of init.contacts ?? [`<sip:${dn}@10.1.1.7:5060>`]) lines.push(`Contact: ${c}`);
  if (init.expires !== undefined) lines.push(`Expires: ${init.expires}`);
  if (init.authorization !== undefined) lines.push(`Authorization: ${init.authorization}`);
  for (const x of init.extra ?? []) lines.push(x);
  lines.push('Content-Length: 0', '', '');
  return parse(lines.join('\r\n')) as SipRequest;
}

/** Feeds `req` to the transaction layer as received from `inbound`; returns the final response it caused. */
export function send(b: Bench, req: SipRequest, inbound: Inbound = PHONE): SipResponse | undefined {
  const before = b.sender.sent.length;
  b.ctx.transactions.receive(req, inbound);
  const out = b.sender.sent.slice(before).filter((r) => r.message.kind === 'response');
  return out.at(-1)?.message as SipResponse | undefined;
}

export function register(b: Bench, init: RegisterInit = {}, inbound: Inbound = PHONE): SipResponse {
  const res = send(b, registerRequest(init), inbound);
  if (res === undefined) throw new Error('the registrar sent no response');
  return res;
}

/**
 * The digest dance of a phone: REGISTER, expect 401, answer the strongest challenge with `password` and
 * `username`, send again with CSeq + 1. Returns both responses.
 */
export function registerWithAuth(
  b: Bench,
  init: RegisterInit & { password: string; username?: string },
  inbound: Inbound = PHONE,
): { challenge: SipResponse; final: SipResponse } {
  const challenge = register(b, init, inbound);
  if (challenge.status !== 401) throw new Error(`expected 401, got ${challenge.status}`);
  const picked = pickChallenge(getHeaderValues(challenge, 'WWW-Authenticate'));
  if (picked === undefined) throw new Error('no answerable challenge');
  const authorization = answerChallenge({
    challenge: picked,
    method: 'REGISTER',
    uri: 'sip:192.0.2.10',
    username: init.username ?? init.dn ?? '1002',
    password: init.password,
    cnonce: 'c0ffee',
    nc: 1,
  });
  const final = register(b, { ...init, cseq: (init.cseq ?? 1) + 1, authorization }, inbound);
  return { challenge, final };
}

/** The Contact values of a response, as written. */
export function contactsOf(res: SipResponse): string[] {
  return getHeaderValues(res, 'Contact');
}
