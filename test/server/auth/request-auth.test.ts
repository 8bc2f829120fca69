/**
 * `authenticate-requests` (SPEC S2.4) on whole SIP Servers in the simulator: with `register,invite`, a phone
 * DN's INVITE without credentials is challenged (401, nothing reaches the B2BUA), the retry with valid
 * credentials becomes a call, a wrong password is 403 and event 10-30009; a DN's own value overrides the
 * application's; a Trunk (by source address) is never challenged; the option is read at use; and in an HA
 * pair a nonce issued by the old primary is accepted by the new one (same link secret).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Config } from '../../../src/config/config.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { createLogger } from '../../../src/log/logger.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import { createRegistrarDigest } from '../../../src/server/registrar/realm.ts';
import { SipServer } from '../../../src/server/sip-server.ts';
import { answerChallenge, pickChallenge } from '../../../src/sip/auth/client.ts';
import { createRequest } from '../../../src/sip/message/build.ts';
import { getHeaderValues } from '../../../src/sip/message/headers.ts';
import type { HeaderField, SipResponse } from '../../../src/sip/message/types.ts';
import { parseUri } from '../../../src/sip/message/uri.ts';
import { TransactionLayer } from '../../../src/sip/transaction/layer.ts';
import { SipTransport } from '../../../src/sip/transport/transport.ts';
import type { Destination } from '../../../src/sip/transport/types.ts';
import { member, pairConfig, VIP } from '../../sim/pair.ts';
import { SimPhone } from '../../sim/phone.ts';

const SERVER = '192.0.2.10';
const PHONE = '192.0.2.21';
const TRUNK = '192.0.2.50';

function configYaml(appMethods: string): string {
  return `
hosts:
  h: { address: ${SERVER} }
applications:
  S:
    type: sip-server
    host: h
    options:
      TServer: { sip-port: 5060, authenticate-requests: "${appMethods}" }
scs: { host: h, link-secret: auth-test-secret-0123456789 }
dns:
  "1001": { type: Extension, options: { password: pw1001 } }
  "1002": { type: Extension }
  "1003": { type: Extension, options: { password: pw1003, authenticate-requests: register } }
  "1004": { type: Extension, options: { password: pw1004, authenticate-requests: invite } }
  "9001": { type: Trunk, options: { contact: "${TRUNK}:5060", prefix: "9" } }
`;
}

function load(yaml: string): Config {
  const r = loadConfig(yaml, 'auth-test.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

interface Attempt {
  responses: SipResponse[];
  final(): SipResponse;
}

/** A bare UAC on its own node: sends INVITEs and REGISTERs as written by the test, ACKs a 2xx. */
class Uac {
  private readonly transport: SipTransport;
  private readonly layer: TransactionLayer;
  private tags = 0;

  constructor(
    private readonly node: SimNode,
    private readonly server: Destination,
  ) {
    const host = node.hosts[0]!;
    this.transport = new SipTransport({
      net: node.net,
      clock: node.clock,
      host,
      port: 5060,
      protocols: ['UDP'],
      onMessage: (msg, inbound) => {
        if (msg.kind === 'response') this.layer.receive(msg, inbound);
      },
    });
    this.transport.listen(() => {});
    this.layer = new TransactionLayer({
      clock: node.clock,
      random: node.random,
      sender: this.transport,
      onRequest: () => {},
    });
  }

  /** The Request-URI an INVITE to `dialed` carries (the digest uri answers it). */
  inviteUri(dialed: string): string {
    return `sip:${dialed}@${this.server.host}`;
  }

