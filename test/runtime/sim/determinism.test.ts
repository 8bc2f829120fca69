import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';

const SERVER = '192.0.2.10';
const BACKUP = '192.0.2.11';
const PHONES = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];

/** A small world with every kind of fault on: the whole run must be a function of the seed. */
function scenario(seed: number | string): { log: string[]; stats: object } {
  const sim = new Simulator({ seed });
  sim.network.setDefaultFaults({ loss: 0.2, duplicate: 0.1, reorder: true, delayMs: [1, 30] });
  const server = sim.addNode('server', [SERVER]);
  const backup = sim.addNode('backup', [BACKUP]);

  const startServer = (node: SimNode): void => {
    const udp = node.net.bindUdp(
      { host: SERVER, port: 5060 },
      {
        onMessage: (d, from) => {
          const line = Buffer.from(d).toString();
          udp.send(Buffer.from(`SIP/2.0 200 OK ${node.random.hex(8)} for ${line}`), from);
          link.write(Buffer.from(`sync ${line}\r\n`));
        },
      },
    );
    node.net.listenTcp(
      { host: SERVER, port: 5061 },
      {
        onConnection: (conn) => ({
          onData: (d) => conn.write(d),
          onClose: () => sim.record('server: tcp peer gone'),
        }),
      },
    );
    const link = node.net.connectTcp(
      { host: BACKUP, port: 7000 },
      { onData: () => {}, onClose: (e) => sim.record(`server: ha link closed ${e?.code ?? ''}`) },
    );
  };
  backup.net.listenTcp(
    { host: BACKUP, port: 7000 },
    {
      onConnection: () => ({
        onData: (d) => sim.record(`backup got ${d.length}B`),
        onClose: (e) => sim.record(`backup: ha link closed ${e?.code ?? ''}`),
      }),
    },
  );
  startServer(server);

  PHONES.forEach((host, i) => {
    const phone = sim.addNode(`phone${i}`, [host]);
    const sock = phone.net.bindUdp({ host, port: 5060 }, { onMessage: () => {} });
    let n = 0;
    const register = (): void => {
      sock.send(Buffer.from(`REGISTER sip:${i}@example.com #${n++}`), { host: SERVER, port: 5060 });
      phone.clock.setTimer(50 + phone.random.int(100), register);
    };
    phone.clock.setTimer(phone.random.int(50), register);
    if (i === 0) {
      const tcp = phone.net.connectTcp(
        { host: SERVER, port: 5061 },
        {
          onConnect: () =>
            tcp.write(Buffer.from('OPTIONS over TCP with a body long enough to be split\r\n'.repeat(5))),
          onData: (d) => sim.record(`phone0 tcp ${d.length}B`),
          onClose: (e) => sim.record(`phone0 tcp closed ${e?.code ?? ''}`),
        },
      );
    }
  });

  sim.schedule(1000, () => sim.network.partition([SERVER], [BACKUP, PHONES[2]!]));
  sim.schedule(1500 + sim.random.int(500), () => sim.network.heal());
  sim.schedule(2500, () => server.crash());
  sim.schedule(3000, () => {
    server.restart();
    startServer(server);
  });
  sim.runFor(5000);
  return { log: sim.log, stats: { ...sim.network.stats } };
}

describe('Simulator determinism', () => {
  it('the same seed gives the identical log, with loss, duplication, reordering, partition and crash on', () => {
    const first = scenario(42);
    const second = scenario(42);
    assert.ok(first.log.length > 500, `a busy run (${first.log.length} lines)`);
    for (const kind of [
      'dropped (loss)',
      'duplicated',
      'dropped (partition)',
      'node server crash',
      'tcp c',
      'note backup got',
    ]) {
      assert.ok(
        first.log.some((l) => l.includes(kind)),
        `the run exercises "${kind}"`,
      );
    }
    assert.deepEqual(second.log, first.log);
    assert.deepEqual(second.stats, first.stats);
  });

  it('a different seed gives a different log', () => {
    const a = scenario(42);
    const b = scenario(43);
    assert.notDeepEqual(b.log, a.log);
    assert.notDeepEqual(scenario('42').log, a.log);
  });
});
