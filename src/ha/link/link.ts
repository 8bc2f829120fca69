/**
 * Authenticated, framed, ADDP-kept links (types.ts is the contract) on the injected Net, Clock and Random, so
 * that the HA link, server <-> LCA and LCA <-> SCS all run unchanged in the simulator.
 *
 * Life of one connection:
 *   handshake (handshake.ts) --> open (messages, ADDP: addp.ts) --> closed
 * - Nothing reaches onMessage before the link is open, and nothing after it closed.
 * - During the handshake frames are limited to 64 KiB (an unauthenticated peer cannot make us buffer the full
 *   `maxFrameBytes`); the limit is raised when the link opens.
 * - Server side: a peer that fails the handshake (wrong protocol, wrong mac, malformed or garbage frames,
 *   silence past `handshakeTimeoutMs`, or a connection dropped before it finished) is told why in a
 *   {type:'refused', detail} frame where the connection still works, closed, and reported once to onRefused.
 * - Client side: the whole attempt (TCP connect + handshake) must finish within `handshakeTimeoutMs`; it ends
 *   in exactly one of onOpen or onFailed. onFailed gets 'net-error' when the connection fails (ECONNREFUSED,
 *   EHOSTUNREACH, reset), 'bad-frame' when the server sends unreadable frames, 'handshake-failed' otherwise.
 * - An open link reports onClose exactly once: 'closed-by-us' (close(), cancel()), 'closed-by-peer' (FIN,
 *   which is also what a crashed peer's kernel sends), 'net-error' (reset, ETIMEDOUT), 'addp-timeout',
 *   'bad-frame' (including a message of ours larger than `maxFrameBytes`, refused before it is sent).
 * - close() is synchronous: the link is closed and onClose has run when it returns (also from inside a
 *   handler). The TCP close that follows is not reported again.
 */
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { Address, Net, NetError, TcpConnection, TcpHandlers } from '../../runtime/net.ts';
import { formatAddress } from '../../runtime/net.ts';
import type { Random } from '../../runtime/random.ts';
import { AddpKeeper, effectiveAddpTimeoutMs, validateAddpOptions } from './addp.ts';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder, FrameError } from './frame-codec.ts';
import {
  type Auth,
  checkAuth,
  checkWelcome,
  type Hello,
  makeAuth,
  makeHello,
  makeRefused,
  makeWelcome,
  NONCE_HEX,
  parseHello,
} from './handshake.ts';
import type {
  CloseReason,
  Link,
  LinkClientHandlers,
  LinkHandlers,
  LinkMessage,
  LinkOptions,
  LinkServerHandlers,
} from './types.ts';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;
/** Frame limit before the peer is authenticated. */
export const HANDSHAKE_MAX_FRAME_BYTES = 64 * 1024;

export interface LinkListener {
  /**
   * Stops listening and drops the handshakes in progress (without onRefused). Links already open stay open,
   * as connections do when a node:net server closes; close them through links().
   */
  close(): void;
  local(): Address | undefined;
  /** The links this listener opened that are still open. */
  links(): Link[];
}

export interface LinkConnector {
  /** Before the link opens: gives up silently (no onFailed). After: closes the link ('closed-by-us'). */
  cancel(): void;
}

interface Resolved {
  secret: string;
  name: string;
  protocol: string;
  accepted: readonly string[];
  addp: LinkOptions['addp'];
  maxFrameBytes: number;
  handshakeTimeoutMs: number;
}

/** Validates the options at the call, so that a configuration mistake is an error at startup, not a hang. */
export function resolveLinkOptions(opts: LinkOptions): Resolved {
  if (typeof opts.secret !== 'string' || opts.secret === '') {
    throw new RangeError('link: the shared secret is empty; set scs.link-secret');
  }
  if (typeof opts.name !== 'string' || opts.name === '') throw new RangeError('link: name must not be empty');
  if (typeof opts.protocol !== 'string' || opts.protocol === '') {
    throw new RangeError('link: protocol must not be empty');
  }
  const accepted = opts.acceptProtocols ?? [opts.protocol];
  if (accepted.length === 0 || accepted.some((p) => typeof p !== 'string' || p === '')) {
    throw new RangeError('link: acceptProtocols must list at least one non-empty protocol');
  }
  validateAddpOptions(opts.addp);
  const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > 0xffffffff) {
    throw new RangeError(`link: maxFrameBytes must be an integer in 1..4294967295, got ${maxFrameBytes}`);
  }
  const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (!Number.isFinite(handshakeTimeoutMs) || handshakeTimeoutMs <= 0) {
    throw new RangeError(`link: handshakeTimeoutMs must be > 0, got ${handshakeTimeoutMs}`);
  }
  return {
    secret: opts.secret,
    name: opts.name,
    protocol: opts.protocol,
    accepted: [...accepted],
    addp: opts.addp,
    maxFrameBytes,
    handshakeTimeoutMs,
  };
}

