import type { Destination } from '../transport/types.ts';
import type { TransactionInit } from './transaction.ts';
import type { ClientHandlers } from './types.ts';

/** What a client transaction is created with: the request, its next hop, and the TU's handlers. */
export interface ClientTransactionInit extends TransactionInit {
  destination: Destination;
  handlers: ClientHandlers;
}
