export * from './addp.ts';
export * from './frame-codec.ts';
export * from './handshake.ts';
export * from './link.ts';
export type * from './types.ts';
