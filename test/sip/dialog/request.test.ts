import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildAck,
  buildInDialogRequest,
  DialogError,
  type DialogState,
  dialogFromUacResponse,
  dialogFromUasRequest,
} from '../../../src/sip/dialog/index.ts';
import {
  getCallId,
  getContacts,
  getCSeq,
  getFrom,
  getHeader,
  getRoutes,
  getTo,
  getTopVia,
  getVias,
  hasHeader,
  parseUri,
  uriEquals,
} from '../../../src/sip/message/index.ts';
import type { SipRequest, SipUri, Uri } from '../../../src/sip/message/types.ts';
import {
  aliceInvite,
  aliceReceives,
  bobReceivesInvite,
  onTheWire,
  parseRequest,
  parseResponse,
  via,
} from './fixtures.ts';

const uri = (text: string): Uri => parseUri(text)!;
const routeHosts = (req: SipRequest): string[] => getRoutes(req).map((r) => (r.uri as SipUri).host);

function aliceDialog(recordRoute?: string[]): DialogState {
  const res = parseResponse(aliceReceives('200 OK', recordRoute ? { recordRoute } : {}));
  return dialogFromUacResponse(parseRequest(aliceInvite), res);
}

describe('loose routing (RFC 3261 §12.2.1.1)', () => {
  const before = aliceDialog();
  const frozen = structuredClone(before);
  const { request, state, destination } = buildInDialogRequest(before, 'BYE', via);
  const bye = onTheWire(request);

  test('Request-URI is the remote target; Route is the route set in order', () => {
    assert.ok(uriEquals(bye.uri, uri('sip:bob@10.0.0.2:5070;transport=tcp')));
    assert.deepEqual(routeHosts(bye), ['10.0.0.10', '10.0.0.20']);
    assert.equal((getRoutes(bye)[0]!.uri as SipUri).params['x-p1'], 'yes');
  });

  test('the request goes to the first Route, with the dialog transport', () => {
    assert.deepEqual(destination, { transport: 'UDP', host: '10.0.0.10', port: 5060 });
  });

  test('From/To carry the tags, Call-ID and CSeq follow the dialog, Max-Forwards is 70', () => {
    assert.equal(bye.method, 'BYE');
    assert.equal(getFrom(bye)!.params.tag, 'al1');
    assert.equal(getFrom(bye)!.displayName, 'Alice');
    assert.ok(uriEquals(getFrom(bye)!.uri, uri('sip:alice@example.com')));
    assert.equal(getTo(bye)!.params.tag, 'bo1');
    assert.ok(uriEquals(getTo(bye)!.uri, uri('sip:bob@example.com')));
    assert.equal(getCallId(bye), 'c1@10.0.0.1');
    assert.deepEqual(getCSeq(bye), { seq: 102, method: 'BYE' });
    assert.equal(getHeader(bye, 'Max-Forwards'), '70');
    assert.equal(getHeader(bye, 'Content-Length'), '0');
  });

  test('one Via with our sent-by, the given branch and the next hop transport', () => {
    assert.equal(getVias(bye).length, 1);
    const v = getTopVia(bye)!;
    assert.equal(v.transport, 'UDP');
    assert.equal(v.host, '10.0.0.1');
    assert.equal(v.port, 5060);
    assert.equal(v.params.branch, 'z9hG4bKnew1');
  });

  test('BYE carries no Contact (§20 Table 3)', () => {
    assert.equal(hasHeader(bye, 'Contact'), false);
  });

  test('the new state has localSeq advanced; the old one is untouched', () => {
    assert.equal(state.localSeq, 102);
    assert.deepEqual(before, frozen);
    assert.deepEqual({ ...state, localSeq: 101 }, before);
  });
});

