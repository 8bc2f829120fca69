/**
 * What every service of one SIP Server (registrar, B2BUA, OOS checker, ...) is given: injected time,
 * randomness and SIP sending, the replicated store, the role gate, the configuration and the logger. Services
 * hold no I/O of their own, so a whole server runs inside the simulator (DESIGN §1).
 */
import type { Config, Dn, SipServerApp } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import type { Store } from '../model/store/store.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Random } from '../runtime/random.ts';
import type { TransactionLayer } from '../sip/transaction/layer.ts';
import type { SipSender, TransportProtocol } from '../sip/transport/types.ts';
import type { RoleGate } from './role-gate.ts';

export interface ServerContext {
  clock: Clock;
  random: Random;
  store: Store;
  gate: RoleGate;
  logger: Logger;
  /** The configuration in force (replaced on reload; read it at use, do not cache options). */
  config(): Config;
  /** This server's application. */
  app(): SipServerApp;
  /** A DN by number, or undefined. */
  dn(number: string): Dn | undefined;
  transactions: TransactionLayer;
  sender: SipSender;
  /** The address this server puts in Via sent-by, Contact and Record-Route (sip-address, else the host). */
  local: { host: string; port: number; transport: TransportProtocol };
}
