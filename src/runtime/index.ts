export * from './clock.ts';
export * from './net.ts';
export * from './random.ts';
