/**
 * The wiring of one server's network monitors, Virtual IP control and backup initialization checks (SPEC S5,
 * S6) from its configuration: which of them run, with which addresses and scripts. src/cli/server.ts creates
 * it with the Node adapters; the simulator or a test can create it with fakes. Every option is read at use
 * through `config()`, so the ones that take effect immediately (network-monitoring-timeout,
 * vip-state-change-timeout) do, and the others are read once at start by their users.
 */
import type { Config, SipServerApp } from '../../config/config.ts';
import { pairOf } from '../../config/queries.ts';
import type { Logger } from '../../log/logger.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { NetError } from '../../runtime/net.ts';
import type { ServiceHealth } from '../health.ts';
import type { Role } from '../role-gate.ts';
import type { HostAddresses } from './host-addresses.ts';
import { InitCheck } from './init-check.ts';
import { NetworkMonitor } from './network-monitor.ts';
import { type RunScript, VipControl, type VipSettings } from './vip-control.ts';

export interface MonitorsOptions {
  clock: Clock;
  addresses: HostAddresses;
  logger: Logger;
  health: ServiceHealth;
  config(): Config;
  app: string;
  role(): Role;
  /** Runs a script through the LCAs; absent for a standalone server (no Virtual IP control then). */
  run?: RunScript;
  /** Whether the peer was on the HA link, as a running backup, when this server was made primary. */
  peerLinked?(): boolean;
  /** backup-sip-port-check: SipServer.checkSipPort. */
  checkSipPort?(done: (err?: NetError) => void): void;
}

export class Monitors {
  readonly vip: VipControl | undefined;
  readonly network: NetworkMonitor;
  readonly initCheck: InitCheck;
  private lastRole: Role | undefined;
  private portChecked = false;
  private readonly sipPort: { ready(): void; failed(reason: string): void } | undefined;

  constructor(private readonly o: MonitorsOptions) {
    const t = this.app().options.tserver;
    if (o.run !== undefined && (t.controlVipScripts || t.sipIptakeoverMonitoring)) {
      this.vip = new VipControl({
        clock: o.clock,
        addresses: o.addresses,
        logger: o.logger,
        health: o.health,
        run: o.run,
        settings: () => this.vipSettings(),
      });
    }
    const vip = this.vip;
    this.network = new NetworkMonitor({
      clock: o.clock,
      addresses: o.addresses,
      logger: o.logger,
      health: o.health,
      settings: () => {
        const app = this.app();
        const ts = app.options.tserver;
        return {
          intervalMs: ts.networkMonitoringTimeout * 1000,
          sipNic: ts.sipNicMonitoring ? ts.sipNicAddress : undefined,
          tlibNic: ts.tlibNicMonitoring ? this.o.config().hosts[app.host]?.address : undefined,
        };
      },
      checkVip: vip ? () => vip.check() : undefined,
    });
    this.initCheck = new InitCheck({
      clock: o.clock,
      logger: o.logger,
      health: o.health,
      enabled: t.backupInitCheck,
      timeoutMs: t.backupInitCheckTimeout * 1000,
      role: o.role,
    });
    if (this.sipPortCheckApplies()) this.sipPort = this.initCheck.component('sip-port');
  }

  /** Starts the network checks and the initialization timeout (register init components before). */
  start(): void {
    this.network.start();
    this.initCheck.start();
  }

  /**
   * The role the SCS gave (or a step-down): the first one and every change count; the same role again does
   * not. Runs the Virtual IP script, re-judges the init check, and a first Backup runs the SIP port check.
   */
  roleGiven(role: Role): void {
    if (role === this.lastRole) return;
    this.lastRole = role;
    this.vip?.roleChanged(role, this.o.peerLinked?.() ?? false);
    this.initCheck.roleChanged();
    if (role === 'Backup' && this.sipPort !== undefined && !this.portChecked && this.o.checkSipPort) {
      this.portChecked = true;
      const sipPort = this.sipPort;
      const ts = this.app().options.tserver;
      const address = ts.sipAddress ?? this.o.config().hosts[this.app().host]?.address ?? '';
      this.o.checkSipPort((err) => {
        this.o.logger.event('10-30018', {
          address,
          port: ts.sipPort,
          result: err ? `could not open it: ${err.code}: ${err.message}` : 'opened and closed',
        });
        if (err) sipPort.failed(`the SIP port ${ts.sipPort} could not be opened: ${err.code}`);
        else sipPort.ready();
      });
    }
  }

  stop(): void {
    this.network.stop();
    this.vip?.stop();
    this.initCheck.stop();
  }

  /**
   * backup-sip-port-check runs only with backup-init-check, not with IP Address Takeover
   * (control-vip-scripts: the Virtual IP is not on a backup's host), and not on a single host (both servers
   * on one address: the primary holds the port).
   */
  sipPortCheckApplies(): boolean {
    const t = this.app().options.tserver;
    if (!t.backupInitCheck || !t.backupSipPortCheck || t.controlVipScripts) return false;
    const config = this.o.config();
    const pair = pairOf(config, this.o.app);
    if (pair === undefined) return false;
    const peer = config.applications[pair.peer];
    if (peer?.type !== 'sip-server') return false;
    return sipAddressOf(config, this.app()) !== sipAddressOf(config, peer);
  }

  private vipSettings(): VipSettings {
    const config = this.o.config();
    const app = this.app();
    const t = app.options.tserver;
    const target = (script: string | undefined, ownerHost: string) => {
      if (script === undefined) return undefined;
      const s = config.applications[script];
      return { script, host: s?.type === 'script' && s.host !== undefined ? s.host : ownerHost };
    };
    let remoteDown: VipSettings['remoteDown'];
    const pair = pairOf(config, this.o.app);
    const peer = pair ? config.applications[pair.peer] : undefined;
    if (t.controlVipScripts && t.controlRemoteVipScripts && peer?.type === 'sip-server') {
      const r = target(peer.options.tserver.sipVipScriptDown, peer.host);
      // The peer's down script on this very host would take the Virtual IP away from the new primary.
      if (r !== undefined && r.host !== app.host) remoteDown = r;
    }
    return {
      vip: t.sipAddress,
      controlScripts: t.controlVipScripts,
      monitoring: t.sipIptakeoverMonitoring,
      up: target(t.sipVipScriptUp, app.host),
      down: target(t.sipVipScriptDown, app.host),
      remoteDown,
      stateChangeTimeoutMs: t.vipStateChangeTimeout * 1000,
    };
  }

  private app(): SipServerApp {
    const a = this.o.config().applications[this.o.app];
    if (a?.type !== 'sip-server') throw new Error(`no sip-server application "${this.o.app}"`);
    return a;
  }
}

function sipAddressOf(config: Config, app: SipServerApp): string {
  return app.options.tserver.sipAddress ?? config.hosts[app.host]?.address ?? '127.0.0.1';
}
