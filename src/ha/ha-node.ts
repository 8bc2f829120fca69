/**
 * One server's end of the HA link (SPEC S4.2, S4.3). Each server listens on its `ha-port`; the BACKUP connects
 * to the primary's, says what it holds, and from then on receives every record. The primary accepts the link
 * from its peer only, runs the resync (sync/source.ts) and streams records. A role change drops the link:
 * a new backup connects to the new primary and resyncs.
 *
 * Two primaries (SPEC S5 "SCS connection monitoring", S8.3): a primary that has no backup on its link probes
 * its peer's ha-port every PROBE_MS. A backup peer refuses the probe (it is not a primary); a primary peer
 * answers, and the two keep one primary by a fixed rule: the one that cannot reach the SCS (no link to its
 * LCA) steps down; when both can, the SCS resolves it (it sees both and demotes one) and nothing is done here;
 * when neither can, the configured backup of the pair steps down. This is what makes a pair converge after an
 * HA partition during which the old primary also lost its LCA and the SCS promoted the backup: only a backup
 * ever connects on its own, so without the probe two primaries would never meet.
 */
import type { Config, SipServerApp } from '../config/config.ts';
import { pairOf } from '../config/queries.ts';
import type { Logger } from '../log/logger.ts';
import type { Store } from '../model/store/store.ts';
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import type { Address, Net } from '../runtime/net.ts';
import type { Random } from '../runtime/random.ts';
import type { RoleGate } from '../server/role-gate.ts';
import { connectLink, listenLinks } from './link/link.ts';
import type { CloseReason, Link, LinkMessage, LinkOptions } from './link/types.ts';
import { type ReadinessState, readiness } from './readiness.ts';
import type { PrimaryToBackup, Redundancy, SyncHello } from './sync/messages.ts';
import { SyncSink } from './sync/sink.ts';
import { SyncSource } from './sync/source.ts';

export const RECONNECT_MS = 1000;

export interface HaNodeOptions {
  net: Net;
  clock: Clock;
  random: Random;
  store: Store;
  gate: RoleGate;
  config(): Config;
  app: string;
  peer: string;
  redundancy: Redundancy;
  logger: Logger;
  /**
   * The backup is taking over (the SCS made it Primary) while this primary still holds the link: step down
   * now (close the SIP port), so that the two are never primary together (S8.3). Called on the primary.
   */
  onPeerTakeover?(): void;
  /**
   * The ha-port could not be bound (10-20014 is logged). A pair server without its HA port cannot be a
   * backup nor feed one, and most likely another process of the same application holds it (an orphan that
   * outlived its LCA): the process should exit rather than run as a duplicate (src/cli/server.ts does).
   */
  onListenError?(err: Error): void;
  /** Whether this server can be told by the SCS now (its LCA link is up). Default: false. */
  reachesScs?(): boolean;
  /** Two primaries met over the HA link and this one lost by the fixed rule: step down to Backup now. */
  onStepDown?(reason: string): void;
}

/** How often a primary without a backup on its link probes its peer's ha-port for a second primary. */
export const PROBE_MS = 2000;

/** How long a new primary waits for the old one to confirm it released the SIP port. */
export const TAKEOVER_WAIT_MS = 1000;

type LinkState = 'none' | 'connecting' | 'established';

export class HaNode {
  private server: { close(): void; local(): Address | undefined } | null = null;
  private link: Link | null = null;
  private linkState: LinkState = 'none';
  private linkUpAt: number | null = null;
  private source: SyncSource | null = null;
  private sink: SyncSink | null = null;
  private connecting: { cancel(): void } | null = null;
  private retry: TimerHandle | null = null;
  private stopped = false;
  /** A takeover waiting for the old primary's `released`. */
  private pendingTakeover: (() => void) | null = null;
  private probeTimer: TimerHandle | null = null;
  private probing: { cancel(): void } | null = null;
  private probeLink: Link | null = null;

  constructor(private readonly opts: HaNodeOptions) {
    opts.gate.onChange(() => this.onRoleChange());
  }

