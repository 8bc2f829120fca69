/** The command line of a `duet` command: node's parseArgs, with a usage error reported the one way. */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * Parses `config.args`; on an unknown or malformed option writes `duet COMMAND: reason` and the usage to
 * stderr and returns undefined (the command then exits 2).
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
  command: string,
  usage: string,
  config: T,
): ReturnType<typeof parseArgs<T>> | undefined {
  try {
    return parseArgs(config);
  } catch (e) {
    process.stderr.write(`duet ${command}: ${(e as Error).message}\n${usage}\n`);
    return undefined;
  }
}
