/**
 * The takeover probe: a minimal SIP caller in this process, on its own UDP socket, that starts a new call
 * (INVITE with SDP, from DN 1001 to DN 2001) every `everyMs` and notes, with this process's monotonic clock,
 * when the first 200 to any of them arrives. Each answered call is ACKed and ended with a BYE at once; a final
 * error is ACKed. No INVITE is retransmitted: a new INVITE every 50 ms does a retransmission's job, and the
 * moment of the first answer is then the takeover moment to within one interval, instead of landing on the
 * next retransmission (T1 = 500 ms, doubling) of an INVITE sent while no server listened.
 *
 * Why not sipp here: spawning a sipp per probe costs tens of ms of a loaded 2-core machine, and a
 * long-running sipp reports times relative to its own start; this process measures kill -> answer on one clock.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';

const CRLF = '\r\n';
const rnd = (n: number) => randomBytes(n).toString('hex');

interface ProbeCall {
  callId: string;
  fromTag: string;
  inviteBranch: string;
  sentAt: number;
  answeredAt?: number;
  /** A provisional response came; final: a final one. */
  provisional: boolean;
  final: boolean;
  toTag?: string;
  byeDone: boolean;
  byeBranch?: string;
  byeTimer?: NodeJS.Timeout;
}

/** Header values by lower-case name (compact forms of the few headers read here included). */
function headerValues(head: string, name: string, compact?: string): string[] {
  const out: string[] = [];
  for (const line of head.split(CRLF).slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const n = line.slice(0, colon).trim().toLowerCase();
    if (n === name || (compact !== undefined && n === compact)) out.push(line.slice(colon + 1).trim());
  }
  return out;
}

function tagOf(value: string | undefined): string | undefined {
  return value ? /;\s*tag=([^;>\s]+)/i.exec(value)?.[1] : undefined;
}

function uriOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /<([^>]+)>/.exec(value);
  return m ? m[1] : value.split(';')[0]?.trim();
}

export interface ProbeStats {
  sent: number;
  answered: number;
  rejected: number;
  byesConfirmed: number;
  /** 200s that came after drain() had given up waiting (still ACKed and ended). */
  lateAnswers: number;
}

export class CallProbe {
  private socket: dgram.Socket | undefined;
  private port = 0;
  private readonly calls = new Map<string, ProbeCall>();
  private timer: NodeJS.Timeout | undefined;
  private firstAnswer: number | undefined;
  private waiters: ((at: number) => void)[] = [];
  readonly stats: ProbeStats = { sent: 0, answered: 0, rejected: 0, byesConfirmed: 0, lateAnswers: 0 };
  private drained = false;

  constructor(
    private readonly server: { host: string; port: number },
    private readonly from: string,
    private readonly to: string,
  ) {}

  async open(): Promise<void> {
    const s = dgram.createSocket('udp4');
    s.on('message', (m) => this.onMessage(m.toString('latin1')));
    s.on('error', () => {}); // ICMP unreachable while no server listens: expected, ignored
    await new Promise<void>((done) => s.bind(0, '127.0.0.1', () => done()));
    this.socket = s;
    this.port = s.address().port;
  }

  /** Starts a new call now and then every everyMs, until the first answer (or stop()). */
  startProbing(everyMs: number): void {
    this.firstAnswer = undefined;
    this.drained = false;
    this.sendInvite();
    this.timer = setInterval(() => this.sendInvite(), everyMs);
  }

