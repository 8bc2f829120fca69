/**
 * Two simulated machines, a link server on one and a client on the other, with every callback recorded (and
 * written to the simulator log, so that the determinism test compares them too).
 */
import assert from 'node:assert/strict';
import {
  connectLink,
  type LinkConnector,
  type LinkListener,
  listenLinks,
} from '../../../src/ha/link/link.ts';
import type { CloseReason, Link, LinkMessage, LinkOptions } from '../../../src/ha/link/types.ts';
import type { Address } from '../../../src/runtime/net.ts';
import type { SimNetworkOptions } from '../../../src/runtime/sim/network.ts';
import type { SimNode } from '../../../src/runtime/sim/node.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';

export const SECRET = 'correct horse battery staple';
export const SERVER_HOST = '10.0.0.1';
export const CLIENT_HOST = '10.0.0.2';
export const PORT = 7000;
export const SERVER_ADDR: Address = { host: SERVER_HOST, port: PORT };

export interface Side {
  link: Link | undefined;
  opened: number;
  messages: LinkMessage[];
  closes: CloseReason[];
  closedAt: number | undefined;
  /** Every callback in order: 'open', 'msg:<type>', 'close:<kind>', 'failed:<kind>', 'refused'. */
  events: string[];
  addp: string[];
}

function side(): Side {
  return { link: undefined, opened: 0, messages: [], closes: [], closedAt: undefined, events: [], addp: [] };
}

export interface PairOptions {
  seed?: number | string;
  network?: SimNetworkOptions;
  server?: Partial<LinkOptions>;
  client?: Partial<LinkOptions>;
  /** Do not connect the client (tests that use a raw peer instead). */
  noClient?: boolean;
}

export class Pair {
  readonly sim: Simulator;
  readonly serverNode: SimNode;
  readonly clientNode: SimNode;
  readonly server = side();
  readonly client = side();
  readonly refused: string[] = [];
  readonly failed: CloseReason[] = [];
  listener!: LinkListener;
  connector: LinkConnector | undefined;
  /** Called after the server recorded a message (a test may close the link from it). */
  onServerMessage: ((link: Link, msg: LinkMessage) => void) | undefined;

  constructor(readonly opts: PairOptions = {}) {
    this.sim = new Simulator({ seed: opts.seed ?? 1, network: opts.network });
    this.serverNode = this.sim.addNode('server', [SERVER_HOST]);
    this.clientNode = this.sim.addNode('client', [CLIENT_HOST]);
    this.listen();
    this.sim.runFor(1);
    if (!opts.noClient) this.connect();
  }

  listen(): void {
    const s = this.server;
    const n = this.serverNode;
    const record = (what: string): void => {
      s.events.push(what);
      this.sim.record(`server ${what}`);
    };
    this.listener = listenLinks(
      n.net,
      n.clock,
      n.random,
      SERVER_ADDR,
      {
        secret: SECRET,
        name: 'S1',
        protocol: 'ha',
        ...this.opts.server,
        addp: this.opts.server?.addp && {
          ...this.opts.server.addp,
          trace: (d, w) => {
            s.addp.push(`${d} ${w}`);
            this.sim.record(`server addp ${d} ${w}`);
          },
        },
      },
      {
        onOpen: (link) => {
          s.link = link;
          s.opened++;
          record(`open ${link.peerName} ${link.protocol}`);
        },
        onMessage: (link, msg) => {
          s.messages.push(msg);
          record(`msg:${msg.type}`);
          this.onServerMessage?.(link, msg);
        },
        onClose: (_link, reason) => {
          s.closes.push(reason);
          s.closedAt ??= this.sim.now;
          record(`close:${reason.kind}`);
        },
        onRefused: (remote, detail) => {
          assert.equal(remote.host, CLIENT_HOST);
          this.refused.push(detail);
          record(`refused ${detail}`);
        },
        onError: (err) => assert.fail(`listen error ${err.code}`),
      },
    );
  }

  connect(overrides: Partial<LinkOptions> = {}): void {
    const c = this.client;
    const n = this.clientNode;
    const record = (what: string): void => {
      c.events.push(what);
      this.sim.record(`client ${what}`);
    };
    const opts = { ...this.opts.client, ...overrides };
    this.connector = connectLink(
      n.net,
      n.clock,
      n.random,
      SERVER_ADDR,
      {
        secret: SECRET,
        name: 'S2',
        protocol: 'ha',
        ...opts,
        addp: opts.addp && {
          ...opts.addp,
          trace: (d, w) => {
            c.addp.push(`${d} ${w}`);
            this.sim.record(`client addp ${d} ${w}`);
          },
        },
      },
      {
        onOpen: (link) => {
          c.link = link;
          c.opened++;
          record(`open ${link.peerName} ${link.protocol}`);
        },
        onMessage: (_link, msg) => {
          c.messages.push(msg);
          record(`msg:${msg.type}`);
        },
        onClose: (_link, reason) => {
          c.closes.push(reason);
          c.closedAt ??= this.sim.now;
          record(`close:${reason.kind}`);
        },
        onFailed: (reason) => {
          this.failed.push(reason);
          record(`failed:${reason.kind}`);
        },
      },
    );
  }

  /** Runs until both ends are open; fails the test otherwise. */
  open(): { server: Link; client: Link } {
    const ok = this.sim.runUntil(() => this.server.link?.open === true && this.client.link?.open === true, {
      timeoutMs: 10_000,
    });
    assert.ok(
      ok,
      `link did not open; refused=${JSON.stringify(this.refused)} failed=${JSON.stringify(this.failed)}`,
    );
    return { server: this.server.link!, client: this.client.link! };
  }
}
