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
});
