/**
 * A server has its LCA run its Virtual IP scripts (SPEC S6.1): its own scripts on this host, its peer's down
 * script on another host through the SCS (control-remote-vip-scripts), nothing else.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LcaAppClient } from '../../../src/mgmt/lca/app-client.ts';
import type { ScriptOutcome } from '../../../src/mgmt/protocol.ts';
import { Bench, LCA_HOST, LCA_PORT, type Raw, rawEnvironment, SECRET } from './harness.ts';

function vipEnvironment(): Raw {
  const raw = rawEnvironment();
  raw.applications.SIP_A.options.TServer['sip-vip-script-up'] = 'VIP_UP';
  raw.applications.SIP_A.options.TServer['sip-vip-script-down'] = 'VIP_ANY';
  raw.applications.SIP_B.options.TServer['sip-vip-script-down'] = 'OTHER_HOST';
  return raw;
}

function serverClient(b: Bench, app = 'SIP_A'): LcaAppClient {
  const n = b.node(app);
  const client = new LcaAppClient(
    n.net,
    n.clock,
    n.random,
    { lca: { host: LCA_HOST, port: LCA_PORT }, app, secret: SECRET, pid: 42 },
    { onSetMode: () => {}, onStop: () => {} },
  );
  b.sim.runUntil(() => client.connected, { timeoutMs: 5000 });
  b.settle();
  return client;
}

describe('LCA: Virtual IP scripts asked for by a server', () => {
  test('its own script of this host runs, and the answer comes back to the server', () => {
    const b = new Bench({ raw: vipEnvironment() });
    const client = serverClient(b);
    const outcomes: ScriptOutcome[] = [];
    client.runScript('VIP_UP', 'h1', (o) => outcomes.push(o));
    b.settle();
    assert.equal(b.scripts.runs.length, 1);
    assert.equal(b.scripts.runs[0]!.script.name, 'VIP_UP');
    b.sim.schedule(0, () => b.scripts.runs[0]!.done({ exitCode: 0, timedOut: false, output: 'added' }));
    b.settle();
    assert.deepEqual(outcomes, [{ exitCode: 0, timedOut: false, output: 'added' }]);
    assert.deepEqual(b.events('10-60003')[0]?.params, { script: 'VIP_UP', host: 'h1', code: 0 });
  });

  test("the peer's down script on another host is relayed through the SCS, and its answer passed back", () => {
    const b = new Bench({ raw: vipEnvironment() });
    const scs = b.scs();
    const client = serverClient(b);
    const outcomes: ScriptOutcome[] = [];
    client.runScript('OTHER_HOST', 'h2', (o) => outcomes.push(o));
    b.settle();
    assert.equal(b.scripts.runs.length, 0, 'not run here');
    const relay = scs.received.find((m) => m.type === 'relay-script');
    assert.ok(relay);
    assert.equal(relay.app, 'SIP_A');
    assert.equal(relay.script, 'OTHER_HOST');
    assert.equal(relay.host, 'h2');
    b.command(scs, {
      type: 'script-result',
      requestId: String(relay.requestId),
      script: 'OTHER_HOST',
      exitCode: 0,
      timedOut: false,
      output: 'removed',
    });
    assert.deepEqual(outcomes, [{ exitCode: 0, timedOut: false, output: 'removed' }]);
  });

  test('without an SCS, a script of another host is answered at once as not run', () => {
    const b = new Bench({ raw: vipEnvironment() });
    const client = serverClient(b);
    const outcomes: ScriptOutcome[] = [];
    client.runScript('OTHER_HOST', 'h2', (o) => outcomes.push(o));
    b.settle();
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]!.exitCode, null);
    assert.match(outcomes[0]!.output, /no SCS connected to relay it to host h2/);
  });

  test('a server may ask only for its own VIP scripts or its peer down script, on the right host', () => {
    const b = new Bench({ raw: vipEnvironment() });
    const scs = b.scs();
    const client = serverClient(b);
    const cases: Array<[string, string, RegExp]> = [
      ['OTHER_HOST', 'h1', /belongs to host h2, not h1/],
      ['SIP_B', 'h1', /is not a Virtual IP script of SIP_A/],
      ['rm -rf /', 'h1', /is not a Virtual IP script of SIP_A/],
      ['VIP_UP', 'nowhere', /"nowhere" is not a host/],
    ];
    const outcomes: ScriptOutcome[] = [];
    for (const [script, host] of cases) client.runScript(script, host, (o) => outcomes.push(o));
    b.settle();
    assert.equal(b.scripts.runs.length, 0);
    assert.equal(scs.received.filter((m) => m.type === 'relay-script').length, 0);
    cases.forEach(([, , why], i) => {
      assert.equal(outcomes[i]!.exitCode, null);
      assert.match(outcomes[i]!.output, /^refused: /);
      assert.match(outcomes[i]!.output, why);
    });
  });

  test('the link lost before the answer: the server is answered (not run), and can ask again later', () => {
    const b = new Bench({ raw: vipEnvironment() });
    const client = serverClient(b);
    const outcomes: ScriptOutcome[] = [];
    client.runScript('VIP_UP', 'h1', (o) => outcomes.push(o));
    b.settle();
    b.lca.close();
    b.settle(100);
    assert.equal(outcomes.length, 1);
    assert.match(outcomes[0]!.output, /link to the LCA was lost/);
    client.runScript('VIP_UP', 'h1', (o) => outcomes.push(o));
    assert.match(outcomes[1]!.output, /not connected to its LCA/);
    client.close();
  });
});
