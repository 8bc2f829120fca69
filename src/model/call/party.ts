/**
 * A party: one DN's part in a call, in T-Library terms (the CTI issue reports these as events). The B2BUA's
 * SIP legs carry the signalling; parties carry what a contact-center user sees.
 */
export type PartyRole = 'Origination' | 'Destination';

export type PartyState = 'Dialing' | 'Ringing' | 'Queued' | 'Established' | 'Held' | 'Released';

export interface Party {
  /** The DN number (an Extension, a Routing Point, a Trunk DN, ...). */
  dn: string;
  role: PartyRole;
  state: PartyState;
  /**
   * The number the party is known by when it is not the DN itself: on a Trunk party, the caller's number
   * (inbound, the From user part) or the number dialed through the trunk (outbound).
   */
  number?: string;
}
