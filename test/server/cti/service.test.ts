/**
 * The CTI service's listeners on the simulator: a cti-port that cannot be opened (EADDRINUSE: another
 * listener holds it; EADDRNOTAVAIL: the host address is not on the machine yet) is tried again every
 * listenRetryMs (default 5 s) for as long as the service runs. The failure is logged (10-70006) and told
 * (onListenError) once per episode, not at each attempt; the opening logs 10-70005 and tells onListening
 * with all = true, and clients can then register. stop() ends the retries; listenRetryMs 0 never retries.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Config } from '../../../src/config/config.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { HaGate } from '../../../src/ha/gate.ts';
import { Store } from '../../../src/model/store/store.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import {
  CTI_LISTEN_RETRY_MS,
  type CtiServiceOptions,
  startCtiService,
} from '../../../src/server/cti/service.ts';
import {
  CTI_PORT,
  CTI_YAML,
  FakeCalls,
  type LoggedEvent,
  RawClient,
  recordingLogger,
  SERVER_HOST,
} from './harness.ts';

/** The CTI test configuration with the server's host address given. */
function configOn(address: string): Config {
  const r = loadConfig(
    `hosts:\n  A: { address: ${address} }\napplications:\n  SIP_A:\n    type: sip-server\n    host: A\n` +
      `    options:\n      TServer: { sip-port: 5060, cti-port: ${CTI_PORT} }\n${CTI_YAML}`,
    'cti.yaml',
  );
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

const idle = { onData: () => {}, onClose: () => {} };

function start(node: SimNode, more: Partial<CtiServiceOptions> = {}, address = SERVER_HOST) {
  const log: LoggedEvent[] = [];
  const told: string[] = [];
  const config = configOn(address);
  const service = startCtiService({
    net: node.net,
    clock: node.clock,
    config: () => config,
    app: 'SIP_A',
    logger: recordingLogger('SIP_A', log),
    store: new Store(),
    gate: new HaGate('Primary'),
    calls: new FakeCalls(),
    webSocket: false,
    onListening: (transport, port, all) => told.push(`listening ${transport} ${port} ${all}`),
    onListenError: (transport, err) => told.push(`error ${transport} ${(err as { code?: string }).code}`),
    ...more,
  });
  const events = (id: string) => log.filter((e) => e.event === id);
  return { service, log, told, events };
}

/** Holds SERVER_HOST:CTI_PORT on the node, as another process would. */
function holdPort(node: SimNode) {
  return node.net.listenTcp({ host: SERVER_HOST, port: CTI_PORT }, { onConnection: () => idle });
}

let desks = 0;
function registers(sim: Simulator): boolean {
  desks += 1;
  const desk = sim.addNode(`desk${desks}`, [`198.51.100.${desks}`]);
  const c = new RawClient(desk, { host: SERVER_HOST, port: CTI_PORT });
  c.request('RequestRegisterClient', { ApplicationName: 'Desktop1', Password: 'desk-pw' });
  sim.runFor(100);
  return c.names().includes('EventServerInfo');
}

describe('CTI service: listener retry', () => {
  test('a cti-port in use is retried every 5 s, logged once, and opens when the port is released', () => {
    assert.equal(CTI_LISTEN_RETRY_MS, 5_000);
    const sim = new Simulator({ seed: 1 });
    const node = sim.addNode('SIP_A', [SERVER_HOST]);
    const holder = holdPort(node);
    const { service, told, events } = start(node);
    sim.runFor(60_000);
    assert.equal(events('10-70006').length, 1, 'one 10-70006 for the whole episode (12 attempts)');
    assert.match(String(events('10-70006')[0]!.params.reason), /EADDRINUSE.*trying again every 5 s/);
    assert.equal(events('10-70005').length, 0);
    assert.deepEqual(told, ['error tcp EADDRINUSE']);
    assert.equal(service.listening(), false);
    assert.equal(service.tcpPort(), undefined);

    holder.close();
    sim.runFor(CTI_LISTEN_RETRY_MS + 100);
    assert.equal(events('10-70005').length, 1, 'opened by the next attempt');
    assert.deepEqual(events('10-70005')[0]!.params, {
      address: SERVER_HOST,
      port: CTI_PORT,
      transport: 'TCP',
    });
    assert.deepEqual(told, ['error tcp EADDRINUSE', `listening tcp ${CTI_PORT} true`]);
    assert.equal(service.listening(), true);
    assert.equal(service.tcpPort(), CTI_PORT);
    assert.ok(registers(sim), 'a client registers on the reopened port');
    sim.runFor(30_000);
    assert.equal(events('10-70005').length, 1, 'no more attempts once open');
    assert.equal(events('10-70006').length, 1);
    void service.stop();
  });

  test('EADDRNOTAVAIL: the port opens once the address is added to the machine', () => {
    const sim = new Simulator({ seed: 2 });
    const node = sim.addNode('SIP_A', ['192.0.2.99']);
    const { service, told, events } = start(node, { listenRetryMs: 1_000 });
    sim.runFor(10_000);
    assert.deepEqual(told, ['error tcp EADDRNOTAVAIL']);
    assert.equal(events('10-70006').length, 1);
    assert.match(String(events('10-70006')[0]!.params.reason), /trying again every 1 s/);
    node.addHost(SERVER_HOST);
    sim.runFor(1_100);
    assert.deepEqual(told, ['error tcp EADDRNOTAVAIL', `listening tcp ${CTI_PORT} true`]);
    assert.ok(registers(sim));
    void service.stop();
  });

  test('stop() during the retries ends them; listenRetryMs 0 never retries', () => {
    const sim = new Simulator({ seed: 3 });
    const node = sim.addNode('SIP_A', [SERVER_HOST]);
    const holder = holdPort(node);
    const stopped = start(node);
    sim.runFor(7_000);
    void stopped.service.stop();
    holder.close();
    sim.runFor(30_000);
    assert.equal(stopped.events('10-70005').length, 0, 'a stopped service does not open the port');
    assert.equal(registers(sim), false);

    const node2 = sim.addNode('SIP_B', ['192.0.2.2']);
    const holder2 = node2.net.listenTcp({ host: '192.0.2.2', port: CTI_PORT }, { onConnection: () => idle });
    const never = start(node2, { listenRetryMs: 0 }, '192.0.2.2');
    sim.runFor(1_000);
    holder2.close();
    sim.runFor(30_000);
    assert.deepEqual(never.told, ['error tcp EADDRINUSE']);
    assert.equal(never.events('10-70006').length, 1);
    assert.doesNotMatch(String(never.events('10-70006')[0]!.params.reason), /trying again/);
    assert.equal(never.service.listening(), false);
  });
});
