/**
 * The SCS status page (SPEC S7): one table per pair (each server's host, mode, status, HA link, sync, readiness,
 * calls), whether a switchover is safe now, the hosts' LCA links, recent events. Rendered on the server from
 * the same ScsStatus as /api/status; it reloads itself every few seconds. The raised alarms, each with a Clear
 * button. A switchover or clear button asks for the operator's token (kept in the tab's sessionStorage, sent as a Bearer header; never in a URL or a cookie).
 */
import type { PairView, ServerView } from './pair-controller.ts';
import type { ScsStatus } from './status.ts';

export function renderStatusPage(status: ScsStatus): string {
  const pairs = status.pairs.map((p) => pairSection(p, status.readOnly)).join('\n');
  const hosts = status.hosts
    .map(
      (h) =>
        `<tr><td>${esc(h.host)}</td><td>${esc(h.address)}:${h.lcaPort}</td>` +
        `<td class="${h.lcaConnected ? 'ok' : 'bad'}">${h.lcaConnected ? 'connected' : 'not connected'}</td>` +
        `<td>${h.since ? esc(time(h.since)) : ''}</td><td>${esc(h.lastError ?? '')}</td></tr>`,
    )
    .join('\n');
  const alarms = (status.alarms ?? [])
    .map(
      (a) =>
        `<tr class="bad"><td>${esc(a.id)}</td><td>${esc(a.condition)}</td><td>${esc(a.app)}</td>` +
        `<td>${esc(a.eventId)}</td><td>${esc(time(a.raisedAt))}</td><td>${a.count}</td>` +
        `<td>${esc(a.reaction === null ? '-' : `${a.reaction} (${a.reactionState ?? ''})`)}</td><td>${esc(a.text)}</td>` +
        `<td>${status.readOnly ? '' : `<button onclick="clearAlarm(${attr(a.id)})">Clear</button>`}</td></tr>`,
    )
    .join('\n');
  const events = status.events
    .slice(-30)
    .reverse()
    .map(
      (e) =>
        `<tr class="${e.level === 'Alarm' ? 'bad' : ''}"><td>${esc(time(e.time))}</td><td>${esc(e.id)}</td>` +
        `<td>${esc(e.app)}</td><td>${esc(e.text)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Duet status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;font-size:.92em}
th{background:#f3f3f3}.ok{color:#176617}.bad{color:#b00020}.primary{font-weight:bold}
.note{color:#555}button{margin-left:.5em}
</style></head><body>
<h1>Duet</h1>
<p class="note">Status at ${esc(time(status.time))}; refreshes every 3 s.
${status.readOnly ? 'Read-only: no scs.token is configured.' : ''}</p>
${pairs || '<p>No HA pairs are configured.</p>'}
<h2>Alarms</h2>
${
  alarms
    ? `<table><tr><th>id</th><th>condition</th><th>app</th><th>event</th><th>raised</th><th>count</th><th>reaction</th><th>text</th><th></th></tr>\n${alarms}\n</table>`
    : '<p class="ok">No alarm is raised.</p>'
}
<h2>Hosts</h2>
<table><tr><th>host</th><th>LCA</th><th>link</th><th>since</th><th>last error</th></tr>
${hosts}
</table>
<h2>Recent events</h2>
<table><tr><th>time</th><th>event</th><th>app</th><th>text</th></tr>
${events}
</table>
<script>
async function switchover(pair, whenReady) {
  let token = sessionStorage.getItem('duet-token');
  if (!token) { token = prompt('Operator token (scs.token)'); if (!token) return; }
  const r = await fetch('/api/switchover', { method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
    body: JSON.stringify({ pair, whenReady }) });
  const body = await r.json().catch(() => ({}));
  if (r.status === 401) sessionStorage.removeItem('duet-token'); else sessionStorage.setItem('duet-token', token);
  alert(r.ok ? 'Switchover of ' + pair + ' started: ' + body.from + ' -> ' + body.to : (body.error || r.statusText));
  location.reload();
}
async function clearAlarm(id) {
  let token = sessionStorage.getItem('duet-token');
  if (!token) { token = prompt('Operator token (scs.token)'); if (!token) return; }
  const r = await fetch('/api/alarms/' + encodeURIComponent(id) + '/clear', { method: 'POST',
    headers: { authorization: 'Bearer ' + token } });
  const body = await r.json().catch(() => ({}));
  if (r.status === 401) sessionStorage.removeItem('duet-token'); else sessionStorage.setItem('duet-token', token);
  if (!r.ok) alert(body.error || r.statusText);
  location.reload();
}
setInterval(() => location.reload(), 3000);
</script>
</body></html>
`;
}

function pairSection(p: PairView, readOnly: boolean): string {
  const rows = p.servers.map((s) => serverRow(s, p.primary)).join('\n');
  const t = p.transition;
  const lines: string[] = [];
  if (t)
    lines.push(`<p>${esc(`${t.kind} from ${t.from} to ${t.to} in progress (${t.step}): ${t.reason}`)}</p>`);
  if (p.failoverBlocked) lines.push(`<p class="bad">Failover blocked: ${esc(p.failoverBlocked)}</p>`);
  const safe = p.safeToSwitchOver;
  lines.push(
    `<p class="${safe.safe ? 'ok' : 'bad'}">Switchover now: ${safe.safe ? 'safe' : 'not safe'}: ${esc(safe.reason)}` +
      (readOnly
        ? ''
        : `<button onclick="switchover(${attr(p.pair)}, false)">Switch over</button>` +
          `<button onclick="switchover(${attr(p.pair)}, true)">Switch over when ready</button>`) +
      '</p>',
  );
  return `<h2>Pair ${esc(p.pair)} <span class="note">(${esc(p.redundancyType)})</span></h2>
<table><tr><th>server</th><th>host</th><th>configured</th><th>mode</th><th>status</th><th>LCA</th><th>process</th>
<th>HA link</th><th>pending sync</th><th>ready for switchover</th><th>ready for upgrade</th><th>calls</th></tr>
${rows}
</table>
${lines.join('\n')}`;
}

function serverRow(s: ServerView, primary: string | null): string {
  const r = s.readiness;
  const cls = s.app === primary ? ' class="primary"' : '';
  return (
    `<tr${cls}><td>${esc(s.app)}</td><td>${esc(s.host)}</td><td>${esc(s.configuredRole)}</td>` +
    `<td>${esc(s.mode ?? '-')}</td><td class="${s.running ? 'ok' : 'bad'}">${esc(s.status ?? '-')}</td>` +
    `<td>${s.lcaConnected ? 'connected' : '<span class="bad">lost</span>'}</td>` +
    `<td>${esc(s.process)}${s.pid ? ` (${s.pid})` : ''}</td>` +
    `<td>${esc(r?.haLink ?? '-')}</td><td>${r ? r.callsPendingSync : '-'}</td>` +
    `<td>${r ? r.readyForSwitchover : '-'}</td><td>${r ? r.readyForUpgrade : '-'}</td><td>${r ? r.calls : '-'}</td></tr>`
  );
}

function time(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** A JS string literal inside an HTML attribute. */
function attr(s: string): string {
  return esc(JSON.stringify(s));
}
