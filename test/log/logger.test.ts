/**
 * The logger writes one JSON line per event with `event` and `level` fields (SPEC S7), filtered by the
 * `verbose` option, timestamped by the injected clock.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { logVerbosities } from '../../src/config/index.ts';
import { createLogger, type EventId, LogEventError, type Verbose, verbosities } from '../../src/log/index.ts';
import type { Clock } from '../../src/runtime/clock.ts';

function fakeClock(start: number): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    setTimer: () => 0,
    clearTimer: () => {},
    advance(ms) {
      now += ms;
    },
  };
}

function memory(level: Verbose, clock = fakeClock(Date.UTC(2026, 0, 2, 3, 4, 5, 678))) {
  const lines: string[] = [];
  const logger = createLogger({ app: 'SIP_A', level, clock, destination: { write: (s) => lines.push(s) } });
  const records = () => lines.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((l) => JSON.parse(l));
  return { logger, lines, records, clock };
}

describe('JSON lines', () => {
  test('one line per event: level, time, app, event, name, params, msg', () => {
    const { logger, lines, records } = memory('standard');
    logger.event('00-04200', { address: '0.0.0.0', port: 5060, reason: 'EADDRINUSE' });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    assert.deepEqual(records(), [
      {
        level: 'Alarm',
        time: '2026-01-02T03:04:05.678Z',
        app: 'SIP_A',
        event: '00-04200',
        name: 'sip-listener-failed',
        params: { address: '0.0.0.0', port: 5060, reason: 'EADDRINUSE' },
        msg: 'SIP listener could not be opened on 0.0.0.0:5060: EADDRINUSE',
      },
    ]);
  });

  test('time comes from the injected clock', () => {
    const { logger, records, clock } = memory('standard', fakeClock(0));
    logger.event('10-50001', { file: 'a.yaml' });
    clock.advance(1500);
    logger.event('10-50001', { file: 'b.yaml' });
    assert.deepEqual(
      records().map((r) => r.time),
      ['1970-01-01T00:00:00.000Z', '1970-01-01T00:00:01.500Z'],
    );
  });

  test('child loggers add their bindings as fields', () => {
    const { logger, records } = memory('standard');
    logger
      .child({ component: 'oos' })
      .event('10-30006', { dnType: 'Trunk', dn: '9001', contact: '127.0.0.1:5080' });
    const [r] = records();
    assert.equal(r.component, 'oos');
    assert.equal(r.event, '10-30006');
    assert.equal(r.msg, 'Trunk DN 9001 (127.0.0.1:5080) is back in service');
  });
});

describe('verbose', () => {
  const sample: [EventId, Record<string, string>, string][] = [
    ['10-10004', { app: 'A', reason: 'r' }, 'Alarm'],
    ['10-50001', { file: 'f' }, 'Standard'],
    ['10-40003', { connId: 'c', from: 'a', to: 'b' }, 'Interaction'],
    ['10-30001', { source: 's', reason: 'r' }, 'Trace'],
  ];
  const expected: Record<Verbose, string[]> = {
    none: [],
    standard: ['Alarm', 'Standard'],
    interaction: ['Alarm', 'Standard', 'Interaction'],
    trace: ['Alarm', 'Standard', 'Interaction', 'Trace'],
    all: ['Alarm', 'Standard', 'Interaction', 'Trace', 'Debug'],
  };
  for (const v of verbosities) {
    test(`${v} writes ${expected[v].join(', ') || 'nothing'}`, () => {
      const { logger, records } = memory(v);
      for (const [id, params] of sample) logger.event(id, params as never);
      logger.debug('detail', { x: 1 });
      assert.deepEqual(
        records().map((r) => r.level),
        expected[v],
      );
    });
  }

  test('setVerbose takes effect at once', () => {
    const { logger, records } = memory('standard');
    logger.event('10-40003', { connId: 'c1', from: 'a', to: 'b' });
    assert.equal(logger.isEnabled('Interaction'), false);
    logger.setVerbose('interaction');
    assert.equal(logger.isEnabled('Interaction'), true);
    logger.event('10-40003', { connId: 'c2', from: 'a', to: 'b' });
    assert.deepEqual(
      records().map((r) => r.params.connId),
      ['c2'],
    );
  });

  test("the logger's verbose values are the config option's", () => {
    assert.deepEqual([...verbosities], [...logVerbosities]);
  });
});

describe('programming errors', () => {
  test('parameters and IDs are also checked at compile time (tsc fails on an unused @ts-expect-error)', () => {
    const { logger } = memory('none');
    // @ts-expect-error: "reason" is missing
    assert.throws(() => logger.event('00-04200', { address: 'a', port: 1 }), LogEventError);
    // @ts-expect-error: not a registered ID
    assert.throws(() => logger.event('12-34567', {}), LogEventError);
  });

  test('an unknown ID throws', () => {
    const { logger } = memory('all');
    assert.throws(() => logger.event('99-99999' as EventId, {} as never), LogEventError);
  });

  test('a missing parameter throws, even when the level is filtered out', () => {
    for (const v of ['all', 'none'] as const) {
      const { logger, lines } = memory(v);
      assert.throws(
        () => logger.event('00-04200', { address: '0.0.0.0', port: 5060 } as never),
        /needs the parameter "reason"/,
      );
      assert.equal(lines.length, 0);
    }
  });
});

test('a file destination is appended to, one JSON line per event', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duet-log-'));
  try {
    const file = join(dir, 'sub', 'sip.log');
    const a = createLogger({ app: 'SIP_A', level: 'standard', destination: file });
    a.event('10-50001', { file: 'one.yaml' });
    const b = createLogger({ app: 'SIP_A', level: 'standard', destination: file });
    b.event('10-50001', { file: 'two.yaml' });
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.event, l.params.file]),
      [
        ['10-50001', 'one.yaml'],
        ['10-50001', 'two.yaml'],
      ],
    );
    assert.match(lines[0].time, /^\d{4}-\d\d-\d\dT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