  /** Listens on ha-port; a backup starts connecting to its primary. */
  start(): void {
    const app = this.appOf(this.opts.app);
    const host = this.hostAddress(app);
    this.server = listenLinks(
      this.opts.net,
      this.opts.clock,
      this.opts.random,
      { host, port: app.options.tserver.haPort },
      this.linkOptions(),
      {
        onOpen: (link) => this.onIncoming(link),
        onMessage: (link, msg) => this.onPrimaryMessage(link, msg),
        onClose: (link, reason) => this.onClosed(link, reason),
        onRefused: (remote, detail) =>
          this.opts.logger.event('10-20004', { address: `${remote.host}:${remote.port}`, reason: detail }),
        onError: (err) => {
          this.opts.logger.event('10-20014', {
            port: app.options.tserver.haPort,
            reason: `${err.code}: ${err.message}`,
          });
          this.opts.onListenError?.(err);
        },
      },
    );
    this.onRoleChange();
  }

  stop(): void {
    this.stopped = true;
    this.stopProbe();
    this.dropLink();
    this.server?.close();
    this.server = null;
  }

  /**
   * Called when the SCS makes this backup Primary, before its gate opens. If the old primary is still on the
   * HA link (it lost the SCS, not its life: its LCA died, say), it is told to step down, and `done` runs once
   * it has released the SIP port (or after TAKEOVER_WAIT_MS, or when the link drops). Otherwise at once.
   */
  takeover(done: () => void): void {
    const link = this.link;
    if (!link?.open || this.opts.gate.role !== 'Backup' || this.linkState !== 'established') {
      done();
      return;
    }
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      this.opts.clock.clearTimer(timer);
      this.pendingTakeover = null;
      done();
    };
    const timer = this.opts.clock.setTimer(TAKEOVER_WAIT_MS, finish);
    this.pendingTakeover = finish;
    link.send({ type: 'takeover', from: this.opts.app });
  }

  /** The HA fields of `/server?sipServer` (SPEC S4.6). */
  readiness(): ReadinessState {
    const role = this.opts.gate.role;
    const pending =
      role === 'Primary' ? (this.source?.callsPendingSync ?? 0) : (this.sink?.callsPendingSync ?? 0);
    const synced = role === 'Primary' ? true : (this.sink?.synced ?? false);
    return readiness(
      {
        role,
        linkEstablishedAt: this.linkUpAt,
        now: this.opts.clock.now(),
        // A backup that has not finished its resync is not synchronized, even with nothing announced yet.
        callsPendingSync: synced ? pending : Math.max(pending, 1),
        preexistingMultisiteCalls: this.source?.preexistingMultisiteCalls ?? 0,
      },
      this.linkState,
    );
  }

  // ---------------------------------------------------------------------------------------------------------

  private onRoleChange(): void {
    if (this.stopped || !this.server) return;
    this.dropLink();
    this.stopProbe();
    if (this.opts.gate.role === 'Backup') this.connectToPrimary();
    else this.scheduleProbe();
  }

  // ---- two primaries ------------------------------------------------------------------------------------

  private scheduleProbe(): void {
    if (this.stopped || this.opts.gate.role !== 'Primary' || this.probeTimer !== null) return;
    this.probeTimer = this.opts.clock.setTimer(PROBE_MS, () => {
      this.probeTimer = null;
      this.probe();
      this.scheduleProbe();
    });
  }

  private stopProbe(): void {
    if (this.probeTimer !== null) this.opts.clock.clearTimer(this.probeTimer);
    this.probeTimer = null;
    this.probing?.cancel();
    this.probing = null;
    const l = this.probeLink;
    this.probeLink = null;
    l?.close();
  }

  /** Connects to the peer's ha-port to find out whether it is a primary too (only while no backup is linked). */
  private probe(): void {
    if (this.opts.gate.role !== 'Primary' || this.link || this.probing || this.probeLink) return;
    const peer = this.appOf(this.opts.peer);
    const remote = { host: this.hostAddress(peer), port: peer.options.tserver.haPort };
    this.probing = connectLink(this.opts.net, this.opts.clock, this.opts.random, remote, this.linkOptions(), {
      onOpen: (link) => {
        this.probing = null;
        if (link.peerName !== this.opts.peer || this.opts.gate.role !== 'Primary') {
          link.close();
          return;
        }
        this.probeLink = link;
        link.send({ type: 'primary-probe', from: this.opts.app, scs: this.reachesScs() });
      },
      onMessage: (link, msg) => {
        if (link !== this.probeLink || msg.type !== 'primary-probe-answer') return;
        this.probeLink = null;
        link.close();
        if (msg.loser === this.opts.app) this.stepDown(String(msg.reason ?? ''));
      },
      onClose: (link) => {
        if (link === this.probeLink) this.probeLink = null;
      },
      onFailed: () => {
        this.probing = null;
      },
    });
  }

  /** A primary peer probed us while we are primary: which one steps down (null: leave it to the SCS). */
  private dualPrimaryLoser(peerScs: boolean): { loser: string; reason: string } | null {
    const me = this.opts.app;
    const peer = this.opts.peer;
    const meScs = this.reachesScs();
    if (meScs && peerScs) return null;
    if (meScs !== peerScs) {
      const loser = meScs ? peer : me;
      return { loser, reason: `${loser} cannot reach the SCS, ${loser === me ? peer : me} can` };
    }
    const pair = pairOf(this.opts.config(), me);
    const backup = pair ? pair.pair.backup : me > peer ? me : peer;
    return { loser: backup, reason: `neither reaches the SCS; ${backup} is the configured backup` };
  }

  private stepDown(reason: string): void {
    if (this.opts.gate.role !== 'Primary') return;
    this.opts.logger.event('10-20017', {
      app: this.opts.app,
      peer: this.opts.peer,
      loser: this.opts.app,
      reason,
    });
    this.opts.onStepDown?.(reason);
  }

  private reachesScs(): boolean {
    return this.opts.reachesScs?.() ?? false;
  }

  private connectToPrimary(): void {
    if (this.stopped || this.opts.gate.role !== 'Backup' || this.connecting || this.link) return;
    const peer = this.appOf(this.opts.peer);
    const remote = { host: this.hostAddress(peer), port: peer.options.tserver.haPort };
    this.linkState = 'connecting';
    this.connecting = connectLink(
      this.opts.net,
      this.opts.clock,
      this.opts.random,
      remote,
      this.linkOptions(),
      {
        onOpen: (link) => {
          this.connecting = null;
          if (link.peerName !== this.opts.peer || this.opts.gate.role !== 'Backup') {
            link.close();
            return;
          }
          // Established once the peer answers as a primary (sync-begin); a peer that is a backup too closes it.
          this.link = link;
          this.sink = new SyncSink(this.opts.store, this.opts.app, this.opts.redundancy);
          link.send(this.sink.hello() as unknown as LinkMessage);
        },
        onMessage: (link, msg) => {
          if (link !== this.link || !this.sink) return;
          if (msg.type === 'released') {
            this.pendingTakeover?.();
            return;
          }
          if (msg.type === 'sync-begin' && this.linkState !== 'established') this.established();
          const wasSynced = this.sink.synced;
          const error = this.sink.receive(msg as unknown as PrimaryToBackup);
          if (error) {
            this.opts.logger.event('10-20015', { peer: this.opts.peer, reason: error });
            link.close();
            return;
          }
          if (!wasSynced && this.sink.synced) {
            this.opts.logger.event('10-20007', {
              peer: this.opts.peer,
              calls: this.opts.store.callCount,
              removed: 0,
            });
          }
        },
        onClose: (link, reason) => this.onClosed(link, reason),
        onFailed: () => {
          this.connecting = null;
          this.linkState = 'none';
          this.scheduleReconnect();
        },
      },
    );
  }

  /** A backup connected to us. */
  private onIncoming(link: Link): void {
    if (link.peerName !== this.opts.peer || this.opts.gate.role !== 'Primary') {
      // Only our own peer, and only while we are the primary (a backup has no one to feed).
      link.close();
      return;
    }
    if (this.link) this.dropLink();
    this.link = link;
    this.established();
  }

  private onPrimaryMessage(link: Link, msg: LinkMessage): void {
    if (link !== this.link) return;
    if (msg.type === 'primary-probe') {
      // Our peer is a primary too (it probed us): one of us steps down by the fixed rule, or the SCS decides.
      const decision = this.opts.gate.role === 'Primary' ? this.dualPrimaryLoser(msg.scs === true) : null;
      link.send({
        type: 'primary-probe-answer',
        loser: decision?.loser ?? null,
        reason: decision?.reason ?? 'both reach the SCS: it decides',
      });
      if (decision === null) {
        this.opts.logger.event('10-20017', {
          app: this.opts.app,
          peer: this.opts.peer,
          loser: 'neither',
          reason: 'both reach the SCS, which demotes one',
        });
      } else if (decision.loser === this.opts.app) {
        this.stepDown(decision.reason);
      } else {
        this.opts.logger.event('10-20017', {
          app: this.opts.app,
          peer: this.opts.peer,
          loser: decision.loser,
          reason: decision.reason,
        });
      }
      return;
    }
    if (msg.type === 'takeover' && this.opts.gate.role === 'Primary') {
      // The SCS made our backup primary: it could not reach us. Step down in this same turn (the answer is
      // queued first because stepping down closes the link; the peer cannot read it before we are backup).
      this.opts.logger.event('10-20016', { app: this.opts.app, peer: this.opts.peer });
      link.send({ type: 'released' });
      this.opts.onPeerTakeover?.();
      return;
    }
    if (msg.type !== 'sync-hello' || this.source) return;
    const hello = msg as unknown as SyncHello;
    this.source = new SyncSource({
      store: this.opts.store,
      clock: this.opts.clock,
      // Seed 004: ha-max-calls-sync-at-once takes effect when the HA connection is established.
      batchSize: this.appOf(this.opts.app).options.tserver.haMaxCallsSyncAtOnce,
      send: (m) => link.send(m as unknown as LinkMessage),
      onStarted: (missing) =>
        this.opts.logger.event('10-20005', {
          peer: this.opts.peer,
          calls: missing,
          batch: this.appOf(this.opts.app).options.tserver.haMaxCallsSyncAtOnce,
        }),
      onSynced: () =>
        this.opts.logger.event('10-20007', {
          peer: this.opts.peer,
          calls: source.missingCalls,
          removed: source.removedCalls,
        }),
    });
    const source = this.source;
    source.start(hello);
  }

  private established(): void {
    this.linkState = 'established';
    this.linkUpAt = this.opts.clock.now();
    const remote = this.link?.remote;
    this.opts.logger.event('10-20002', {
      peer: this.opts.peer,
      address: remote ? `${remote.host}:${remote.port}` : '',
    });
  }

  private onClosed(link: Link, reason: CloseReason): void {
    if (link !== this.link) return;
    // A takeover waiting on this link: the old primary is gone, nothing to wait for.
    this.pendingTakeover?.();
    if (this.linkState === 'established')
      this.opts.logger.event('10-20003', { peer: this.opts.peer, reason: describe(reason) });
    this.clearLink();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.opts.gate.role === 'Primary') this.scheduleProbe();
    if (this.stopped || this.opts.gate.role !== 'Backup' || this.retry !== null) return;
    this.retry = this.opts.clock.setTimer(RECONNECT_MS, () => {
      this.retry = null;
      this.connectToPrimary();
    });
  }

  private dropLink(): void {
    this.connecting?.cancel();
    this.connecting = null;
    if (this.retry !== null) this.opts.clock.clearTimer(this.retry);
    this.retry = null;
    const link = this.link;
    this.clearLink();
    link?.close();
  }

  private clearLink(): void {
    this.source?.stop();
    this.source = null;
    this.sink = null;
    this.link = null;
    this.linkState = 'none';
    this.linkUpAt = null;
  }

  private linkOptions(): LinkOptions {
    const config = this.opts.config();
    const sync = this.appOf(this.opts.app).options.backupSync;
    const addp = sync.protocol === 'addp';
    return {
      secret: config.scs.linkSecret ?? 'duet-insecure-default',
      name: this.opts.app,
      protocol: 'ha',
      addp: addp ? { timeout: sync.addpTimeout, remoteTimeout: sync.addpRemoteTimeout } : undefined,
    };
  }

  private appOf(name: string): SipServerApp {
    const app = this.opts.config().applications[name];
    if (app?.type !== 'sip-server') throw new Error(`no sip-server application "${name}"`);
    return app;
  }

  private hostAddress(app: SipServerApp): string {
    return this.opts.config().hosts[app.host]?.address ?? '127.0.0.1';
  }
}

function describe(reason: CloseReason): string {
  switch (reason.kind) {
    case 'handshake-failed':
    case 'bad-frame':
      return `${reason.kind}: ${reason.detail}`;
    case 'net-error':
      return `${reason.error.code}: ${reason.error.message}`;
    default:
      return reason.kind;
  }
}
