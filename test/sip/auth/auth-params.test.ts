import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isToken, parseDigestParams, quote } from '../../../src/sip/auth/auth-params.ts';
import { DigestError } from '../../../src/sip/auth/digest-error.ts';

function params(value: string): Map<string, string> {
  const r = parseDigestParams(value);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return new Map(r.value.values);
}

test('tokens and quoted strings, names case-insensitive, any whitespace around delimiters', () => {
  const p = params('  dIgEsT\tRealm = "a b" ,NONCE="x",algorithm=SHA-256 ,  stale=TRUE  ');
  assert.deepEqual(
    [...p],
    [
      ['realm', 'a b'],
      ['nonce', 'x'],
      ['algorithm', 'SHA-256'],
      ['stale', 'TRUE'],
    ],
  );
});

test('quoted-pair escapes stand for the escaped character; commas inside quotes do not split', () => {
  const p = params('Digest realm="say \\"hi\\", \\\\ok", qop="auth,auth-int"');
  assert.equal(p.get('realm'), 'say "hi", \\ok');
  assert.equal(p.get('qop'), 'auth,auth-int');
});

test('empty list elements are skipped; UTF-8 inside quotes is kept; unquoted URIs are tolerated', () => {
  const p = params('Digest ,realm="Zürich",, uri=sip:bob@example.com,');
  assert.equal(p.get('realm'), 'Zürich');
  assert.equal(p.get('uri'), 'sip:bob@example.com');
});

test('quoted values record that they were quoted', () => {
  const r = parseDigestParams('Digest a="1", b=2');
  assert.ok(r.ok);
  assert.deepEqual([...r.value.quoted], ['a']);
});

const bad: [string, RegExp][] = [
  ['', /auth scheme/],
  ['Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', /"Basic" is not Digest/],
  ['Digestrealm="x"', /not Digest/],
  ['Digest realm', /no "=value"/],
  ['Digest realm=', /empty or invalid value/],
  ['Digest realm="abc', /unterminated quoted string/],
  ['Digest realm="abc\\', /unterminated quoted string/],
  ['Digest realm="a\r\nb"', /control character/],
  ['Digest realm="x" nonce="y"', /expected ","/],
  ['Digest realm="x", realm="y"', /more than once/],
  ['Digest realm="x", REALM="x"', /more than once/],
  ['Digest =x', /parameter name/],
  ['Digest realm="x"garbage', /expected ","/],
];
for (const [value, error] of bad) {
  test(`refuses ${JSON.stringify(value)} with a clear error`, () => {
    const r = parseDigestParams(value);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, error);
  });
}

test('quote escapes " and \\ and refuses control characters', () => {
  assert.equal(quote('a"b\\c', 'x'), '"a\\"b\\\\c"');
  assert.throws(() => quote('evil\r\nVia: x', 'realm'), DigestError);
  assert.throws(() => quote('a\u0000', 'realm'), /realm contains a control character/);
});

test('isToken', () => {
  assert.equal(isToken('SHA-256'), true);
  assert.equal(isToken('auth-int'), true);
  assert.equal(isToken('a b'), false);
  assert.equal(isToken(''), false);
});

test('fuzz: never throws, on arbitrary text and on near-miss Digest syntax', () => {
  const fragments = fc.constantFrom(
    'Digest',
    'digest ',
    ' ',
    '\t',
    ',',
    '=',
    '"',
    '\\',
    '\\"',
    'realm',
    'nonce',
    'qop',
    'auth',
    '"x"',
    'é',
    '\r\n',
    '\u0000',
    '\ud800',
  );
  const nearMiss = fc.array(fragments, { maxLength: 30 }).map((a) => a.join(''));
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), nearMiss), (s) => {
      const r = parseDigestParams(s);
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) assert.ok(r.error.length > 0);
    }),
    { numRuns: 2000 },
  );
});

test('fuzz: any quotable value survives quote() then parse', () => {
  const printable = fc
    .string({ unit: 'grapheme', maxLength: 40 })
    .filter((s) => !/[\u0000-\u0008\n-\u001f\u007f]/.test(s));
  fc.assert(
    fc.property(printable, printable, (a, b) => {
      const p = params(`Digest a=${quote(a, 'a')}, b=${quote(b, 'b')}`);
      assert.equal(p.get('a'), a);
      assert.equal(p.get('b'), b);
    }),
    { numRuns: 500 },
  );
});
