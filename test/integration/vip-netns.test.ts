/**
 * A real Virtual IP moving between two hosts (issue 6, SPEC S5, S6.1): three network namespaces (host A,
 * host B, a client) on a bridge with documentation-range addresses (192.0.2.0/24); a `duet lca` in each host
 * namespace and the `duet scs` in A's; both servers have sip-address = the VIP 192.0.2.100 and
 * control-vip-scripts with the shipped examples/vip scripts. sipp in the client namespace calls the VIP.
 *
 * 1. The primary server is SIGKILLed with calls up: the VIP moves to B (present there, absent on A), the
 *    established calls end cleanly through the new primary (the callers' BYEs get 200, the callees get
 *    theirs), a new call succeeds; the takeover time is printed.
 * 2. The SIP NIC address of the primary's namespace is removed: 00-52027, ServiceUnavailable, switchover;
 *    restored: 00-52028.
 * 3. The VIP is removed by hand on the primary: the up script runs again, 00-52029 then 00-52030.
 *
 * Needs root, iproute2 and sipp (CI has them; elsewhere it skips, naming what is missing). Everything it
 * starts runs inside its own namespaces, which are deleted in `after`, with every process in them.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../helpers/processes.ts';
import { findTool, skipUnless } from '../helpers/tools.ts';
import { until } from '../helpers/until.ts';
import { SCENARIOS } from './harness.ts';

const VIP = '192.0.2.100';
const A = { ip: '192.0.2.1', nic: '192.0.2.11' };
const B = { ip: '192.0.2.2', nic: '192.0.2.12' };
const CLIENT = '192.0.2.10';
const CALLS = 20;

function whyNot(): string | false {
  const tools = skipUnless('ip', 'sipp');
  if (tools) return tools;
  let missing: string | undefined;
  if (process.getuid?.() !== 0) missing = 'root (network namespaces and addresses)';
  else if (spawnSync(findTool('ip')!, ['netns', 'list']).status !== 0) missing = 'a working `ip netns`';
  if (missing === undefined) return false;
  const message = `needs ${missing}`;
  if (process.env.CI === 'true') throw new Error(`CI must not skip: ${message}`);
  return message;
}

const skip = whyNot();
const tag = `dv${process.pid % 100000}`;
const ns = { br: `${tag}br`, a: `${tag}a`, b: `${tag}b`, c: `${tag}c` };
const created: string[] = [];
const children: ChildProcess[] = [];

function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

function addNamespace(name: string): void {
  ip('netns', 'add', name);
  created.push(name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
}

/** A veth from `name`'s eth0 to the bridge, with `addresses` (the first is the primary address). */
function plug(name: string, addresses: string[]): void {
  const outer = `${name}0`;
  const inner = `${name}1`;
  ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
  ip('link', 'set', outer, 'netns', name);
  ip('link', 'set', inner, 'netns', ns.br);
  ip('-n', name, 'link', 'set', outer, 'name', 'eth0');
  ip('-n', ns.br, 'link', 'set', inner, 'master', 'br0', 'up');
  ip('-n', name, 'link', 'set', 'eth0', 'up');
  for (const a of addresses) ip('-n', name, 'addr', 'add', `${a}/24`, 'dev', 'eth0');
}

function hasVip(name: string): boolean {
  return ip('-n', name, '-o', 'addr', 'show', 'dev', 'eth0', 'to', `${VIP}/32`).trim() !== '';
}

