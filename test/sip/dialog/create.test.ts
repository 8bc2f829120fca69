import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DialogError,
  dialogFromUacResponse,
  dialogFromUasRequest,
  dialogId,
} from '../../../src/sip/dialog/index.ts';
import { parseNameAddr, parseUri, uriEquals } from '../../../src/sip/message/index.ts';
import type { SipUri } from '../../../src/sip/message/types.ts';
import {
  aliceInvite,
  aliceReceives,
  bobReceivesInvite,
  parseRequest,
  parseResponse,
  wire,
} from './fixtures.ts';

/** The URIs of a stored route set, so that the test does not depend on how a name-addr is formatted. */
function routeUris(routeSet: string[]): string[] {
  return routeSet.map((r) => {
    const uri = parseNameAddr(r)!.uri as SipUri;
    assert.equal(uri.scheme, 'sip');
    return `${uri.host}${'x-p1' in uri.params ? ' x-p1' : ''}`;
  });
}

describe('UAS dialog (RFC 3261 §12.1.1)', () => {
  const req = parseRequest(bobReceivesInvite);
  const d = dialogFromUasRequest(req, { localTag: 'bo1', localContact: '<sip:bob@10.0.0.2:5070>' });

  test('identity: Call-ID, local tag = our To tag, remote tag = From tag', () => {
    assert.deepEqual(d.id, { callId: 'c1@10.0.0.1', localTag: 'bo1', remoteTag: 'al1' });
    assert.equal(d.role, 'uas');
    assert.equal(d.state, 'confirmed');
  });

  test('route set is the Record-Route in the order received, parameters kept', () => {
    assert.deepEqual(routeUris(d.routeSet), ['10.0.0.20', '10.0.0.10 x-p1']);
  });

  test('remote target is the Contact URI, remote seq the CSeq, local/remote URI from To/From without tag', () => {
    assert.ok(uriEquals(parseUri(d.remoteTarget)!, parseUri('sip:alice@10.0.0.1:5060')!));
    assert.equal(d.remoteSeq, 101);
    assert.equal(d.localSeq, 0);
    const local = parseNameAddr(d.localUri)!;
    const remote = parseNameAddr(d.remoteUri)!;
    assert.equal(local.displayName, 'Bob');
    assert.equal(remote.displayName, 'Alice');
    assert.equal(local.params.tag, undefined);
    assert.equal(remote.params.tag, undefined);
    assert.equal(d.localContact, '<sip:bob@10.0.0.2:5070>');
    assert.equal(d.transport, 'UDP');
    assert.equal(d.secure, false);
  });

  test('options: early state, initial local seq, transport hint', () => {
    const e = dialogFromUasRequest(req, {
      localTag: 'bo1',
      localContact: '<sip:bob@10.0.0.2>',
      state: 'early',
      localSeq: 7000,
      transport: 'TCP',
    });
    assert.equal(e.state, 'early');
    assert.equal(e.localSeq, 7000);
    assert.equal(e.transport, 'TCP');
  });

  test('the transport hint follows the top Via when not given', () => {
    const tcp = parseRequest(bobReceivesInvite.replace('SIP/2.0/UDP 10.0.0.20', 'SIP/2.0/TCP 10.0.0.20'));
    assert.equal(dialogFromUasRequest(tcp, { localTag: 'b', localContact: '<sip:b@h>' }).transport, 'TCP');
  });

  test('an RFC 2543 request without From tag gives an empty remote tag', () => {
    const old = parseRequest(bobReceivesInvite.replace(';tag=al1', ''));
    assert.equal(dialogFromUasRequest(old, { localTag: 'b', localContact: '<sip:b@h>' }).id.remoteTag, '');
  });

  test('a request without Contact, or with no local tag, forms no dialog', () => {
    const noContact = parseRequest(bobReceivesInvite.replace('Contact: <sip:alice@10.0.0.1:5060>\r\n', ''));
    assert.throws(
      () => dialogFromUasRequest(noContact, { localTag: 'b', localContact: '<sip:b@h>' }),
      (e: unknown) => e instanceof DialogError && /Contact/.test(e.message),
    );
    assert.throws(() => dialogFromUasRequest(req, { localTag: '', localContact: '<sip:b@h>' }), DialogError);
  });
});

