/**
 * The sipp phones of the CTI scenarios (test/integration/sipp/cti-*.xml) against a real SIP Server on
 * loopback: the server runs in this process on the Node adapters, so the test drives the B2BUA's call-control
 * methods directly, as the CTI server will: makeCall rings the auto-answer origin phone
 * (cti-autoanswer-uas.xml), which must be ACKed (on hold) within 2 s, while the agent phone
 * (cti-agent-phone-uas.xml) still rings 3 s; when it answers, the origin phone is re-INVITEd with its media;
 * the agent phone is then held, retrieved and released; a trunk caller (cti-caller-held-uac.xml) is held and
 * retrieved by the DN it talks to, then hangs up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log/logger.ts';
import { NodeClock, NodeNet, NodeRandom } from '../../src/runtime/node/index.ts';
import type { CallEvent } from '../../src/server/b2bua/call-events.ts';
import { SipServer } from '../../src/server/sip-server.ts';
import { runSipp } from '../helpers/processes.ts';
import { skipUnless } from '../helpers/tools.ts';
import { until } from '../helpers/until.ts';
import { finished, freePort, SCENARIOS, sippBackground, stopAllSipps } from './harness.ts';

const skip = skipUnless('sipp');

describe('CTI sipp phones against the B2BUA', { skip }, () => {
  let sip: SipServer;
  let sipPort: number;
  let trunkPort: number;
  const events: CallEvent[] = [];
  const logLines: string[] = [];
  const seen = (): string[] => events.map((e) => `${e.type} ${e.thisDn}`);

  before(async () => {
    sipPort = await freePort();
    trunkPort = await freePort();
    const yaml = `
hosts:
  h: { address: 127.0.0.1 }
applications:
  S:
    type: sip-server
    host: h
    options:
      TServer: { sip-port: ${sipPort}, http-port: ${await freePort()} }
dns:
  "1001": { type: Extension }
  "1002": { type: Extension }
  "1003": { type: Extension }
  "T1": { type: Trunk, options: { contact: "127.0.0.1:${trunkPort}", prefix: "9" } }
`;
    const loaded = loadConfig(yaml, 'cti-phones.yaml');
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map((e) => e.message).join('\n'));
    // Unref: the transactions' last timers (32 s) must not hold the test process once the server stopped.
    const clock = new NodeClock({ unref: true });
    sip = new SipServer({
      clock,
      random: new NodeRandom(),
      net: new NodeNet(),
      config: loaded.config,
      app: 'S',
      logger: createLogger({
        app: 'S',
        level: 'all',
        destination: {
          write(line: string) {
            logLines.push(line.trim());
          },
        },
      }),
    });
    await new Promise<void>((done, fail) => sip.start((err) => (err ? fail(err) : done())));
    sip.b2bua.onCallEvent((e) => events.push(e));
  });

  after(async () => {
    await stopAllSipps();
    sip?.stop();
  });

  async function register(dn: string, contactPort: number): Promise<void> {
    const r = await runSipp([
      '-sf',
      `${SCENARIOS}/register-contact.xml`,
      '-i',
      '127.0.0.1',
      '-p',
      String(await freePort()),
      '-key',
      'dn',
      dn,
      '-key',
      'contact_port',
      String(contactPort),
      '-key',
      'expires',
      '300',
      '-m',
      '1',
      `127.0.0.1:${sipPort}`,
    ]);
    assert.equal(r.code, 0, `REGISTER ${dn}: ${r.stderr}${r.errors}`);
  }

  test('makeCall: auto-answer origin ACKed at once, agent phone rings 3 s, held, retrieved, released', async () => {
    events.length = 0;
    const origin = await sippBackground('cti-autoanswer-uas.xml', ['-m', '1']);
    const agent = await sippBackground('cti-agent-phone-uas.xml', ['-m', '1', '-d', '3000']);
    await register('1001', origin.port);
    await register('1002', agent.port);
    const made = sip.b2bua.makeCall('1001', '1002', { campaign: 'x' });
    assert.ok(made.ok, JSON.stringify(made));
    const detail = (): string =>
      `${seen().join(', ')}\n${origin.output()}\n${agent.output()}\n${logLines.slice(-8).join('\n')}`;
    await until('established', () => seen().includes('Established 1001'), 10_000, detail);
    assert.deepEqual(seen(), ['Dialing 1001', 'Ringing 1002', 'Established 1002', 'Established 1001']);
    assert.deepEqual(sip.b2bua.holdCall(made.connId, '1001'), { ok: true });
    await until('held', () => seen().includes('Held 1001'), 10_000, detail);
    assert.deepEqual(sip.b2bua.retrieveCall(made.connId, '1001'), { ok: true });
    await until('retrieved', () => seen().includes('Retrieved 1001'), 10_000, detail);
    assert.deepEqual(sip.b2bua.releaseCall(made.connId, '1001'), { ok: true });
    assert.equal(await finished(origin, 10_000), 0, origin.output());
    assert.equal(await finished(agent, 10_000), 0, agent.output());
    assert.deepEqual(seen().slice(4), ['Held 1001', 'Retrieved 1001', 'Released 1001', 'Released 1002']);
    assert.equal(sip.store.callCount, 0);
  });

  test('a trunk caller is held and retrieved by the DN it talks to, then hangs up', async () => {
    events.length = 0;
    const agent = await sippBackground('callee-answer.xml', ['-m', '1', '-d', '200']);
    await register('1003', agent.port);
    const caller = await sippBackground(
      'cti-caller-held-uac.xml',
      ['-m', '1', '-d', '500', '-key', 'caller', '5551234', '-s', '1003', `127.0.0.1:${sipPort}`],
      trunkPort,
    );
    const detail = (): string => `${seen().join(', ')}\n${caller.output()}\n${agent.output()}`;
    await until('established', () => seen().includes('Established 1003'), 10_000, detail);
    const connId = events[0]!.connId;
    assert.equal(events[0]!.otherDn, '5551234');
    assert.deepEqual(sip.b2bua.holdCall(connId, '1003'), { ok: true });
    await until('held', () => seen().includes('Held 1003'), 10_000, detail);
    assert.deepEqual(sip.b2bua.retrieveCall(connId, '1003'), { ok: true });
    assert.equal(await finished(caller, 10_000), 0, caller.output());
    assert.equal(await finished(agent, 10_000), 0, agent.output());
    assert.deepEqual(seen(), [
      'Ringing 1003',
      'Established 1003',
      'Held 1003',
      'Retrieved 1003',
      'Released 1003',
    ]);
  });
});
