/**
 * `duet scs --config FILE [--data-dir DIR]`: the Solution Control Server (SPEC S1, S4.5, S7). Wiring only: Node
 * adapters, the Scs core (src/mgmt/scs/scs.ts), its HTTP API and status page on `scs.port` at the address of
 * the scs host, and a clean stop on SIGINT/SIGTERM. A restarted SCS adopts the modes the servers report, so
 * stopping and starting it never moves the primary role; the raised alarms are kept in DIR/scs-alarms.json
 * (default DIR: var, as `duet server` and `duet lca`), so a restarted SCS still lists them.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { diffConfig } from '../config/diff.ts';
import { createLogger } from '../log/logger.ts';
import { linkSecretOf } from '../mgmt/lca/secret.ts';
import { FileAlarmStore } from '../mgmt/scs/alarm-store.ts';
import { type ScsApi, startScsApi } from '../mgmt/scs/api.ts';
import { Scs } from '../mgmt/scs/scs.ts';
import { NodeClock, NodeNet, NodeRandom } from '../runtime/node/index.ts';
import { parseCommandArgs } from './args.ts';
import { readConfigFile } from './config-file.ts';

const USAGE = 'usage: duet scs --config FILE [--data-dir DIR]';

export async function runScs(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('scs', USAGE, {
    args: argv,
    options: { config: { type: 'string' }, 'data-dir': { type: 'string' } },
  });
  if (!parsed) return 2;
  const { values } = parsed;
  if (!values.config) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const file = values.config;
  const read = readConfigFile(file);
  if (!read.ok) {
    for (const m of read.messages) process.stderr.write(`${m}\n`);
    return 1;
  }
  let config = read.config;
  const scsHost = config.hosts[config.scs.host];
  if (!scsHost) {
    process.stderr.write(`duet scs: scs.host "${config.scs.host}" is not a host of ${file}\n`);
    return 1;
  }

  const dataDir = resolve(values['data-dir'] ?? 'var');
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (e) {
    process.stderr.write(`duet scs: cannot use --data-dir ${dataDir}: ${(e as Error).message}\n`);
    return 1;
  }

  const clock = new NodeClock();
  const logger = createLogger({ app: 'SCS', level: 'standard', destination: 'stdout', clock });
  logger.event('10-50001', { file });
  const { secret, insecure } = linkSecretOf(config);
  if (insecure) logger.event('10-61010', { file, component: 'SCS' });

  const scs = new Scs({
    net: new NodeNet(),
    clock,
    random: new NodeRandom(),
    config,
    logger,
    secret,
    alarmStore: new FileAlarmStore(dataDir),
  });
  let api!: ScsApi;
  const listenError = await new Promise<Error | undefined>((done) => {
    api = startScsApi({
      host: scsHost.address,
      port: config.scs.port,
      backend: scs,
      token: () => config.scs.token,
      onReady: done,
    });
  });
  if (listenError) {
    process.stderr.write(
      `duet scs: cannot serve the management API on ${scsHost.address}:${config.scs.port}: ${listenError.message}\n`,
    );
    return 1;
  }
  logger.event('10-62011', { address: `${scsHost.address}:${api.port()}` });
  scs.start();

  // SIGHUP: scs.token and the servers' disconnect-switchover-timeout and haflip-detect-timeout take effect at
  // once; hosts, pairs and the SCS's own address need a restart (which moves no role: modes are adopted).
  const onHup = (): void => {
    const again = readConfigFile(file);
    if (!again.ok) {
      logger.event('10-50004', { file, count: again.messages.length, first: again.messages[0] ?? '' });
      return;
    }
    const diff = diffConfig(config, again.config);
    const mine = (path: string): boolean =>
      /^(scs|hosts|ha-pairs)(\.|$)/.test(path) ||
      /^applications\.[^.]+(\.host)?$/.test(path) ||
      /\.TServer\.(disconnect-switchover-timeout|haflip-detect-timeout)$/.test(path);
    const applied = diff.applied.filter((c) => mine(c.path));
    const pending = [...diff.pendingRestart, ...diff.onHaConnection, ...diff.nextCall].filter((c) =>
      mine(c.path),
    );
    config = again.config;
    scs.reconfigure(config);
    for (const c of pending) {
      const secret = /(link-secret|token)$/.test(c.path);
      logger.event('10-50003', {
        option: c.path,
        from: secret ? '(hidden)' : shown(c.from),
        to: secret ? '(hidden)' : shown(c.to),
      });
    }
    logger.event('10-50002', {
      file,
      applied: applied.length,
      nextCall: 0,
      onHaConnection: 0,
      pendingRestart: pending.length,
    });
  };
  process.on('SIGHUP', onHup);

  return new Promise((done) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      process.off('SIGHUP', onHup);
      scs.stop(`signal ${signal}`);
      api.close().then(() => done(0));
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

function shown(v: unknown): string {
  return v === undefined ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v);
}