  /** performance.now() of the first 200 after startProbing, or undefined after timeoutMs. */
  firstAnswered(timeoutMs: number): Promise<number | undefined> {
    if (this.firstAnswer !== undefined) return Promise.resolve(this.firstAnswer);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(undefined);
      }, timeoutMs);
      const done = (at: number) => {
        clearTimeout(t);
        resolve(at);
      };
      this.waiters.push(done);
    });
  }

  stopProbing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Waits (up to timeoutMs) until every answered probe call has its BYE confirmed and every call that got a
   * provisional response has a final one. Returns the calls still open then (the server may hold them). Calls
   * are remembered until close(), so a late 200 is still ACKed and ended.
   */
  async drain(timeoutMs: number): Promise<number> {
    const open = () =>
      [...this.calls.values()].filter(
        (c) => (c.answeredAt !== undefined && !c.byeDone) || (c.provisional && !c.final),
      ).length;
    const end = Date.now() + timeoutMs;
    while (Date.now() < end && open() > 0) await new Promise((r) => setTimeout(r, 50));
    this.drained = true;
    return open();
  }

  close(): void {
    this.stopProbing();
    for (const c of this.calls.values()) clearInterval(c.byeTimer);
    this.socket?.close();
    this.socket = undefined;
  }

  private send(text: string): void {
    this.socket?.send(Buffer.from(text, 'latin1'), this.server.port, this.server.host, () => {});
  }

  private common(c: ProbeCall, branch: string, cseq: string, toTag?: string): string[] {
    const local = `127.0.0.1:${this.port}`;
    const remote = `${this.server.host}:${this.server.port}`;
    return [
      `Via: SIP/2.0/UDP ${local};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:${this.from}@${local}>;tag=${c.fromTag}`,
      `To: <sip:${this.to}@${remote}>${toTag ? `;tag=${toTag}` : ''}`,
      `Call-ID: ${c.callId}`,
      `CSeq: ${cseq}`,
    ];
  }

  private sendInvite(): void {
    const c: ProbeCall = {
      callId: `habench-probe-${rnd(8)}`,
      fromTag: rnd(4),
      inviteBranch: `z9hG4bK${rnd(8)}`,
      sentAt: performance.now(),
      provisional: false,
      final: false,
      byeDone: false,
    };
    this.calls.set(c.callId, c);
    const sdp = [
      'v=0',
      'o=probe 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 6000 RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
      '',
    ].join(CRLF);
    const head = [
      `INVITE sip:${this.to}@${this.server.host}:${this.server.port} SIP/2.0`,
      ...this.common(c, c.inviteBranch, '1 INVITE'),
      `Contact: <sip:${this.from}@127.0.0.1:${this.port}>`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(sdp)}`,
    ];
    this.stats.sent++;
    this.send(`${head.join(CRLF)}${CRLF}${CRLF}${sdp}`);
  }

  private onMessage(text: string): void {
    const end = text.indexOf(CRLF + CRLF);
    const head = end >= 0 ? text.slice(0, end) : text;
    const first = head.slice(0, head.indexOf(CRLF));
    const callId = headerValues(head, 'call-id', 'i')[0];
    const c = callId ? this.calls.get(callId) : undefined;
    if (!first.startsWith('SIP/2.0 ')) {
      // A request from the server (a BYE of its own): answer 200 so that it does not retransmit.
      this.answerRequest(head);
      return;
    }
    if (!c) return;
    const status = Number(first.split(' ')[1]);
    const cseq = headerValues(head, 'cseq')[0] ?? '';
    const toTag = tagOf(headerValues(head, 'to', 't')[0]);
    if (/INVITE/i.test(cseq)) {
      if (status < 200) {
        c.provisional = true;
        return;
      }
      c.final = true;
      if (status >= 300) {
        // ACK of a non-2xx final: same branch as the INVITE (RFC 3261 17.1.1.3).
        this.stats.rejected++;
        const ack = [
          `ACK sip:${this.to}@${this.server.host}:${this.server.port} SIP/2.0`,
          ...this.common(c, c.inviteBranch, '1 ACK', toTag),
          'Content-Length: 0',
        ];
        this.send(`${ack.join(CRLF)}${CRLF}${CRLF}`);
        return;
      }
      const now = performance.now();
      const firstForCall = c.answeredAt === undefined;
      if (firstForCall) {
        c.answeredAt = now;
        c.toTag = toTag;
        this.stats.answered++;
        if (this.drained) this.stats.lateAnswers++;
        if (this.firstAnswer === undefined) {
          this.firstAnswer = now;
          this.stopProbing();
          for (const w of this.waiters.splice(0)) w(now);
        }
      }
      // ACK every 200 (a retransmitted 200 means ours was lost), then end the call.
      const target = uriOf(headerValues(head, 'contact', 'm')[0]) ?? `sip:${this.to}@${this.server.host}`;
      const routes = headerValues(head, 'record-route')
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .reverse();
      const dialogHeaders = routes.length > 0 ? [`Route: ${routes.join(', ')}`] : [];
      const ack = [
        `ACK ${target} SIP/2.0`,
        ...this.common(c, `z9hG4bK${rnd(8)}`, '1 ACK', c.toTag),
        ...dialogHeaders,
        'Content-Length: 0',
      ];
      this.send(`${ack.join(CRLF)}${CRLF}${CRLF}`);
      if (firstForCall) {
        c.byeBranch = `z9hG4bK${rnd(8)}`;
        const bye = [
          `BYE ${target} SIP/2.0`,
          ...this.common(c, c.byeBranch, '2 BYE', c.toTag),
          ...dialogHeaders,
          'Content-Length: 0',
        ];
        const text = `${bye.join(CRLF)}${CRLF}${CRLF}`;
        this.send(text);
        let tries = 0;
        c.byeTimer = setInterval(() => {
          if (++tries > 6) clearInterval(c.byeTimer);
          else this.send(text);
        }, 500);
      }
      return;
    }
    if (/BYE/i.test(cseq) && status >= 200) {
      clearInterval(c.byeTimer);
      if (!c.byeDone && status < 300) this.stats.byesConfirmed++;
      c.byeDone = true;
    }
  }

  private answerRequest(head: string): void {
    const method = head.slice(0, head.indexOf(' '));
    if (method === 'ACK') return;
    const keep = head
      .split(CRLF)
      .slice(1)
      .filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(l));
    this.send(`SIP/2.0 200 OK${CRLF}${keep.join(CRLF)}${CRLF}Content-Length: 0${CRLF}${CRLF}`);
  }
}