type Phase = 'handshake' | 'open' | 'closed';

/** What both ends share: framing, the open link, ADDP, closing. The handshake is the subclasses'. */
abstract class LinkEnd implements Link {
  peerName = '';
  protocol: string;
  protected phase: Phase = 'handshake';
  protected conn: TcpConnection | undefined;
  protected readonly decoder: FrameDecoder;
  private addp: AddpKeeper | undefined;
  private handshakeTimer: TimerHandle | undefined;

  constructor(
    protected readonly clock: Clock,
    protected readonly o: Resolved,
    private readonly linkHandlers: LinkHandlers,
    readonly remote: Address,
  ) {
    this.protocol = o.protocol;
    this.decoder = new FrameDecoder(Math.min(HANDSHAKE_MAX_FRAME_BYTES, o.maxFrameBytes));
    this.handshakeTimer = clock.setTimer(o.handshakeTimeoutMs, () => {
      this.handshakeTimer = undefined;
      if (this.phase === 'handshake') this.handshakeTimedOut();
    });
  }

  get open(): boolean {
    return this.phase === 'open';
  }

  send(msg: LinkMessage): void {
    if (this.phase !== 'open') return;
    const frame = encodeFrame(msg);
    if (frame.length - 4 > this.o.maxFrameBytes) {
      this.finish({
        kind: 'bad-frame',
        detail:
          `refused to send a '${msg.type}' message of ${frame.length - 4} bytes: larger than the frame ` +
          `limit of ${this.o.maxFrameBytes} bytes`,
      });
      return;
    }
    this.conn?.write(frame);
  }

  close(): void {
    this.finish({ kind: 'closed-by-us' });
  }

  tcpHandlers(): TcpHandlers {
    return {
      onConnect: () => this.onConnect(),
      onData: (data) => this.onData(data),
      onClose: (err) => this.onTcpClose(err),
    };
  }

  protected onConnect(): void {}

  /** A frame during the handshake. */
  protected abstract handshakeFrame(msg: LinkMessage): void;
  /** The handshake ended without opening the link; the connection is already closed. */
  protected abstract handshakeFailed(reason: CloseReason, tellPeer: boolean): void;
  protected abstract handshakeTimedOut(): void;
  protected abstract opened(): void;

  /** Writes a frame whatever the phase (handshake messages). */
  protected write(msg: LinkMessage): void {
    this.conn?.write(encodeFrame(msg));
  }

  /** The handshake succeeded: raise the frame limit, start ADDP, then tell the application. */
  protected becomeOpen(peerName: string, protocol: string, peerRequestedAddp: number): void {
    this.peerName = peerName;
    this.protocol = protocol;
    this.phase = 'open';
    this.clearHandshakeTimer();
    this.decoder.maxFrameBytes = this.o.maxFrameBytes;
    this.addp = new AddpKeeper({
      clock: this.clock,
      timeoutMs: effectiveAddpTimeoutMs(this.o.addp, peerRequestedAddp),
      send: (m) => this.write(m),
      onDead: () => this.finish({ kind: 'addp-timeout' }),
      trace: this.o.addp?.trace,
    });
    this.opened();
  }

  /** Ends the handshake without a link: optionally tells the peer why, closes, reports once. */
  protected fail(reason: CloseReason, tellPeer: boolean): void {
    if (this.phase !== 'handshake') return;
    this.phase = 'closed';
    this.clearHandshakeTimer();
    if (tellPeer) this.write(makeRefused(describeReason(reason)));
    this.conn?.close();
    this.handshakeFailed(reason, tellPeer);
  }