/** A process in a namespace (`ip netns exec` execs it: the child's PID is the process's). */
function inNs(
  name: string,
  cmd: string,
  args: string[],
  cwd = repoRoot,
): { child: ChildProcess; lines: string[] } {
  const child = spawn('ip', ['netns', 'exec', name, cmd, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  let partial = '';
  const take = (chunk: string): void => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  };
  child.stdout?.setEncoding('utf8').on('data', take);
  child.stderr?.setEncoding('utf8').on('data', take);
  return { child, lines };
}

function duet(name: string, args: string[]): { child: ChildProcess; lines: string[] } {
  return inNs(name, process.execPath, [join(repoRoot, 'bin/duet.mjs'), ...args]);
}

/** Runs sipp in the client namespace to completion; its exit code (null: killed at the timeout). */
function sipp(args: string[], timeoutS: number): Promise<{ code: number | null; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-vip-sipp-'));
  const p = inNs(ns.c, 'sipp', [...args, '-nostdin', '-timeout', `${timeoutS}s`, '-timeout_error'], dir);
  return new Promise((done) => {
    const t = setTimeout(() => p.child.kill('SIGKILL'), (timeoutS + 5) * 1000);
    p.child.once('exit', (code) => {
      clearTimeout(t);
      done({ code, out: p.lines.slice(-30).join('\n') });
    });
  });
}

interface Status {
  role: string;
  status: string;
  pid: number;
  calls: number;
  haLink: string;
  readyForSwitchover: number;
  problems: { condition: string; reason: string }[];
}

/** A server's /server?sipServer, fetched from inside the client namespace. */
async function status(address: string): Promise<Status | undefined> {
  const p = inNs(ns.c, process.execPath, [
    '-e',
    'fetch(process.argv[1],{signal:AbortSignal.timeout(1500)}).then(r=>r.text()).then(t=>process.stdout.write(t),()=>process.exit(1))',
    `http://${address}:8081/server?sipServer`,
  ]);
  const code = await new Promise<number | null>((done) => p.child.once('exit', done));
  if (code !== 0) return undefined;
  try {
    return JSON.parse(p.lines.join('\n')) as Status;
  } catch {
    return undefined;
  }
}

/** The index of the first line at or after `from` with event `id` of `app`, or -1. */
function findEvent(lines: string[], app: string, id: string, from = 0): number {
  const want = `"event":"${id}"`;
  for (let i = from; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith(`[${app}] `) && l.includes(want)) return i;
  }
  return -1;
}

