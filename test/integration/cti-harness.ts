/**
 * What the CTI end-to-end tests share: a `duet server` (or a `duet up` pair) on loopback with CTI clients,
 * agents and DNs in its config; a raw framed-JSON socket for bad input; an event recorder for the library.
 * Every process is stopped by PID (the harness's own helpers).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { stringify } from 'yaml';
import { CtiClient, type CtiEvent } from '../../src/client/cti/index.ts';
import { repoRoot, stopChild } from '../helpers/processes.ts';
import { until } from '../helpers/until.ts';
import { freePort, type RunningServer, runServerProcess, stopAllSipps } from './harness.ts';

export { until };

export const APP = 'Desktop';
export const APP_PASSWORD = 'desk-pw';
export const ROUTER = 'Router';
export const ROUTER_PASSWORD = 'router-pw';

export interface CtiSetup {
  dns: Record<string, { type: string; options?: Record<string, string | number | boolean> }>;
  agents?: Record<string, { password?: string }>;
  tserver?: Record<string, string | number | boolean>;
}

function ctiApps(): Record<string, unknown> {
  return {
    [APP]: { type: 'cti-client', password: APP_PASSWORD },
    [ROUTER]: { type: 'cti-client', password: ROUTER_PASSWORD },
  };
}

export interface CtiServer extends RunningServer {
  ctiPort: number;
}

/** One `duet server` with CTI on loopback (single server, primary). */
export async function startCtiServer(setup: CtiSetup): Promise<CtiServer> {
  const [sipPort, httpPort, ctiPort] = (await distinctPorts(3)) as [number, number, number];
  const dir = mkdtempSync(join(tmpdir(), 'duet-cti-'));
  const configFile = join(dir, 'duet.yaml');
  const doc = {
    hosts: { h: { address: '127.0.0.1' } },
    applications: {
      S: {
        type: 'sip-server',
        host: 'h',
        options: {
          TServer: { 'sip-port': sipPort, 'http-port': httpPort, 'cti-port': ctiPort, ...setup.tserver },
          log: { verbose: 'all' },
        },
      },
      ...ctiApps(),
    },
    dns: setup.dns,
    agents: setup.agents ?? {},
  };
  writeFileSync(configFile, stringify(doc));
  const server = await runServerProcess({
    configFile,
    dir,
    sipPort,
    httpPort,
    readyEvents: [/"event":"10-70005"/],
  });
  return Object.assign(server, { ctiPort });
}

export interface PairStatus {
  role: string;
  calls: number;
  contacts: number;
  readyForSwitchover: number;
  pid: number;
}

export interface RunningPair {
  sipPort: number;
  http: [number, number];
  cti: [number, number];
  up: ChildProcess;
  log(): string;
  status(i: 0 | 1): Promise<PairStatus | undefined>;
  stop(): Promise<void>;
}

