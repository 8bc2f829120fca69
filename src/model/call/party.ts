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
}