  /** Ends an open link and reports onClose once. */
  protected finish(reason: CloseReason): void {
    if (this.phase !== 'open') return;
    this.phase = 'closed';
    this.addp?.stop();
    this.conn?.close();
    this.linkHandlers.onClose(this, reason);
  }

  /** Ends the attempt without any callback (listener closed, connector cancelled). */
  protected abort(): void {
    if (this.phase !== 'handshake') return;
    this.phase = 'closed';
    this.clearHandshakeTimer();
    this.conn?.close();
  }

  private onData(data: Uint8Array): void {
    if (this.isClosed()) return;
    this.decoder.push(data);
    // A handler may close the link: the phase is read again before each frame.
    while (!this.isClosed()) {
      let msg: LinkMessage | undefined;
      try {
        msg = this.decoder.next();
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        const reason: CloseReason = { kind: 'bad-frame', detail: err.detail };
        if (this.phase === 'handshake') this.fail(reason, true);
        else this.finish(reason);
        return;
      }
      if (msg === undefined) return;
      if (this.phase === 'handshake') this.handshakeFrame(msg);
      else if (!this.addp!.onFrame(msg)) this.linkHandlers.onMessage(this, msg);
    }
  }

  private onTcpClose(err: NetError | undefined): void {
    if (this.phase === 'open') {
      this.finish(err === undefined ? { kind: 'closed-by-peer' } : { kind: 'net-error', error: err });
    } else if (this.phase === 'handshake') {
      this.fail(
        err === undefined
          ? { kind: 'handshake-failed', detail: 'the peer closed the connection during the handshake' }
          : { kind: 'net-error', error: err },
        false,
      );
    }
  }

  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== undefined) this.clock.clearTimer(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }
}

class ServerEnd extends LinkEnd {
  private readonly serverNonce: string;

  constructor(
    clock: Clock,
    random: Random,
    o: Resolved,
    private readonly handlers: LinkServerHandlers,
    private readonly registry: Set<ServerEnd>,
    conn: TcpConnection,
  ) {
    super(clock, o, handlers, conn.remote());
    this.conn = conn;
    this.serverNonce = random.hex(NONCE_HEX);
    this.write(makeHello(o.protocol, o.accepted, this.serverNonce));
  }

  stop(): void {
    this.abort();
  }

  protected handshakeFrame(msg: LinkMessage): void {
    const auth = checkAuth(msg, {
      secret: this.o.secret,
      accepted: this.o.accepted,
      serverNonce: this.serverNonce,
    });
    if (typeof auth === 'string') {
      this.fail({ kind: 'handshake-failed', detail: auth }, true);
      return;
    }
    this.accept(auth);
  }

  private accept(auth: Auth): void {
    // The welcome goes out before onOpen so that whatever the application sends from onOpen follows it.
    this.write(
      makeWelcome(this.o.secret, auth, this.serverNonce, this.o.name, this.o.addp?.remoteTimeout ?? 0),
    );
    this.becomeOpen(auth.name, auth.protocol, auth.addpRemoteTimeout);
  }

  protected opened(): void {
    this.handlers.onOpen(this);
  }

  protected override finish(reason: CloseReason): void {
    this.registry.delete(this);
    super.finish(reason);
  }

  protected override fail(reason: CloseReason, tellPeer: boolean): void {
    this.registry.delete(this);
    super.fail(reason, tellPeer);
  }

  protected override abort(): void {
    this.registry.delete(this);
    super.abort();
  }

  protected handshakeTimedOut(): void {
    this.fail(
      { kind: 'handshake-failed', detail: `no authentication within ${this.o.handshakeTimeoutMs} ms` },
      true,
    );
  }

  protected handshakeFailed(reason: CloseReason): void {
    this.handlers.onRefused?.(this.remote, describeReason(reason));
  }
}

class ClientEnd extends LinkEnd {
  private connected = false;
  private hello: Hello | undefined;
  private clientNonce = '';

  constructor(
    clock: Clock,
    private readonly random: Random,
    o: Resolved,
    private readonly handlers: LinkClientHandlers,
    remote: Address,
  ) {
    super(clock, o, handlers, remote);
  }

