/**
 * A simulated machine running one process: its addresses, and the clock, net and random its components use.
 * crash() is a process death (kill -9): timers vanish, the kernel closes its sockets (TCP peers see the
 * close one link delay later), and nothing it set up before ever calls back. restart() is a fresh process on
 * the same machine: the test builds its components again on the same clock/net objects.
 */
import type { Clock } from '../clock.ts';
import type { Net } from '../net.ts';
import type { SeededRandom } from '../random.ts';
import { SimClock } from './clock.ts';
import { SimNodeDownError } from './errors.ts';
import { SimNet } from './net.ts';
import type { Simulator } from './simulator.ts';

/** Something a process holds that the kernel tears down when it dies (a socket, a listener, a connection). */
export interface SimResource {
  /** Closes without calling any of the dead process's handlers. */
  kill(): void;
}

export class SimNode {
  readonly clock: Clock;
  readonly net: Net;
  /** This node's random stream, derived from the seed and the node's name only. */
  readonly random: SeededRandom;

  private readonly simClock: SimClock;
  private readonly hostList: string[] = [];
  private readonly events = new Set<number>();
  private readonly resources = new Set<SimResource>();
  private isAlive = true;

  constructor(
    private readonly sim: Simulator,
    readonly name: string,
  ) {
    this.random = sim.deriveRandom(`node:${name}`);
    this.simClock = new SimClock(sim, this);
    this.clock = this.simClock;
    this.net = new SimNet(sim.network, this);
  }

  get hosts(): readonly string[] {
    return [...this.hostList];
  }

  get alive(): boolean {
    return this.isAlive;
  }

  hasHost(host: string): boolean {
    return this.hostList.includes(host);
  }

  /** Gives this node another address (e.g. a Virtual IP taken over on failover). */
  addHost(host: string): void {
    if (this.hostList.includes(host)) return;
    this.sim.network.assignHost(host, this);
    this.hostList.push(host);
  }

  /**
   * Takes an address away: traffic to it no longer reaches this node. Sockets bound to it stay open but
   * receive nothing, as on Linux when an IP is deleted from an interface.
   */
  removeHost(host: string): void {
    const i = this.hostList.indexOf(host);
    if (i < 0) return;
    this.hostList.splice(i, 1);
    this.sim.network.unassignHost(host, this);
  }

  /** The address a socket not bound to a specific one sends from: same family as the destination. */
  sourceHostFor(dest: string): string | undefined {
    if (this.hostList.includes(dest)) return dest;
    const v6 = dest.includes(':');
    return this.hostList.find((h) => h.includes(':') === v6) ?? this.hostList[0];
  }

  /** Kills the process. No-op if already down. */
  crash(): void {
    if (!this.isAlive) return;
    this.isAlive = false;
    for (const id of this.events) this.sim.cancel(id);
    this.events.clear();
    const timers = this.simClock.forgetAll();
    const held = [...this.resources];
    this.resources.clear();
    this.sim.trace(`node ${this.name} crash: ${timers} timers cancelled, ${held.length} sockets closed`);
    for (const r of held) r.kill();
  }

  /** Starts a fresh process: the clock and net work again; nothing from before the crash comes back. */
  restart(): void {
    if (this.isAlive) return;
    this.isAlive = true;
    this.sim.trace(`node ${this.name} restart`);
  }

  assertAlive(action: string): void {
    if (!this.isAlive) throw new SimNodeDownError(this.name, action);
  }

  /** Schedules an event that belongs to this process: a crash cancels it. */
  schedule(delayMs: number, fn: () => void): number {
    const id = this.sim.schedule(delayMs, () => {
      this.events.delete(id);
      fn();
    });
    this.events.add(id);
    return id;
  }

  own(resource: SimResource): void {
    this.resources.add(resource);
  }

  disown(resource: SimResource): void {
    this.resources.delete(resource);
  }
}