/** `duet up`: SCS, LCA and the two servers SIP_A (primary) and SIP_B, each with its own cti-port. */
export async function startCtiPair(setup: CtiSetup): Promise<RunningPair> {
  const [sip, httpA, httpB, haA, haB, lca, scs, ctiA, ctiB] = await distinctPorts(9);
  const dir = mkdtempSync(join(tmpdir(), 'duet-cti-pair-'));
  const config = join(dir, 'pair.yaml');
  const server = (http: number, ha: number, cti: number) => ({
    type: 'sip-server',
    host: 'h',
    options: {
      TServer: { 'sip-port': sip, 'http-port': http, 'ha-port': ha, 'cti-port': cti, ...setup.tserver },
      'backup-sync': { protocol: 'addp', 'addp-timeout': 0.5, 'addp-remote-timeout': 0.5 },
      log: { verbose: 'standard' },
    },
  });
  const doc = {
    hosts: { h: { address: '127.0.0.1', 'lca-port': lca } },
    applications: { SIP_A: server(httpA, haA, ctiA), SIP_B: server(httpB, haB, ctiB), ...ctiApps() },
    'ha-pairs': { PAIR: { primary: 'SIP_A', backup: 'SIP_B', 'redundancy-type': 'hot-standby' } },
    scs: {
      host: 'h',
      port: scs,
      token: 'cti-e2e-test-token-0123',
      'link-secret': 'cti-e2e-test-secret-0123',
    },
    dns: setup.dns,
    agents: setup.agents ?? {},
  };
  writeFileSync(config, stringify(doc));
  let log = '';
  const up = spawn(
    process.execPath,
    [join(repoRoot, 'bin/duet.mjs'), 'up', '--config', config, '--data-dir', join(dir, 'var')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (c: string) => {
    log = (log + c).slice(-40_000);
  };
  up.stdout?.setEncoding('utf8').on('data', keep);
  up.stderr?.setEncoding('utf8').on('data', keep);
  const status = async (i: 0 | 1): Promise<PairStatus | undefined> => {
    try {
      const res = await fetch(`http://127.0.0.1:${i === 0 ? httpA : httpB}/server?sipServer`);
      return (await res.json()) as PairStatus;
    } catch {
      return undefined;
    }
  };
  const pair: RunningPair = {
    sipPort: sip,
    http: [httpA, httpB],
    cti: [ctiA, ctiB],
    up,
    log: () => log,
    status,
    stop: () => stopChild(up),
  };
  try {
    await until(
      'SIP_A primary, SIP_B synced backup',
      async () => (await status(0))?.role === 'Primary' && (await status(1))?.readyForSwitchover === 1,
      30_000,
    );
  } catch (err) {
    await pair.stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return pair;
}

/** n free ports, all different (freePort alone may return the same one twice). */
export async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Every event a client's user sees, in order. */
export class Recorder {
  readonly events: CtiEvent[] = [];
  constructor(readonly client: CtiClient) {
    client.on('event', (e) => this.events.push(e));
  }

  /** Waits for an event matching, among those from index `from` on; returns it. */
  async next(
    what: string,
    match: (e: CtiEvent) => boolean,
    from = 0,
    timeoutMs = 10_000,
  ): Promise<CtiEvent & Record<string, unknown>> {
    let found: CtiEvent | undefined;
    await until(
      `${what} (seen: ${this.events.map((e) => e.message).join(', ')})`,
      () => (found = this.events.slice(from).find(match)) !== undefined,
      timeoutMs,
    );
    return found as CtiEvent & Record<string, unknown>;
  }

  /** The events of one call (by ConnID), names in order. */
  callNames(connId: string): string[] {
    return this.events.filter((e) => (e as { ConnID?: string }).ConnID === connId).map((e) => e.message);
  }
}

/** A raw CTI connection: frames in and out, every message received kept, for bad-input tests. */
export class RawCti {
  readonly received: Array<Record<string, unknown>> = [];
  closed = false;
  private buf = Buffer.alloc(0);

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 4) {
        const len = this.buf.readUInt32BE(0);
        if (this.buf.length < 4 + len) break;
        this.received.push(JSON.parse(this.buf.subarray(4, 4 + len).toString('utf8')));
        this.buf = this.buf.subarray(4 + len);
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<RawCti> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawCti(s)));
      s.once('error', reject);
    });
  }

  send(msg: object): void {
    this.sendRaw(Buffer.from(JSON.stringify(msg), 'utf8'));
  }

  /** A frame with exactly this body (not necessarily JSON). */
  sendRaw(body: Buffer): void {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    this.socket.write(Buffer.concat([head, body]));
  }

  /** Bytes as they are: a header claiming any length, garbage. */
  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async waitFor(
    what: string,
    match: (m: Record<string, unknown>) => boolean,
    from = 0,
  ): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await until(
      `${what} (received: ${JSON.stringify(this.received).slice(0, 1500)})`,
      () => (found = this.received.slice(from).find(match)) !== undefined,
    );
    return found!;
  }

  /** Sends a request and waits for the message with its ReferenceID. */
  async request(msg: { message: string; ReferenceID: number } & Record<string, unknown>) {
    const from = this.received.length;
    this.send(msg);
    return this.waitFor(msg.message, (m) => m.ReferenceID === msg.ReferenceID, from);
  }

  async register(application = APP, password = APP_PASSWORD): Promise<Record<string, unknown>> {
    const r = await this.request({
      message: 'RequestRegisterClient',
      ReferenceID: 1,
      ApplicationName: application,
      Password: password,
    });
    assert.equal(r.message, 'EventServerInfo', JSON.stringify(r));
    return r;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * For a describe() of single-server CTI tests: the servers and clients it starts, all stopped after it (with
 * every sipp), and `client(server)` for a library client of that server.
 */
export function ctiFixture(): {
  servers: CtiServer[];
  client(server: CtiServer, application?: string, password?: string): CtiClient;
} {
  const servers: CtiServer[] = [];
  const clients: CtiClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    await stopAllSipps();
    for (const s of servers) await s.stop();
  });
  return {
    servers,
    client(server, application = APP, password = APP_PASSWORD) {
      const c = new CtiClient({
        servers: [{ host: '127.0.0.1', port: server.ctiPort }],
        application,
        password,
      });
      clients.push(c);
      return c;
    },
  };
}
