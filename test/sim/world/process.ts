/**
 * A process on a simulated host. A SimNode is a whole machine with one set of addresses; a host of the HA
 * world runs several processes on one address (its LCA and its SIP Server, as on a real host), and each must
 * die on its own. A SimProcess gives one process its own Clock and Net over the host node's: kill() is kill -9
 * of that process only — its timers never fire, every socket it holds is closed by the "kernel" (TCP peers
 * see the close one link delay later, listening ports are freed), and no callback it registered ever runs
 * again. The node (its addresses, the other processes) lives on.
 */
import type { Clock, TimerHandle } from '../../../src/runtime/clock.ts';
import type {
  Address,
  Net,
  TcpConnection,
  TcpHandlers,
  TcpServer,
  TcpServerHandlers,
  UdpHandlers,
  UdpSocket,
} from '../../../src/runtime/net.ts';
import type { SeededRandom } from '../../../src/runtime/random.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import type { Simulator } from '../../../src/runtime/sim/simulator.ts';

interface Closable {
  close(): void;
}

export class SimProcess {
  readonly clock: Clock;
  readonly net: Net;
  /** Derived from the seed, the process name and its incarnation: a restarted process draws anew. */
  readonly random: SeededRandom;
  private readonly timers = new Set<TimerHandle>();
  private readonly held = new Set<Closable>();
  private isAlive = true;

  constructor(
    private readonly sim: Simulator,
    readonly node: SimNode,
    readonly name: string,
    readonly incarnation: number,
  ) {
    this.random = sim.deriveRandom(`process:${name}:${incarnation}`);
    this.clock = this.makeClock();
    this.net = this.makeNet();
  }

  get alive(): boolean {
    return this.isAlive && this.node.alive;
  }

  /** Wraps a callback so that it does nothing once the process is dead. */
  guard<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R | undefined {
    return (...args: A) => (this.alive ? fn(...args) : undefined);
  }

  /** kill -9. */
  kill(): void {
    if (!this.isAlive) return;
    this.isAlive = false;
    const timers = this.timers.size;
    for (const t of this.timers) this.node.clock.clearTimer(t);
    this.timers.clear();
    const held = [...this.held];
    this.held.clear();
    this.sim.record(
      `process ${this.name}#${this.incarnation} killed: ${timers} timers, ${held.length} sockets`,
    );
    for (const r of held) r.close();
  }

  private makeClock(): Clock {
    const base = this.node.clock;
    return {
      now: () => base.now(),
      setTimer: (delayMs, fn) => {
        if (!this.alive) return -1;
        const handle: TimerHandle = base.setTimer(delayMs, () => {
          this.timers.delete(handle);
          if (this.alive) fn();
        });
        this.timers.add(handle);
        return handle;
      },
      clearTimer: (handle) => {
        this.timers.delete(handle);
        base.clearTimer(handle);
      },
    };
  }

  private makeNet(): Net {
    const base = this.node.net;
    const g = <A extends unknown[], R>(fn: ((...args: A) => R) | undefined) =>
      fn === undefined ? undefined : this.guard(fn);
    const wrapTcp = (h: TcpHandlers, track: () => Closable | undefined): TcpHandlers => ({
      onConnect: g(h.onConnect?.bind(h)),
      onData: (data) => {
        if (this.alive) h.onData(data);
      },
      onClose: (err) => {
        const c = track();
        if (c) this.held.delete(c);
        if (this.alive) h.onClose(err);
      },
    });
    return {
      bindUdp: (local: Address, h: UdpHandlers): UdpSocket => {
        const sock = base.bindUdp(local, {
          onListening: g(h.onListening?.bind(h)),
          onMessage: (data, from) => {
            if (this.alive) h.onMessage(data, from);
          },
          onError: g(h.onError?.bind(h)),
        });
        this.held.add(sock);
        return {
          local: () => sock.local(),
          send: (data, to) => {
            if (this.alive) sock.send(data, to);
          },
          close: () => {
            this.held.delete(sock);
            sock.close();
          },
        };
      },
      listenTcp: (local: Address, h: TcpServerHandlers): TcpServer => {
        const server = base.listenTcp(local, {
          onListening: g(h.onListening?.bind(h)),
          onError: g(h.onError?.bind(h)),
          onConnection: (conn) => {
            if (!this.alive) {
              conn.close();
              return { onData() {}, onClose() {} };
            }
            this.held.add(conn);
            return wrapTcp(h.onConnection(conn), () => conn);
          },
        });
        this.held.add(server);
        return {
          local: () => server.local(),
          close: () => {
            this.held.delete(server);
            server.close();
          },
        };
      },
      connectTcp: (remote: Address, h: TcpHandlers): TcpConnection => {
        let conn: TcpConnection | undefined;
        conn = base.connectTcp(
          remote,
          wrapTcp(h, () => conn),
        );
        this.held.add(conn);
        return conn;
      },
    };
  }
}