  attach(conn: TcpConnection): void {
    this.conn = conn;
    if (this.phase === 'closed') conn.close(); // failed or cancelled before connectTcp even returned
  }

  cancel(): void {
    if (this.phase === 'open') this.close();
    else this.abort();
  }

  protected override onConnect(): void {
    this.connected = true;
  }

  protected handshakeFrame(msg: LinkMessage): void {
    if (this.hello === undefined) {
      const hello = parseHello(msg);
      if (typeof hello === 'string') {
        this.fail({ kind: 'handshake-failed', detail: hello }, false);
        return;
      }
      this.hello = hello;
      this.clientNonce = this.random.hex(NONCE_HEX);
      this.write(
        makeAuth(
          this.o.secret,
          this.o.protocol,
          this.o.name,
          hello.nonce,
          this.clientNonce,
          this.o.addp?.remoteTimeout ?? 0,
        ),
      );
      return;
    }
    const welcome = checkWelcome(msg, {
      secret: this.o.secret,
      protocol: this.o.protocol,
      serverNonce: this.hello.nonce,
      clientNonce: this.clientNonce,
    });
    if (typeof welcome === 'string') {
      this.fail({ kind: 'handshake-failed', detail: welcome }, false);
      return;
    }
    this.becomeOpen(welcome.name, this.o.protocol, welcome.addpRemoteTimeout);
  }

  protected opened(): void {
    this.handlers.onOpen(this);
  }

  protected handshakeTimedOut(): void {
    const ms = this.o.handshakeTimeoutMs;
    const where = formatAddress(this.remote);
    const detail = !this.connected
      ? `TCP connect to ${where} did not complete within ${ms} ms`
      : this.hello === undefined
        ? `no hello from ${where} within ${ms} ms`
        : `no answer to our authentication from ${where} within ${ms} ms`;
    this.fail({ kind: 'handshake-failed', detail }, false);
  }

  protected handshakeFailed(reason: CloseReason): void {
    this.handlers.onFailed(reason);
  }
}

/** Listens for peers; each one that authenticates becomes an open Link (handlers.onOpen). */
export function listenLinks(
  net: Net,
  clock: Clock,
  random: Random,
  local: Address,
  opts: LinkOptions,
  handlers: LinkServerHandlers,
): LinkListener {
  const o = resolveLinkOptions(opts);
  const ends = new Set<ServerEnd>();
  let closed = false;
  const server = net.listenTcp(local, {
    onListening: () => handlers.onListening?.(),
    onError: (err) => handlers.onError?.(err),
    onConnection: (conn) => {
      if (closed) {
        conn.close();
        return { onData() {}, onClose() {} };
      }
      const end = new ServerEnd(clock, random, o, handlers, ends, conn);
      ends.add(end);
      return end.tcpHandlers();
    },
  });
  return {
    close() {
      if (closed) return;
      closed = true;
      server.close();
      for (const end of [...ends]) if (!end.open) end.stop();
    },
    local: () => server.local(),
    links: () => [...ends].filter((e) => e.open),
  };
}

/** Connects to a link server and authenticates: ends in exactly one of onOpen or onFailed (unless cancelled). */
export function connectLink(
  net: Net,
  clock: Clock,
  random: Random,
  remote: Address,
  opts: LinkOptions,
  handlers: LinkClientHandlers,
): LinkConnector {
  const o = resolveLinkOptions(opts);
  const end = new ClientEnd(clock, random, o, handlers, { ...remote });
  end.attach(net.connectTcp(remote, end.tcpHandlers()));
  return { cancel: () => end.cancel() };
}

/** One line for a log or a 'refused' frame. */
export function describeReason(reason: CloseReason): string {
  switch (reason.kind) {
    case 'closed-by-us':
      return 'closed by us';
    case 'closed-by-peer':
      return 'closed by the peer';
    case 'addp-timeout':
      return 'the peer did not answer ADDP (addp-timeout)';
    case 'handshake-failed':
      return reason.detail;
    case 'bad-frame':
      return `bad frame: ${reason.detail}`;
    case 'net-error':
      return `network error: ${reason.error.code} ${reason.error.message}`;
  }
}
