/**
 * sip-error-codes-overflow, validated exactly as seed 000 states it, and matched against response codes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matchesOverflowCodes, parseOverflowCodes, type SipServerApp } from '../../src/config/index.ts';
import { baseEnvironment, load, messages, tserver } from './environment.ts';

function codes(text: string): readonly string[] {
  const r = parseOverflowCodes(text);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.codes;
}

function fault(text: string): string {
  const r = parseOverflowCodes(text);
  assert.ok(!r.ok, `"${text}" should be refused`);
  return r.error;
}

describe('parsing (seed 000 examples)', () => {
  test("the seed's valid examples", () => {
    assert.deepEqual(codes('503'), ['503']);
    assert.deepEqual(codes('503,504'), ['503', '504']);
    assert.deepEqual(codes('487,50X'), ['487', '50X']);
    assert.deepEqual(codes('487,5XX'), ['487', '5XX']);
  });

  test('an empty string means 503', () => {
    assert.deepEqual(codes(''), ['503']);
  });

  test("the seed's invalid examples name the pattern and the rule", () => {
    assert.equal(fault('5X3'), 'pattern "5X3" is invalid: X may not be followed by a digit');
    assert.equal(fault('XXX'), 'pattern "XXX" is invalid: a pattern must start with a digit');
    assert.equal(fault('503,5X3,XXX'), 'pattern "5X3" is invalid: X may not be followed by a digit');
  });

  test('a pattern containing X must conclude the list', () => {
    assert.equal(
      fault('50X,487'),
      'pattern "50X" is invalid: a pattern containing X must be the last in the list',
    );
    assert.equal(
      fault('50X,5XX'),
      'pattern "50X" is invalid: a pattern containing X must be the last in the list',
    );
  });

  test('three characters, digits or X only', () => {
    assert.equal(fault('50'), 'pattern "50" is invalid: a pattern has exactly 3 characters');
    assert.equal(fault('5030'), 'pattern "5030" is invalid: a pattern has exactly 3 characters');
    assert.equal(fault('5x3'), 'pattern "5x3" is invalid: a pattern may contain only digits and X');
    assert.equal(fault('50?'), 'pattern "50?" is invalid: a pattern may contain only digits and X');
    assert.match(fault('503,,504'), /^pattern "" is invalid: a pattern may not be empty/);
  });
});

describe('matching', () => {
  test('487,50X matches 487 and 500-509, not 486 or 510', () => {
    const c = codes('487,50X');
    assert.equal(matchesOverflowCodes(c, 487), true);
    assert.equal(matchesOverflowCodes(c, 504), true);
    assert.equal(matchesOverflowCodes(c, 500), true);
    assert.equal(matchesOverflowCodes(c, 509), true);
    assert.equal(matchesOverflowCodes(c, 486), false);
    assert.equal(matchesOverflowCodes(c, 510), false);
  });

  test('the empty value matches 503 only', () => {
    const c = codes('');
    assert.equal(matchesOverflowCodes(c, 503), true);
    for (const other of [500, 502, 504, 403, 603])
      assert.equal(matchesOverflowCodes(c, other), false, String(other));
  });

  test('5XX matches every 5xx and nothing else', () => {
    const c = codes('487,5XX');
    for (let s = 500; s <= 599; s++) assert.equal(matchesOverflowCodes(c, s), true);
    for (const s of [400, 486, 488, 600, 603]) assert.equal(matchesOverflowCodes(c, s), false);
  });
});

describe('through the loader', () => {
  test('a valid value reaches the typed config', () => {
    const raw = baseEnvironment();
    tserver(raw)['sip-error-codes-overflow'] = '487,50X';
    const r = load(raw);
    assert.ok(r.ok);
    const t = (r.config.applications.SIP_A as SipServerApp).options.tserver;
    assert.deepEqual(t.sipErrorCodesOverflow, ['487', '50X']);
    assert.equal(matchesOverflowCodes(t.sipErrorCodesOverflow, 504), true);
  });

  test('a number written bare is read as its code', () => {
    const raw = baseEnvironment();
    tserver(raw)['sip-error-codes-overflow'] = 504;
    const r = load(raw);
    assert.ok(r.ok);
    assert.deepEqual((r.config.applications.SIP_A as SipServerApp).options.tserver.sipErrorCodesOverflow, [
      '504',
    ]);
  });

  test('an invalid value is refused with the pattern quoted', () => {
    const raw = baseEnvironment();
    tserver(raw)['sip-error-codes-overflow'] = '487,5X3';
    const [message, ...others] = messages(load(raw));
    assert.deepEqual(others, []);
    assert.ok(
      message?.startsWith(
        'applications.SIP_A.options.TServer.sip-error-codes-overflow: pattern "5X3" is invalid: X may not be followed by a digit (valid: ',
      ),
      message,
    );
  });
});
