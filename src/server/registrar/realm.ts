/**
 * The digest realm of the registrar (RFC 3261 §22.1) and the DigestServer a SIP Server builds for it.
 *
 * The realm is the fixed string "duet", not the server's sip-address or host: both servers of an HA pair must
 * issue and accept the same challenges (the stateless nonces are signed with the realm, sip/auth/nonce.ts),
 * whatever their hosts, and a phone provisioned with HA1 = H(user:realm:password) keeps working when the
 * pair's addresses change. Phones take the realm from the challenge, so nothing needs configuring on them.
 */
import type { Clock } from '../../runtime/clock.ts';
import type { Random } from '../../runtime/random.ts';
import { DigestServer, type DigestServerOptions } from '../../sip/auth/server.ts';

export const REGISTRAR_REALM = 'duet';

/**
 * A DigestServer for the registrar. `secret` signs nonces: give both servers of a pair the same one (the
 * pair's link-secret) so that the backup, once promoted, accepts the nonces the old primary issued.
 */
export function createRegistrarDigest(
  deps: { clock: Clock; random: Random },
  secret: string | Uint8Array,
  options: Omit<DigestServerOptions, 'realm' | 'clock' | 'random' | 'secret'> = {},
): DigestServer {
  return new DigestServer({
    ...options,
    realm: REGISTRAR_REALM,
    clock: deps.clock,
    random: deps.random,
    secret,
  });
}
