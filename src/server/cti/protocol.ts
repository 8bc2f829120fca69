/**
 * The CTI protocol (SPEC S3): T-Library's message names and fields, as JSON. On TCP each message is one frame
 * (a 4-byte big-endian length, then that many bytes of UTF-8 JSON: the HA link's framing); on WebSocket each
 * text message is one JSON message. Every message is an object whose `message` field names it.
 *
 * A connection's first message must be RequestRegisterClient (application name and password of a `cti-client`
 * application in the config); the server answers EventServerInfo (with the server's role) or EventError and
 * closes. Every request carries a ReferenceID (a positive integer chosen by the client); the event that answers
 * it echoes it. Unsolicited events (call events, EventLinkConnected, ...) carry no ReferenceID.
 *
 * This file is the contract between the server (server/cti) and the client library (duet/cti): types only.
 */

export type CtiRole = 'Primary' | 'Backup';

export type KeyValue = Record<string, string>;

/** T-Library agent work modes (AgentWorkMode). */
export type AgentWorkMode = 'Unknown' | 'ManualIn' | 'AutoIn' | 'AfterCallWork';

export type CtiAgentStatus = 'LoggedOut' | 'NotReady' | 'Ready' | 'AfterCallWork';

/** Numeric ErrorCode of an EventError, with a fixed ErrorMessage prefix; the message adds the detail. */
export const CtiErrorCodes = {
  /** The frame or message could not be read (not JSON, not an object, no `message`). */
  InvalidMessage: 40,
  /** `message` names no request this server knows. */
  UnknownRequest: 41,
  /** A required field is missing or has the wrong type. */
  InvalidAttribute: 42,
  /** RequestRegisterClient with an unknown application or a wrong password. */
  AuthenticationFailed: 43,
  /** A request before RequestRegisterClient. */
  NotRegisteredClient: 44,
  /** A request on a DN this client has not registered (RequestRegisterAddress). */
  DnNotRegistered: 45,
  /** The DN is not in the config, or not of a type the request applies to. */
  InvalidDn: 46,
  /** No call with this ConnID, or the DN is not a party of it. */
  InvalidConnId: 47,
  /** The call or agent is not in a state where the request applies (e.g. hold a held call). */
  InvalidState: 48,
  /** The destination cannot be reached (unknown number, no contact, every trunk out of service). */
  InvalidDestination: 49,
  /** Agent: unknown AgentID, wrong password, already logged in elsewhere, or the DN has another agent. */
  AgentLoginRefused: 50,
  /** The request needs a logged-in agent on the DN. */
  AgentNotLoggedIn: 51,
  /** The phone cannot do this (RequestAnswerCall on a DN without sip-cti-control=talk). */
  NotSupported: 52,
  /** Call and agent requests go to the primary; this server is the backup (SPEC S3). */
  BackupMode: 53,
  /** The server cannot take the request now (e.g. its SIP port is not open). */
  ServiceUnavailable: 54,
  /**
   * The request was accepted but its SIP part failed: the phone refused or did not answer the re-INVITE of a
   * hold/retrieve, or the NOTIFY Event: talk of an answer. The call is unchanged; ErrorMessage has the SIP
   * status and reason.
   */
  RequestFailed: 55,
  /**
   * No event answered the request within the server's bound (40 s, longer than any SIP transaction). What
   * happened to the call is unknown to the request: RequestQueryAddress tells its state now.
   */
  RequestTimeout: 56,
} as const;

export type CtiErrorCode = (typeof CtiErrorCodes)[keyof typeof CtiErrorCodes];

// ---- requests (client -> server) ---------------------------------------------------------------------------

interface Req<M extends string> {
  message: M;
  ReferenceID: number;
}

export type CtiRequest =
  /**
   * AddpTimeout (seconds, TCP only): the server polls the client after that much silence and closes the
   * connection when nothing at all arrives within the same time after its poll. 0 or absent: no polls.
   */
  | (Req<'RequestRegisterClient'> & { ApplicationName: string; Password?: string; AddpTimeout?: number })
  | (Req<'RequestRegisterAddress'> & { ThisDN: string })
  | (Req<'RequestUnregisterAddress'> & { ThisDN: string })
  | (Req<'RequestAgentLogin'> & {
      ThisDN: string;
      AgentID: string;
      Password?: string;
      AgentWorkMode?: AgentWorkMode;
    })
  | (Req<'RequestAgentLogout'> & { ThisDN: string })
  | (Req<'RequestAgentReady'> & { ThisDN: string; AgentWorkMode?: AgentWorkMode })
  /** AgentWorkMode AfterCallWork puts the agent in after-call work; Reasons carries the not-ready reason. */
  | (Req<'RequestAgentNotReady'> & { ThisDN: string; AgentWorkMode?: AgentWorkMode; Reasons?: KeyValue })
  | (Req<'RequestMakeCall'> & { ThisDN: string; OtherDN: string; UserData?: KeyValue })
  | (Req<'RequestAnswerCall'> & { ThisDN: string; ConnID: string })
  | (Req<'RequestReleaseCall'> & { ThisDN: string; ConnID: string })
  | (Req<'RequestHoldCall'> & { ThisDN: string; ConnID: string })
  | (Req<'RequestRetrieveCall'> & { ThisDN: string; ConnID: string })
  /** Holds ConnID and makes a consultation call from ThisDN to OtherDN (answered by EventDialing, new ConnID). */
  | (Req<'RequestInitiateTransfer'> & {
      ThisDN: string;
      ConnID: string;
      OtherDN: string;
      UserData?: KeyValue;
    })
  /** Joins the held call (ConnID) with the consultation call (TransferConnID); ThisDN leaves both. */
  | (Req<'RequestCompleteTransfer'> & { ThisDN: string; ConnID: string; TransferConnID: string })
  | (Req<'RequestSingleStepTransfer'> & { ThisDN: string; ConnID: string; OtherDN: string })
  /** ThisDN is the Routing Point; OtherDN the destination chosen. */
  | (Req<'RequestRouteCall'> & { ThisDN: string; ConnID: string; OtherDN: string })
  | (Req<'RequestAttachUserData'> & { ThisDN: string; ConnID: string; UserData: KeyValue })
  | (Req<'RequestUpdateUserData'> & { ThisDN: string; ConnID: string; UserData: KeyValue })
  | (Req<'RequestQueryAddress'> & { ThisDN: string })
  | (Req<'RequestQueryServer'> & Record<never, never>);

