/**
 * The registrar (SPEC S2.4, RFC 3261 §10.3) through a real TransactionLayer: the response each REGISTER gets
 * and the records it commits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoreRecord } from '../../../src/model/store/records.ts';
import { expiresPolicy } from '../../../src/server/registrar/expires-policy.ts';
import { answerChallenge } from '../../../src/sip/auth/client.ts';
import { getHeader, getHeaderValues, getTo } from '../../../src/sip/message/headers.ts';
import { bench, contactsOf, PHONE, register, registerRequest, registerWithAuth, send } from './harness.ts';

const T0 = 1_700_000_000_000;

function recordsOf(b: ReturnType<typeof bench>): { at: number; r: StoreRecord }[] {
  const out: { at: number; r: StoreRecord }[] = [];
  b.store.onRecord((r) => out.push({ at: b.clock.now(), r }));
  return out;
}

describe('who may register (§10.3 steps 3, 5)', () => {
  test('an unknown DN gets 404 and nothing is committed', () => {
    const b = bench();
    const res = register(b, { dn: '4444' });
    assert.equal(res.status, 404);
    assert.equal(b.store.contactCount, 0);
  });

  test('a Routing Point or a Trunk DN cannot register (404); an ACD Position can', () => {
    const b = bench();
    assert.equal(register(b, { dn: '5000' }).status, 404);
    assert.equal(register(b, { dn: '9001' }).status, 404);
    assert.equal(register(b, { dn: '2001' }).status, 200);
    assert.equal(b.store.contactCount, 1);
  });

  test('a To URI without a user part gets 404', () => {
    const b = bench();
    const req = registerRequest();
    req.headers = req.headers.map((h) => (h.name === 'To' ? { name: 'To', value: '<sip:192.0.2.10>' } : h));
    assert.equal(send(b, req)?.status, 404);
  });

  test('a REGISTER requiring an extension gets 420 with Unsupported (§8.2.2.3)', () => {
    const b = bench();
    const res = register(b, { extra: ['Require: path, foo'] });
    assert.equal(res.status, 420);
    assert.equal(getHeader(res, 'Unsupported'), 'path, foo');
    assert.equal(b.store.contactCount, 0);
  });
});

describe('a DN without a password', () => {
  test('registers at once: 200 lists the binding with expires, a Date and a To tag', () => {
    const b = bench();
    const records = recordsOf(b);
    const res = register(b, { dn: '1002' });
    assert.equal(res.status, 200);
    assert.deepEqual(contactsOf(res), ['<sip:1002@10.1.1.7:5060>;expires=3600']);
    assert.equal(getHeader(res, 'Date'), new Date(T0).toUTCString());
    assert.ok(getTo(res).params.tag, 'the 200 carries a To tag (§8.2.6.2)');
    assert.equal(records.length, 1);
    assert.deepEqual(records[0]!.r, {
      type: 'ContactBound',
      contact: {
        aor: '1002',
        uri: 'sip:1002@10.1.1.7:5060',
        expiresAt: T0 + 3_600_000,
        callId: 'call-1002@10.1.1.7',
        cseq: 1,
        q: 1,
        source: { transport: 'UDP', host: '198.51.100.7', port: 40000 },
        registeredAt: T0,
      },
    });
    const logged = b.events('10-40001');
    assert.equal(logged.length, 1);
    assert.deepEqual(logged[0]!.params, { dn: '1002', contact: 'sip:1002@10.1.1.7:5060', expires: 3600 });
  });

  test('the source is where the REGISTER came from (NAT), over its transport', () => {
    const b = bench();
    register(
      b,
      { transport: 'TCP' },
      { ...PHONE, transport: 'TCP', source: { host: '203.0.113.9', port: 51000 } },
    );
    const [c] = b.registrar.lookup('1002');
    assert.deepEqual(c!.source, { transport: 'TCP', host: '203.0.113.9', port: 51000 });
    assert.equal(c!.uri, 'sip:1002@10.1.1.7:5060', 'the Contact is kept as registered');
  });
});

describe('digest authentication (RFC 3261 §22, RFC 8760)', () => {
  test('no credentials: 401 with one challenge per algorithm (SHA-256 first), realm "duet"; nothing bound', () => {
    const b = bench();
    const res = register(b, { dn: '1001' });
    assert.equal(res.status, 401);
    const challenges = getHeaderValues(res, 'WWW-Authenticate');
    assert.equal(challenges.length, 2);
    assert.match(challenges[0]!, /^Digest .*algorithm=SHA-256/);
    assert.match(challenges[1]!, /^Digest .*algorithm=MD5/);
    for (const c of challenges) assert.match(c, /realm="duet"/);
    assert.doesNotMatch(challenges[0]!, /stale/i);
    assert.equal(b.store.contactCount, 0);
  });

  test('the right answer gets 200 with the binding listed', () => {
    const b = bench();
    const { final } = registerWithAuth(b, { dn: '1001', password: 'secret1001' });
    assert.equal(final.status, 200);
    assert.deepEqual(contactsOf(final), ['<sip:1001@10.1.1.7:5060>;expires=3600']);
    assert.equal(b.registrar.lookup('1001').length, 1);
  });

  test('an MD5 answer is accepted too', () => {
    const b = bench();
    const challenge = register(b, { dn: '1001' });
    const md5 = getHeaderValues(challenge, 'WWW-Authenticate').find((v) => v.includes('MD5'))!;
    const authorization = answerChallenge({
      challenge: md5,
      method: 'REGISTER',
      uri: 'sip:192.0.2.10',
      username: '1001',
      password: 'secret1001',
      cnonce: 'abc',
      nc: 1,
    });
    assert.equal(register(b, { dn: '1001', cseq: 2, authorization }).status, 200);
  });

  test('a wrong password gets 403, is logged (10-30009) and binds nothing', () => {
    const b = bench();
    const { final } = registerWithAuth(b, { dn: '1001', password: 'guess' });
    assert.equal(final.status, 403);
    assert.equal(b.store.contactCount, 0);
    const logged = b.events('10-30009');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.params.dn, '1001');
    assert.equal(logged[0]!.params.source, '198.51.100.7:40000');
    assert.match(String(logged[0]!.params.reason), /wrong password/);
  });

  test('a username other than the DN gets 403, even with the right password', () => {
    const b = bench();
    const { final } = registerWithAuth(b, { dn: '1001', password: 'secret1001', username: '1002' });
    assert.equal(final.status, 403);
    assert.match(String(b.events('10-30009')[0]!.params.reason), /unknown user/);
    assert.equal(b.store.contactCount, 0);
  });

  test('credentials for another Request-URI get 403', () => {
    const b = bench();
    const challenge = register(b, { dn: '1001' });
    const authorization = answerChallenge({
      challenge: getHeaderValues(challenge, 'WWW-Authenticate')[0]!,
      method: 'REGISTER',
      uri: 'sip:elsewhere.example.com',
      username: '1001',
      password: 'secret1001',
      cnonce: 'abc',
      nc: 1,
    });
    assert.equal(register(b, { dn: '1001', cseq: 2, authorization }).status, 403);
    assert.equal(b.store.contactCount, 0);
  });

  test('an expired nonce gets 401 stale=true; answering the new nonce succeeds', () => {
    const b = bench({ nonceLifetimeMs: 10_000 });
    const first = register(b, { dn: '1001' });
    b.clock.advance(10_001);
    const answer = (challenge: string, cseq: number) =>
      register(b, {
        dn: '1001',
        cseq,
        authorization: answerChallenge({
          challenge,
          method: 'REGISTER',
          uri: 'sip:192.0.2.10',
          username: '1001',
          password: 'secret1001',
          cnonce: 'abc',
          nc: 1,
        }),
      });
    const stale = answer(getHeaderValues(first, 'WWW-Authenticate')[0]!, 2);
    assert.equal(stale.status, 401);
    for (const c of getHeaderValues(stale, 'WWW-Authenticate')) assert.match(c, /stale=true/i);
    assert.equal(b.store.contactCount, 0);
    assert.equal(answer(getHeaderValues(stale, 'WWW-Authenticate')[0]!, 3).status, 200);
  });

  test('a replayed answer (same nonce count) is refused with 403', () => {
    const b = bench();
    const challenge = register(b, { dn: '1001' });
    const authorization = answerChallenge({
      challenge: getHeaderValues(challenge, 'WWW-Authenticate')[0]!,
      method: 'REGISTER',
      uri: 'sip:192.0.2.10',
      username: '1001',
      password: 'secret1001',
      cnonce: 'abc',
      nc: 1,
    });
    assert.equal(register(b, { dn: '1001', cseq: 2, authorization }).status, 200);
    assert.equal(register(b, { dn: '1001', cseq: 3, authorization }).status, 403);
  });
});

describe('bindings (§10.3 steps 6-8)', () => {
  test('several contacts in one REGISTER; lookup orders by q, then most recent', () => {
    const b = bench();
    const res = register(b, {
      contacts: ['<sip:a@10.1.1.1>;q=0.5', '<sip:b@10.1.1.2>;q=0.9, <sip:c@10.1.1.3>'],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(contactsOf(res).sort(), [
      '<sip:a@10.1.1.1>;expires=3600;q=0.5',
      '<sip:b@10.1.1.2>;expires=3600;q=0.9',
      '<sip:c@10.1.1.3>;expires=3600',
    ]);
    b.clock.advance(1000);
    register(b, { contacts: ['<sip:d@10.1.1.4>;q=0.5'], callId: 'other-phone', cseq: 1 });
    assert.deepEqual(
      b.registrar.lookup('1002').map((c) => c.uri),
      ['sip:c@10.1.1.3', 'sip:b@10.1.1.2', 'sip:d@10.1.1.4', 'sip:a@10.1.1.1'],
    );
  });

  test('a refresh replaces the binding: new expiry, new CSeq; the 200 lists the other bindings too', () => {
    const b = bench();
    register(b, { contacts: ['<sip:1002@10.1.1.7>'], expires: 600 });
    register(b, { contacts: ['<sip:desk@10.1.1.8>'], expires: 600, callId: 'desk', cseq: 1 });
    b.clock.advance(100_000);
    const res = register(b, { contacts: ['<sip:1002@10.1.1.7>'], expires: 600, cseq: 2 });
    assert.equal(res.status, 200);
    assert.deepEqual(contactsOf(res).sort(), [
      '<sip:1002@10.1.1.7>;expires=600',
      '<sip:desk@10.1.1.8>;expires=500',
    ]);
    const c = b.store.contacts('1002', b.clock.now()).find((x) => x.uri === 'sip:1002@10.1.1.7')!;
    assert.equal(c.expiresAt, T0 + 100_000 + 600_000);
    assert.equal(c.cseq, 2);
    assert.equal(c.registeredAt, T0 + 100_000);
    assert.equal(b.store.contactCount, 2);
  });

  test('an equivalent URI (§19.1.4) refreshes the same binding instead of adding one', () => {
    const b = bench();
    register(b, { contacts: ['<sip:1002@10.1.1.7;a=1;b=2>'] });
    register(b, { contacts: ['<sip:%31002@10.1.1.7;b=2;a=1>'], cseq: 2 });
    assert.equal(b.store.contactCount, 1);
    assert.equal(b.store.allContacts()[0]!.cseq, 2);
  });

  test('expires: the contact parameter wins over the header; then the header; then the default', () => {
    const b = bench();
    const res = register(b, {
      contacts: ['<sip:a@10.1.1.1>;expires=120', '<sip:b@10.1.1.2>'],
      expires: 300,
    });
    assert.deepEqual(contactsOf(res).sort(), [
      '<sip:a@10.1.1.1>;expires=120',
      '<sip:b@10.1.1.2>;expires=300',
    ]);
    const b2 = bench({ registrar: { defaultExpires: 1800 } });
    assert.deepEqual(contactsOf(register(b2)), ['<sip:1002@10.1.1.7:5060>;expires=1800']);
  });

  test('above maxExpires the interval is capped, and the 200 says so', () => {
    const b = bench();
    const res = register(b, { expires: 86_400 });
    assert.deepEqual(contactsOf(res), ['<sip:1002@10.1.1.7:5060>;expires=3600']);
    assert.equal(b.store.allContacts()[0]!.expiresAt, T0 + 3_600_000);
  });

  test('below minExpires: 423 with Min-Expires, nothing bound; 0 is not "too brief"', () => {
    const b = bench();
    const res = register(b, { expires: 30 });
    assert.equal(res.status, 423);
    assert.equal(getHeader(res, 'Min-Expires'), '60');
    assert.equal(b.store.contactCount, 0);
    const viaParam = register(b, { contacts: ['<sip:a@10.1.1.1>;expires=59'], cseq: 2 });
    assert.equal(viaParam.status, 423);
    assert.equal(register(b, { expires: 60, cseq: 3 }).status, 200);
    assert.equal(register(b, { expires: 0, cseq: 4 }).status, 200);
    assert.equal(b.store.contactCount, 0);
  });

  test('expires=0 removes one binding and keeps the others; logged as unregistered', () => {
    const b = bench();
    register(b, { contacts: ['<sip:a@10.1.1.1>', '<sip:b@10.1.1.2>'] });
    const records = recordsOf(b);
    const res = register(b, { contacts: ['<sip:a@10.1.1.1>;expires=0'], cseq: 2 });
    assert.equal(res.status, 200);
    assert.deepEqual(contactsOf(res), ['<sip:b@10.1.1.2>;expires=3600']);
    assert.deepEqual(
      records.map((x) => x.r),
      [{ type: 'ContactRemoved', aor: '1002', uri: 'sip:a@10.1.1.1', cause: 'unregistered' }],
    );
    assert.deepEqual(b.events('10-40002')[0]!.params, {
      dn: '1002',
      contact: 'sip:a@10.1.1.1',
      reason: 'unregistered',
    });
  });

  test('expires=0 for a contact that is not bound changes nothing', () => {
    const b = bench();
    const records = recordsOf(b);
    const res = register(b, { expires: 0 });
    assert.equal(res.status, 200);
    assert.deepEqual(contactsOf(res), []);
    assert.equal(records.length, 0);
  });

  test('Contact: * with Expires: 0 removes every binding of the DN, and only of that DN', () => {
    const b = bench();
    register(b, { contacts: ['<sip:a@10.1.1.1>', '<sip:b@10.1.1.2>'] });
    register(b, { dn: '2001' });
    const res = register(b, { contacts: ['*'], expires: 0, callId: 'another', cseq: 1 });
    assert.equal(res.status, 200);
    assert.deepEqual(contactsOf(res), []);
    assert.equal(b.registrar.lookup('1002').length, 0);
    assert.equal(b.registrar.lookup('2001').length, 1);
    assert.equal(b.events('10-40002').length, 2);
  });

  test('Contact: * without Expires: 0, or beside another contact, is 400 and removes nothing', () => {
    const b = bench();
    register(b);
    assert.equal(register(b, { contacts: ['*'], cseq: 2 }).status, 400);
    assert.equal(register(b, { contacts: ['*'], expires: 60, cseq: 3 }).status, 400);
    assert.equal(register(b, { contacts: ['*', '<sip:a@10.1.1.1>'], expires: 0, cseq: 4 }).status, 400);
    assert.equal(b.store.contactCount, 1);
  });

  test('a REGISTER without Contact is a query: 200 with the current bindings, nothing changes', () => {
    const b = bench();
    register(b, { contacts: ['<sip:a@10.1.1.1>'] });
    b.clock.advance(10_000);
    const records = recordsOf(b);
    const res = register(b, { contacts: [], cseq: 2 });
    assert.equal(res.status, 200);
    assert.deepEqual(contactsOf(res), ['<sip:a@10.1.1.1>;expires=3590']);
    assert.equal(records.length, 0);
  });

  test('all or nothing: one bad contact refuses the whole request (400 naming the fault)', () => {
    const b = bench();
    const res = register(b, { contacts: ['<sip:a@10.1.1.1>', '<sip:b@10.1.1.2>;q=1.5'] });
    assert.equal(res.status, 400);
    assert.match(res.reason, /q parameter "1.5"/);
    assert.equal(b.store.contactCount, 0);
    assert.match(register(b, { contacts: ['<sip:a@10.1.1.1>;expires=soon'], cseq: 2 }).reason, /expires/);
    assert.equal(register(b, { contacts: ['<tel:+15551234>'], cseq: 3 }).status, 400);
    assert.equal(register(b, { expires: 'never', cseq: 5 }).status, 400);
    assert.equal(b.store.contactCount, 0);
  });
});

describe('Call-ID and CSeq ordering (§10.3 step 7)', () => {
  test('the same Call-ID with an equal or lower CSeq gets 500 and leaves the binding as it was', () => {
    const b = bench();
    register(b, { cseq: 5, expires: 600 });
    const before = b.store.allContacts()[0];
    const same = register(b, { cseq: 5, expires: 1200 });
    assert.equal(same.status, 500);
    assert.match(same.reason, /Out of order/);
    assert.equal(register(b, { cseq: 4, expires: 0 }).status, 500);
    assert.deepEqual(b.store.allContacts(), [before]);
    assert.equal(register(b, { cseq: 6, expires: 1200 }).status, 200);
    assert.equal(b.store.allContacts()[0]!.expiresAt, T0 + 1_200_000);
  });

  test('a different Call-ID replaces the binding whatever its CSeq (the phone rebooted)', () => {
    const b = bench();
    register(b, { cseq: 50 });
    const res = register(b, { callId: 'after-reboot', cseq: 1, expires: 120 });
    assert.equal(res.status, 200);
    const [c] = b.store.allContacts();
    assert.equal(c!.callId, 'after-reboot');
    assert.equal(c!.cseq, 1);
    assert.equal(c!.expiresAt, T0 + 120_000);
  });

  test('Contact: * is refused when a binding of the same Call-ID is newer', () => {
    const b = bench();
    register(b, { cseq: 7 });
    assert.equal(register(b, { contacts: ['*'], expires: 0, cseq: 7 }).status, 500);
    assert.equal(b.store.contactCount, 1);
    assert.equal(register(b, { contacts: ['*'], expires: 0, cseq: 8 }).status, 200);
    assert.equal(b.store.contactCount, 0);
  });

  test('an expired binding does not block its Call-ID', () => {
    const b = bench();
    register(b, { cseq: 9, expires: 60 });
    b.clock.advance(60_000);
    assert.equal(register(b, { cseq: 3 }).status, 200);
    assert.equal(b.store.allContacts()[0]!.cseq, 3);
  });
});

describe('expiry (absolute expiresAt, SPEC S2.4)', () => {
  test('a binding is removed exactly at its expiry time, not a millisecond before', () => {
    const b = bench();
    b.registrar.start();
    register(b, { contacts: ['<sip:a@10.1.1.1>'], expires: 60 });
    register(b, { contacts: ['<sip:b@10.1.1.2>'], expires: 120, callId: 'b', cseq: 1 });
    const records = recordsOf(b);
    b.clock.advance(59_999);
    assert.equal(records.length, 0);
    assert.equal(b.registrar.lookup('1002').length, 2);
    b.clock.advance(1);
    assert.deepEqual(records, [
      {
        at: T0 + 60_000,
        r: { type: 'ContactRemoved', aor: '1002', uri: 'sip:a@10.1.1.1', cause: 'expired' },
      },
    ]);
    b.clock.advance(59_999);
    assert.equal(records.length, 1);
    b.clock.advance(1);
    assert.equal(records.length, 2);
    assert.equal(records[1]!.at, T0 + 120_000);
    assert.equal(b.store.contactCount, 0);
    assert.equal(b.registrar.nextExpiry, undefined, 'nothing left to wait for');
    assert.deepEqual(
      b.events('10-40002').map((e) => e.params.reason),
      ['expired', 'expired'],
    );
  });

  test('a refresh moves the expiry: the old time passes without a removal', () => {
    const b = bench();
    b.registrar.start();
    register(b, { expires: 60 });
    b.clock.advance(30_000);
    register(b, { expires: 60, cseq: 2 });
    const records = recordsOf(b);
    b.clock.advance(30_000);
    assert.equal(records.length, 0);
    b.clock.advance(29_999);
    assert.equal(records.length, 0);
    b.clock.advance(1);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.at, T0 + 90_000);
  });

  test('a new binding that expires earlier than the armed one re-arms the timer', () => {
    const b = bench();
    b.registrar.start();
    register(b, { contacts: ['<sip:long@10.1.1.1>'], expires: 3600 });
    assert.equal(b.registrar.nextExpiry, T0 + 3_600_000);
    register(b, { contacts: ['<sip:short@10.1.1.2>'], expires: 60, callId: 's', cseq: 1 });
    assert.equal(b.registrar.nextExpiry, T0 + 60_000);
    b.clock.advance(60_000);
    assert.deepEqual(
      b.store.allContacts().map((c) => c.uri),
      ['sip:long@10.1.1.1'],
    );
  });

  test('lookup ignores an expired binding even before it is removed', () => {
    const b = bench();
    register(b, { expires: 60 });
    b.clock.advance(60_000);
    assert.equal(b.store.contactCount, 1, 'not started: nothing removed it');
    assert.deepEqual(b.registrar.lookup('1002'), []);
  });

  test('stop() clears the timer', () => {
    const b = bench();
    b.registrar.start();
    register(b, { expires: 60 });
    b.registrar.stop();
    b.clock.advance(120_000);
    assert.equal(b.store.contactCount, 1);
    assert.equal(b.registrar.nextExpiry, undefined);
  });
});

describe('the backup (RoleGate.mayAct() false)', () => {
  test('sends no SIP and commits nothing for a REGISTER', () => {
    const b = bench();
    b.gate.set('Backup');
    const records = recordsOf(b);
    assert.equal(send(b, registerRequest()), undefined);
    assert.equal(b.sender.sent.length, 0);
    assert.equal(records.length, 0);
  });

  test('commits no expiry; promoted and started, it removes what expired meanwhile at once', () => {
    const b = bench();
    b.registrar.start();
    register(b, { expires: 60 });
    b.gate.set('Backup');
    const records = recordsOf(b);
    b.clock.advance(600_000);
    assert.equal(records.length, 0);
    assert.equal(b.store.contactCount, 1);
    b.gate.set('Primary');
    b.registrar.start();
    b.clock.advance(0);
    assert.deepEqual(
      records.map((x) => [x.at, x.r.type]),
      [[T0 + 600_000, 'ContactRemoved']],
    );
  });
});

describe('options', () => {
  test('out-of-range expiry options are refused with a message naming the option', () => {
    assert.throws(() => expiresPolicy({ minExpires: 0 }), /minExpires: 0 is not a whole number/);
    assert.throws(() => expiresPolicy({ minExpires: 600, maxExpires: 300 }), /minExpires: 600 is above/);
    assert.throws(() => expiresPolicy({ defaultExpires: 30 }), /defaultExpires: 30 is not in 60-3600/);
    assert.deepEqual(expiresPolicy(), { minExpires: 60, maxExpires: 3600, defaultExpires: 3600 });
  });
});
