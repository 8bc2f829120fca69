/**
 * Alarms through the management API (GET /api/alarms, POST /api/alarms/ID/clear with the bearer token) and
 * the `duet alarms` CLI, in front of a real Scs on the simulator with fake LCAs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { AlarmView } from '../../../src/mgmt/scs/alarms.ts';
import { type ScsApi, startScsApi } from '../../../src/mgmt/scs/api.ts';
import { renderStatusPage } from '../../../src/mgmt/scs/status-page.ts';
import { rawEnvironment, type ScsRig, scsRig } from './harness.ts';

const TOKEN = 'operator-token-0123456789';
const DUET = join(import.meta.dirname, '../../../bin/duet.mjs');
const run = promisify(execFile);

async function duet(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [DUET, ...args], {
      env: { ...process.env, ...env },
      timeout: 30_000,
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

describe('alarms API and CLI', () => {
  let r: ScsRig;
  let api: ScsApi;
  let base: string;
  let token: string | undefined = TOKEN;
  before(async () => {
    const raw = rawEnvironment();
    raw.alarms = [
      { name: 'listener', 'event-id': '00-04200', 'clear-on': '10-30003' },
      { name: 'nic', 'event-id': '00-52027' },
    ];
    r = scsRig({ raw });
    assert.ok(r.sim.runUntil(() => r.mode('SIP_A') === 'Primary' && r.mode('SIP_B') === 'Backup'));
    r.lcas.h1!.logEvent('SIP_A', '00-04200', { address: '10.0.0.1', port: 5060, reason: 'EADDRINUSE' });
    r.lcas.h2!.logEvent('SIP_B', '00-52027', { address: '10.0.0.2', reason: 'address gone' });
    r.sim.runFor(1000);
    await new Promise<void>((resolve, reject) => {
      api = startScsApi({
        host: '127.0.0.1',
        port: 0,
        backend: r.scs,
        token: () => token,
        onReady: (err) => (err ? reject(err) : resolve()),
      });
    });
    base = `http://127.0.0.1:${api.port()}`;
  });
  after(() => api.close());

  const list = async (): Promise<AlarmView[]> => {
    const res = await fetch(`${base}/api/alarms`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { alarms: AlarmView[] }).alarms;
  };

  test('GET /api/alarms lists the raised alarms; /api/status carries them too', async () => {
    const alarms = await list();
    assert.deepEqual(
      alarms.map((a) => [a.id, a.condition, a.app, a.eventId, a.count]),
      [
        ['1', 'listener', 'SIP_A', '00-04200', 1],
        ['2', 'nic', 'SIP_B', '00-52027', 1],
      ],
    );
    assert.equal(alarms[0]!.text, 'SIP listener could not be opened on 10.0.0.1:5060: EADDRINUSE');
    const st = (await (await fetch(`${base}/api/status`)).json()) as { alarms: AlarmView[] };
    assert.equal(st.alarms.length, 2);
  });

  test('the status page shows them with a Clear button', () => {
    const html = renderStatusPage(r.scs.status());
    assert.match(html, /<h2>Alarms<\/h2>/);
    assert.match(html, /clearAlarm\(&quot;1&quot;\)/);
    assert.doesNotMatch(renderStatusPage({ ...r.scs.status(), readOnly: true }), /clearAlarm\(&quot;/);
  });

  test('POST /api/alarms/ID/clear needs the token; 404 for an unknown ID', async () => {
    const noAuth = await fetch(`${base}/api/alarms/1/clear`, { method: 'POST' });
    assert.equal(noAuth.status, 401);
    const wrong = await fetch(`${base}/api/alarms/1/clear`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-token-at-all' },
    });
    assert.equal(wrong.status, 401);
    const unknown = await fetch(`${base}/api/alarms/99/clear`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: string }).error, /no alarm 99/);
    const get = await fetch(`${base}/api/alarms/1/clear`);
    assert.equal(get.status, 405);
    assert.equal((await list()).length, 2, 'nothing cleared by refused requests');
    assert.ok(r.events('10-60008').some((e) => /clear alarm 1/.test(e.msg)));
  });

  test('duet alarms lists; duet alarms clear ID clears with the token, refuses without', async () => {
    const shown = await duet(['alarms', '--scs', base]);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /Raised alarms/);
    assert.match(shown.out, /listener\s+SIP_A\s+00-04200/);
    const json = await duet(['alarms', '--scs', base, '--json']);
    assert.equal((JSON.parse(json.out) as { alarms: unknown[] }).alarms.length, 2);

    const refused = await duet(['alarms', '--scs', base, 'clear', '1'], { DUET_TOKEN: '' });
    assert.equal(refused.code, 1);
    assert.match(refused.err, /clear 1 refused/);

    const cleared = await duet(['alarms', '--scs', base, '--token', TOKEN, 'clear', '1']);
    assert.equal(cleared.code, 0, cleared.err);
    assert.match(cleared.out, /Alarm 1 cleared/);
    assert.deepEqual(
      (await list()).map((a) => a.id),
      ['2'],
    );
    assert.ok(r.events('10-63002').some((e) => /by hand \(API/.test(e.msg)));

    const again = await duet(['alarms', '--scs', base, '--token', TOKEN, 'clear', '1']);
    assert.equal(again.code, 1);
    assert.match(again.err, /already cleared/);

    const usage = await duet(['alarms', 'clear']);
    assert.equal(usage.code, 2);
    const down = await duet(['alarms', '--scs', 'http://127.0.0.1:1']);
    assert.equal(down.code, 1);
    assert.match(down.err, /cannot reach the SCS/);
  });

  test('read-only SCS: clearing is refused with 403', async () => {
    token = undefined;
    const res = await fetch(`${base}/api/alarms/2/clear`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.status, 403);
    token = TOKEN;
  });
});
