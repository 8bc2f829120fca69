/**
 * CtiError: what a rejected request of the client library carries. Either the server answered EventError
 * (origin 'server': its ErrorCode, ErrorMessage and the request's name), or the library could not get an
 * answer at all (origin 'client': no primary server, connection lost, timeout, client closed); library errors
 * use the protocol's ServiceUnavailable / AuthenticationFailed codes so that one `code` check covers both.
 */
import { type CtiErrorCode, CtiErrorCodes } from '../../server/cti/protocol.ts';

export type CtiErrorName = keyof typeof CtiErrorCodes;

const NAMES = new Map<number, CtiErrorName>(
  Object.entries(CtiErrorCodes).map(([name, code]) => [code, name as CtiErrorName]),
);

/** The protocol name of an ErrorCode ("InvalidDn"), or "Error<code>" for a code this library does not know. */
export function errorName(code: number): string {
  return NAMES.get(code) ?? `Error${code}`;
}

export interface CtiErrorInit {
  code: CtiErrorCode | number;
  message: string;
  requestName?: string | undefined;
  referenceId?: number | undefined;
  /** The server that answered (its ServerName), when the error came from a server. */
  server?: string | undefined;
  origin: 'server' | 'client';
}

export class CtiError extends Error {
  readonly code: number;
  /** The code's protocol name: "InvalidDn", "BackupMode", ... */
  readonly codeName: string;
  readonly requestName: string | undefined;
  readonly referenceId: number | undefined;
  readonly server: string | undefined;
  readonly origin: 'server' | 'client';

  constructor(init: CtiErrorInit) {
    const name = errorName(init.code);
    // The server's ErrorMessage starts with the code's name ("InvalidDn: DN 9 is not in the config").
    const detail = init.message.startsWith(`${name}: `) ? init.message.slice(name.length + 2) : init.message;
    super(`${init.requestName ? `${init.requestName}: ` : ''}${name} (${init.code}): ${detail}`);
    this.name = 'CtiError';
    this.code = init.code;
    this.codeName = name;
    this.requestName = init.requestName;
    this.referenceId = init.referenceId;
    this.server = init.server;
    this.origin = init.origin;
  }
}
