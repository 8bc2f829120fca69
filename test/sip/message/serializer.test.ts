import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createRequest,
  getHeader,
  parseMessage,
  parseUri,
  type SipUri,
  serializeMessage,
} from '../../../src/sip/message/index.ts';

describe('serializeMessage', () => {
  it('writes CRLF lines and exactly one correct Content-Length, in place of the first', () => {
    const req = createRequest({
      method: 'MESSAGE',
      uri: parseUri('sip:bob@h')!,
      headers: [
        { name: 'Via', value: 'SIP/2.0/UDP a;branch=z9hG4bK1' },
        { name: 'Content-Length', value: '999' },
        { name: 'To', value: '<sip:bob@h>' },
        { name: 'l', value: '3' },
      ],
      body: Buffer.from('héllo'),
    });
    const text = Buffer.from(serializeMessage(req)).toString('utf8');
    assert.equal(
      text,
      'MESSAGE sip:bob@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nContent-Length: 6\r\nTo: <sip:bob@h>\r\n\r\nhéllo',
    );
  });
  it('adds Content-Length: 0 when absent and there is no body', () => {
    const req = createRequest({ method: 'OPTIONS', uri: parseUri('sip:h')!, headers: [] });
    assert.equal(
      Buffer.from(serializeMessage(req)).toString(),
      'OPTIONS sip:h SIP/2.0\r\nContent-Length: 0\r\n\r\n',
    );
  });
  it('writes the Request-URI re-escaped and responses with their reason', () => {
    const uri: SipUri = { scheme: 'sip', user: 'a b', host: 'h', params: {}, headers: {} };
    const req = createRequest({ method: 'OPTIONS', uri, headers: [] });
    assert.match(Buffer.from(serializeMessage(req)).toString(), /^OPTIONS sip:a%20b@h SIP\/2\.0\r\n/);
    const res = {
      kind: 'response' as const,
      version: 'SIP/2.0',
      status: 486,
      reason: 'Busy Here',
      headers: [],
      body: new Uint8Array(),
    };
    assert.match(Buffer.from(serializeMessage(res)).toString(), /^SIP\/2\.0 486 Busy Here\r\n/);
  });
  it('cannot be made to inject header lines through a value', () => {
    const req = createRequest({
      method: 'OPTIONS',
      uri: parseUri('sip:h')!,
      headers: [{ name: 'Subject', value: 'hi\r\nVia: SIP/2.0/UDP evil' }],
    });
    const text = Buffer.from(serializeMessage(req)).toString();
    assert.equal(text.split('\r\n').filter((l) => l.startsWith('Via')).length, 0);
    const headerOnly = { ...req, headers: [...req.headers, { name: 'Via', value: 'SIP/2.0/UDP a' }] };
    const back = parseMessage(serializeMessage(headerOnly));
    assert.ok(!back.ok || getHeader(back.message, 'Subject') === 'hi Via: SIP/2.0/UDP evil');
  });
  it('keeps binary bodies byte for byte', () => {
    const body = Uint8Array.from({ length: 256 }, (_, i) => i);
    const req = createRequest({ method: 'OPTIONS', uri: parseUri('sip:h')!, headers: [], body });
    const out = serializeMessage(req);
    assert.deepEqual(Buffer.from(out.subarray(out.length - 256)), Buffer.from(body));
  });

  it('bytes already returned stay as they were while more messages are written', () => {
    const make = (i: number) =>
      createRequest({
        method: 'MESSAGE',
        uri: parseUri(`sip:user${i}@h`)!,
        headers: [
          { name: 'Via', value: `SIP/2.0/UDP a;branch=z9hG4bK${i}` },
          { name: 'Subject', value: `n\u00ba ${i}` },
        ],
        body: Buffer.from(`body ${i} `.repeat(i % 50)),
      });
    const expected = (i: number): string =>
      `MESSAGE sip:user${i}@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK${i}\r\nSubject: n\u00ba ${i}\r\n` +
      `Content-Length: ${Buffer.byteLength(`body ${i} `.repeat(i % 50))}\r\n\r\n${`body ${i} `.repeat(i % 50)}`;
    // Enough output to go through several of the serializer's shared blocks (64 KiB each).
    const written = Array.from({ length: 2000 }, (_, i) => serializeMessage(make(i)));
    written.forEach((bytes, i) => {
      assert.equal(Buffer.from(bytes).toString('utf8'), expected(i), `message ${i}`);
    });
  });

  it('writes a large message (beyond the shared block) exactly', () => {
    const value = `\u5927${'x'.repeat(9000)}`;
    const req = createRequest({
      method: 'MESSAGE',
      uri: parseUri('sip:bob@h')!,
      headers: [{ name: 'X-Big', value }],
      body: Buffer.alloc(20000, 7),
    });
    const bytes = Buffer.from(serializeMessage(req));
    const headEnd = bytes.indexOf('\r\n\r\n') + 4;
    assert.equal(
      bytes.subarray(0, headEnd).toString('utf8'),
      `MESSAGE sip:bob@h SIP/2.0\r\nX-Big: ${value}\r\nContent-Length: 20000\r\n\r\n`,
    );
    assert.ok(bytes.subarray(headEnd).equals(Buffer.alloc(20000, 7)));
    assert.equal(bytes.length, headEnd + 20000);
  });
});