describe('strict routing (RFC 3261 §12.2.1.1)', () => {
  const d = aliceDialog([
    'Record-Route: <sip:10.0.0.20;lr>, <sip:p1.example.com:5080;transport=tcp;method=INVITE>',
  ]);
  const { request, destination } = buildInDialogRequest(d, 'BYE', via);
  const bye = onTheWire(request);

  test('the first route becomes the Request-URI, without parameters a Request-URI may not carry', () => {
    assert.ok(uriEquals(bye.uri, uri('sip:p1.example.com:5080;transport=tcp')));
    assert.equal((bye.uri as SipUri).params.method, undefined);
  });

  test('the remaining routes follow, then the remote target as the last Route', () => {
    const routes = getRoutes(bye);
    assert.equal(routes.length, 2);
    assert.ok(uriEquals(routes[0]!.uri, uri('sip:10.0.0.20;lr')));
    assert.ok(uriEquals(routes[1]!.uri, uri('sip:bob@10.0.0.2:5070;transport=tcp')));
  });

  test('the request goes to the Request-URI (host name left for the caller to resolve)', () => {
    assert.deepEqual(destination, { transport: 'TCP', host: 'p1.example.com', port: 5080 });
    assert.equal(getTopVia(bye)!.transport, 'TCP');
  });
});

describe('no route set', () => {
  test('Request-URI and destination are the remote target, with its transport param', () => {
    const { request, destination } = buildInDialogRequest(aliceDialog([]), 'INFO', via);
    assert.ok(uriEquals(request.uri, uri('sip:bob@10.0.0.2:5070;transport=tcp')));
    assert.equal(hasHeader(request, 'Route'), false);
    assert.deepEqual(destination, { transport: 'TCP', host: '10.0.0.2', port: 5070 });
  });

  test('IPv6 target: destination host without brackets; IPv6 sent-by gets brackets', () => {
    const d = { ...aliceDialog([]), remoteTarget: 'sip:bob@[2001:db8::2]' };
    const { request, destination } = buildInDialogRequest(d, 'INFO', { ...via, viaHost: '2001:db8::1' });
    assert.deepEqual(destination, { transport: 'UDP', host: '2001:db8::2', port: 5060 });
    assert.equal(getTopVia(onTheWire(request))!.host, '[2001:db8::1]');
  });

  test('maddr names the host to send to', () => {
    const d = { ...aliceDialog([]), remoteTarget: 'sip:bob@example.com:5062;maddr=10.9.9.9' };
    assert.deepEqual(buildInDialogRequest(d, 'INFO', via).destination, {
      transport: 'UDP',
      host: '10.9.9.9',
      port: 5062,
    });
  });

  test('the transport option replaces the dialog hint, not an explicit transport param', () => {
    const d = { ...aliceDialog([]), remoteTarget: 'sip:bob@10.0.0.2' };
    assert.equal(buildInDialogRequest(d, 'INFO', { ...via, transport: 'TCP' }).destination.transport, 'TCP');
    const tcpParam = aliceDialog([]);
    assert.equal(
      buildInDialogRequest(tcpParam, 'INFO', { ...via, transport: 'UDP' }).destination.transport,
      'TCP',
    );
  });

  test('a transport we do not have, or a non-sip target, is a DialogError', () => {
    const tls = { ...aliceDialog([]), remoteTarget: 'sip:bob@10.0.0.2;transport=tls' };
    assert.throws(() => buildInDialogRequest(tls, 'INFO', via), /transport=tls/);
    const tel = { ...aliceDialog([]), remoteTarget: 'tel:+15551234' };
    assert.throws(() => buildInDialogRequest(tel, 'INFO', via), DialogError);
  });
});

describe('CSeq (RFC 3261 §12.2.1.1)', () => {
  test('each new request increments localSeq; ACK and CANCEL reuse it', () => {
    let d = aliceDialog();
    const seen: string[] = [];
    for (const method of ['INVITE', 'CANCEL', 'ACK', 'INFO', 'UPDATE']) {
      const r = buildInDialogRequest(d, method, via);
      const cseq = getCSeq(r.request);
      seen.push(`${cseq.seq} ${cseq.method}`);
      d = r.state;
    }
    assert.deepEqual(seen, ['102 INVITE', '102 CANCEL', '102 ACK', '103 INFO', '104 UPDATE']);
    assert.equal(d.localSeq, 104);
  });

  test('a UAS dialog starts from its initial local seq', () => {
    const bob = dialogFromUasRequest(parseRequest(bobReceivesInvite), {
      localTag: 'bo1',
      localContact: '<sip:bob@10.0.0.2:5070>',
      localSeq: 500,
    });
    const r = buildInDialogRequest(bob, 'BYE', via);
    assert.equal(getCSeq(r.request).seq, 501);
    assert.equal(r.state.localSeq, 501);
  });

  test('a CSeq past 2^31-1 is refused', () => {
    assert.throws(
      () => buildInDialogRequest({ ...aliceDialog(), localSeq: 2 ** 31 - 1 }, 'INFO', via),
      /2\^31/,
    );
  });
});

