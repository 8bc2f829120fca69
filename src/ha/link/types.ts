/**
 * The contract of every inter-process link of Duet (SPEC S1, S4.2, S8.4): the HA link between the two servers
 * of a pair, server <-> LCA, and LCA <-> SCS. One TCP connection on the injected Net, carrying length-prefixed
 * frames of JSON messages, opened by a shared-secret HMAC handshake in both directions (each side proves it
 * knows the secret; an unauthenticated peer is refused), and kept alive by ADDP when idle.
 *
 * Implemented in link.ts (this folder). Callback-based like Net, so that it runs in the simulator.
 */
import type { Address, NetError } from '../../runtime/net.ts';

/** A message on a link: any JSON object with a string `type`. */
export interface LinkMessage {
  type: string;
  [field: string]: unknown;
}

export interface AddpOptions {
  /**
   * Seconds (fractions allowed) of silence after which this side sends an ADDP poll; when nothing at all
   * arrives within the same time after the poll, the link is declared dead and closed ('addp-timeout').
   * 0 turns ADDP off on this side.
   */
  timeout: number;
  /** The timeout asked of the peer (it polls us with it); sent in the handshake. 0 = the peer does not poll. */
  remoteTimeout: number;
  /** Trace of polls and answers (for `addp-trace`). */
  trace?: (direction: 'sent' | 'received', what: 'poll' | 'answer') => void;
}

export interface LinkOptions {
  /** Shared secret of the link (config `scs.link-secret`). */
  secret: string;
  /** This end's name, told to the peer (an application or host name). */
  name: string;
  /**
   * The protocol this end speaks ('ha', 'lca-app', 'scs'): a client names one; a listening server accepts the
   * ones in `acceptProtocols` (default: just `protocol`), so one port can serve several kinds of peer.
   */
  protocol: string;
  acceptProtocols?: string[];
  addp?: AddpOptions;
  /** Largest frame accepted, bytes. Default 16 MiB (a resync batch of 1000 calls fits). */
  maxFrameBytes?: number;
  /** Handshake must finish within this, ms. Default 5000. */
  handshakeTimeoutMs?: number;
}

/** Why a link closed: told once to onClose. */
export type CloseReason =
  | { kind: 'closed-by-us' }
  | { kind: 'closed-by-peer' }
  | { kind: 'addp-timeout' }
  | { kind: 'handshake-failed'; detail: string }
  | { kind: 'bad-frame'; detail: string }
  | { kind: 'net-error'; error: NetError };

export interface Link {
  /** The authenticated peer's name. */
  readonly peerName: string;
  /** The protocol agreed in the handshake. */
  readonly protocol: string;
  readonly remote: Address;
  /** Sends one message (queued in order); ignored once closed. */
  send(msg: LinkMessage): void;
  close(): void;
  readonly open: boolean;
}

export interface LinkHandlers {
  onMessage(link: Link, msg: LinkMessage): void;
  onClose(link: Link, reason: CloseReason): void;
}

export interface LinkServerHandlers extends LinkHandlers {
  /** A peer authenticated: the link is open. */
  onOpen(link: Link): void;
  /** A peer failed the handshake (wrong secret, wrong protocol, garbage): it was refused and closed. */
  onRefused?(remote: Address, detail: string): void;
  onListening?(): void;
  onError?(err: NetError): void;
}

export interface LinkClientHandlers extends LinkHandlers {
  onOpen(link: Link): void;
  /** Could not connect or authenticate; no link was opened. */
  onFailed(reason: CloseReason): void;
}
