/**
 * Integration harness: a real `duet server` process on loopback with a generated configuration, and sipp
 * phones and trunks around it. Every process is stopped by PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import {
  repoRoot,
  runSipp,
  type SippResult,
  type Started,
  startDuet,
  stopChild,
} from '../helpers/processes.ts';

export const SCENARIOS = join(repoRoot, 'test/integration/sipp');

function scenarioPath(scenario: string): string {
  return isAbsolute(scenario) ? scenario : join(SCENARIOS, scenario);
}

/** A port free for both UDP and TCP on 127.0.0.1, from a high range (SIP wants both). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const ok = await new Promise<boolean>((done) => {
      const tcp = createServer();
      tcp.once('error', () => done(false));
      tcp.listen(port, '127.0.0.1', () => {
        const udp = createSocket('udp4');
        udp.once('error', () => tcp.close(() => done(false)));
        udp.bind(port, '127.0.0.1', () => udp.close(() => tcp.close(() => done(true))));
      });
    });
    if (ok) return port;
  }
  throw new Error('no free port found');
}

export interface DnSpec {
  type: string;
  options?: Record<string, string | number | boolean>;
}

export interface ServerSetup {
  dns: Record<string, DnSpec>;
  tserver?: Record<string, string | number | boolean>;
}

export interface RunningServer {
  sipPort: number;
  httpPort: number;
  dir: string;
  configFile: string;
  process: Started;
  get(path: string): Promise<unknown>;
  stop(): Promise<void>;
  /** Stops and starts the same server again (same config, same data directory). */
  restart(): Promise<void>;
}

function yamlOf(setup: ServerSetup, sipPort: number, httpPort: number): string {
  const lines = [
    'hosts:',
    '  h:',
    '    address: 127.0.0.1',
    'applications:',
    '  S:',
    '    type: sip-server',
    '    host: h',
    '    options:',
    '      TServer:',
    `        sip-port: ${sipPort}`,
    `        http-port: ${httpPort}`,
    ...Object.entries(setup.tserver ?? {}).map(([k, v]) => `        ${k}: ${JSON.stringify(v)}`),
    '      log:',
    '        verbose: all',
    'dns:',
  ];
  for (const [n, dn] of Object.entries(setup.dns)) {
    lines.push(`  "${n}":`, `    type: ${dn.type}`);
    const opts = Object.entries(dn.options ?? {});
    if (opts.length > 0)
      lines.push('    options:', ...opts.map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`));
  }
  return `${lines.join('\n')}\n`;
}

export async function startServer(setup: ServerSetup): Promise<RunningServer> {
  const sipPort = await freePort();
  const httpPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'duet-it-'));
  const configFile = join(dir, 'duet.yaml');
  writeFileSync(configFile, yamlOf(setup, sipPort, httpPort));
  return runServerProcess({ configFile, dir, sipPort, httpPort });
}

/**
 * Runs `duet server --app S` on a config already written, and waits until it serves: its start event, each of
 * `readyEvents` (e.g. the CTI listener), then the HTTP interface answering.
 */
export async function runServerProcess(o: {
  configFile: string;
  dir: string;
  sipPort: number;
  httpPort: number;
  readyEvents?: RegExp[];
}): Promise<RunningServer> {
  const { configFile, dir, sipPort, httpPort } = o;
  const launch = async (): Promise<Started> => {
    const p = startDuet(['server', '--config', configFile, '--app', 'S', '--data-dir', join(dir, 'var')]);
    await p.waitFor(/"event":"10-10001"/, 20_000);
    for (const event of o.readyEvents ?? []) await p.waitFor(event, 10_000);
    // The HTTP interface opens right after the start event: wait until it answers.
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return p;
  };
  const server: RunningServer = {
    sipPort,
    httpPort,
    dir,
    configFile,
    process: await launch(),
    async get(path) {
      const res = await fetch(`http://127.0.0.1:${httpPort}${path}`);
      return res.headers.get('content-type')?.includes('json') ? res.json() : res.text();
    },
    stop() {
      return server.process.stop();
    },
    async restart() {
      await server.process.stop();
      server.process = await launch();
    },
  };
  return server;
}

/** A sipp running in the background (a phone or trunk answering calls) until stopped. */
export interface BackgroundSipp {
  port: number;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<BackgroundSipp>();

/** Kills every background sipp still running (a test that failed midway leaves some): call it in after(). */
export async function stopAllSipps(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

export async function sippBackground(
  scenario: string,
  args: string[],
  port?: number,
): Promise<BackgroundSipp> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'duet-sipp-bg-'));
  const child = spawn(
    'sipp',
    [
      '-sf',
      scenarioPath(scenario),
      '-i',
      '127.0.0.1',
      '-p',
      String(p),
      '-nostdin',
      '-timeout',
      '120s',
      ...args,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c.slice(-2000);
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  // sipp binds at once; give it a moment before traffic is sent to it.
  await new Promise((r) => setTimeout(r, 300));
  const handle: BackgroundSipp = {
    port: p,
    child,
    output: () => out,
    stop: () => {
      running.delete(handle);
      return stopChild(child, 'SIGKILL');
    },
  };
  running.add(handle);
  child.once('exit', () => running.delete(handle));
  return handle;
}

/** Waits for a background sipp to finish its -m calls; its exit code (null on timeout). */
export function finished(s: BackgroundSipp, timeoutMs = 30_000): Promise<number | null> {
  if (s.child.exitCode !== null) return Promise.resolve(s.child.exitCode);
  return new Promise((done) => {
    const t = setTimeout(() => done(null), timeoutMs);
    s.child.once('exit', (code) => {
      clearTimeout(t);
      done(code);
    });
  });
}

/** Runs a sipp scenario against the server to completion. */
export async function sippRun(
  server: RunningServer,
  scenario: string,
  args: string[],
  timeoutS = 30,
  /** The local port (a trunk calls from its own address); a free one otherwise. */
  localPort?: number,
): Promise<SippResult> {
  const port = localPort ?? (await freePort());
  return runSipp(
    [
      '-sf',
      scenarioPath(scenario),
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      ...args,
      `127.0.0.1:${server.sipPort}`,
    ],
    timeoutS,
  );
}

/** Registers DN `dn` (no password) with its Contact at `contactPort`. */
export async function register(
  server: RunningServer,
  dn: string,
  contactPort: number,
  expires = 300,
): Promise<void> {
  const r = await sippRun(server, 'register-contact.xml', [
    '-key',
    'dn',
    dn,
    '-key',
    'contact_port',
    String(contactPort),
    '-key',
    'expires',
    String(expires),
    '-m',
    '1',
  ]);
  if (r.code !== 0) throw new Error(`REGISTER of ${dn} failed: ${r.stderr}${r.stdout.slice(-500)}`);
}

/**
 * A scenario file with its @STATUS@ / @REASON@ written in: sipp reads status codes when it loads a scenario,
 * before it substitutes -key values, so a status cannot be a key.
 */
export function withStatus(template: string, status: number, reason = 'Error'): string {
  const text = readFileSync(join(SCENARIOS, template), 'utf8')
    .replaceAll('@STATUS@', String(status))
    .replaceAll('@REASON@', reason);
  const file = join(mkdtempSync(join(tmpdir(), 'duet-sc-')), template.replace('.xml', `-${status}.xml`));
  writeFileSync(file, text);
  return file;
}

/** The caller scenario expecting a final `status`. */
export function expectStatusScenario(status: number): string {
  return withStatus('call-uac-expect.xml', status);
}
