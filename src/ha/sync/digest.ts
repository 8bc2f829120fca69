/** A digest of a call's replicated state: equal digests mean the backup's copy is current. */
import { createHash } from 'node:crypto';
import type { Call } from '../../model/call/call.ts';

export function callDigest(call: Readonly<Call>): string {
  return createHash('sha1').update(JSON.stringify(call)).digest('base64').slice(0, 16);
}
