/**
 * The deterministic simulator (DESIGN §1, SPEC S10.1): virtual time, one agenda of events, a seeded source of
 * every random choice, and an in-memory network. A run is a pure function of the seed and the test's code, so
 * a failing seed replays exactly. Events run synchronously inside run()/step(); there is no Promise anywhere
 * in the scheduler, because the microtask queue would interleave work outside virtual time.
 */
import type { Clock } from '../clock.ts';
import { SeededRandom } from '../random.ts';
import { SimClock } from './clock.ts';
import { EventQueue, type ScheduledEvent } from './event-queue.ts';
import { SimNetwork, type SimNetworkOptions } from './network.ts';
import { SimNode } from './node.ts';

export const DEFAULT_START_TIME = 1_700_000_000_000;
const RUNAWAY_EVENTS = 10_000_000;
const DEFAULT_RUN_UNTIL_TIMEOUT_MS = 60_000;

export interface SimulatorOptions {
  seed: number | string;
  /** Virtual epoch milliseconds at the start. Default 1_700_000_000_000 (November 2023). */
  startTime?: number;
  network?: SimNetworkOptions;
  /** Called with every log line as it is written (live tracing of a failing seed). */
  onLog?: (line: string) => void;
  /**
   * An unbounded run() (no `until`, no `maxEvents`) that runs this many events throws instead of spinning
   * forever on a self-re-arming timer. Default 10_000_000.
   */
  runawayEvents?: number;
}

export interface RunOptions {
  /** Absolute virtual time: run the events due at or before it, then leave the clock at `until`. */
  until?: number;
  /** Stop after this many events. */
  maxEvents?: number;
}

export interface RunUntilOptions {
  /** Virtual milliseconds to wait for the predicate; default 60000. */
  timeoutMs?: number;
  maxEvents?: number;
}

export class Simulator {
  readonly seed: number | string;
  readonly startTime: number;
  /** For the test's own random choices (which node to crash, when); nodes and network have their own streams. */
  readonly random: SeededRandom;
  /** One line per notable event, prefixed by the virtual time since the start. Same seed, same log. */
  readonly log: string[] = [];
  readonly network: SimNetwork;
  /** A clock on virtual time that belongs to no node (for the test harness); it never crashes. */
  readonly clock: Clock;

  private readonly queue = new EventQueue();
  private readonly live = new Map<number, ScheduledEvent>();
  private readonly nodesByName = new Map<string, SimNode>();
  private readonly onLog: ((line: string) => void) | undefined;
  private nextSeq = 1;
  private nowMs: number;
  private running = false;
  private executed = 0;
  private readonly runawayEvents: number;

  constructor(options: SimulatorOptions) {
    this.seed = options.seed;
    this.startTime = options.startTime ?? DEFAULT_START_TIME;
    this.nowMs = this.startTime;
    this.random = new SeededRandom(options.seed);
    this.onLog = options.onLog;
    this.runawayEvents = options.runawayEvents ?? RUNAWAY_EVENTS;
    this.network = new SimNetwork(this, options.network);
    this.clock = new SimClock(this);
  }

  /** Current virtual time, epoch milliseconds. */
  get now(): number {
    return this.nowMs;
  }

  /** Events scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.queue.size;
  }

  /** Events run since the start. */
  get eventsRun(): number {
    return this.executed;
  }

  /** A random stream that depends only on the seed and `label`, not on how many draws others made. */
  deriveRandom(label: string): SeededRandom {
    return new SeededRandom(`${String(this.seed)}\u0000${label}`);
  }

  /** Runs fn after delayMs of virtual time; returns an id for cancel(). */
  schedule(delayMs: number, fn: () => void): number {
    if (!Number.isFinite(delayMs)) {
      throw new RangeError(`Simulator.schedule: delay must be a finite number of ms, got ${delayMs}`);
    }
    return this.at(this.nowMs + Math.max(0, delayMs), fn);
  }

  /** Runs fn at an absolute virtual time (a time in the past means "now", after what is already due). */
  at(time: number, fn: () => void): number {
    if (!Number.isFinite(time)) throw new RangeError(`Simulator.at: time must be finite, got ${time}`);
    const seq = this.nextSeq++;
    const ev: ScheduledEvent = { seq, time: Math.max(time, this.nowMs), run: fn, index: -1 };
    this.queue.push(ev);
    this.live.set(seq, ev);
    return seq;
  }

