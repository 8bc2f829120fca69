/**
 * The SCS's relay of Virtual IP scripts between hosts (SPEC S6.1, control-remote-vip-scripts): a server that
 * becomes primary while its peer is not started has the peer's sip-vip-script-down run on the peer's host.
 * It asks its own LCA, which sends `relay-script` here; the SCS sends `run-script` to the target host's LCA
 * under a request id of its own, and passes the `script-result` back to the asking LCA. The target LCA still
 * checks that the script is a configured script of its host; the asking LCA checked that the server may ask
 * for it. An answer never comes when the target LCA is lost: the asker is answered then (exit code null).
 */
import type { Random } from '../../runtime/random.ts';
import type { LcaToScs, ScsToLca } from '../protocol.ts';

type RelayRequest = Extract<LcaToScs, { type: 'relay-script' }>;
type ScriptResult = Extract<LcaToScs, { type: 'script-result' }>;

interface Pending {
  from: string;
  to: string;
  requestId: string;
  script: string;
}

export interface ScriptRelayOptions {
  random: Random;
  /** Sends to a host's LCA; false when it is not connected. */
  send(host: string, msg: ScsToLca): boolean;
  /** Whether `host` is a configured host. */
  isHost(host: string): boolean;
  /** Logs what was relayed (the SCS's event log). */
  note(action: string, detail: string): void;
}

/** Pending relays kept at most (a lost answer must not grow the map forever). */
const MAX_PENDING = 256;

export class ScriptRelay {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly o: ScriptRelayOptions) {}

  /** `from`'s LCA asks for a script on another host. */
  request(from: string, msg: RelayRequest): void {
    const answer = (output: string): void => {
      this.o.send(from, {
        type: 'script-result',
        requestId: msg.requestId,
        script: msg.script,
        exitCode: null,
        timedOut: false,
        output,
      });
    };
    if (!this.o.isHost(msg.host)) {
      answer(`not run: "${msg.host}" is not a host`);
      return;
    }
    const id = `relay-${this.o.random.hex(8)}`;
    this.pending.set(id, { from, to: msg.host, requestId: msg.requestId, script: msg.script });
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
    if (!this.o.send(msg.host, { type: 'run-script', requestId: id, script: msg.script })) {
      this.pending.delete(id);
      answer(`not run: the LCA of host ${msg.host} is not connected to the SCS`);
      return;
    }
    this.o.note(`script ${msg.script} on host ${msg.host}`, `relayed for ${msg.app} on host ${from}`);
  }

  /** A script-result from `host`'s LCA: true when it answered a relay (and was passed back). */
  result(host: string, msg: ScriptResult): boolean {
    const p = this.pending.get(msg.requestId);
    if (p === undefined || p.to !== host) return false;
    this.pending.delete(msg.requestId);
    this.o.send(p.from, {
      type: 'script-result',
      requestId: p.requestId,
      script: p.script,
      exitCode: msg.exitCode,
      timedOut: msg.timedOut,
      output: msg.output,
    });
    return true;
  }

  /** `host`'s LCA is lost: its pending runs will not be answered. */
  hostDown(host: string): void {
    for (const [id, p] of [...this.pending]) {
      if (p.to !== host) continue;
      this.pending.delete(id);
      this.o.send(p.from, {
        type: 'script-result',
        requestId: p.requestId,
        script: p.script,
        exitCode: null,
        timedOut: false,
        output: `no answer: the LCA of host ${host} was lost`,
      });
    }
  }
}
