/**
 * The same link on real sockets (127.0.0.1, an ephemeral port): the adapters behave as the simulator does.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { connectLink, describeReason, type LinkListener, listenLinks } from '../../../src/ha/link/link.ts';
import type { Link, LinkClientHandlers, LinkMessage } from '../../../src/ha/link/types.ts';
import type { Address } from '../../../src/runtime/net.ts';
import { NodeClock } from '../../../src/runtime/node/clock.ts';
import { NodeNet } from '../../../src/runtime/node/net.ts';
import { NodeRandom } from '../../../src/runtime/node/random.ts';

const SECRET = 'real sockets secret 0123';

function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - start > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

it('opens, exchanges a 1 MB frame and polls with ADDP on 127.0.0.1; a wrong secret is refused', async () => {
  const net = new NodeNet();
  const clock = new NodeClock();
  const random = new NodeRandom();
  const got: LinkMessage[] = [];
  const refused: string[] = [];
  const polls: string[] = [];
  let serverLink: Link | undefined;
  let listening = false;
  const listener: LinkListener = listenLinks(
    net,
    clock,
    random,
    { host: '127.0.0.1', port: 0 },
    {
      secret: SECRET,
      name: 'S1',
      protocol: 'ha',
      addp: { timeout: 0.05, remoteTimeout: 0, trace: (d, w) => polls.push(`${d} ${w}`) },
    },
    {
      onListening: () => {
        listening = true;
      },
      onOpen: (l) => {
        serverLink = l;
      },
      onMessage: (_l, m) => got.push(m),
      onClose: () => {},
      onRefused: (_r, d) => refused.push(d),
    },
  );
  try {
    await waitFor(() => listening, 'listening');
    const at: Address = listener.local()!;
    let clientLink: Link | undefined;
    const failed: string[] = [];
    const handlers = (secret: string): LinkClientHandlers => ({
      onOpen: (l) => {
        if (secret === SECRET) clientLink = l;
      },
      onMessage: () => {},
      onClose: () => {},
      onFailed: (r) => failed.push(describeReason(r)),
    });
    connectLink(net, clock, random, at, { secret: SECRET, name: 'S2', protocol: 'ha' }, handlers(SECRET));
    await waitFor(() => clientLink?.open === true && serverLink?.open === true, 'open');
    const big = { type: 'batch', data: 'x'.repeat(1_000_000) };
    clientLink!.send(big);
    clientLink!.send({ type: 'after' });
    await waitFor(() => got.length === 2, 'messages');
    assert.deepEqual(got, [big, { type: 'after' }]);

    // ADDP at 50 ms: the server polls the idle link and the client answers.
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(polls.includes('sent poll') && polls.includes('received answer'), polls.join());
    assert.equal(serverLink!.open, true, 'polls answered: the link stays open');

    const wrong = 'not the secret at all!!';
    connectLink(net, clock, random, at, { secret: wrong, name: 'X', protocol: 'ha' }, handlers(wrong));
    await waitFor(() => failed.length === 1 && refused.length === 1, 'refusal');
    assert.match(refused[0]!, /authentication of 'X' failed/);
    assert.match(failed[0]!, /refused by the peer/);
    clientLink!.close();
    await waitFor(() => serverLink?.open === false, 'close seen by the server');
  } finally {
    listener.close();
    for (const l of listener.links()) l.close();
  }
});
