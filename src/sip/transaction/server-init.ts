import type { Inbound } from '../transport/types.ts';
import type { TransactionInit } from './transaction.ts';

/** What a server transaction is created with: the request and where it came from (responses go back there). */
export interface ServerTransactionInit extends TransactionInit {
  inbound: Inbound;
}
