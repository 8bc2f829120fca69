/**
 * The SCS management API on real HTTP (127.0.0.1, a free port), in front of a real Scs running on the
 * simulator: token rules (401 without or with a wrong token, 403 when none is configured), 404 unknown pair,
 * 409 switchover in progress, 400 bad bodies, the status JSON and page, /healthz.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ScsApi, startScsApi } from '../../../src/mgmt/scs/api.ts';
import { rawEnvironment, type ScsRig, scsRig } from './harness.ts';

const TOKEN = 'operator-token-0123456789';

async function startApi(r: ScsRig, token: string | undefined): Promise<{ api: ScsApi; base: string }> {
  let api!: ScsApi;
  await new Promise<void>((resolve, reject) => {
    api = startScsApi({
      host: '127.0.0.1',
      port: 0,
      backend: r.scs,
      token: () => token,
      onReady: (err) => (err ? reject(err) : resolve()),
    });
  });
  return { api, base: `http://127.0.0.1:${api.port()}` };
}

function post(base: string, path: string, body: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function steady(r: ScsRig): void {
  assert.ok(r.sim.runUntil(() => r.mode('SIP_A') === 'Primary' && r.mode('SIP_B') === 'Backup'));
  r.sim.runFor(500); // the last reports reach the SCS
}

describe('with a token configured', () => {
  let r: ScsRig;
  let api: ScsApi;
  let base: string;
  before(async () => {
    r = scsRig();
    steady(r);
    ({ api, base } = await startApi(r, TOKEN));
  });
  after(() => api.close());

  test('GET /healthz', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  test('GET /api/status: pairs, servers, hosts, events', async () => {
    const res = await fetch(`${base}/api/status`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const st = (await res.json()) as ReturnType<ScsRig['scs']['status']>;
    assert.equal(st.pairs[0]!.pair, 'PAIR');
    assert.equal(st.pairs[0]!.primary, 'SIP_A');
    assert.deepEqual(
      st.pairs[0]!.servers.map((s) => [s.app, s.host, s.mode, s.status, s.readiness?.readyForSwitchover]),
      [
        ['SIP_A', 'h1', 'Primary', 'Running', 1],
        ['SIP_B', 'h2', 'Backup', 'Running', 1],
      ],
    );
    assert.equal(st.pairs[0]!.safeToSwitchOver.safe, true);
    assert.ok(st.hosts.some((h) => h.host === 'h1' && h.lcaConnected));
    assert.ok(st.events.length > 0);
    assert.equal(st.readOnly, false);
  });

  test('GET / is the status page', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    for (const s of ['Pair PAIR', 'SIP_A', 'SIP_B', 'Primary', 'Backup', 'Switch over'])
      assert.ok(html.includes(s), s);
  });

  test('unknown path 404, wrong method 405', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    const res = await fetch(`${base}/api/switchover`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
  });

  test('POST /api/switchover without a token: 401, with a wrong one: 401; both logged', async () => {
    const before = r.events('10-60008').length;
    const none = await post(base, '/api/switchover', { pair: 'PAIR' });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    const wrong = await post(base, '/api/switchover', { pair: 'PAIR' }, 'operator-token-0123456780');
    assert.equal(wrong.status, 401);
    assert.match(((await wrong.json()) as { error: string }).error, /wrong token/);
    const shortWrong = await post(base, '/api/switchover', { pair: 'PAIR' }, 'x');
    assert.equal(shortWrong.status, 401);
    assert.equal(r.events('10-60008').length, before + 3);
    assert.equal(r.scs.status().pairs[0]!.transition, null, 'nothing happened');
  });

  test('bad bodies: 400; unknown pair: 404', async () => {
    assert.equal((await post(base, '/api/switchover', '{not json', TOKEN)).status, 400);
    assert.equal((await post(base, '/api/switchover', [1, 2], TOKEN)).status, 400);
    assert.equal((await post(base, '/api/switchover', { pair: 7 }, TOKEN)).status, 400);
    assert.equal((await post(base, '/api/switchover', { whenReady: 'yes' }, TOKEN)).status, 400);
    assert.equal((await post(base, '/api/switchover', 'x'.repeat(20_000), TOKEN)).status, 413);
    const unknown = await post(base, '/api/switchover', { pair: 'OTHER' }, TOKEN);
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: string }).error, /no HA pair named "OTHER"/);
    assert.equal(r.scs.status().pairs[0]!.transition, null, 'nothing happened');
  });

  test('the right token: 202; a second request while it runs: 409; then it completes', async () => {
    const res = await post(base, '/api/switchover', { pair: 'PAIR', whenReady: false }, TOKEN);
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), {
      ok: true,
      pair: 'PAIR',
      from: 'SIP_A',
      to: 'SIP_B',
      waitingForReadiness: false,
    });
    const again = await post(base, '/api/switchover', {}, TOKEN); // the only pair
    assert.equal(again.status, 409);
    assert.match(((await again.json()) as { error: string }).error, /in progress/);
    assert.ok(r.sim.runUntil(() => r.mode('SIP_B') === 'Primary', { timeoutMs: 5000 }));
    r.sim.runFor(1000);
    const st = (await (await fetch(`${base}/api/status`)).json()) as ReturnType<ScsRig['scs']['status']>;
    assert.equal(st.pairs[0]!.primary, 'SIP_B');
    assert.equal(st.pairs[0]!.transition, null);
  });

  test('cancel: 409 when nothing waits', async () => {
    const res = await post(base, '/api/switchover/cancel', { pair: 'PAIR' }, TOKEN);
    assert.equal(res.status, 409);
  });
});

describe('without a token: read-only', () => {
  let r: ScsRig;
  let api: ScsApi;
  let base: string;
  before(async () => {
    const raw = rawEnvironment();
    delete raw.scs.token;
    r = scsRig({ raw });
    steady(r);
    ({ api, base } = await startApi(r, r.config.scs.token));
  });
  after(() => api.close());

  test('status works; switchover is 403 whatever the header', async () => {
    assert.equal((await fetch(`${base}/api/status`)).status, 200);
    const st = (await (await fetch(`${base}/api/status`)).json()) as { readOnly: boolean };
    assert.equal(st.readOnly, true);
    assert.equal((await post(base, '/api/switchover', { pair: 'PAIR' })).status, 403);
    const res = await post(base, '/api/switchover', { pair: 'PAIR' }, TOKEN);
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { error: string }).error, /read-only/);
    const html = await (await fetch(`${base}/`)).text();
    assert.ok(!html.includes('<button'), 'no switchover buttons on a read-only page');
  });
});
