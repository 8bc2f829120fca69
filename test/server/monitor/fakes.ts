/**
 * Fakes for the monitors' unit tests: the simulator's clock (virtual time), a host whose addresses a test
 * adds and removes, a script runner whose runs a test answers (or never answers), and a logger whose events
 * are read back.
 */
import { createLogger, type Logger } from '../../../src/log/logger.ts';
import { SimClock } from '../../../src/runtime/sim/clock.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import { ServiceHealth } from '../../../src/server/health.ts';
import type { HostAddresses } from '../../../src/server/monitor/host-addresses.ts';
import type { ScriptOutcome } from '../../../src/server/monitor/vip-control.ts';

export class FakeHost implements HostAddresses {
  readonly set = new Set<string>();
  constructor(...initial: string[]) {
    for (const a of initial) this.set.add(a);
  }
  addresses(): string[] {
    return [...this.set];
  }
}

export interface ScriptCall {
  script: string;
  host: string;
  at: number;
  answer(outcome: ScriptOutcome): void;
}

export class FakeRunner {
  readonly calls: ScriptCall[] = [];
  /** What each new run does at once (e.g. change the host's addresses and exit 0); undefined: it hangs. */
  behaviour: ((call: ScriptCall) => void) | undefined;

  constructor(private readonly clock: SimClock) {}

  run = (script: string, host: string, done: (o: ScriptOutcome) => void): void => {
    const call: ScriptCall = { script, host, at: this.clock.now(), answer: done };
    this.calls.push(call);
    this.behaviour?.(call);
  };
}

export interface World {
  sim: Simulator;
  clock: SimClock;
  logger: Logger;
  health: ServiceHealth;
  lines: string[];
  /** The event IDs logged, in order (optionally only those in `ids`). */
  events(...ids: string[]): string[];
  params(id: string): Record<string, unknown>[];
}

export function world(): World {
  const sim = new Simulator({ seed: 1 });
  const clock = new SimClock(sim);
  const lines: string[] = [];
  const logger = createLogger({
    app: 'T',
    level: 'all',
    clock,
    destination: { write: (s) => lines.push(s) },
  });
  const parsed = () =>
    lines
      .map((l) => JSON.parse(l) as { event?: string; params?: Record<string, unknown> })
      .filter((l) => l.event !== undefined);
  return {
    sim,
    clock,
    logger,
    health: new ServiceHealth(),
    lines,
    events: (...ids) =>
      parsed()
        .map((l) => l.event!)
        .filter((e) => ids.length === 0 || ids.includes(e)),
    params: (id) =>
      parsed()
        .filter((l) => l.event === id)
        .map((l) => l.params ?? {}),
  };
}