describe('UAC dialog (RFC 3261 §12.1.2)', () => {
  const req = parseRequest(aliceInvite);

  test('a 2xx creates a confirmed dialog with the route set reversed', () => {
    const d = dialogFromUacResponse(req, parseResponse(aliceReceives('200 OK')));
    assert.deepEqual(d.id, { callId: 'c1@10.0.0.1', localTag: 'al1', remoteTag: 'bo1' });
    assert.equal(d.role, 'uac');
    assert.equal(d.state, 'confirmed');
    assert.deepEqual(routeUris(d.routeSet), ['10.0.0.10 x-p1', '10.0.0.20']);
    assert.ok(uriEquals(parseUri(d.remoteTarget)!, parseUri('sip:bob@10.0.0.2:5070;transport=tcp')!));
    assert.equal(d.localSeq, 101);
    assert.equal(d.remoteSeq, null);
    assert.equal(parseNameAddr(d.localUri)!.displayName, 'Alice');
    assert.equal(parseNameAddr(d.remoteUri)!.displayName, 'Bob');
    assert.equal(parseNameAddr(d.remoteUri)!.params.tag, undefined);
    assert.ok(uriEquals(parseNameAddr(d.localContact)!.uri, parseUri('sip:alice@10.0.0.1:5060')!));
  });

  test('Record-Route spread over several header fields is reversed as one list', () => {
    const res = parseResponse(
      aliceReceives('200 OK', {
        recordRoute: [
          'Record-Route: <sip:10.0.0.30;lr>',
          'Record-Route: <sip:10.0.0.20;lr>, <sip:10.0.0.10;lr>',
        ],
      }),
    );
    assert.deepEqual(routeUris(dialogFromUacResponse(req, res).routeSet), [
      '10.0.0.10',
      '10.0.0.20',
      '10.0.0.30',
    ]);
  });

  test('no Record-Route gives an empty route set', () => {
    const res = parseResponse(aliceReceives('200 OK', { recordRoute: [] }));
    assert.deepEqual(dialogFromUacResponse(req, res).routeSet, []);
  });

  test('a 180 with To tag creates an early dialog', () => {
    const d = dialogFromUacResponse(req, parseResponse(aliceReceives('180 Ringing')));
    assert.equal(d.state, 'early');
    assert.equal(d.id.remoteTag, 'bo1');
  });

  test('a 183 without Contact targets the Request-URI until the 2xx', () => {
    const d = dialogFromUacResponse(
      req,
      parseResponse(aliceReceives('183 Session Progress', { contact: '' })),
    );
    assert.ok(uriEquals(parseUri(d.remoteTarget)!, parseUri('sip:bob@example.com')!));
  });

  test('a 2xx without Contact is refused', () => {
    assert.throws(
      () => dialogFromUacResponse(req, parseResponse(aliceReceives('200 OK', { contact: '' }))),
      (e: unknown) => e instanceof DialogError && /Contact/.test(e.message),
    );
  });

  test('100, failures and tagless 1xx create no dialog', () => {
    for (const status of ['100 Trying', '486 Busy Here']) {
      assert.throws(() => dialogFromUacResponse(req, parseResponse(aliceReceives(status))), DialogError);
    }
    const tagless = parseResponse(aliceReceives('180 Ringing').replace(';tag=bo1', ''));
    assert.throws(() => dialogFromUacResponse(req, tagless), /without a To tag/);
  });

  test('the transport hint is the transport of our own top Via', () => {
    const tcp = parseRequest(aliceInvite.replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
    assert.equal(dialogFromUacResponse(tcp, parseResponse(aliceReceives('200 OK'))).transport, 'TCP');
  });

  test('secure only for a sips Request-URI sent over TLS', () => {
    const tls = parseRequest(
      aliceInvite.replace('INVITE sip:bob', 'INVITE sips:bob').replace('SIP/2.0/UDP', 'SIP/2.0/TLS'),
    );
    assert.equal(dialogFromUacResponse(tls, parseResponse(aliceReceives('200 OK'))).secure, true);
    assert.equal(dialogFromUacResponse(req, parseResponse(aliceReceives('200 OK'))).secure, false);
  });
});

describe('dialogId', () => {
  test('from each side of the same response', () => {
    const res = parseResponse(aliceReceives('200 OK'));
    assert.deepEqual(dialogId(res, 'uac'), { callId: 'c1@10.0.0.1', localTag: 'al1', remoteTag: 'bo1' });
    assert.deepEqual(dialogId(res, 'uas'), { callId: 'c1@10.0.0.1', localTag: 'bo1', remoteTag: 'al1' });
  });

  test('undefined while the To has no tag', () => {
    assert.equal(dialogId(parseRequest(aliceInvite), 'uas'), undefined);
  });

  test('an in-dialog request received by Bob maps to Bob dialog id', () => {
    const bye = parseRequest(
      wire([
        'BYE sip:bob@10.0.0.2:5070 SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKbye',
        'From: "Alice" <sip:alice@example.com>;tag=al1',
        'To: Bob <sip:bob@example.com>;tag=bo1',
        'Call-ID: c1@10.0.0.1',
        'CSeq: 102 BYE',
        'Content-Length: 0',
      ]),
    );
    assert.deepEqual(dialogId(bye, 'uas'), { callId: 'c1@10.0.0.1', localTag: 'bo1', remoteTag: 'al1' });
  });
});
