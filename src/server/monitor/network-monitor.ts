/**
 * Network status monitoring (SPEC S5, seeds 000/001), every network-monitoring-timeout seconds (read at each
 * check: the option takes effect immediately):
 * - the SIP NIC (sip-nic-monitoring with sip-nic-address): the address must be on an up interface of this
 *   host whatever the role; 00-52027 on failure, 00-52028 when it is there again (and at the first check);
 *   health condition "sip-nic" -> ServiceUnavailable -> the SCS switches over;
 * - the T-Library NIC (tlib-nic-monitoring): the address of the server's Host object, the same way
 *   (10-30014 / 10-30015, health condition "tlib-nic");
 * - the Virtual IP (sip-iptakeover-monitoring): VipControl.check().
 * Both servers of a pair monitor (a backup with a failed NIC reports ServiceUnavailable too, so the SCS does
 * not promote it). Pure: clock and addresses injected.
 */
import type { Logger } from '../../log/logger.ts';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { ServiceHealth } from '../health.ts';
import { type HostAddresses, hasAddress } from './host-addresses.ts';

export interface NetworkSettings {
  /** network-monitoring-timeout, ms. */
  intervalMs: number;
  /** The SIP NIC address when sip-nic-monitoring is true. */
  sipNic: string | undefined;
  /** The host's address when tlib-nic-monitoring is true. */
  tlibNic: string | undefined;
}

export interface NetworkMonitorOptions {
  clock: Clock;
  addresses: HostAddresses;
  logger: Logger;
  health: ServiceHealth;
  settings(): NetworkSettings;
  /** The Virtual IP check (VipControl.check), run at each tick. */
  checkVip?: () => void;
}

type NicState = 'unknown' | 'up' | 'down';

export class NetworkMonitor {
  private timer: TimerHandle | undefined;
  private sipNic: NicState = 'unknown';
  private tlibNic: NicState = 'unknown';
  private running = false;

  constructor(private readonly o: NetworkMonitorOptions) {}

  /** Checks now, then every network-monitoring-timeout. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** One round of checks (also what each timer tick runs). */
  check(): void {
    const s = this.o.settings();
    this.sipNic = this.checkNic(this.sipNic, s.sipNic, 'sip-nic');
    this.tlibNic = this.checkNic(this.tlibNic, s.tlibNic, 'tlib-nic');
    this.o.checkVip?.();
  }

  private tick(): void {
    if (!this.running) return;
    this.check();
    this.timer = this.o.clock.setTimer(this.o.settings().intervalMs, () => {
      this.timer = undefined;
      this.tick();
    });
  }

  private checkNic(
    before: NicState,
    address: string | undefined,
    condition: 'sip-nic' | 'tlib-nic',
  ): NicState {
    if (address === undefined) {
      this.o.health.set(condition, true);
      return 'unknown';
    }
    const up = hasAddress(this.o.addresses, address);
    if (up && before !== 'up') {
      if (condition === 'sip-nic') this.o.logger.event('00-52028', { address });
      else this.o.logger.event('10-30015', { address });
    } else if (!up && before !== 'down') {
      const reason = `${address} is not on any up interface of this host`;
      if (condition === 'sip-nic') this.o.logger.event('00-52027', { address, reason });
      else this.o.logger.event('10-30014', { address, reason });
    }
    this.o.health.set(
      condition,
      up,
      up ? '' : `${condition === 'sip-nic' ? 'SIP' : 'T-Library'} NIC ${address} is down or missing`,
    );
    return up ? 'up' : 'down';
  }
}
