/**
 * The HTTP interface (SPEC S7) on 127.0.0.1, port 0: each path, 404 and 405, bad input (S8.1), and the
 * Prometheus text of the server's metrics.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../../src/log/logger.ts';
import {
  HTTP_LISTEN_RETRY_MS,
  type HttpInterface,
  type HttpProviders,
  httpPaths,
  startHttpInterface,
} from '../../../src/server/http/http-interface.ts';
import { createServerMetrics, metricNames } from '../../../src/server/http/metrics.ts';

function start(providers: HttpProviders, metrics = createServerMetrics().registry): Promise<HttpInterface> {
  return new Promise((resolve, reject) => {
    const h = startHttpInterface({
      host: '127.0.0.1',
      port: 0,
      providers,
      metrics,
      onReady: (err) => (err ? reject(err) : resolve(h)),
    });
  });
}

/** Sends raw bytes and returns everything the server wrote back before closing (or after 2 s). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, 2_000);
    s.on('data', (d) => {
      out += d.toString('latin1');
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on('error', reject);
    s.write(bytes);
  });
}

const providers: HttpProviders = {
  sipServer: () => ({ role: 'Primary', status: 'Running', calls: 3 }),
  sipTrunkStatistics: () => ({ trunks: [{ dn: '9001', currentCalls: 1 }] }),
  sipServiceChecker: () => ({ running: true, devices: [] }),
  tLibClientsStatistics: () => ({ clients: 2 }),
};

describe('HTTP interface', () => {
  let http: HttpInterface;
  let base: string;
  const metrics = createServerMetrics({
    labels: { app: 'SIP_A' },
    sample: { callsActive: () => 7, trunksInService: () => ({ '9001': true, '9002': false }) },
  });

  before(async () => {
    http = await start(providers, metrics.registry);
    assert.ok(http.port() > 0);
    base = `http://127.0.0.1:${http.port()}`;
  });
  after(() => http.close());

  for (const [path, body] of [
    ['/server?sipServer', { role: 'Primary', status: 'Running', calls: 3 }],
    ['/server?sipTrunkStatistics', { trunks: [{ dn: '9001', currentCalls: 1 }] }],
    ['/server?sipServiceChecker', { running: true, devices: [] }],
    ['/server?tLibClientsStatistics', { clients: 2 }],
    ['/healthz', { status: 'ok' }],
  ] as const) {
    test(`GET ${path} gives its JSON`, async () => {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.deepEqual(await res.json(), body);
    });
  }

  test('GET /metrics gives the Prometheus text with the server metrics', async () => {
    metrics.messageReceived('request');
    metrics.messageReceived('request');
    metrics.parseError();
    metrics.floodDrop();
    metrics.callEnded('answered');
    metrics.setRegistrationsActive(12);
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    for (const name of metricNames) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    assert.match(text, /^sip_messages_received_total\{kind="request",app="SIP_A"\} 2$/m);
    assert.match(text, /^sip_parse_errors_total\{app="SIP_A"\} 1$/m);
    assert.match(text, /^calls_total\{result="answered",app="SIP_A"\} 1$/m);
    assert.match(text, /^calls_active\{app="SIP_A"\} 7$/m, 'sampled at scrape time');
    assert.match(text, /^registrations_active\{app="SIP_A"\} 12$/m);
    assert.match(text, /^trunk_in_service\{dn="9002",app="SIP_A"\} 0$/m);
    assert.match(text, /^trunk_in_service\{dn="9001",app="SIP_A"\} 1$/m);
  });

  test('an unknown path is 404 with the list of valid paths', async () => {
    for (const path of [
      '/',
      '/server',
      '/server?nope',
      '/server?sipServer&sipTrunkStatistics',
      '/metrics?x',
      '/x/y',
    ]) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('content-type'), 'application/json');
      const body = (await res.json()) as { error: string; paths: string[] };
      assert.deepEqual(body.paths, httpPaths);
      assert.match(body.error, /no such resource/);
    }
  });

  test('a method other than GET/HEAD is 405 with Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${base}/server?sipServer`, {
        method,
        body: method === 'DELETE' ? null : 'x'.repeat(100_000),
      });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
      assert.match(
        ((await res.json()) as { error: string }).error,
        new RegExp(`method ${method} is not allowed`),
      );
    }
  });

  test('HEAD answers like GET without a body', async () => {
    const res = await fetch(`${base}/healthz`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
  });

  test('malformed HTTP gets a 400 and the server keeps serving', async () => {
    const out = await raw(http.port(), 'GARBAGE\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 400 /);
    const out2 = await raw(http.port(), `GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`);
    assert.match(out2, /^HTTP\/1\.1 400 /);
    const huge = await raw(
      http.port(),
      `GET /${'a'.repeat(5_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    assert.match(huge, /^HTTP\/1\.1 414 /);
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
  });
});

describe('HTTP interface failures', () => {
  test('a provider that throws gives a 500 naming the path; the next request works', async () => {
    let broken = true;
    const http = await start({
      ...providers,
      sipServer: () => {
        if (broken) throw new Error('store unavailable');
        return { ok: true };
      },
      sipTrunkStatistics: () => {
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        return cyclic;
      },
    });
    try {
      const base = `http://127.0.0.1:${http.port()}`;
      const res = await fetch(`${base}/server?sipServer`);
      assert.equal(res.status, 500);
      assert.deepEqual(await res.json(), { error: '/server?sipServer failed: store unavailable' });
      const cyc = await fetch(`${base}/server?sipTrunkStatistics`);
      assert.equal(cyc.status, 500);
      assert.match(((await cyc.json()) as { error: string }).error, /could not be written as JSON/);
      broken = false;
      assert.deepEqual(await (await fetch(`${base}/server?sipServer`)).json(), { ok: true });
    } finally {
      await http.close();
    }
  });

  test('close() ends keep-alive connections and frees the port', async () => {
    const http = await start(providers);
    const port = http.port();
    await fetch(`http://127.0.0.1:${port}/healthz`, { keepalive: true });
    await http.close();
    await assert.rejects(() => fetch(`http://127.0.0.1:${port}/healthz`));
  });

  test('calls_active follows callStarted/callEnded when it is not sampled', async () => {
    const m = createServerMetrics();
    m.callStarted();
    m.callStarted();
    m.callEnded('failed');
    const text = await m.registry.metrics();
    assert.match(text, /^calls_active 1$/m);
    assert.match(text, /^calls_started_total 2$/m);
    assert.match(text, /^calls_total\{result="failed"\} 1$/m);
  });

  test('each metrics registry is its own (two servers in one process)', async () => {
    const a = createServerMetrics();
    const b = createServerMetrics();
    a.floodDrop();
    a.setTrunkInService('9001', false);
    a.oosProbe('9001', 'sent');
    assert.match(await a.registry.metrics(), /^sip_flood_drops_total 1$/m);
    assert.match(await b.registry.metrics(), /^sip_flood_drops_total 0$/m);
    a.removeTrunk('9001');
    assert.doesNotMatch(await a.registry.metrics(), /dn="9001"/);
  });
});

describe('HTTP interface: a port that cannot be opened is retried', () => {
  /** A listening socket on a free 127.0.0.1 port, standing for another process that holds it. */
  async function holdPort() {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const addr = server.address();
    assert.ok(addr !== null && typeof addr === 'object');
    return { port: addr.port, release: () => new Promise<void>((r) => server.close(() => r())) };
  }
  function recording() {
    const events: { event: string; params: Record<string, unknown> }[] = [];
    const logger = createLogger({
      app: 'SIP_A',
      level: 'all',
      destination: {
        write(line: string) {
          const e = JSON.parse(line) as { event?: string; params?: Record<string, unknown> };
          if (e.event) events.push({ event: e.event, params: e.params ?? {} });
        },
      },
    });
    return { events, logger, count: (id: string) => events.filter((e) => e.event === id).length };
  }
  async function waitFor(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test('retried every 5 s by default (HTTP_LISTEN_RETRY_MS)', () => {
    assert.equal(HTTP_LISTEN_RETRY_MS, 5_000);
  });

  test('in use: onReady(err) and 10-10008 once per episode, then onReady() and 10-10009 when it opens', async () => {
    const held = await holdPort();
    const { events, logger, count } = recording();
    const ready: string[] = [];
    const http = startHttpInterface({
      host: '127.0.0.1',
      port: held.port,
      providers,
      metrics: createServerMetrics().registry,
      logger,
      retryMs: 50,
      onReady: (err) => ready.push(err ? `error ${(err as NodeJS.ErrnoException).code}` : 'listening'),
    });
    try {
      await waitFor('the failure', () => ready.length > 0);
      // Many attempts (every 50 ms) while the port is held: still one report and one event.
      await new Promise((r) => setTimeout(r, 600));
      assert.deepEqual(ready, ['error EADDRINUSE']);
      assert.equal(count('10-10008'), 1);
      assert.equal(count('10-10009'), 0);
      const failed = events.find((e) => e.event === '10-10008')!.params;
      assert.equal(failed.address, '127.0.0.1');
      assert.equal(failed.port, held.port);
      assert.match(String(failed.reason), /^EADDRINUSE: .*; trying again every 0\.05 s$/);
      assert.equal(http.port(), 0);

      await held.release();
      await waitFor('the port to open', () => ready.length === 2);
      assert.deepEqual(ready, ['error EADDRINUSE', 'listening']);
      assert.equal(http.port(), held.port);
      assert.deepEqual(events.find((e) => e.event === '10-10009')?.params, {
        address: '127.0.0.1',
        port: held.port,
      });
      const res = await fetch(`http://127.0.0.1:${held.port}/server?sipServer`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { role: 'Primary', status: 'Running', calls: 3 });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(count('10-10008'), 1);
      assert.equal(count('10-10009'), 1);
    } finally {
      await http.close();
      await held.release().catch(() => {});
    }
  });

  test('a free port opens at once: 10-10009 and onReady() only', async () => {
    const { logger, count } = recording();
    const http = await new Promise<HttpInterface>((resolve, reject) => {
      const h = startHttpInterface({
        host: '127.0.0.1',
        port: 0,
        providers,
        metrics: createServerMetrics().registry,
        logger,
        onReady: (err) => (err ? reject(err) : resolve(h)),
      });
    });
    assert.equal(count('10-10009'), 1);
    assert.equal(count('10-10008'), 0);
    await http.close();
  });

  test('close() while retrying stops the retries: the port is never taken afterwards', async () => {
    const held = await holdPort();
    const { logger, count } = recording();
    let told = 0;
    const http = startHttpInterface({
      host: '127.0.0.1',
      port: held.port,
      providers,
      metrics: createServerMetrics().registry,
      logger,
      retryMs: 50,
      onReady: () => {
        told += 1;
      },
    });
    await waitFor('the failure', () => told === 1);
    await http.close();
    await held.release();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(told, 1);
    assert.equal(count('10-10009'), 0);
    const again = createServer();
    again.listen(held.port, '127.0.0.1');
    await once(again, 'listening');
    again.close();
  });

  test('retryMs 0: reported through onReady once, not thrown, never retried', async () => {
    const held = await holdPort();
    const { events, logger } = recording();
    const errors: Error[] = [];
    const http = startHttpInterface({
      host: '127.0.0.1',
      port: held.port,
      providers,
      metrics: createServerMetrics().registry,
      logger,
      retryMs: 0,
      onReady: (err) => {
        if (err) errors.push(err);
        else assert.fail('listening without retries');
      },
    });
    await waitFor('the failure', () => errors.length === 1);
    assert.match(errors[0]!.message, /EADDRINUSE/);
    assert.match(String(events.find((e) => e.event === '10-10008')?.params.reason), /not retried$/);
    await held.release();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(http.port(), 0);
    await http.close();
  });
});
