/**
 * `authenticate-requests` (SPEC S2.4): on the application ([TServer]) and on a phone DN; a comma list of
 * register and invite, case-insensitive; default register; anything else refused with the valid values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SipServerApp } from '../../src/config/index.ts';
import { dnOptions } from '../../src/config/options/dn.ts';
import { tserverOptions } from '../../src/config/options/tserver.ts';
import { baseEnvironment, load, messages, tserver } from './environment.ts';

function loaded(raw: ReturnType<typeof baseEnvironment>) {
  const r = load(raw);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

test('default register on the application; unset on a DN (the application value applies)', () => {
  const config = loaded(baseEnvironment());
  assert.deepEqual((config.applications.SIP_A as SipServerApp).options.tserver.authenticateRequests, [
    'register',
  ]);
  assert.equal(config.dns['1001']!.options.authenticateRequests, undefined);
  assert.equal(tserverOptions['authenticate-requests'].takesEffect, 'Immediately');
  assert.equal(dnOptions['authenticate-requests'].takesEffect, 'Immediately');
  assert.deepEqual(dnOptions['authenticate-requests'].appliesTo, ['Extension', 'ACD Position']);
});

test('a comma list, case-insensitive, spaces around commas, each method once', () => {
  const raw = baseEnvironment();
  tserver(raw)['authenticate-requests'] = 'Register, INVITE';
  raw.dns['1001'].options['authenticate-requests'] = 'invite,invite';
  const config = loaded(raw);
  assert.deepEqual((config.applications.SIP_A as SipServerApp).options.tserver.authenticateRequests, [
    'register',
    'invite',
  ]);
  assert.deepEqual(config.dns['1001']!.options.authenticateRequests, ['invite']);
});

test('an unknown method, an empty item or a non-list is refused with the valid values', () => {
  const cases: [unknown, RegExp][] = [
    ['register,bye', /"bye" is not one of register, invite/],
    ['register,,invite', /an empty item/],
    ['invit', /did you mean "invite"\?/],
    ['yes', /"yes" is not one of register, invite/],
  ];
  for (const [value, why] of cases) {
    const raw = baseEnvironment();
    tserver(raw)['authenticate-requests'] = value;
    const [message, ...rest] = messages(load(raw));
    assert.equal(rest.length, 0, String(rest));
    assert.match(message!, /^applications\.SIP_A\.options\.TServer\.authenticate-requests: /);
    assert.match(message!, why);
    assert.match(message!, /expected a comma list of register, invite \(case-insensitive\)/);
  }
});

test('on a DN: refused on a Trunk (trunks are trusted by source address), checked like the application', () => {
  const raw = baseEnvironment();
  raw.dns['9001'].options['authenticate-requests'] = 'invite';
  raw.dns['1001'].options['authenticate-requests'] = 'register;invite';
  const all = messages(load(raw));
  assert.ok(
    all.some((m) => /^dns\.9001\.options\.authenticate-requests: .*does not apply to a Trunk DN/.test(m)),
    all.join('\n'),
  );
  assert.ok(
    all.some((m) => /^dns\.1001\.options\.authenticate-requests: "register;invite" is not valid/.test(m)),
    all.join('\n'),
  );
});