describe('target refresh requests and bodies', () => {
  test('a re-INVITE carries our Contact and the body with its type and length', () => {
    const sdp = 'v=0\r\no=alice 1 2 IN IP4 10.0.0.1\r\ns=-\r\n';
    const { request } = buildInDialogRequest(aliceDialog(), 'INVITE', {
      ...via,
      body: sdp,
      contentType: 'application/sdp',
      headers: [{ name: 'Supported', value: 'timer' }],
    });
    const inv = onTheWire(request);
    const contacts = getContacts(inv);
    assert.ok(contacts !== '*' && contacts.length === 1);
    assert.ok(uriEquals(contacts[0]!.uri, uri('sip:alice@10.0.0.1:5060')));
    assert.equal(getHeader(inv, 'Content-Type'), 'application/sdp');
    assert.equal(getHeader(inv, 'Content-Length'), String(sdp.length));
    assert.equal(getHeader(inv, 'Supported'), 'timer');
    assert.equal(new TextDecoder().decode(inv.body), sdp);
  });

  test('a body without a content type is refused', () => {
    assert.throws(() => buildInDialogRequest(aliceDialog(), 'INFO', { ...via, body: 'x' }), /contentType/);
  });
});

describe('ACK for a 2xx (RFC 3261 §13.2.2.4)', () => {
  test('same CSeq number as the INVITE, method ACK, new branch, dialog routing, state unchanged', () => {
    const d = aliceDialog();
    const { request, state, destination } = buildAck(d, 101, { ...via, branch: 'z9hG4bKack1' });
    const ack = onTheWire(request);
    assert.equal(ack.method, 'ACK');
    assert.deepEqual(getCSeq(ack), { seq: 101, method: 'ACK' });
    assert.equal(getTopVia(ack)!.params.branch, 'z9hG4bKack1');
    assert.ok(uriEquals(ack.uri, uri('sip:bob@10.0.0.2:5070;transport=tcp')));
    assert.deepEqual(routeHosts(ack), ['10.0.0.10', '10.0.0.20']);
    assert.equal(getTo(ack)!.params.tag, 'bo1');
    assert.deepEqual(destination, { transport: 'UDP', host: '10.0.0.10', port: 5060 });
    assert.equal(state, d);
  });

  test('ACK for a re-INVITE uses that re-INVITE number', () => {
    const reinvite = buildInDialogRequest(aliceDialog(), 'INVITE', via);
    const ack = buildAck(reinvite.state, getCSeq(reinvite.request).seq, { ...via, branch: 'z9hG4bKack2' });
    assert.deepEqual(getCSeq(ack.request), { seq: 102, method: 'ACK' });
  });
});

describe('refusals', () => {
  test('no request in a terminated dialog', () => {
    const d: DialogState = { ...aliceDialog(), state: 'terminated' };
    assert.throws(() => buildInDialogRequest(d, 'BYE', via), /terminated/);
  });

  test('a UAS may not send BYE on an early dialog (§15)', () => {
    const bob = dialogFromUasRequest(parseRequest(bobReceivesInvite), {
      localTag: 'bo1',
      localContact: '<sip:bob@10.0.0.2:5070>',
      state: 'early',
    });
    assert.throws(() => buildInDialogRequest(bob, 'BYE', via), /early/);
    assert.doesNotThrow(() => buildInDialogRequest(bob, 'UPDATE', via));
  });

  test('a corrupt stored field is named in the error', () => {
    assert.throws(
      () => buildInDialogRequest({ ...aliceDialog(), remoteTarget: 'bob at home' }, 'INFO', via),
      (e) => {
        return e instanceof DialogError && e.message.includes('remoteTarget');
      },
    );
    const badRoute = { ...aliceDialog(), routeSet: ['<sip:10.0.0.10;lr'] };
    assert.throws(() => buildInDialogRequest(badRoute, 'INFO', via), /routeSet\[0\]/);
  });

  test('a branch without the magic cookie, or a bad method, is refused', () => {
    assert.throws(() => buildInDialogRequest(aliceDialog(), 'BYE', { ...via, branch: 'abc' }), /z9hG4bK/);
    assert.throws(() => buildInDialogRequest(aliceDialog(), 'B YE', via), DialogError);
  });
});
