import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Step } from '../../../bench/calls/measure.ts';
import { fullPlan, quickPlan } from '../../../bench/calls/plan.ts';
import {
  ratio,
  renderFigures,
  renderSection,
  replaceSection,
  SECTION_HEADING,
  type TargetResult,
  targetVerdict,
} from '../../../bench/calls/report.ts';

const section = `${SECTION_HEADING}\n\nnew figures\n`;

test('replaceSection: a missing file becomes a titled file with the section', () => {
  assert.equal(replaceSection(undefined, section), `# Benchmark results\n\n${section}`);
});

test("replaceSection: another engineer's section is kept and ours goes below it", () => {
  const file = '# Benchmark results\n\n## sip/message parse+serialize\n\n| a | b |\n';
  const out = replaceSection(file, section);
  assert.ok(out.startsWith(file.trimEnd()));
  assert.ok(out.indexOf('## sip/message parse+serialize') < out.indexOf(SECTION_HEADING));
  assert.ok(out.endsWith('new figures\n'));
});

test('replaceSection: our old section is replaced in place, its ### subsections too, the next ## kept', () => {
  const file = [
    '# Benchmark results',
    '',
    '## sip/message parse+serialize',
    'parse table',
    '',
    SECTION_HEADING,
    'old figures',
    '### Steps',
    'old steps',
    '',
    '## Failover',
    'failover table',
    '',
  ].join('\n');
  const out = replaceSection(file, section);
  assert.ok(!out.includes('old figures') && !out.includes('old steps'));
  assert.ok(out.includes('parse table') && out.includes('failover table'));
  assert.ok(out.indexOf('new figures') < out.indexOf('## Failover'));
  assert.equal(out.split(SECTION_HEADING).length, 2, 'one section, not two');
  assert.equal(replaceSection(out, section), out, 'replacing again changes nothing');
});

test('ratio: Duet over Kamailio, with the direction a bound forces', () => {
  const f = (value: number, bound: 'exact' | 'atLeast' | 'below' = 'exact') => ({ value, bound });
  assert.equal(ratio(f(500), f(1000)), '0.50');
  assert.equal(ratio(f(3000, 'atLeast'), f(1000)), '>= 3.00');
  assert.equal(ratio(f(50, 'below'), f(1000)), '<= 0.05');
  assert.equal(ratio(f(3000, 'atLeast'), f(3000, 'atLeast')), 'n/a');
  assert.equal(ratio({ value: undefined, bound: 'exact' }, f(1)), 'n/a');
});

function step(rate: number, pass: boolean): Step {
  return {
    rate,
    attempted: rate * 10,
    succeeded: pass ? rate * 10 : rate * 5,
    failed: pass ? 0 : rate * 5,
    p50Ms: 1,
    p99Ms: pass ? 12 : 900,
    offered: rate,
    serverTicks: 100,
    loaderTicks: 50,
    wallMs: 11_000,
    pass,
    reasons: pass ? [] : ['500/1000 failed'],
  };
}

const kamailio: TargetResult = {
  target: 'kamailio',
  loadAvgAtStart: 0.1,
  calls: { best: 800, steps: [step(400, true), step(800, true), step(1000, false)], stoppedBy: 'x' },
  cpu: { step: step(200, true), usPerCall: 400 },
  register: { best: 8000, steps: [step(8000, true)], stoppedBy: undefined },
  memory: {
    target: 10_000,
    rate: 400,
    established: 10_000,
    idle: { rssKiB: 1000, pssKiB: 500 },
    loaded: { rssKiB: 201_000, pssKiB: 100_500 },
    pssPerCallKiB: 10,
    rssPerCallKiB: 20,
    note: undefined,
  },
};

const duet: TargetResult = {
  target: 'duet',
  loadAvgAtStart: 0.2,
  calls: { best: 400, steps: [step(400, true), step(800, false)], stoppedBy: 'x' },
  cpu: { step: step(200, true), usPerCall: 800 },
  register: { best: 2000, steps: [step(2000, true), step(3000, false)], stoppedBy: 'x' },
};

test('the figures table: values, ratios, bounds and what is missing', () => {
  const table = renderFigures(fullPlan, duet, kamailio);
  assert.match(table, /highest call rate.*\| 400 \| 800 \| 0\.50 \| higher \|/);
  assert.match(table, /p99 INVITE->200 at that rate, ms \| 12 \| 12 \| 1\.00 \|/);
  assert.match(table, /CPU per call at 200 calls\/s, us \| 800 \| 400 \| 2\.00 \| lower \|/);
  assert.match(table, /KiB \(Pss\) \| n\/a \| 10\.00 \| n\/a \|/);
  assert.match(table, /REGISTER rate.*\| 2000 \| >= 8000 \| <= 0\.25 \|/);
});

test('the target verdict compares call capacity', () => {
  assert.match(targetVerdict(fullPlan, duet, kamailio), /^NOT met \(Duet 400 calls\/s, Kamailio 800/);
  assert.match(targetVerdict(fullPlan, { ...duet, calls: kamailio.calls }, kamailio), /^met/);
  assert.match(targetVerdict(fullPlan, undefined, kamailio), /not measured/);
  assert.match(targetVerdict(quickPlan, duet, kamailio), /smoke check, not a figure\)$/);
  assert.doesNotMatch(targetVerdict(fullPlan, duet, kamailio), /smoke/);
});

test('the section names the machine, the command and every step, and reports an error', () => {
  const text = renderSection(
    {
      date: '2026-01-01T00:00:00Z',
      command: 'node --import tsx bench/calls/run.ts',
      durationS: 500,
      machine: {
        cpus: 2,
        model: 'AMD EPYC',
        memGiB: 23.5,
        kernel: '6.1',
        node: 'v20.1.0',
        sipp: 'SIPp v3.6.1',
        kamailio: 'kamailio 5.6.3',
        commit: 'abc1234',
        clkTck: 100,
      },
      plan: fullPlan,
    },
    [{ ...duet, error: 'duet server exited during 05-calls-800\nmore' }, kamailio],
  );
  assert.ok(text.startsWith(SECTION_HEADING));
  assert.match(text, /2 CPUs \(AMD EPYC\)/);
  assert.match(text, /`node --import tsx bench\/calls\/run.ts`/);
  assert.match(text, /8 min 20 s/);
  assert.match(text, /\*\*Not measured to the end:\*\* duet server exited during 05-calls-800$/m);
  assert.match(text, /\| 3 \| 1000 \| 5000\/10000 \| 1 \| 900 \| 1000 \| 9% \| 5% \| 500\/1000 failed \|/);
});
