export * from './clock.ts';
export * from './errors.ts';
export * from './net.ts';
export * from './random.ts';
export * from './tcp-connection.ts';
export * from './tcp-server.ts';
export * from './udp-socket.ts';
