/**
 * `duet lca --config FILE --host NAME [--data-dir DIR]`: the Local Control Agent of one host (SPEC S1).
 * Wiring only: Node adapters, the process and script runners, SIGHUP reload (script applications take effect
 * at once), and on SIGTERM/SIGINT a clean stop of every server it started (SIGTERM, then SIGKILL after the
 * grace period) before it exits.
 */
import type { Config } from '../config/config.ts';
import { diffConfig } from '../config/diff.ts';
import { createLogger } from '../log/logger.ts';
import { Lca } from '../mgmt/lca/lca.ts';
import { NodeProcessControl, NodeScriptRunner } from '../mgmt/lca/node-processes.ts';
import { NodeClock, NodeNet, NodeRandom } from '../runtime/node/index.ts';
import { parseCommandArgs } from './args.ts';
import { readConfigFile } from './config-file.ts';

const USAGE = 'usage: duet lca --config FILE --host NAME [--data-dir DIR]';
/** How long the servers get to stop after SIGTERM when the LCA itself is stopped. */
const SHUTDOWN_GRACE_MS = 10_000;

export async function runLca(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('lca', USAGE, {
    args: argv,
    options: { config: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' } },
  });
  if (!parsed) return 2;
  const { values } = parsed;
  if (!values.config || !values.host) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const file = values.config;
  const host = values.host;
  const read = readConfigFile(file);
  if (!read.ok) {
    for (const m of read.messages) process.stderr.write(`${m}\n`);
    return 1;
  }
  let config: Config = read.config;
  if (!Object.hasOwn(config.hosts, host)) {
    process.stderr.write(
      `duet lca: "${host}" is not a host of ${file} (hosts: ${Object.keys(config.hosts).join(', ') || 'none'})\n`,
    );
    return 1;
  }

  const clock = new NodeClock();
  const logger = createLogger({ app: `LCA_${host}`, level: 'standard', destination: 'stdout', clock });
  logger.event('10-50001', { file });

  let lca: Lca;
  const listenError = await new Promise<Error | undefined>((done) => {
    lca = new Lca({
      net: new NodeNet(),
      clock,
      random: new NodeRandom(),
      config,
      host,
      logger,
      processes: new NodeProcessControl({ configFile: file, dataDir: values['data-dir'] ?? 'var' }),
      scripts: new NodeScriptRunner(),
      onListening: done,
    });
  });
  if (listenError) {
    lca!.close();
    process.stderr.write(`duet lca: cannot listen: ${listenError.message}\n`);
    return 1;
  }

  const onHup = (): void => {
    const again = readConfigFile(file);
    if (!again.ok) {
      logger.event('10-50004', { file, count: again.messages.length, first: again.messages[0] ?? '' });
      return;
    }
    // The LCA applies what is its own at once (script applications, servers added to this host); the
    // servers apply their options themselves on their own SIGHUP.
    const diff = diffConfig(config, again.config);
    config = again.config;
    lca.reconfigure(config);
    logger.event('10-50002', {
      file,
      applied: diff.applied.length,
      nextCall: diff.nextCall.length,
      onHaConnection: diff.onHaConnection.length,
      pendingRestart: diff.pendingRestart.length,
    });
  };
  process.on('SIGHUP', onHup);

  return new Promise((done) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.debug(`LCA stopping on ${signal}`);
      lca.shutdown(SHUTDOWN_GRACE_MS, () => {
        process.off('SIGHUP', onHup);
        done(0);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
