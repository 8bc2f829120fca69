export * from './two-xx-retransmitter.ts';
export * from './uas.ts';
