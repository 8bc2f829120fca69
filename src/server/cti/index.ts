export * from './call-control.ts';
export type * from './connection.ts';
export * from './cti-server.ts';
export * from './service.ts';
