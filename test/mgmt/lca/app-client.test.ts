/**
 * The server's side of the LCA link (LcaAppClient) against a real Lca on the simulator: reconnection every
 * second while the LCA is down, the last status re-sent after a reconnect, log events kept while
 * disconnected, and a clean close.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LcaAppClient } from '../../../src/mgmt/lca/app-client.ts';
import { Bench, LCA_HOST, LCA_PORT, lastReport, READY, SECRET } from './harness.ts';

function setup() {
  const b = new Bench();
  const node = b.node('server');
  const log: string[] = [];
  const connectedAt: number[] = [];
  const c = new LcaAppClient(
    node.net,
    node.clock,
    node.random,
    { lca: { host: LCA_HOST, port: LCA_PORT }, app: 'SIP_A', secret: SECRET, pid: 321 },
    {
      onSetMode: (mode) => log.push(`mode ${mode}`),
      onStop: (reason) => log.push(`stop ${reason}`),
      onConnected: () => {
        log.push('connected');
        connectedAt.push(b.sim.now);
      },
      onDisconnected: () => log.push('disconnected'),
    },
  );
  return { b, node, c, log, connectedAt };
}

describe('LcaAppClient', () => {
  test('registers, reports, and gets set-mode and stop from the LCA', () => {
    const { b, c, log } = setup();
    const scs = b.scs();
    b.sim.runUntil(() => c.connected);
    c.report('Initializing', null, { ...READY, haLink: 'none' });
    b.settle();
    assert.equal(lastReport(scs, 'SIP_A')?.status, 'Initializing');
    assert.equal(lastReport(scs, 'SIP_A')?.pid, 321);
    b.command(scs, { type: 'set-mode', app: 'SIP_A', mode: 'Backup', reason: 'r' });
    b.command(scs, { type: 'stop-app', app: 'SIP_A', reason: 'bye' });
    assert.deepEqual(log, ['connected', 'mode Backup', 'stop bye']);
  });

  test('while the LCA is down it retries every second; after a reconnect it re-sends its last status', () => {
    const { b, c, log, connectedAt } = setup();
    b.sim.runUntil(() => c.connected);
    c.report('Running', 'Primary', READY);
    b.settle();

    b.lcaNode.crash();
    b.sim.runUntil(() => !c.connected, { timeoutMs: 1000 });
    const downAt = b.sim.now;
    // Status and events while down: the status is kept (latest only), events are queued.
    c.report('Running', 'Primary', { ...READY, calls: 9 });
    c.logEvent('00-04200', { address: '10.0.0.1', port: 5060, reason: 'x' }, 1);
    const attemptsSoFar = () => b.sim.network.stats.tcpConnects + b.sim.network.stats.tcpRefused;
    const connectsBefore = attemptsSoFar();
    b.sim.runFor(5_000);
    const attempts = attemptsSoFar() - connectsBefore;
    // One attempt per second (each refused at once): about 5 in 5 s, not a storm.
    assert.ok(attempts >= 4 && attempts <= 6, `${attempts} attempts in 5 s`);

    b.lcaNode.restart();
    b.lca = b.startLca();
    const scs = b.scs();
    assert.ok(b.sim.runUntil(() => c.connected, { timeoutMs: 2_000 }));
    assert.ok(connectedAt[1]! - downAt <= 5_000 + 1_100);
    b.settle();
    const report = lastReport(scs, 'SIP_A');
    assert.equal(report?.process, 'running');
    assert.equal(report?.status, 'Running');
    assert.equal(report?.mode, 'Primary');
    assert.equal(report?.readiness?.calls, 9);
    assert.deepEqual(
      scs.received.filter((m) => m.type === 'log-event').map((m) => m.id),
      ['00-04200'],
    );
    assert.deepEqual(log, ['connected', 'disconnected', 'connected']);
  });

  test('an LCA that is not there at the start is waited for', () => {
    const b = new Bench();
    b.lcaNode.crash();
    b.settle();
    const node = b.node('server');
    let connected = false;
    const c = new LcaAppClient(
      node.net,
      node.clock,
      node.random,
      { lca: { host: LCA_HOST, port: LCA_PORT }, app: 'SIP_B', secret: SECRET, pid: 1 },
      { onSetMode() {}, onStop() {}, onConnected: () => (connected = true) },
    );
    b.sim.runFor(3_000);
    assert.equal(connected, false);
    b.lcaNode.restart();
    b.lca = b.startLca();
    assert.ok(b.sim.runUntil(() => c.connected, { timeoutMs: 1_500 }));
  });

  test('close() stops for good: no more attempts', () => {
    const { b, c } = setup();
    b.sim.runUntil(() => c.connected);
    c.close();
    b.settle();
    const attempts = () => b.sim.network.stats.tcpConnects + b.sim.network.stats.tcpRefused;
    const before = attempts();
    b.sim.runFor(5_000);
    assert.equal(attempts(), before);
    assert.equal(c.connected, false);
    // The LCA saw the server go.
    assert.equal(b.lca.report('SIP_A')?.process, 'exited');
  });

  test('the queue of events kept while disconnected is bounded (oldest dropped)', () => {
    const b = new Bench();
    b.lcaNode.crash();
    const node = b.node('server');
    const c = new LcaAppClient(
      node.net,
      node.clock,
      node.random,
      { lca: { host: LCA_HOST, port: LCA_PORT }, app: 'SIP_A', secret: SECRET, pid: 1, maxQueuedEvents: 3 },
      { onSetMode() {}, onStop() {} },
    );
    for (let i = 0; i < 10; i++) c.logEvent('10-10004', { app: 'SIP_A', reason: `r${i}` }, i);
    b.lcaNode.restart();
    b.lca = b.startLca();
    const scs = b.scs();
    b.sim.runUntil(() => c.connected, { timeoutMs: 2_000 });
    b.settle();
    assert.deepEqual(
      scs.received.filter((m) => m.type === 'log-event').map((m) => m.time),
      [7, 8, 9],
    );
  });
});
