/**
 * `duet/cti`: the client library of Duet's CTI interface (docs/cti-protocol.md).
 *
 *   import { CtiClient } from 'duet/cti';
 *   const cti = new CtiClient({ servers: [{ host, port: 3001 }, { host, port: 3002 }], application, password });
 *   await cti.connect();
 */
export type {
  AgentFields,
  AgentWorkMode,
  CallEventFields,
  CallEventName,
  CtiAgentStatus,
  CtiCallEvent,
  CtiErrorCode,
  CtiEvent,
  CtiEventName,
  CtiRequest,
  CtiRequestName,
  CtiRole,
  KeyValue,
} from '../../server/cti/protocol.ts';
export { CTI_MAX_FRAME_BYTES, CtiErrorCodes } from '../../server/cti/protocol.ts';
export {
  type CallAnswer,
  CtiClient,
  type CtiClientOptions,
  type CtiEventOf,
  type CtiRequestBody,
  type ServerStatus,
} from './client.ts';
export { CtiError, type CtiErrorName, errorName } from './errors.ts';
