export * from './uas.ts';
