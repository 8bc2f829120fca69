/**
 * Runs the HA world (test/sim/world/world.ts) over many seeds:
 *
 *   node --import tsx test/sim/run-seeds.ts --seeds N [--from S] [--kinds k1,k2] [--exclude k1,k2]
 *                                           [--verbose] [--log FILE]
 *   npm run sim -- --seeds N
 *
 * Prints progress, every failing seed with its faults, violations and replay command, and seeds per minute;
 * exits 1 on any failure. --verbose prints the notes of sim.log and the last log lines of the servers, LCAs
 * and SCS of each failing seed; --log FILE writes the whole sim.log of the (last) failing seed, or of the
 * only seed when --seeds 1.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeFault, FAULT_KINDS, type FaultKind, replayCommand, runWorld } from './world/world.ts';

function kindsOf(list: string | undefined, flag: string): FaultKind[] | undefined {
  if (list === undefined) return undefined;
  const kinds = list.split(',').filter((k) => k !== '');
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) {
      throw new Error(`${flag}: unknown fault kind "${k}" (kinds: ${FAULT_KINDS.join(', ')})`);
    }
  }
  return kinds as FaultKind[];
}

function main(): number {
  let values: {
    seeds?: string;
    from?: string;
    kinds?: string;
    exclude?: string;
    verbose?: boolean;
    log?: string;
  };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        seeds: { type: 'string' },
        from: { type: 'string' },
        kinds: { type: 'string' },
        exclude: { type: 'string' },
        verbose: { type: 'boolean' },
        log: { type: 'string' },
      },
    }));
  } catch (e) {
    process.stderr.write(`run-seeds: ${(e as Error).message}\n`);
    return 2;
  }
  const count = Number(values.seeds ?? '100');
  const from = Number(values.from ?? '1');
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(from) || from < 0) {
    process.stderr.write('usage: run-seeds.ts --seeds N [--from S] (N >= 1, S >= 0, integers)\n');
    return 2;
  }
  let kinds: FaultKind[];
  try {
    const only = kindsOf(values.kinds, '--kinds') ?? [...FAULT_KINDS];
    const exclude = new Set(kindsOf(values.exclude, '--exclude') ?? []);
    kinds = only.filter((k) => !exclude.has(k));
  } catch (e) {
    process.stderr.write(`run-seeds: ${(e as Error).message}\n`);
    return 2;
  }
  if (kinds.length === 0) {
    process.stderr.write('run-seeds: no fault kind left to draw from\n');
    return 2;
  }
  const kindsArg = kinds.length === FAULT_KINDS.length ? '' : ` --kinds ${kinds.join(',')}`;
  process.stdout.write(`HA world: seeds ${from}..${from + count - 1}, fault kinds: ${kinds.join(', ')}\n`);
  const started = performance.now();
  const failures: number[] = [];
  let lastProgress = started;
  let virtualMs = 0;
  for (let i = 0; i < count; i++) {
    const seed = from + i;
    const r = runWorld({ seed, kinds });
    virtualMs += r.stats.virtualMs;
    if (!r.ok) {
      failures.push(seed);
      process.stdout.write(
        `\nFAIL seed ${seed}: faults ${r.faults.map(describeFault).join(', ') || 'none'}\n`,
      );
      for (const v of r.violations) process.stdout.write(`  ${v}\n`);
      process.stdout.write(`  replay: ${replayCommand(seed)}${kindsArg}\n`);
      if (values.verbose) {
        process.stdout.write('  -- sim.log notes --\n');
        for (const l of r.log) if (l.includes(' note ')) process.stdout.write(`  ${l}\n`);
        process.stdout.write('  -- last log lines of the processes --\n');
        for (const l of r.appLog.slice(-80)) process.stdout.write(`  ${l}\n`);
      }
      if (values.log) writeFileSync(values.log, `${r.log.join('\n')}\n`);
    } else if (values.log && count === 1) {
      writeFileSync(values.log, `${r.log.join('\n')}\n`);
    }
    if (count === 1) {
      process.stdout.write(
        `seed ${seed}: ${r.ok ? 'ok' : 'FAILED'}; sim.log sha256 ${r.logHash} (${r.log.length} lines); ` +
          `${JSON.stringify(r.stats)}\n`,
      );
    }
    const now = performance.now();
    if (now - lastProgress > 5000 || i === count - 1) {
      lastProgress = now;
      const minutes = (now - started) / 60_000;
      process.stdout.write(
        `[${i + 1}/${count}] ${failures.length} failed, ${((i + 1) / minutes).toFixed(0)} seeds/min\n`,
      );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `\n${count} seeds in ${seconds.toFixed(1)} s: ${((count / seconds) * 60).toFixed(0)} seeds per minute, ` +
      `${(virtualMs / 1000 / 60).toFixed(1)} virtual minutes simulated; ${failures.length} failed` +
      `${failures.length ? ` (seeds ${failures.join(', ')})` : ''}\n`,
  );
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = main();
