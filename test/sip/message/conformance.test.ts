/**
 * RFC 4475 (SIP torture tests) and RFC 5118 (IPv6 torture tests): every message of ../shared/testdata.
 * Valid messages must parse to the values the RFC text states; invalid ones must be refused with a reason
 * that names the faulty element (and an answerable request where the RFC asks for a 400/505).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createResponse,
  getContacts,
  getContentType,
  getCSeq,
  getExpires,
  getFrom,
  getHeader,
  getHeaderValues,
  getMaxForwards,
  getRoutes,
  getTo,
  getTopVia,
  getVias,
  parseMessage,
  parseVia,
  type SipMessage,
  type SipParseError,
  type SipRequest,
  type SipResponse,
  type SipUri,
  serializeMessage,
} from '../../../src/sip/message/index.ts';
import { INVALID_4475 } from '../../helpers/rfc4475.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = path.resolve(repoRoot, '../shared/testdata');

function load(name: string): Buffer {
  return readFileSync(path.join(dataDir, name));
}

function ok(name: string): SipMessage {
  const r = parseMessage(load(name));
  if (!r.ok) assert.fail(`${name} refused: ${r.error.code} ${r.error.reason}`);
  return r.message;
}

function req(name: string): SipRequest {
  const m = ok(name);
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

function res(name: string): SipResponse {
  const m = ok(name);
  assert.equal(m.kind, 'response');
  return m as SipResponse;
}

function refused(name: string): SipParseError {
  const r = parseMessage(load(name));
  if (r.ok) assert.fail(`${name} was accepted`);
  return r.error;
}

function sip(m: SipMessage): SipUri {
  assert.equal(m.kind, 'request');
  const uri = (m as SipRequest).uri;
  assert.ok(uri.scheme === 'sip' || uri.scheme === 'sips');
  return uri as SipUri;
}

const VALID_4475 = [
  'wsinv',
  'intmeth',
  'esc01',
  'escnull',
  'esc02',
  'lwsdisp',
  'longreq',
  'dblreq',
  'semiuri',
  'transports',
  'mpart01',
  'unreason',
  'noreason',
];
/** §3.2-§3.4: syntactically valid; their faults are for the transaction/application layers. */
const SEMANTIC_OK_4475 = [
  'badbranch',
  'unkscm',
  'novelsc',
  'unksm2',
  'bext01',
  'invut',
  'regaut01',
  'bcast',
  'zeromf',
  'cparam01',
  'cparam02',
  'regescrt',
  'sdp01',
  'inv2543',
];
/** §3.3 messages whose header section itself breaks RFC 3261 §7.3/§20 and that the RFC answers with 400. */
const SEMANTIC_REFUSED_4475 = ['insuf', 'multi01', 'mcl01'];
const VALID_5118 = [
  'ipv6-good',
  'ipv4-mapped-ipv6',
  'ipv6-correct-abnf-2-colons',
  'port-unambiguous',
  'port-ambiguous',
  'via-received-param-with-delim',
  'via-received-param-no-delim',
  'mult-ip-in-header',
  'mult-ip-in-sdp',
  'ipv6-in-sdp',
];
const INVALID_5118 = ['ipv6-bad', 'ipv6-bug-abnf-3-colons'];

describe('test data inventory', () => {
  it('classifies every file of rfc4475/ and rfc5118/', () => {
    const in4475 = readdirSync(path.join(dataDir, 'rfc4475')).map((f) => f.replace(/\.dat$/, ''));
    const listed4475 = [...VALID_4475, ...INVALID_4475, ...SEMANTIC_OK_4475, ...SEMANTIC_REFUSED_4475];
    assert.deepEqual([...in4475].sort(), [...listed4475].sort());
    const in5118 = readdirSync(path.join(dataDir, 'rfc5118'));
    assert.deepEqual([...in5118].sort(), [...VALID_5118, ...INVALID_5118].sort());
  });
});

