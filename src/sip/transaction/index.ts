export { isRfc3261Branch, MAGIC_COOKIE, newBranch } from './branch.ts';
export type { ClientTransactionInit } from './client-init.ts';
export { createCancel, createNon2xxAck } from './derived-request.ts';
export { InviteClientTransaction } from './invite-client.ts';
export { InviteServerTransaction } from './invite-server.ts';
export {
  type AnyTransaction,
  type ClientTransaction,
  type ReceiveOutcome,
  type ServerTransaction,
  TransactionLayer,
  type TransactionLayerOptions,
} from './layer.ts';
export { NonInviteClientTransaction } from './non-invite-client.ts';
export { NonInviteServerTransaction } from './non-invite-server.ts';
export type { ServerTransactionInit } from './server-init.ts';
export { DEFAULT_TIMERS, resolveTimers, type TimerConfig, TRYING_DELAY_MS, timerD } from './timers.ts';
export type { TransactionInit } from './transaction.ts';
export type * from './types.ts';
