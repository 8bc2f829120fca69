import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScsToLca } from '../../../src/mgmt/protocol.ts';
import { ScriptRelay } from '../../../src/mgmt/scs/script-relay.ts';
import { SeededRandom } from '../../../src/runtime/random.ts';

function setup(connected = new Set(['A', 'B'])) {
  const sent: Array<[string, ScsToLca]> = [];
  const relay = new ScriptRelay({
    random: new SeededRandom(1),
    send: (host, msg) => {
      if (!connected.has(host)) return false;
      sent.push([host, msg]);
      return true;
    },
    isHost: (h) => h === 'A' || h === 'B',
    note: () => {},
  });
  return { relay, sent, connected };
}

const ask = { type: 'relay-script', requestId: 'A-1', app: 'SIP_A', script: 'B_DOWN', host: 'B' } as const;

test('a relayed script runs on the target LCA under the SCS id; the answer goes back to the asking LCA', () => {
  const { relay, sent } = setup();
  relay.request('A', ask);
  assert.equal(sent.length, 1);
  const [to, run] = sent[0]!;
  assert.equal(to, 'B');
  assert.equal(run.type, 'run-script');
  const id = (run as { requestId: string }).requestId;
  assert.notEqual(id, 'A-1');
  const result = {
    type: 'script-result',
    requestId: id,
    script: 'B_DOWN',
    exitCode: 0,
    timedOut: false,
    output: 'x',
  } as const;
  assert.equal(relay.result('A', result), false, 'only the target host may answer');
  assert.equal(relay.result('B', result), true);
  assert.deepEqual(sent[1], [
    'A',
    { type: 'script-result', requestId: 'A-1', script: 'B_DOWN', exitCode: 0, timedOut: false, output: 'x' },
  ]);
  assert.equal(relay.result('B', result), false, 'answered once');
});

test('an unreachable target LCA, an unknown host, or a target lost before answering: answered as not run', () => {
  const { relay, sent, connected } = setup(new Set(['A']));
  relay.request('A', ask);
  assert.match(String((sent[0]![1] as { output: string }).output), /LCA of host B is not connected/);
  relay.request('A', { ...ask, host: 'Z' });
  assert.match(String((sent[1]![1] as { output: string }).output), /"Z" is not a host/);
  connected.add('B');
  relay.request('A', { ...ask, requestId: 'A-2' });
  relay.hostDown('B');
  const last = sent.at(-1)!;
  assert.equal(last[0], 'A');
  assert.equal((last[1] as { requestId: string }).requestId, 'A-2');
  assert.match(String((last[1] as { output: string }).output), /was lost/);
});
