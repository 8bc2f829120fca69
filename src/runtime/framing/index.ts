export * from './addp.ts';
export * from './frame-codec.ts';