after(() => {
  // Every process we started runs in one of our namespaces: end them all, by PID, then the namespaces.
  for (const name of created) {
    const r = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' });
    for (const pid of r.stdout
      .split('\n')
      .map(Number)
      .filter((n) => n > 0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const name of created.reverse()) spawnSync('ip', ['netns', 'del', name]);
});

test(
  'a real VIP: moves to host B when the primary is killed (calls survive); NIC failure switches over; a VIP removed by hand comes back',
  { skip, timeout: 240_000 },
  async (t) => {
    // ---- the network ----
    addNamespace(ns.br);
    ip('-n', ns.br, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', ns.br, 'link', 'set', 'br0', 'up');
    for (const name of [ns.a, ns.b, ns.c]) addNamespace(name);
    plug(ns.a, [A.ip, A.nic]);
    plug(ns.b, [B.ip, B.nic]);
    plug(ns.c, [CLIENT]);

    // ---- the configuration ----
    const dir = mkdtempSync(join(tmpdir(), 'duet-vip-'));
    const config = join(dir, 'vip.yaml');
    const up = join(repoRoot, 'examples/vip/vip-up.sh');
    const down = join(repoRoot, 'examples/vip/vip-down.sh');
    const server = (host: string, name: string, nic: string): string =>
      `  ${name}:\n    type: sip-server\n    host: ${host}\n    options:\n      TServer:\n` +
      `        sip-address: ${VIP}\n        sip-port: 5060\n        http-port: 8081\n        ha-port: 7001\n` +
      `        control-vip-scripts: true\n        sip-vip-script-up: ${name}_VIP_UP\n` +
      `        sip-vip-script-down: ${name}_VIP_DOWN\n        vip-state-change-timeout: 3\n` +
      `        sip-iptakeover-monitoring: true\n        network-monitoring-timeout: 1\n` +
      `        sip-nic-address: ${nic}\n        sip-nic-monitoring: true\n` +
      `      backup-sync: { protocol: addp, addp-timeout: 0.5, addp-remote-timeout: 0.5 }\n` +
      `      log: { verbose: standard }\n`;
    const script = (name: string, host: string, command: string): string =>
      `  ${name}:\n    type: script\n    host: ${host}\n    command: ${command}\n    args: [${VIP}/24, eth0]\n    timeout: 10\n`;
    writeFileSync(
      config,
      `hosts:\n  A: { address: ${A.ip} }\n  B: { address: ${B.ip} }\n` +
        `applications:\n${server('A', 'SIP_A', A.nic)}${server('B', 'SIP_B', B.nic)}` +
        script('SIP_A_VIP_UP', 'A', up) +
        script('SIP_A_VIP_DOWN', 'A', down) +
        script('SIP_B_VIP_UP', 'B', up) +
        script('SIP_B_VIP_DOWN', 'B', down) +
        `ha-pairs:\n  PAIR: { primary: SIP_A, backup: SIP_B }\n` +
        `scs: { host: A, port: 4900, token: vip-test-token-0123456, link-secret: vip-test-secret-0123456 }\n` +
        `dns:\n  "1001": { type: Extension }\n  "1002": { type: Extension }\n`,
    );

    // ---- the processes ----
    const lcaA = duet(ns.a, ['lca', '--config', config, '--host', 'A', '--data-dir', join(dir, 'a')]);
    const lcaB = duet(ns.b, ['lca', '--config', config, '--host', 'B', '--data-dir', join(dir, 'b')]);
    const scs = duet(ns.a, ['scs', '--config', config]);
    const logs = (): string =>
      [lcaA.lines.slice(-40), lcaB.lines.slice(-40), scs.lines.slice(-20)]
        .map((l) => l.join('\n'))
        .join('\n---\n');

    await until(
      'SIP_A primary with the VIP, SIP_B a synced backup without it',
      async () =>
        (await status(A.ip))?.role === 'Primary' &&
        (await status(B.ip))?.readyForSwitchover === 1 &&
        hasVip(ns.a) &&
        !hasVip(ns.b),
      40_000,
      logs(),
    );
    assert.ok(findEvent(lcaA.lines, 'SIP_A', '10-30013') >= 0, 'the up script ran on A');

    // ---- 1. calls through the VIP, the primary killed ----
    const calleeP = sipp(
      [
        '-sf',
        join(SCENARIOS, 'callee-answer.xml'),
        '-i',
        CLIENT,
        '-p',
        '5070',
        '-d',
        '100',
        '-m',
        String(CALLS),
        '-l',
        String(CALLS),
      ],
      120,
    );
    const probeCalleeP = sipp(
      ['-sf', join(SCENARIOS, 'callee-answer.xml'), '-i', CLIENT, '-p', '5071', '-d', '50', '-m', '50'],
      120,
    );
    await new Promise((r) => setTimeout(r, 300));
    for (const [dn, port] of [
      ['1002', 5070],
      ['1001', 5071],
    ] as const) {
      const r = await sipp(
        [
          '-sf',
          join(SCENARIOS, 'register-contact.xml'),
          '-i',
          CLIENT,
          '-p',
          '5079',
          '-key',
          'dn',
          dn,
          '-key',
          'contact_port',
          String(port),
          '-key',
          'expires',
          '300',
          '-m',
          '1',
          `${VIP}:5060`,
        ],
        10,
      );
      assert.equal(r.code, 0, `REGISTER ${dn} through the VIP: ${r.out}`);
    }
    const callersP = sipp(
      [
        '-sf',
        join(SCENARIOS, 'call-uac.xml'),
        '-i',
        CLIENT,
        '-p',
        '5080',
        '-key',
        'caller',
        '1001',
        '-s',
        '1002',
        '-d',
        '10000',
        '-m',
        String(CALLS),
        '-r',
        '20',
        '-l',
        String(CALLS),
        `${VIP}:5060`,
      ],
      90,
    );
    await until(
      'every call established and synced to the backup',
      async () => (await status(A.ip))?.calls === CALLS && (await status(B.ip))?.calls === CALLS,
      20_000,
      logs(),
    );

    const pidA = (await status(A.ip))!.pid;
    const killedAt = Date.now();
    process.kill(pidA, 'SIGKILL');
    let vipOnBAt = 0;
    const vipPoll = setInterval(() => {
      if (!vipOnBAt && hasVip(ns.b)) vipOnBAt = Date.now();
    }, 20);
    let answeredAt = 0;
    try {
      while (!answeredAt) {
        const r = await sipp(
          [
            '-sf',
            join(SCENARIOS, 'call-uac.xml'),
            '-i',
            CLIENT,
            '-p',
            '5081',
            '-key',
            'caller',
            '1002',
            '-s',
            '1001',
            '-d',
            '100',
            '-m',
            '1',
            `${VIP}:5060`,
          ],
          3,
        );
        if (r.code === 0) answeredAt = Date.now();
        else if (Date.now() - killedAt > 30_000)
          assert.fail(`no call answered 30 s after the kill\n${logs()}`);
      }
    } finally {
      clearInterval(vipPoll);
    }
    if (!vipOnBAt && hasVip(ns.b)) vipOnBAt = Date.now();
    t.diagnostic(
      `takeover with the real VIP: kill -> VIP on host B ${vipOnBAt - killedAt} ms, ` +
        `kill -> first new call answered through the VIP ${answeredAt - killedAt} ms` +
        (findTool('arping') ? '' : ' (no arping: no gratuitous ARP)'),
    );
    const callers = await callersP;
    assert.equal(
      callers.code,
      0,
      `every established call ended cleanly through the new primary:\n${callers.out}\n${logs()}`,
    );
    const callee = await calleeP;
    assert.equal(callee.code, 0, `every callee leg got its BYE:\n${callee.out}`);
    await until('the VIP is gone from host A', () => !hasVip(ns.a), 15_000, logs());
    assert.ok(hasVip(ns.b), 'the VIP is on host B');
    const afterKill = await status(B.ip);
    assert.equal(afterKill?.role, 'Primary');

    // ---- 2. the SIP NIC of the primary (now B) removed, then restored ----
    await until(
      'SIP_A restarted as a synced backup',
      async () => {
        const s = await status(A.ip);
        return s?.role === 'Backup' && s.status === 'Running' && s.haLink === 'established';
      },
      30_000,
      logs(),
    );
    const markB = lcaB.lines.length;
    ip('-n', ns.b, 'addr', 'del', `${B.nic}/24`, 'dev', 'eth0');
    await until(
      '00-52027 from SIP_B',
      () => findEvent(lcaB.lines, 'SIP_B', '00-52027', markB) >= 0,
      10_000,
      logs(),
    );
    await until(
      'SIP_B ServiceUnavailable (or already switched), SIP_A primary with the VIP',
      async () => (await status(A.ip))?.role === 'Primary' && hasVip(ns.a) && !hasVip(ns.b),
      20_000,
      logs(),
    );
    const unavailable = await status(B.ip);
    assert.equal(unavailable?.status, 'ServiceUnavailable');
    assert.ok(unavailable?.problems.some((p) => p.condition === 'sip-nic'));
    assert.equal(unavailable?.role, 'Backup');
    const restoreMark = lcaB.lines.length;
    ip('-n', ns.b, 'addr', 'add', `${B.nic}/24`, 'dev', 'eth0');
    await until(
      '00-52028 from SIP_B',
      () => findEvent(lcaB.lines, 'SIP_B', '00-52028', restoreMark) >= 0,
      10_000,
      logs(),
    );
    await until(
      'SIP_B Running again',
      async () => (await status(B.ip))?.status === 'Running',
      10_000,
      logs(),
    );

    // ---- 3. the VIP removed by hand on the primary (now A) ----
    const markA = lcaA.lines.length;
    ip('-n', ns.a, 'addr', 'del', `${VIP}/24`, 'dev', 'eth0');
    await until(
      '00-52030 from SIP_A',
      () => findEvent(lcaA.lines, 'SIP_A', '00-52030', markA) >= 0,
      15_000,
      logs(),
    );
    const failure = findEvent(lcaA.lines, 'SIP_A', '00-52029', markA);
    const rerun = findEvent(lcaA.lines, 'SIP_A', '10-30010', markA);
    const success = findEvent(lcaA.lines, 'SIP_A', '00-52030', markA);
    assert.ok(
      failure >= 0 && rerun > failure && success > rerun,
      `00-52029, the up script again, 00-52030:\n${logs()}`,
    );
    assert.ok(hasVip(ns.a), 'the up script put the VIP back');
    const finalCall = await sipp(
      [
        '-sf',
        join(SCENARIOS, 'call-uac.xml'),
        '-i',
        CLIENT,
        '-p',
        '5082',
        '-key',
        'caller',
        '1002',
        '-s',
        '1001',
        '-d',
        '100',
        '-m',
        '1',
        `${VIP}:5060`,
      ],
      10,
    );
    assert.equal(finalCall.code, 0, `a call through the VIP after it came back:\n${finalCall.out}`);
    void probeCalleeP;
  },
);
