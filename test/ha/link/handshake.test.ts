import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  checkAuth,
  checkWelcome,
  clientMac,
  macMatches,
  makeAuth,
  makeHello,
  makeWelcome,
  parseHello,
  serverMac,
} from '../../../src/ha/link/handshake.ts';

const SECRET = 'a-shared-secret-of-16+';
const SN = '0123456789abcdef0123456789abcdef';
const CN = 'fedcba9876543210fedcba9876543210';

describe('handshake', () => {
  it('computes HMAC-SHA256 over the role, protocol, both nonces and the name', () => {
    const expected = createHmac('sha256', SECRET)
      .update(JSON.stringify(['client', 'ha', SN, CN, 'S1']))
      .digest('hex');
    assert.equal(clientMac(SECRET, 'ha', SN, CN, 'S1'), expected);
    // The role label and the nonce order differ: a client mac can never pass as a server mac.
    assert.notEqual(serverMac(SECRET, 'ha', CN, SN, 'S1'), clientMac(SECRET, 'ha', SN, CN, 'S1'));
    // Fields cannot be shifted into one another.
    assert.notEqual(clientMac(SECRET, 'ha', SN, CN, 'a|b'), clientMac(SECRET, 'ha|a', SN, CN, 'b'));
  });

  it('compares macs in constant time and rejects malformed ones', () => {
    const mac = clientMac(SECRET, 'ha', SN, CN, 'S1');
    assert.equal(macMatches(mac, mac), true);
    assert.equal(
      macMatches(
        mac,
        mac.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
      ),
      false,
    );
    assert.equal(macMatches(mac, mac.slice(2)), false);
    assert.equal(macMatches(mac, mac.toUpperCase()), false);
  });

  it('a full exchange succeeds with the same secret', () => {
    const hello = parseHello(makeHello('ha', ['ha'], SN));
    assert.ok(typeof hello !== 'string');
    const auth = makeAuth(SECRET, 'ha', 'S2', hello.nonce, CN, 0.5);
    const checked = checkAuth(auth, { secret: SECRET, accepted: ['ha'], serverNonce: SN });
    assert.ok(typeof checked !== 'string', String(checked));
    const welcome = makeWelcome(SECRET, checked, SN, 'S1', 2);
    const ok = checkWelcome(welcome, { secret: SECRET, protocol: 'ha', serverNonce: SN, clientNonce: CN });
    assert.ok(typeof ok !== 'string', String(ok));
    assert.equal(ok.name, 'S1');
    assert.equal(ok.addpRemoteTimeout, 2);
  });

  it('refuses a wrong secret, a wrong protocol, a replayed nonce and malformed messages', () => {
    const ctx = { secret: SECRET, accepted: ['lca-app', 'scs'], serverNonce: SN };
    assert.match(
      String(checkAuth(makeAuth('other-secret-xxxxxx', 'scs', 'L', SN, CN, 0), ctx)),
      /authentication of 'L' failed: wrong mac/,
    );
    assert.match(
      String(checkAuth(makeAuth(SECRET, 'ha', 'S', SN, CN, 0), ctx)),
      /protocol 'ha' of 'S' is not accepted here \(accepted: lca-app, scs\)/,
    );
    // An auth recorded against another server nonce does not pass.
    const replay = makeAuth(SECRET, 'scs', 'L', CN, CN, 0);
    assert.match(String(checkAuth(replay, ctx)), /wrong mac/);
    assert.match(String(checkAuth({ type: 'hello' }, ctx)), /expected an 'auth'/);
    assert.match(String(checkAuth({ ...makeAuth(SECRET, 'scs', 'L', SN, CN, 0), nonce: 'x' }, ctx)), /nonce/);
    assert.match(
      String(checkAuth({ ...makeAuth(SECRET, 'scs', 'L', SN, CN, 0), addpRemoteTimeout: -1 }, ctx)),
      /addpRemoteTimeout/,
    );
    const cctx = { secret: SECRET, protocol: 'ha', serverNonce: SN, clientNonce: CN };
    const forged = { type: 'welcome', name: 'S1', mac: serverMac('guess-guess-guess', 'ha', CN, SN, 'S1') };
    assert.match(
      String(checkWelcome({ ...forged, addpRemoteTimeout: 0 }, cctx)),
      /'S1' failed to authenticate/,
    );
    assert.match(
      String(checkWelcome({ type: 'refused', detail: 'go away' }, cctx)),
      /refused by the peer: go away/,
    );
    assert.match(String(parseHello({ type: 'hello', protocol: 'ha', nonce: 'short' })), /nonce/);
  });
});
