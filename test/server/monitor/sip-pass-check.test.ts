import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/log/logger.ts';
import { ServiceHealth } from '../../../src/server/health.ts';
import {
  initialPassCheckTimeout,
  type PassCheckDevice,
  SIP_PASS_CHECK,
  SipPassCheck,
} from '../../../src/server/monitor/sip-pass-check.ts';
import { ManualClock } from '../../sip/transaction/helpers.ts';

function rig(devices: PassCheckDevice[], enabled = true) {
  const clock = new ManualClock();
  const lines: string[] = [];
  const logger = createLogger({
    app: 'SIP_A',
    level: 'all',
    clock,
    destination: { write: (l) => lines.push(l) },
  });
  const health = new ServiceHealth();
  const settings = { enabled, devices };
  const check = new SipPassCheck({
    clock,
    logger,
    health,
    enabled: () => settings.enabled,
    devices: () => settings.devices,
  });
  const events = (): string[] =>
    lines
      .flatMap((l) => l.split('\n').filter(Boolean))
      .map((l) => (JSON.parse(l) as { event?: string }).event ?? '');
  const setAll = (inService: boolean): void => {
    for (const d of settings.devices) d.inService = inService;
    check.evaluate();
  };
  return { clock, health, check, events, settings, setAll };
}

const dev = (dn: string, oosCheck: number, oosForce: number, inService = true): PassCheckDevice => ({
  dn,
  oosCheck,
  oosForce,
  inService,
});

describe('sip-pass-check effective timeout', () => {
  it('is the largest oos-check + oos-force, with oos-force below 5 taken as 5', () => {
    assert.equal(initialPassCheckTimeout([dev('1', 10, 2), dev('2', 4, 8)]), 15);
    assert.equal(initialPassCheckTimeout([dev('1', 10, 0)]), 15);
    assert.equal(initialPassCheckTimeout([dev('1', 3, 20), dev('2', 10, 5)]), 23);
    assert.equal(initialPassCheckTimeout([]), null);
  });
});

describe('SipPassCheck', () => {
  it('fails after the effective timeout once every OOS-checked device is out, and traffic clears it', () => {
    const r = rig([dev('9001', 10, 2), dev('9002', 5, 5)]); // timeout 15 s
    r.check.becomePrimary();
    r.clock.advance(6_000);
    r.setAll(false);
    r.clock.advance(8_999); // 14.999 s since the last traffic (becoming primary)
    assert.equal(r.health.ok, true);
    r.clock.advance(1);
    assert.equal(r.health.ok, false);
    assert.deepEqual(
      r.health.problems().map((p) => p.condition),
      [SIP_PASS_CHECK],
    );
    assert.ok(r.events().includes('10-30008'));
    r.check.received();
    assert.equal(r.health.ok, true);
    assert.ok(r.events().includes('10-30030'));
  });

  it('counts from the last SIP message, and one device in service keeps it from failing', () => {
    const r = rig([dev('9001', 10, 5), dev('9002', 10, 5)]); // 15 s
    r.check.becomePrimary();
    r.clock.advance(10_000);
    r.check.received(); // some REGISTER
    r.settings.devices[0]!.inService = false;
    r.check.evaluate();
    r.clock.advance(60_000);
    assert.equal(r.health.ok, true, 'one device still answers');
    r.settings.devices[1]!.inService = false;
    r.check.evaluate(); // 60 s since the last message: fails at once
    assert.equal(r.health.ok, false);
  });

  it('does nothing when off, as backup, or without an OOS-checked device', () => {
    const off = rig([dev('9001', 10, 5, false)], false);
    off.check.becomePrimary();
    off.clock.advance(100_000);
    assert.equal(off.health.ok, true);
    const backup = rig([dev('9001', 10, 5, false)]);
    backup.clock.advance(100_000);
    backup.check.evaluate();
    assert.equal(backup.health.ok, true);
    const none = rig([]);
    none.check.becomePrimary();
    none.clock.advance(100_000);
    assert.equal(none.health.ok, true);
  });

  it('turning the option off (a reload) clears a failing check at once', () => {
    const r = rig([dev('9001', 10, 5, false)]);
    r.check.becomePrimary();
    r.clock.advance(15_000);
    assert.equal(r.health.ok, false);
    r.settings.enabled = false;
    r.check.evaluate();
    assert.equal(r.health.ok, true);
  });

  it('doubles at each double switchover up to 4x, and traffic resets it', () => {
    const r = rig([dev('9001', 10, 5, false)]); // 15 s
    const failAfter = (): number => {
      const start = r.clock.now();
      while (r.health.ok) r.clock.advance(100);
      return (r.clock.now() - start) / 1000;
    };
    r.check.becomePrimary();
    assert.equal(failAfter(), 15);
    r.check.becomeBackup();
    assert.equal(r.health.ok, true, 'a backup reports Running');
    r.clock.advance(15_000); // the other server's term
    r.check.becomePrimary();
    assert.equal(r.check.status().multiplier, 2);
    assert.equal(failAfter(), 30);
    r.check.becomeBackup();
    r.clock.advance(30_000);
    r.check.becomePrimary();
    assert.equal(failAfter(), 60);
    r.check.becomeBackup();
    r.clock.advance(60_000);
    r.check.becomePrimary();
    assert.equal(failAfter(), 60, 'never more than 4x');
    assert.equal(r.events().filter((e) => e === '10-30031').length, 3);
    r.check.received();
    assert.equal(r.health.ok, true);
    assert.equal(r.check.status().multiplier, 1);
    r.clock.advance(10 * 60_000);
    assert.equal(r.health.ok, true, 'traffic seen, devices out: the timer restarts from that message');
  });

  it('a return to primary long after giving it up is no double switchover', () => {
    const r = rig([dev('9001', 10, 5, false)]);
    r.check.becomePrimary();
    r.clock.advance(15_000);
    assert.equal(r.health.ok, false);
    r.check.becomeBackup();
    r.clock.advance(3_600_000); // the other server served for an hour
    r.check.becomePrimary();
    assert.equal(r.check.status().multiplier, 1);
  });

  it('a manual switchover while the check passes is no double switchover', () => {
    const r = rig([dev('9001', 10, 5)]);
    r.check.becomePrimary();
    r.clock.advance(5_000);
    r.check.becomeBackup();
    r.clock.advance(5_000);
    r.check.becomePrimary();
    assert.equal(r.check.status().multiplier, 1);
  });
});
