export * from './stream-framer.ts';
export * from './transport.ts';
export * from './types.ts';