  /** Cancels a scheduled event; false if it already ran, was cancelled, or never existed. */
  cancel(id: number): boolean {
    const ev = this.live.get(id);
    if (ev === undefined) return false;
    this.live.delete(id);
    return this.queue.remove(ev);
  }

  /**
   * Runs events in (time, insertion) order until the queue is empty, `until` is passed, or `maxEvents` ran.
   * Returns the number of events run.
   */
  run(options: RunOptions = {}): number {
    const { until, maxEvents } = options;
    const limit = maxEvents ?? (until === undefined ? this.runawayEvents : Number.POSITIVE_INFINITY);
    let count = 0;
    this.enter('run');
    try {
      for (;;) {
        const next = this.queue.peek();
        if (next === undefined || (until !== undefined && next.time > until)) {
          if (until !== undefined && until > this.nowMs) this.nowMs = until;
          break;
        }
        if (count >= limit) {
          if (maxEvents === undefined) {
            throw new Error(
              `Simulator.run: ${this.runawayEvents} events without the queue draining (virtual time ` +
                `+${this.nowMs - this.startTime} ms); a timer probably re-arms itself forever. ` +
                'Bound the run with { until } or { maxEvents }, or use runFor(ms).',
            );
          }
          break;
        }
        this.runOne();
        count++;
      }
    } finally {
      this.running = false;
    }
    return count;
  }

  /** Runs everything due in the next `ms` of virtual time and leaves the clock `ms` later. */
  runFor(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`Simulator.runFor: ms must be >= 0, got ${ms}`);
    return this.run({ until: this.nowMs + ms });
  }

  /** Runs the single next event; false when there is none. */
  step(): boolean {
    this.enter('step');
    try {
      if (this.queue.size === 0) return false;
      this.runOne();
      return true;
    } finally {
      this.running = false;
    }
  }

  /**
   * Runs events until `predicate` holds (checked before the first event and after each one). Returns false if
   * it still does not hold after `timeoutMs` of virtual time; the clock is then left at the deadline.
   */
  runUntil(predicate: () => boolean, options: RunUntilOptions = {}): boolean {
    const deadline = this.nowMs + (options.timeoutMs ?? DEFAULT_RUN_UNTIL_TIMEOUT_MS);
    const limit = options.maxEvents ?? Number.POSITIVE_INFINITY;
    this.enter('runUntil');
    try {
      if (predicate()) return true;
      let count = 0;
      for (;;) {
        const next = this.queue.peek();
        if (next === undefined || next.time > deadline) {
          this.nowMs = Math.max(this.nowMs, deadline);
          return false;
        }
        if (count >= limit) return false;
        this.runOne();
        count++;
        if (predicate()) return true;
      }
    } finally {
      this.running = false;
    }
  }

  /** Adds a user line to the log (prefixed by the virtual time like every other line). */
  record(text: string): void {
    this.trace(`note ${text}`);
  }

  /** Writes a log line; used by the network and nodes. */
  trace(text: string): void {
    const line = `[+${formatElapsed(this.nowMs - this.startTime)}ms] ${text}`;
    this.log.push(line);
    this.onLog?.(line);
  }

  /** A simulated machine (process + its IP addresses). Names and hosts are unique in a simulation. */
  addNode(name: string, hosts: readonly string[]): SimNode {
    if (this.nodesByName.has(name))
      throw new Error(`Simulator.addNode: a node named "${name}" already exists`);
    for (const host of hosts) {
      const owner = this.network.ownerOf(host);
      if (owner !== undefined) {
        throw new Error(`Simulator.addNode: address ${host} already belongs to node "${owner.name}"`);
      }
    }
    const node = new SimNode(this, name);
    this.nodesByName.set(name, node);
    for (const host of hosts) node.addHost(host);
    return node;
  }

  node(name: string): SimNode {
    const node = this.nodesByName.get(name);
    if (node === undefined) {
      const known = [...this.nodesByName.keys()].join(', ') || 'none';
      throw new Error(`Simulator.node: no node named "${name}" (known: ${known})`);
    }
    return node;
  }

  get nodes(): readonly SimNode[] {
    return [...this.nodesByName.values()];
  }

  private enter(what: string): void {
    if (this.running) {
      throw new Error(`Simulator.${what} called from inside an event; schedule the work as an event instead`);
    }
    this.running = true;
  }

  private runOne(): void {
    const ev = this.queue.pop()!;
    this.live.delete(ev.seq);
    this.nowMs = ev.time;
    this.executed++;
    ev.run();
  }
}

function formatElapsed(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : String(Number(ms.toFixed(3)));
}
