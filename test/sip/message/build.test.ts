import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cloneMessage,
  createRequest,
  createResponse,
  getHeader,
  getTo,
  parseMessage,
  parseUri,
  reasonPhrase,
  type SipRequest,
  type SipUri,
  serializeMessage,
} from '../../../src/sip/message/index.ts';

const INVITE = [
  'INVITE sip:bob@biloxi.example SIP/2.0',
  'Via: SIP/2.0/UDP proxy.example;branch=z9hG4bK2',
  'v: SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bK1;received=192.0.2.1',
  'Max-Forwards: 69',
  'Record-Route: <sip:proxy.example;lr>',
  't: Bob <sip:bob@biloxi.example>',
  'From: Alice <sip:alice@atlanta.example>;tag=1928301774',
  'i: a84b4c76e66710',
  'CSeq: 314159 INVITE',
  'Timestamp: 54',
  'Contact: <sip:alice@pc33.atlanta.example>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

function request(): SipRequest {
  const r = parseMessage(INVITE);
  assert.ok(r.ok && r.message.kind === 'request');
  return r.message;
}

describe('createResponse (RFC 3261 §8.2.6)', () => {
  it('copies Via (all, in order), From, To, Call-ID, CSeq; Record-Route for 101-299', () => {
    const req = request();
    const res = createResponse(req, 180, undefined, { toTag: 'a6c85cf' });
    assert.equal(res.reason, 'Ringing');
    assert.deepEqual(
      res.headers.map((h) => h.name),
      ['Via', 'Via', 'Record-Route', 'To', 'From', 'Call-ID', 'CSeq'],
    );
    assert.equal(res.headers[1].value, 'SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bK1;received=192.0.2.1');
    assert.equal(getTo(res).params.tag, 'a6c85cf');
    assert.equal(getTo(res).displayName, 'Bob');
    assert.equal(getHeader(res, 'Call-ID'), 'a84b4c76e66710');
  });
  it('no Record-Route outside 101-299, Timestamp only in 100', () => {
    const req = request();
    assert.ok(!createResponse(req, 486).headers.some((h) => h.name === 'Record-Route'));
    assert.ok(!createResponse(req, 100).headers.some((h) => h.name === 'Record-Route'));
    assert.ok(createResponse(req, 100).headers.some((h) => h.name === 'Timestamp'));
    assert.ok(!createResponse(req, 200).headers.some((h) => h.name === 'Timestamp'));
  });
  it('keeps an existing To tag', () => {
    const r = parseMessage(
      INVITE.replace('t: Bob <sip:bob@biloxi.example>', 'To: <sip:bob@biloxi.example>;tag=old'),
    );
    assert.ok(r.ok && r.message.kind === 'request');
    assert.equal(getTo(createResponse(r.message, 200, 'OK', { toTag: 'new' })).params.tag, 'old');
  });
  it('adds a tag to a bare addr-spec To as a header parameter', () => {
    const r = parseMessage(INVITE.replace('t: Bob <sip:bob@biloxi.example>', 'To: sip:bob@biloxi.example'));
    assert.ok(r.ok && r.message.kind === 'request');
    const to = getTo(createResponse(r.message, 200, 'OK', { toTag: 'x1' }));
    assert.equal(to.params.tag, 'x1');
    assert.deepEqual((to.uri as SipUri).params, {});
  });
  it('extra headers, body and content type; serializes and parses back', () => {
    const body = Buffer.from('v=0\r\n');
    const res = createResponse(request(), 200, 'Fine', {
      toTag: 't',
      headers: [{ name: 'Contact', value: '<sip:bob@192.0.2.4>' }],
      body,
      contentType: 'application/sdp',
    });
    const back = parseMessage(serializeMessage(res), { stream: true });
    assert.ok(back.ok && back.message.kind === 'response');
    assert.equal(back.message.reason, 'Fine');
    assert.equal(getHeader(back.message, 'Content-Type'), 'application/sdp');
    assert.equal(getHeader(back.message, 'Content-Length'), '5');
    assert.deepEqual(Buffer.from(back.message.body), body);
  });
});

describe('reasonPhrase', () => {
  it('knows the RFC 3261 §21 table and later codes; falls back to the class', () => {
    assert.equal(reasonPhrase(100), 'Trying');
    assert.equal(reasonPhrase(481), 'Call/Transaction Does Not Exist');
    assert.equal(reasonPhrase(505), 'Version Not Supported');
    assert.equal(reasonPhrase(603), 'Decline');
    assert.equal(reasonPhrase(422), 'Session Interval Too Small');
    assert.equal(reasonPhrase(499), 'Client Error');
    assert.equal(reasonPhrase(299), 'Success');
  });
});

describe('createRequest / cloneMessage', () => {
  it('creates a SIP/2.0 request with its own header list', () => {
    const headers = [{ name: 'Call-ID', value: 'x' }];
    const req = createRequest({ method: 'OPTIONS', uri: parseUri('sip:h')!, headers });
    headers.push({ name: 'X', value: 'y' });
    assert.equal(req.version, 'SIP/2.0');
    assert.equal(req.headers.length, 1);
    assert.equal(req.body.length, 0);
  });
  it('a clone can be changed without touching the original', () => {
    const orig = request();
    const copy = cloneMessage(orig);
    (copy.uri as SipUri).params.lr = null;
    copy.headers.pop();
    assert.deepEqual((orig.uri as SipUri).params, {});
    assert.equal(orig.headers.length, copy.headers.length + 1);
  });
});

describe('createResponse on a refused request (SPEC S2.1: answer 400 whenever the Via reads)', () => {
  const refusedRequest = (to: string): SipRequest => {
    const r = parseMessage(INVITE.replace('t: Bob <sip:bob@biloxi.example>', to));
    assert.ok(!r.ok, 'the request should be refused');
    assert.ok(r.error.request, r.error.reason);
    assert.equal(r.error.status, 400);
    return r.error.request;
  };

  it('copies a malformed To as text, with or without a tag asked for', () => {
    const req = refusedRequest('To: "Bob <sip:bob@biloxi.example>');
    const plain = createResponse(req, 400, 'Bad Request');
    assert.equal(getHeader(plain, 'To'), '"Bob <sip:bob@biloxi.example>');
    // No tag can be added to a value that cannot be read: it goes back as it came.
    const tagged = createResponse(req, 400, 'Bad Request', { toTag: 'x1' });
    assert.equal(getHeader(tagged, 'To'), '"Bob <sip:bob@biloxi.example>');
    assert.match(
      Buffer.from(serializeMessage(tagged)).toString(),
      /\r\nTo: "Bob <sip:bob@biloxi\.example>\r\n/,
    );
  });

  it('answers a request whose To is missing, copying what is there', () => {
    const req = refusedRequest('X-Note: no To');
    const res = createResponse(req, 400, 'Missing To header');
    assert.equal(getHeader(res, 'To'), undefined);
    assert.equal(getHeader(res, 'Call-ID'), 'a84b4c76e66710');
    assert.equal(getHeader(res, 'CSeq'), '314159 INVITE');
  });
});
