/**
 * The state of a device (a DN) that the pair must agree on: in or out of service (active OOS detection, S2.8),
 * do-not-disturb and forwarding.
 */
export interface DeviceState {
  dn: string;
  inService: boolean;
  /** Clock time of the last change of inService. */
  since: number;
  dnd: boolean;
  forwardTo: string | null;
}

export function initialDeviceState(dn: string, now: number): DeviceState {
  return { dn, inService: true, since: now, dnd: false, forwardTo: null };
}
