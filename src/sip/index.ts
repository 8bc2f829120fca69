/** The SIP protocol layer (`duet/sip`): it knows nothing of calls and could be published on its own. */
export * from './auth/index.ts';
export * from './dialog/index.ts';
export * from './message/index.ts';
export * from './transaction/index.ts';
export * from './transport/index.ts';
export * from './ua/index.ts';