describe('RFC 4475 §3.1.1 valid messages', () => {
  it('wsinv: whitespace, folding and case everywhere', () => {
    const m = req('rfc4475/wsinv.dat');
    assert.equal(m.method, 'INVITE');
    assert.equal(sip(m).user, 'vivekg');
    assert.equal(sip(m).host, 'chair-dnrc.example.com');
    assert.deepEqual(sip(m).params, { unknownparam: null });
    assert.equal(getHeader(m, 'Call-ID'), 'wsinv.ndaksdj@192.0.2.1');
    assert.equal(getTo(m).params.tag, '1918181833n');
    assert.equal(getTo(m).displayName, undefined);
    assert.equal(getFrom(m).displayName, 'J Rosenberg \\"');
    assert.equal(getFrom(m).params.tag, '98asjd8');
    assert.equal(getMaxForwards(m), 68);
    assert.deepEqual(getCSeq(m), { seq: 9, method: 'INVITE' });
    assert.equal(getHeader(m, 'Subject'), '');
    assert.equal(getHeader(m, 'NewFangledHeader'), 'newfangled value continued newfangled value');
    assert.equal(getHeader(m, 'UnknownHeaderWithUnusualValue'), ';;,,;;,;');
    const vias = getVias(m);
    assert.deepEqual(
      vias.map((v) => [v.protocol, v.transport, v.host, v.params.branch]),
      [
        ['SIP/2.0', 'UDP', '192.0.2.2', '390skdjuw'],
        ['SIP/2.0', 'TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['SIP/2.0', 'UDP', '192.168.255.111', 'z9hG4bK30239'],
      ],
    );
    const routes = getRoutes(m);
    assert.equal(routes.length, 1);
    assert.deepEqual((routes[0].uri as SipUri).params, {
      lr: null,
      unknownwith: 'value',
      'unknown-no-value': null,
    });
    const contacts = getContacts(m);
    assert.ok(contacts !== '*');
    assert.equal(contacts[0].displayName, 'Quoted string ""');
    assert.deepEqual(contacts[0].params, { newparam: 'newvalue', secondparam: null, q: '0.33' });
    assert.equal(getContentType(m), 'application/sdp');
    assert.equal(getHeader(m, 'Content-Length'), '150');
    assert.equal(m.body.length, 150);
  });

  it('intmeth: unusual method, URI, quoted controls, UTF-8 values', () => {
    const m = req('rfc4475/intmeth.dat');
    const method = "!interesting-Method0123456789_*+`.%indeed'~";
    assert.equal(m.method, method);
    assert.equal(sip(m).user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(sip(m).password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert.equal(sip(m).host, 'example.com');
    assert.equal(getTopVia(m).params.branch, "z9hG4bK-.!%66*_+`'~");
    assert.equal(getTo(m).displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
    assert.equal((getTo(m).uri as SipUri).user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    const from = getFrom(m);
    assert.equal(from.displayName, "token1~` token2'+_ token3*%!.-");
    assert.equal(from.params["fromparam''~+*_!.-%"], '"работающий"');
    assert.equal(from.params.tag, "_token~1'+`*%!-.");
    assert.equal(getHeader(m, 'Call-ID'), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    assert.deepEqual(getCSeq(m), { seq: 139122385, method });
    assert.equal(getMaxForwards(m), 255);
    assert.equal(getHeader(m, "extensionHeader-!.%*+_`'~"), '\ufeff大停電');
    assert.equal(m.body.length, 0);
  });

  it('esc01: escaped characters in URIs are unescaped', () => {
    const m = req('rfc4475/esc01.dat');
    assert.equal(sip(m).user, 'sips:user@example.com');
    assert.equal(sip(m).host, 'example.net');
    assert.equal((getTo(m).uri as SipUri).user, 'user');
    assert.equal((getFrom(m).uri as SipUri).user, 'I have spaces');
    const contacts = getContacts(m);
    assert.ok(contacts !== '*');
    const c = contacts[0].uri as SipUri;
    assert.equal(c.user, 'caller');
    assert.deepEqual(c.params, { lr: null, name: 'value%41' });
    assert.equal(getContentType(m), 'application/sdp');
    assert.equal(m.body.length, 150);
  });

  it('escnull: %00 in user parts', () => {
    const m = req('rfc4475/escnull.dat');
    assert.equal((getTo(m).uri as SipUri).user, 'null-\x00-null');
    assert.equal((getFrom(m).uri as SipUri).user, 'null-\x00-null');
    const contacts = getContacts(m);
    assert.ok(contacts !== '*');
    assert.deepEqual(
      contacts.map((c) => (c.uri as SipUri).user),
      ['\x00', '\x00\x00'],
    );
  });

  it('esc02: escapes in method and header names are not decoded', () => {
    const m = req('rfc4475/esc02.dat');
    assert.equal(m.method, 'RE%47IST%45R');
    assert.deepEqual(getCSeq(m), { seq: 29344, method: 'RE%47IST%45R' });
    assert.equal(getTo(m).displayName, '%Z%45');
    assert.equal(getFrom(m).displayName, '%Z%45');
    assert.equal(getTopVia(m).params.branch, 'z9hG4bK209%fzsnel234');
    const contacts = getContacts(m);
    assert.ok(contacts !== '*');
    assert.deepEqual(
      contacts.map((c) => (c.uri as SipUri).host),
      ['host1.example.com', 'host3.example.com'],
    );
    assert.equal(getHeader(m, 'C%6Fntact'), '<sip:alias2@host2.example.com>');
  });

  it('lwsdisp: display name directly followed by <', () => {
    const m = req('rfc4475/lwsdisp.dat');
    assert.equal(getFrom(m).displayName, 'caller');
    assert.equal((getFrom(m).uri as SipUri).user, 'caller');
    assert.equal(getFrom(m).params.tag, '323');
  });

  it('longreq: long values and 34 Vias under every spelling of Via', () => {
    const m = req('rfc4475/longreq.dat');
    const to = getTo(m);
    assert.equal(
      to.displayName,
      'I have a user name of extremeextremeextremeextremeextremeextremeextremeextremeextremeextreme proportion',
    );
    const toUri = to.uri as SipUri;
    assert.equal(toUri.port, 6000);
    assert.equal(toUri.params.unknownparam1, `very${'long'.repeat(20)}value`);
    assert.equal(toUri.params[`longparam${'name'.repeat(25)}`], 'shortvalue');
    assert.equal(toUri.params[`very${'long'.repeat(25)}parameternamewithnovalue`], null);
    const from = getFrom(m);
    assert.equal((from.uri as SipUri).user, 'amazinglylongcallername'.repeat(5));
    assert.equal(from.params.tag, `1${'298'.repeat(50)}2424`);
    assert.equal(
      from.params[`unknownheaderparam${'name'.repeat(20)}`],
      `unknowheaderparam${'value'.repeat(15)}`,
    );
    assert.equal(from.params[`unknownvalueless${'paramname'.repeat(10)}`], null);
    assert.equal(getHeader(m, 'Call-ID'), `longreq.one${'really'.repeat(20)}longcallid`);
    const vias = getVias(m);
    assert.equal(vias.length, 34);
    assert.equal(vias[0].host, 'sip33.example.com');
    assert.equal(vias[32].host, 'sip1.example.com');
    assert.equal(vias[33].params.received, '192.0.2.5');
    assert.equal(vias[33].params.branch, `very${'long'.repeat(50)}branchvalue`);
    const unknown = getHeader(m, `Unknown-${'Long'.repeat(20)}-Name`);
    assert.ok(unknown?.startsWith(`unknown-${'long'.repeat(20)}-value;`));
    assert.equal(getMaxForwards(m), 70);
    assert.equal(m.body.length, 150);
  });

  it('dblreq: the bytes after Content-Length are ignored on UDP', () => {
    const m = req('rfc4475/dblreq.dat');
    assert.equal(m.method, 'REGISTER');
    assert.equal(getHeader(m, 'Call-ID'), 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
    assert.equal(m.body.length, 0);
  });

  it('semiuri: a ; in the user part is not a parameter', () => {
    const m = req('rfc4475/semiuri.dat');
    assert.equal(sip(m).user, 'user;par=u@example.net');
    assert.equal(sip(m).host, 'example.com');
    assert.deepEqual(sip(m).params, {});
    assert.deepEqual(getHeaderValues(m, 'Accept'), [
      'application/sdp',
      'application/pkcs7-mime',
      'multipart/mixed',
      'multipart/signed',
      'message/sip',
      'message/sipfrag',
    ]);
  });

  it('transports: five Vias with known and unknown transports', () => {
    const m = req('rfc4475/transports.dat');
    assert.deepEqual(
      getVias(m).map((v) => v.transport),
      ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP'],
    );
    assert.equal(getHeader(m, 'Call-ID'), 'transports.kijh4akdnaqjkwendsasfdj');
  });

  it('mpart01: a binary multipart body of exactly Content-Length bytes', () => {
    const m = req('rfc4475/mpart01.dat');
    assert.equal(m.method, 'MESSAGE');
    assert.equal(m.body.length, 553);
    assert.equal(getContentType(m), 'multipart/mixed;boundary=7a9cbec02ceef655');
    assert.equal(Buffer.from(m.body).subarray(0, 20).toString('latin1'), '--7a9cbec02ceef655\r\n');
    assert.deepEqual(getTopVia(m).params, {
      branch: 'z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-',
      rport: null,
    });
  });

  it('unreason: UTF-8 reason phrase', () => {
    const m = res('rfc4475/unreason.dat');
    assert.equal(m.status, 200);
    assert.equal(m.reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
    assert.equal(m.body.length, 154);
  });

  it('noreason: empty reason phrase', () => {
    const m = res('rfc4475/noreason.dat');
    assert.equal(m.status, 100);
    assert.equal(m.reason, '');
    assert.equal(getTo(m).params.tag, '902jndnke3');
  });
});

/**
 * Whether a message text is a request whose Via fields all read, decided apart from the parser: the header
 * section is unfolded line by line here, and only the Via values go through parseVia.
 */
function viasReadInText(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const lines = text.slice(0, end === -1 ? text.length : end).split(/\r?\n/);
  if (/^sip\//i.test(lines[0])) return false;
  const unfolded: string[] = [];
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && unfolded.length > 0) unfolded[unfolded.length - 1] += ` ${line.trim()}`;
    else unfolded.push(line);
  }
  let vias = 0;
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== 'via' && name !== 'v') continue;
    vias++;
    try {
      parseVia(line.slice(colon + 1).trim());
    } catch {
      return false;
    }
  }
  return vias > 0;
}

/** The refusal's request gives a response with the request's Vias and its From, To, Call-ID, CSeq as text. */
function assertAnswerable(e: SipParseError): void {
  const req = e.request;
  assert.ok(req);
  const res = createResponse(req, e.status ?? 400, 'Bad Request');
  for (const name of ['From', 'To', 'Call-ID', 'CSeq']) {
    assert.deepEqual(getHeaderValues(res, name), getHeaderValues(req, name), name);
  }
  assert.deepEqual(getVias(res), getVias(req));
  assert.match(Buffer.from(serializeMessage(res)).toString('latin1'), /^SIP\/2\.0 (400|505) Bad Request\r\n/);
}

describe('RFC 4475 §3.1.2 invalid messages are refused naming the fault', () => {
  const expectations: Record<string, { code: SipParseError['code']; reason: RegExp; answerable: boolean }> = {
    badinv01: { code: 'BAD_HEADER', reason: /Via.*empty parameter/, answerable: false },
    clerr: {
      code: 'BAD_CONTENT_LENGTH',
      reason: /Content-Length 9999 exceeds the body of 154 bytes/,
      answerable: true,
    },
    ncl: { code: 'BAD_CONTENT_LENGTH', reason: /Content-Length.*-999/, answerable: true },
    scalar02: { code: 'BAD_HEADER', reason: /CSeq.*36893488147419103232.*out of range/, answerable: true },
    scalarlg: { code: 'BAD_HEADER', reason: /CSeq.*out of range/, answerable: false },
    quotbal: { code: 'BAD_HEADER', reason: /To header: unbalanced quote in display name/, answerable: true },
    ltgtruri: { code: 'BAD_START_LINE', reason: /Request-URI.*<>/, answerable: true },
    lwsruri: { code: 'BAD_START_LINE', reason: /Request-URI.*whitespace/, answerable: true },
    lwsstart: { code: 'BAD_START_LINE', reason: /request line.*single spaces/, answerable: true },
    trws: { code: 'BAD_START_LINE', reason: /whitespace after the SIP version/, answerable: true },
    escruri: { code: 'BAD_START_LINE', reason: /Request-URI.*headers/, answerable: true },
    baddate: { code: 'BAD_HEADER', reason: /Date header.*GMT/, answerable: true },
    regbadct: { code: 'BAD_HEADER', reason: /Contact header.*enclosed in <>/, answerable: true },
    badaspec: {
      code: 'BAD_HEADER',
      reason: /To header: whitespace between <> and the URI/,
      answerable: true,
    },
    baddn: {
      code: 'BAD_HEADER',
      reason: /From header: display name must be a quoted string/,
      answerable: true,
    },
    badvers: { code: 'BAD_VERSION', reason: /SIP\/7\.0/, answerable: true },
    mismatch01: { code: 'CSEQ_MISMATCH', reason: /CSeq method INVITE.*OPTIONS/, answerable: true },
    mismatch02: { code: 'CSEQ_MISMATCH', reason: /CSeq method INVITE.*NEWMETHOD/, answerable: true },
    bigcode: {
      code: 'BAD_START_LINE',
      reason: /status code 4294967301 is out of range 100-699/,
      answerable: false,
    },
  };
  for (const name of INVALID_4475) {
    it(name, () => {
      const e = refused(`rfc4475/${name}.dat`);
      const want = expectations[name];
      assert.equal(e.code, want.code, e.reason);
      assert.match(e.reason, want.reason);
      assert.equal(e.request !== undefined, want.answerable, `request present for ${name}: ${e.reason}`);
      if (e.request) {
        assert.equal(e.status, name === 'badvers' ? 505 : 400);
        // The partial request carries what a response is built from, even when From/To/CSeq are the fault.
        assert.ok(getTopVia(e.request).host.length > 0);
        assertAnswerable(e);
      }
    });
  }

  it('every refused request whose Via fields read is answerable, and no other message is', () => {
    const refusedFiles = [
      ...INVALID_4475.map((n) => `rfc4475/${n}.dat`),
      ...SEMANTIC_REFUSED_4475.map((n) => `rfc4475/${n}.dat`),
      ...INVALID_5118.map((n) => `rfc5118/${n}`),
    ];
    const answerable: string[] = [];
    for (const f of refusedFiles) {
      const e = refused(f);
      assert.equal(e.request !== undefined, viasReadInText(load(f)), `${f}: ${e.reason}`);
      if (e.request) {
        answerable.push(f.replace(/^rfc\d+\/|\.dat$/g, ''));
        assertAnswerable(e);
      }
    }
    // Only badinv01 and scalarlg (their Via is the fault) and bigcode (a response) are dropped.
    assert.deepEqual(
      INVALID_4475.filter((n) => !answerable.includes(n)),
      ['badinv01', 'scalarlg', 'bigcode'],
    );
  });

  it('badvers is answered 505 with the request read', () => {
    const e = refused('rfc4475/badvers.dat');
    assert.equal(e.status, 505);
    assert.equal(e.request?.method, 'OPTIONS');
    assert.equal(e.request?.version, 'SIP/7.0');
  });
});

describe('RFC 4475 §3.2-§3.4 semantic messages', () => {
  for (const name of SEMANTIC_OK_4475) {
    it(`${name} parses (its fault is for a higher layer)`, () => {
      ok(`rfc4475/${name}.dat`);
    });
  }
  it('unkscm / novelsc / unksm2 keep unknown URI schemes as text', () => {
    assert.deepEqual(req('rfc4475/unkscm.dat').uri, {
      scheme: 'nobodyknowsthisscheme',
      raw: 'nobodyKnowsThisScheme:totallyopaquecontent',
    });
    assert.deepEqual(req('rfc4475/novelsc.dat').uri, {
      scheme: 'soap.beep',
      raw: 'soap.beep://192.0.2.103:3002',
    });
    const m = req('rfc4475/unksm2.dat');
    assert.deepEqual(getTo(m).uri, { scheme: 'isbn', raw: 'isbn:2983792873' });
    assert.deepEqual(getFrom(m).uri, { scheme: 'http', raw: 'http://www.example.com' });
  });
  it('zeromf: Max-Forwards 0; scalar values in range', () => {
    assert.equal(getMaxForwards(req('rfc4475/zeromf.dat')), 0);
  });
  it('cparam01 / cparam02: contact parameter placement', () => {
    const c1 = getContacts(req('rfc4475/cparam01.dat'));
    assert.ok(c1 !== '*');
    assert.deepEqual(c1[0].params, { unknownparam: null });
    assert.deepEqual((c1[0].uri as SipUri).params, {});
    const c2 = getContacts(req('rfc4475/cparam02.dat'));
    assert.ok(c2 !== '*');
    assert.deepEqual(c2[0].params, {});
    assert.deepEqual((c2[0].uri as SipUri).params, { unknownparam: null });
  });
  it('regescrt: an escaped Route header inside an enclosed Contact URI', () => {
    const c = getContacts(req('rfc4475/regescrt.dat'));
    assert.ok(c !== '*');
    assert.deepEqual((c[0].uri as SipUri).headers, { Route: '<sip:sip.example.com>' });
  });
  it('inv2543: RFC 2543 message without Content-Length takes the rest of the datagram', () => {
    const m = req('rfc4475/inv2543.dat');
    assert.equal(m.body.length, 105);
    assert.equal(getTopVia(m).params.branch, undefined);
    assert.equal(getFrom(m).params.tag, undefined);
  });
  it('insuf: missing mandatory headers are named', () => {
    const e = refused('rfc4475/insuf.dat');
    assert.equal(e.code, 'MISSING_HEADER');
    assert.match(e.reason, /From.*To.*Call-ID/);
  });
  it('multi01: repeated single-valued headers are refused but answerable', () => {
    const e = refused('rfc4475/multi01.dat');
    assert.equal(e.code, 'BAD_HEADER');
    assert.equal(e.reason, 'Multiple From, To, Call-ID, CSeq, Max-Forwards header fields');
    assert.equal(e.status, 400);
  });
  it('mcl01: two different Content-Length values', () => {
    const e = refused('rfc4475/mcl01.dat');
    assert.equal(e.code, 'BAD_CONTENT_LENGTH');
    assert.match(e.reason, /Multiple Content-Length.*13, 5/);
    assert.equal(e.status, 400);
  });
  it('bcast / scalar values: Expires readable where present', () => {
    assert.equal(getExpires(res('rfc4475/bcast.dat')), undefined);
  });
});

describe('RFC 5118 IPv6 messages', () => {
  it('ipv6-good: IPv6 reference in Request-URI, Via and Contact', () => {
    const m = req('rfc5118/ipv6-good');
    assert.equal(sip(m).host, '[2001:db8::10]');
    assert.equal(getTopVia(m).host, '[2001:db8::9:1]');
    const c = getContacts(m);
    assert.ok(c !== '*');
    assert.equal((c[0].uri as SipUri).host, '[2001:db8::1]');
  });
  it('ipv4-mapped-ipv6: Via with port after ]', () => {
    const m = req('rfc5118/ipv4-mapped-ipv6');
    assert.equal(getTopVia(m).host, '[::ffff:192.0.2.10]');
    assert.equal(getTopVia(m).port, 19823);
    assert.equal(m.body.length, 236);
  });
  it('port-unambiguous: port after the bracket', () => {
    const u = sip(req('rfc5118/port-unambiguous'));
    assert.equal(u.host, '[2001:db8::10]');
    assert.equal(u.port, 5070);
  });
  it('port-ambiguous: "5070" inside the brackets is part of the address, not a port (RFC 5118 §4.3)', () => {
    const u = sip(req('rfc5118/port-ambiguous'));
    assert.equal(u.host, '[2001:db8::10:5070]');
    assert.equal(u.port, undefined);
  });
  it('via-received-param with and without brackets', () => {
    assert.equal(
      getTopVia(req('rfc5118/via-received-param-with-delim')).params.received,
      '[2001:db8::9:255]',
    );
    assert.equal(getTopVia(req('rfc5118/via-received-param-no-delim')).params.received, '2001:db8::9:255');
  });
  it('mult-ip-in-header: mixed IPv4/IPv6 Vias', () => {
    const vias = getVias(req('rfc5118/mult-ip-in-header'));
    assert.deepEqual(
      vias.map((v) => [v.host, v.port, v.params.received]),
      [
        ['[2001:db8::9:1]', 6050, undefined],
        ['192.0.2.1', undefined, undefined],
        ['[2001:db8::9:255]', undefined, '192.0.2.200'],
      ],
    );
  });
  it('ipv6-correct-abnf-2-colons, ipv6-in-sdp, mult-ip-in-sdp parse', () => {
    assert.equal(sip(req('rfc5118/ipv6-correct-abnf-2-colons')).host, '[2001:db8::192.0.2.1]');
    assert.equal(req('rfc5118/ipv6-in-sdp').body.length, 241);
    assert.equal(req('rfc5118/mult-ip-in-sdp').body.length, 181);
  });
  it('ipv6-bad: IPv6 address without brackets in the Request-URI', () => {
    const e = refused('rfc5118/ipv6-bad');
    assert.equal(e.code, 'BAD_START_LINE');
    assert.match(e.reason, /Request-URI 'sip:2001:db8::10'/);
    assert.equal(e.status, 400);
  });
  it('ipv6-bug-abnf-3-colons: three colons are not an IPv6 address', () => {
    const e = refused('rfc5118/ipv6-bug-abnf-3-colons');
    assert.equal(e.code, 'BAD_START_LINE');
    assert.match(e.reason, /Request-URI.*2001:db8:::192\.0\.2\.1/);
  });
});

function allFiles(): string[] {
  return ['rfc4475', 'rfc5118'].flatMap((d) => readdirSync(path.join(dataDir, d)).map((f) => `${d}/${f}`));
}

/** Content-Length is rewritten by the serializer by design; everything else must survive unchanged. */
function comparable(m: SipMessage): unknown {
  return { ...m, headers: m.headers.filter((h) => h.name !== 'Content-Length'), body: Buffer.from(m.body) };
}

describe('every file', () => {
  it('never makes parseMessage throw, as bytes or as a string, UDP or stream', () => {
    for (const f of allFiles()) {
      const bytes = load(f);
      for (const input of [bytes, bytes.toString('latin1'), bytes.toString('utf8')]) {
        for (const stream of [false, true]) {
          const r = parseMessage(input, { stream });
          assert.equal(typeof r.ok, 'boolean', f);
        }
      }
    }
  });

  it('round-trips every accepted message through serializeMessage', () => {
    let accepted = 0;
    for (const f of allFiles()) {
      const r = parseMessage(load(f));
      if (!r.ok) continue;
      accepted++;
      const bytes = serializeMessage(r.message);
      const again = parseMessage(bytes, { stream: true });
      if (!again.ok) assert.fail(`${f}: reparse failed: ${again.error.reason}`);
      assert.deepEqual(comparable(again.message), comparable(r.message), f);
      const lengths = again.message.headers.filter((h) => h.name === 'Content-Length');
      assert.deepEqual(lengths, [{ name: 'Content-Length', value: String(r.message.body.length) }], f);
    }
    assert.equal(accepted, VALID_4475.length + SEMANTIC_OK_4475.length + VALID_5118.length);
  });
});
