/**
 * The seam between a transport (TCP frames, WebSocket text messages) and the CTI server core: a transport
 * hands the core each message it read, already parsed as JSON, and the core answers through `send`. The core
 * does no I/O of its own, so the same code serves TCP in the simulator and WebSocket on Node.
 */

export interface CtiConnection {
  readonly transport: 'tcp' | 'ws';
  /** "host:port" of the client. */
  readonly remote: string;
  /** Sends one message (one frame / one text message); ignored once closed. */
  send(msg: object): void;
  /**
   * Bytes sent and not yet taken by the network (TCP: the socket's queue; WebSocket: `bufferedAmount`): it
   * grows while the client does not read. The core closes a client whose queue passes CTI_MAX_QUEUED_BYTES.
   */
  queuedBytes(): number;
  /** Closes the connection; the transport then calls onClose. */
  close(): void;
  /** Closes at once, discarding what is queued (the client will never read it); onClose follows. */
  abort(): void;
}

/** What the core does with what a transport reads: returned by CtiServer.accept for each new connection. */
export interface CtiConnectionHandlers {
  /** A message that is valid JSON (any JSON value: the core checks its shape). */
  onMessage(value: unknown): void;
  /** A frame that was read whole but is not JSON: the stream goes on. */
  onUnreadable(detail: string): void;
  /** The framing broke (an oversized or garbage length): the core answers EventError and closes. */
  onBrokenStream(detail: string): void;
  /** The connection is gone (either side); called once. */
  onClose(reason: string): void;
}

export interface CtiAcceptor {
  accept(conn: CtiConnection): CtiConnectionHandlers;
}