export type CtiRequestName = CtiRequest['message'];

// ---- events (server -> client) -----------------------------------------------------------------------------

interface Ev<M extends string> {
  message: M;
  /** Present on the event that answers a request. */
  ReferenceID?: number;
}

/** The fields every call event carries (SPEC S3). */
export interface CallEventFields {
  ConnID: string;
  ThisDN: string;
  OtherDN: string | null;
  CallType: 'Internal' | 'Inbound' | 'Outbound';
  CallState: 'Ok' | 'Transferred' | 'Redirected' | 'Busy' | 'NoAnswer' | 'Dropped' | 'Rejected';
  UserData: KeyValue;
}

export type CallEventName =
  | 'EventDialing'
  | 'EventNetworkReached'
  | 'EventRinging'
  | 'EventEstablished'
  | 'EventHeld'
  | 'EventRetrieved'
  | 'EventReleased'
  | 'EventRouteRequest'
  | 'EventRouteUsed'
  | 'EventPartyChanged'
  | 'EventAttachedDataChanged';

export type CtiCallEvent = Ev<CallEventName> &
  CallEventFields & { PreviousConnID?: string; ThirdPartyDN?: string; Cause?: string };

export interface AgentFields {
  ThisDN: string;
  AgentID: string;
  AgentWorkMode: AgentWorkMode;
  Reasons?: KeyValue;
}

export type CtiEvent =
  | (Ev<'EventServerInfo'> & {
      ServerName: string;
      ServerRole: CtiRole;
      /** The other server of the pair, if any, for clients that connect to both. */
      PeerName: string | null;
      Version: string;
    })
  | (Ev<'EventRegistered'> & { ThisDN: string; DNType: string })
  | (Ev<'EventUnregistered'> & { ThisDN: string })
  | CtiCallEvent
  | (Ev<'EventAgentLogin'> & AgentFields)
  | (Ev<'EventAgentLogout'> & AgentFields)
  | (Ev<'EventAgentReady'> & AgentFields)
  | (Ev<'EventAgentNotReady'> & AgentFields)
  | (Ev<'EventDNOutOfService'> & { ThisDN: string })
  | (Ev<'EventDNBackInService'> & { ThisDN: string })
  /** The answer to RequestQueryAddress: the DN's type, service state, agent and calls. */
  | (Ev<'EventAddressInfo'> & {
      ThisDN: string;
      DNType: string;
      InService: boolean;
      Agent: {
        AgentID: string;
        Status: CtiAgentStatus;
        AgentWorkMode: AgentWorkMode;
        Reasons?: KeyValue;
      } | null;
      Calls: Array<{ ConnID: string; PartyState: string; OtherDN: string | null; CallType: string }>;
    })
  /** The server can act on calls (it is the primary, its SIP port is open). */
  | Ev<'EventLinkConnected'>
  /** The server stopped acting on calls (it became the backup, or its SIP port closed). */
  | Ev<'EventLinkDisconnected'>
  /** Sent by a server that has just become the primary, to every client. */
  | (Ev<'EventPrimaryChanged'> & { ServerName: string; PreviousPrimary: string | null })
  | (Ev<'EventError'> & { ErrorCode: CtiErrorCode; ErrorMessage: string; RequestName?: string })
  /** An acknowledgement for requests whose effect is reported by other events (e.g. RequestUpdateUserData). */
  | (Ev<'EventACK'> & { RequestName: string });

export type CtiEventName = CtiEvent['message'];

// ---- ADDP (keepalive, either direction) ---------------------------------------------------------------------

/**
 * ADDP frames: either side may send {"message":"AddpPoll"}; the other answers {"message":"AddpAnswer"} at once.
 * They carry no ReferenceID and are never answered by EventError. Any frame received counts as life.
 */
export const CTI_ADDP_POLL = 'AddpPoll';
export const CTI_ADDP_ANSWER = 'AddpAnswer';

export type CtiAddpMessage = { message: typeof CTI_ADDP_POLL } | { message: typeof CTI_ADDP_ANSWER };

/** Largest frame the server accepts from a client: a request is small; 1 MiB leaves room for user data. */
export const CTI_MAX_FRAME_BYTES = 1024 * 1024;
