/** sip/message: the SIP message as data — parse, serialize, URIs, header access, builders. */

export {
  cloneMessage,
  createRequest,
  createResponse,
  type RequestInit,
  type ResponseOptions,
  reasonPhrase,
} from './build.ts';
export { quote } from './escaping.ts';
export {
  addHeader,
  canonicalHeaderName,
  formatNameAddr,
  formatParams,
  formatVia,
  getCallId,
  getContacts,
  getContentType,
  getCSeq,
  getExpires,
  getFrom,
  getHeader,
  getHeaderValues,
  getMaxForwards,
  getRecordRoutes,
  getRoutes,
  getTo,
  getTopVia,
  getVias,
  hasHeader,
  isKnownHeader,
  parseCSeq,
  parseNameAddr,
  parseNameAddrList,
  parseVia,
  removeHeader,
  SipSyntaxError,
  setHeader,
} from './headers.ts';
export { splitList } from './list.ts';
export { DEFAULT_PARSE_LIMITS, type ParseOptions, parseMessage } from './parser.ts';
export { serializeMessage } from './serializer.ts';
export * from './types.ts';
export { cloneUri, formatUri, parseUri, uriEquals } from './uri.ts';
