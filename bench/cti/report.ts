/**
 * The results of bench/cti as the Markdown section "## CTI: INVITE to EventRinging", printed and written into
 * bench/RESULTS.md, where it replaces only its own section.
 */
import type { Machine } from '../calls/machine.ts';
import { percentile } from '../calls/percentile.ts';
import { replaceSection as replaceNamedSection } from '../calls/report.ts';

export const SECTION_HEADING = '## CTI: INVITE to EventRinging';

export interface CtiBenchResult {
  date: string;
  command: string;
  machine: Machine;
  clients: number;
  clientsRegistered: number;
  rate: number;
  seconds: number;
  callMs: number;
  callsAsked: number;
  callsSucceeded: number;
  invitesSeen: number;
  /** ms, one per INVITE matched with its EventRinging. */
  latenciesMs: number[];
  /** INVITEs that reached the tap and whose EventRinging never came. */
  unmatched: number;
  /** Duet's CPU during the calls, percent of one core. */
  serverCpuPercent: number | undefined;
  /** The bench process's event-loop delay during the calls (ms): the measuring side must not be the bottleneck. */
  benchLoopDelayP99Ms: number;
  /** CPU of the benchmark process (clients + tap) and of the two sipp during the calls, percent of one core. */
  benchCpuPercent: number | undefined;
  sippCpuPercent: number | undefined;
  offeredRate: number | undefined;
  /** os.loadavg() before and after the calls: other work on the machine shows in the tail. */
  loadAtStart: number[];
  loadAtEnd: number[];
}

const f = (v: number | undefined, digits = 2) => (v === undefined ? '-' : v.toFixed(digits));

export function renderSection(r: CtiBenchResult): string {
  const lat = r.latenciesMs;
  const m = r.machine;
  return [
    SECTION_HEADING,
    '',
    `Measured ${r.date} with \`${r.command}\` on ${m.cpus} CPUs (${m.model}), ${m.memGiB} GiB, Linux ${m.kernel},`,
    `Node ${m.node}, ${m.sipp}, commit ${m.commit}. Load average (1/5/15 min) before the calls`,
    `${r.loadAtStart.map((x) => x.toFixed(2)).join(' / ')}, after ${r.loadAtEnd.map((x) => x.toFixed(2)).join(' / ')}: the`,
    "benchmark's own CPU is listed below; a load average above what it explains means other work shared the machine,",
    'which shows in the tail (p99, max) first.',
    '',
    'What is measured: the time from an INVITE arriving to the `EventRinging` it causes arriving at the CTI',
    `client registered on the called DN, with ${r.clients} \`duet/cti\` clients connected (each registered on its`,
    `own agent DN) and sipp placing ${r.rate} calls/s for ${r.seconds} s from a trunk to those DNs (sipp phones`,
    `answer, calls last ${r.callMs} ms). Both instants are read on one clock: the INVITEs pass through a UDP relay`,
    "in the benchmark process (trunk 9001's contact), which timestamps each new INVITE before forwarding it, and the",
    `clients run in the same process, which timestamps each EventRinging; the caller number (unique per call)`,
    'ties them. The relay hop (loopback, tens of microseconds) is included: the figure is slightly pessimistic.',
    '',
    '| figure | value |',
    '|---|---:|',
    `| CTI clients connected / registered on a DN | ${r.clients} / ${r.clientsRegistered} |`,
    `| calls asked / answered (sipp) | ${r.callsAsked} / ${r.callsSucceeded} |`,
    `| rate offered (sipp) | ${f(r.offeredRate, 1)} calls/s |`,
    `| INVITEs timed / EventRinging matched / missing | ${r.invitesSeen} / ${lat.length} / ${r.unmatched} |`,
    `| INVITE -> EventRinging p50 | ${f(percentile(lat, 50))} ms |`,
    `| INVITE -> EventRinging p90 | ${f(percentile(lat, 90))} ms |`,
    `| INVITE -> EventRinging p99 | ${f(percentile(lat, 99))} ms |`,
    `| INVITE -> EventRinging max | ${f(lat.length > 0 ? Math.max(...lat) : undefined)} ms |`,
    `| Duet CPU during the calls | ${f(r.serverCpuPercent, 0)} % of one core |`,
    `| benchmark process (clients + relay) CPU | ${f(r.benchCpuPercent, 0)} % of one core |`,
    `| sipp (caller + phones) CPU | ${f(r.sippCpuPercent, 0)} % of one core |`,
    `| benchmark process event-loop delay p99 | ${f(r.benchLoopDelayP99Ms)} ms |`,
  ].join('\n');
}

export function replaceSection(file: string | undefined, section: string): string {
  return replaceNamedSection(file, section, SECTION_HEADING);
}
