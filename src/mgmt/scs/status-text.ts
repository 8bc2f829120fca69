/**
 * `duet status` as text: per pair, a table of its servers (host, mode, status, LCA, HA link, calls pending
 * sync, readiness for switchover and upgrade, calls), then one plain sentence on whether switching over now is
 * safe; the hosts' LCA links; the recent alarms.
 */
import type { AlarmView } from './alarms.ts';
import type { PairView } from './pair-controller.ts';
import type { ScsStatus } from './status.ts';

export function formatStatus(st: ScsStatus): string {
  const out: string[] = [];
  if (st.pairs.length === 0) out.push('No HA pairs are configured.');
  for (const p of st.pairs) out.push(...pairLines(p, st.time), '');
  out.push('Hosts');
  out.push(
    ...table(
      ['HOST', 'LCA', 'LINK', 'NOTE'],
      st.hosts.map((h) => [
        h.host,
        `${h.address}:${h.lcaPort}`,
        h.lcaConnected ? 'connected' : 'NOT CONNECTED',
        h.lcaConnected ? '' : (h.lastError ?? ''),
      ]),
    ).map((l) => `  ${l}`),
  );
  const raised = st.alarms ?? [];
  out.push('', raised.length === 0 ? 'Alarms: none raised' : 'Alarms (clear: duet alarms clear ID)');
  if (raised.length > 0) out.push(...formatAlarmRows(raised).map((l) => `  ${l}`));
  const alarms = st.events.filter((e) => e.level === 'Alarm').slice(-5);
  if (alarms.length > 0) {
    out.push('', 'Recent Alarm-level events');
    for (const e of alarms) out.push(`  ${new Date(e.time).toISOString()} ${e.id} ${e.app}: ${e.text}`);
  }
  if (st.readOnly) out.push('', 'The management API is read-only (no scs.token configured).');
  return `${out.join('\n')}\n`;
}

/** `duet alarms`: the raised alarms, then the last cleared ones. */
export function formatAlarms(alarms: AlarmView[], cleared: AlarmView[]): string {
  const out: string[] = [];
  if (alarms.length === 0) out.push('No alarm is raised.');
  else
    out.push(
      'Raised alarms (clear one: duet alarms clear ID)',
      ...formatAlarmRows(alarms).map((l) => `  ${l}`),
    );
  const recent = cleared.slice(-5);
  if (recent.length > 0) {
    out.push('', 'Recently cleared');
    for (const a of recent) {
      out.push(
        `  ${a.id} ${a.condition} (${a.app}) cleared ${a.clearedAt ? new Date(a.clearedAt).toISOString() : '?'} ${a.clearedBy ?? ''}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

function formatAlarmRows(alarms: AlarmView[]): string[] {
  return table(
    ['ID', 'CONDITION', 'APP', 'EVENT', 'RAISED', 'COUNT', 'REACTION', 'TEXT'],
    alarms.map((a) => [
      a.id,
      a.condition,
      a.app,
      a.eventId,
      new Date(a.raisedAt).toISOString(),
      String(a.count),
      a.reaction === null ? '-' : `${a.reaction} (${a.reactionState ?? ''})`,
      a.text,
    ]),
  );
}

function pairLines(p: PairView, now: number): string[] {
  const lines = [`Pair ${p.pair} (${p.redundancyType}): primary ${p.primary ?? 'none yet'}`];
  const rows = p.servers.map((s) => {
    const r = s.readiness;
    const live = s.lcaConnected && s.process === 'running';
    return [
      s.app,
      s.host,
      live ? (s.mode ?? '-') : '-',
      live ? (s.status ?? '-') : s.lcaConnected ? `(${s.process})` : '(unknown)',
      s.lcaConnected ? 'up' : 'LOST',
      live && r ? r.haLink : '-',
      live && r ? String(r.callsPendingSync) : '-',
      live && r ? String(r.readyForSwitchover) : '-',
      live && r ? String(r.readyForUpgrade) : '-',
      live && r ? String(r.calls) : '-',
    ];
  });
  lines.push(
    ...table(
      [
        'SERVER',
        'HOST',
        'MODE',
        'STATUS',
        'LCA',
        'HA LINK',
        'PENDING SYNC',
        'READY SW',
        'READY UPG',
        'CALLS',
      ],
      rows,
    ).map((l) => `  ${l}`),
  );
  const t = p.transition;
  if (t) {
    const secs = Math.max(0, Math.round((now - t.since) / 1000));
    lines.push(`  In progress: ${t.kind} from ${t.from} to ${t.to} (${t.step}, ${secs} s): ${t.reason}`);
  }
  if (p.failoverBlocked) lines.push(`  FAILOVER BLOCKED: ${p.failoverBlocked}`);
  const safe = p.safeToSwitchOver;
  lines.push(`  Switchover now: ${safe.safe ? 'SAFE' : 'NOT SAFE'}: ${safe.reason}.`);
  return lines;
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}
