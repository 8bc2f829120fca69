export * from './clock.ts';
export * from './net.ts';
export * from './node/index.ts';
export * from './random.ts';
export * from './sim/index.ts';