  invite(
    from: string,
    dialed: string,
    o: { callId: string; cseq?: number; authorization?: string; fromTag?: string },
  ): Attempt {
    const host = this.node.hosts[0]!;
    const sdp = `v=0\r\no=p 1 1 IN IP4 ${host}\r\ns=-\r\nc=IN IP4 ${host}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n`;
    const headers: HeaderField[] = [
      { name: 'Via', value: `SIP/2.0/UDP ${host}:5060;branch=${this.layer.newBranch()};rport` },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<sip:${from}@${host}>;tag=${o.fromTag ?? `t${++this.tags}`}` },
      { name: 'To', value: `<sip:${dialed}@${this.server.host}>` },
      { name: 'Call-ID', value: o.callId },
      { name: 'CSeq', value: `${o.cseq ?? 1} INVITE` },
      { name: 'Contact', value: `<sip:${from}@${host}:5060>` },
      { name: 'Content-Type', value: 'application/sdp' },
    ];
    if (o.authorization) headers.push({ name: 'Authorization', value: o.authorization });
    const req = createRequest({
      method: 'INVITE',
      uri: parseUri(this.inviteUri(dialed))!,
      headers,
      body: Buffer.from(sdp),
    });
    return this.send(req, true);
  }

  register(dn: string): Attempt {
    const host = this.node.hosts[0]!;
    const req = createRequest({
      method: 'REGISTER',
      uri: parseUri(`sip:${this.server.host}`)!,
      headers: [
        { name: 'Via', value: `SIP/2.0/UDP ${host}:5060;branch=${this.layer.newBranch()};rport` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `<sip:${dn}@${this.server.host}>;tag=r${++this.tags}` },
        { name: 'To', value: `<sip:${dn}@${this.server.host}>` },
        { name: 'Call-ID', value: `reg-${dn}-${this.tags}` },
        { name: 'CSeq', value: '1 REGISTER' },
        { name: 'Contact', value: `<sip:${dn}@${host}:5060>` },
        { name: 'Expires', value: '300' },
      ],
    });
    return this.send(req, false);
  }

  private send(req: ReturnType<typeof createRequest>, ack2xx: boolean): Attempt {
    const responses: SipResponse[] = [];
    this.layer.sendRequest(req, this.server, {
      onResponse: (res) => {
        responses.push(res);
        if (ack2xx && res.status >= 200 && res.status < 300) this.ack(res);
      },
      onTimeout: () => {},
      onTransportError: () => {},
    });
    return {
      responses,
      final() {
        const f = responses.find((r) => r.status >= 200);
        assert.ok(f, `no final response (got ${responses.map((r) => r.status).join(', ') || 'nothing'})`);
        return f;
      },
    };
  }

  /** The ACK of a 2xx (§13.2.2.4): sent straight to the server, which is the callee's B2BUA side. */
  private ack(ok: SipResponse): void {
    const host = this.node.hosts[0]!;
    const field = (name: string) => ok.headers.find((h) => h.name === name)!.value;
    this.transport.sendRequest(
      createRequest({
        method: 'ACK',
        uri: parseUri(`sip:${this.server.host}:${this.server.port}`)!,
        headers: [
          { name: 'Via', value: `SIP/2.0/UDP ${host}:5060;branch=${this.layer.newBranch()};rport` },
          { name: 'Max-Forwards', value: '70' },
          { name: 'From', value: field('From') },
          { name: 'To', value: field('To') },
          { name: 'Call-ID', value: field('Call-ID') },
          { name: 'CSeq', value: `${field('CSeq').split(' ')[0]} ACK` },
        ],
      }),
      this.server,
    );
  }
}

/** The Authorization answering the 401 `challenged` for an INVITE from `dn` to `uri`. */
function answer(
  challenged: SipResponse,
  uri: string,
  dn: string,
  password: string,
  pick = pickChallenge,
): string {
  const challenge = pick(getHeaderValues(challenged, 'WWW-Authenticate'));
  assert.ok(challenge, 'an answerable challenge');
  return answerChallenge({
    challenge,
    method: 'INVITE',
    uri,
    username: dn,
    password,
    cnonce: 'c0ffee0123456789',
    nc: 1,
  });
}

interface Bench {
  sim: Simulator;
  server: SipServer;
  phone: Uac;
  trunk: Uac;
  events: { event: string; params: Record<string, unknown> }[];
  calls: string[];
}

function bench(appMethods = 'register,invite'): Bench {
  const sim = new Simulator({ seed: 'authenticate-requests' });
  const node = sim.addNode('S', [SERVER]);
  const events: Bench['events'] = [];
  const server = new SipServer({
    clock: node.clock,
    random: node.random,
    net: node.net,
    config: load(configYaml(appMethods)),
    app: 'S',
    logger: createLogger({
      app: 'S',
      level: 'all',
      destination: {
        write(line: string) {
          const e = JSON.parse(line) as { event?: string; params?: Record<string, unknown> };
          if (e.event) events.push({ event: e.event, params: e.params ?? {} });
        },
      },
    }),
  });
  server.start(() => {});
  const calls: string[] = [];
  server.b2bua.onCallEvent((e) => calls.push(`${e.type} ${e.thisDn}`));
  const target = { transport: 'UDP' as const, host: SERVER, port: 5060 };
  const callee = new SimPhone(sim.addNode('1002', ['192.0.2.22']), '1002', target, { answerAfterMs: 100 });
  callee.register();
  sim.runFor(1000);
  const phone = new Uac(sim.addNode('phone', [PHONE]), target);
  const trunk = new Uac(sim.addNode('trunk', [TRUNK]), target);
  return { sim, server, phone, trunk, events, calls };
}

describe('authenticate-requests: register,invite on the application', () => {
  test('an INVITE without credentials gets 401 with the challenge; nothing reaches the B2BUA', () => {
    const b = bench();
    const first = b.phone.invite('1001', '1002', { callId: 'c1' });
    b.sim.runFor(2000);
    const res = first.final();
    assert.equal(res.status, 401);
    assert.deepEqual(
      first.responses.map((r) => r.status),
      [401],
      'no 100 Trying: the B2BUA never saw it',
    );
    const challenges = getHeaderValues(res, 'WWW-Authenticate');
    assert.equal(challenges.length, 2);
    assert.match(challenges[0]!, /^Digest realm="duet".*algorithm=MD5/);
    assert.match(challenges[1]!, /algorithm=SHA-256/);
    assert.match(challenges[0]!, /qop="auth"/);
    assert.deepEqual(b.calls, []);
    assert.equal(b.server.store.callCount, 0);
  });

  test('the retried INVITE with valid credentials (SHA-256 or MD5) becomes a call', () => {
    for (const pick of [pickChallenge, (v: readonly string[]) => v.find((c) => /MD5/.test(c))]) {
      const b = bench();
      const first = b.phone.invite('1001', '1002', { callId: 'c2', fromTag: 'ft' });
      b.sim.runFor(2000);
      const authorization = answer(first.final(), b.phone.inviteUri('1002'), '1001', 'pw1001', pick);
      const retry = b.phone.invite('1001', '1002', { callId: 'c2', cseq: 2, fromTag: 'ft', authorization });
      b.sim.runFor(3000);
      assert.equal(retry.final().status, 200, retry.responses.map((r) => r.status).join(','));
      assert.deepEqual(b.calls.slice(0, 2), ['Dialing 1001', 'Ringing 1002']);
      assert.ok(b.calls.includes('Established 1001'), b.calls.join(', '));
      assert.equal(b.server.store.callCount, 1);
      assert.equal(b.events.filter((e) => e.event === '10-30009').length, 0);
    }
  });

  test('a wrong password gets 403 and event 10-30009; no call', () => {
    const b = bench();
    const first = b.phone.invite('1001', '1002', { callId: 'c3', fromTag: 'ft' });
    b.sim.runFor(2000);
    const authorization = answer(first.final(), b.phone.inviteUri('1002'), '1001', 'not-the-password');
    const retry = b.phone.invite('1001', '1002', { callId: 'c3', cseq: 2, fromTag: 'ft', authorization });
    b.sim.runFor(2000);
    assert.equal(retry.final().status, 403);
    const logged = b.events.filter((e) => e.event === '10-30009');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.params.dn, '1001');
    assert.equal(logged[0]!.params.source, `${PHONE}:5060`);
    assert.match(String(logged[0]!.params.reason), /^INVITE: wrong password/);
    assert.deepEqual(b.calls, []);
  });

  test('credentials of another DN (the password of 1003 for a call as 1001) get 403', () => {
    const b = bench();
    const first = b.phone.invite('1001', '1002', { callId: 'c4', fromTag: 'ft' });
    b.sim.runFor(2000);
    const authorization = answer(first.final(), b.phone.inviteUri('1002'), '1003', 'pw1003');
    const retry = b.phone.invite('1001', '1002', { callId: 'c4', cseq: 2, fromTag: 'ft', authorization });
    b.sim.runFor(2000);
    assert.equal(retry.final().status, 403);
    assert.match(String(b.events.find((e) => e.event === '10-30009')?.params.reason), /unknown user/);
  });

  test("a DN's own authenticate-requests (register) overrides the application's: its INVITE is not challenged", () => {
    const b = bench();
    const call = b.phone.invite('1003', '1002', { callId: 'c5' });
    b.sim.runFor(3000);
    assert.equal(call.final().status, 200);
    assert.ok(b.calls.includes('Established 1003'), b.calls.join(', '));
  });

  test('a DN without a password is never challenged', () => {
    const b = bench();
    const call = b.phone.invite('1002', '1002', { callId: 'c6' });
    b.sim.runFor(2000);
    assert.notEqual(call.final().status, 401);
  });

  test('a Trunk, recognised by its source address, is never challenged, even with a DN with a password in From', () => {
    const b = bench();
    const call = b.trunk.invite('1001', '1002', { callId: 'c7' });
    b.sim.runFor(3000);
    assert.equal(call.final().status, 200);
    // An inbound call: the trunk is no monitored party (an internal call from 1001 would show Dialing 1001).
    assert.deepEqual(b.calls.slice(0, 2), ['Ringing 1002', 'Established 1002'], b.calls.join(', '));
    // The same INVITE from the phone's address is challenged: the source address is what is trusted.
    const fromPhone = b.phone.invite('1001', '1002', { callId: 'c8' });
    b.sim.runFor(2000);
    assert.equal(fromPhone.final().status, 401);
  });

  test('an unknown caller is still refused by the B2BUA (403), without a challenge', () => {
    const b = bench();
    const call = b.phone.invite('7777', '1002', { callId: 'c9' });
    b.sim.runFor(2000);
    assert.equal(call.final().status, 403);
    assert.equal(call.final().reason, 'Caller is not a DN of this switch');
  });

  test('REGISTER follows the option too: invite alone on a DN leaves its REGISTER unchallenged', () => {
    const b = bench();
    const r1004 = b.phone.register('1004');
    const r1001 = b.phone.register('1001');
    b.sim.runFor(2000);
    assert.equal(r1004.final().status, 200);
    assert.equal(r1001.final().status, 401);
    const call = b.phone.invite('1004', '1002', { callId: 'c10' });
    b.sim.runFor(2000);
    assert.equal(call.final().status, 401, 'its INVITE is challenged');
  });
});

describe('authenticate-requests: default and reload', () => {
  test('the default (register) does not challenge INVITEs: calls work as before', () => {
    const sim = new Simulator({ seed: 'auth-default' });
    const node = sim.addNode('S', [SERVER]);
    const yaml = configYaml('x').replace(', authenticate-requests: "x"', '');
    const config = load(yaml);
    assert.deepEqual(
      config.applications.S?.type === 'sip-server' &&
        config.applications.S.options.tserver.authenticateRequests,
      ['register'],
    );
    const server = new SipServer({
      clock: node.clock,
      random: node.random,
      net: node.net,
      config,
      app: 'S',
      logger: createLogger({ app: 'S', level: 'standard', destination: { write() {} } }),
    });
    server.start(() => {});
    const target = { transport: 'UDP' as const, host: SERVER, port: 5060 };
    new SimPhone(sim.addNode('1002', ['192.0.2.22']), '1002', target, { answerAfterMs: 100 }).register();
    sim.runFor(1000);
    const phone = new Uac(sim.addNode('phone', [PHONE]), target);
    const call = phone.invite('1001', '1002', { callId: 'd1' });
    const reg = phone.register('1001');
    sim.runFor(3000);
    assert.equal(call.final().status, 200);
    assert.equal(reg.final().status, 401, 'REGISTER is still challenged');
  });

  test('takes effect immediately: after a reload to register, the next INVITE is not challenged', () => {
    const b = bench();
    const before = b.phone.invite('1001', '1002', { callId: 'e1' });
    b.sim.runFor(2000);
    assert.equal(before.final().status, 401);
    b.server.reconfigure(load(configYaml('register')));
    const after = b.phone.invite('1001', '1002', { callId: 'e2' });
    b.sim.runFor(3000);
    assert.equal(after.final().status, 200);
  });
});

describe('authenticate-requests in an HA pair', () => {
  test('a nonce from the old primary is accepted by the new one (same link secret); a foreign nonce is not', () => {
    const sim = new Simulator({ seed: 'auth-pair' });
    const config = pairConfig(
      'hot-standby',
      '  "1010": { type: Extension, options: { password: pw1010, authenticate-requests: "register,invite" } }',
    );
    const nodeA = sim.addNode('SIP_A', ['192.0.2.1']);
    const nodeB = sim.addNode('SIP_B', ['192.0.2.2']);
    const a = member(nodeA, 'SIP_A', 'SIP_B', config);
    const b = member(nodeB, 'SIP_B', 'SIP_A', config);
    nodeA.addHost(VIP);
    a.gate.set('Primary');
    sim.runFor(3000);
    const target = { transport: 'UDP' as const, host: VIP, port: 5060 };
    new SimPhone(sim.addNode('1002', ['192.0.2.22']), '1002', target, { answerAfterMs: 100 }).register();
    sim.runFor(1000);
    const phone = new Uac(sim.addNode('phone', [PHONE]), target);

    const first = phone.invite('1010', '1002', { callId: 'p1', fromTag: 'ft' });
    sim.runFor(2000);
    assert.equal(first.final().status, 401, 'challenged by A');
    const authorization = answer(first.final(), phone.inviteUri('1002'), '1010', 'pw1010');

    // A fails; B takes the VIP and the primary role.
    nodeA.crash();
    sim.runFor(500);
    nodeA.removeHost(VIP);
    nodeB.addHost(VIP);
    b.gate.set('Primary');
    sim.runFor(1000);

    // Control: a nonce signed with another secret is refused by B (so what follows is the shared secret).
    const foreign = createRegistrarDigest(
      { clock: nodeB.clock, random: nodeB.random },
      'another-secret-0123456789',
    ).challenge();
    const forged = answerChallenge({
      challenge: foreign[0]!,
      method: 'INVITE',
      uri: phone.inviteUri('1002'),
      username: '1010',
      password: 'pw1010',
      cnonce: 'c0ffee0123456789',
      nc: 1,
    });
    const refused = phone.invite('1010', '1002', { callId: 'p2', authorization: forged });
    sim.runFor(2000);
    assert.equal(refused.final().status, 403);
    assert.match(
      String(b.events.find((e) => e.event === '10-30009')?.params.reason),
      /not issued by this server/,
    );

    const retry = phone.invite('1010', '1002', { callId: 'p1', cseq: 2, fromTag: 'ft', authorization });
    sim.runFor(3000);
    assert.equal(retry.final().status, 200, 'B accepts the nonce A issued');
    assert.equal(b.server.store.callCount, 1);
  });
});
