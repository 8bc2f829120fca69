/**
 * The dialog keeps URIs and name-addrs as text (state.ts says why); these turn that text back into values, and
 * values into the text we store, with errors that say which stored field is broken.
 */
import { formatNameAddr, formatUri, parseNameAddr, parseUri } from '../message/index.ts';
import type { NameAddr, SipUri, Uri } from '../message/types.ts';
import { DialogError } from './state.ts';

/** The text a dialog stores for a From/To: the name-addr without its tag (the tag lives in the DialogId). */
export function untaggedText(na: NameAddr): string {
  const { tag: _tag, ...params } = na.params;
  return formatNameAddr({ ...na, params });
}

/** The From/To value of a request: the stored name-addr with `tag` set (no tag when `tag` is empty). */
export function taggedText(text: string, tag: string, field: string): string {
  const na = nameAddrOf(text, field);
  const { tag: _old, ...params } = na.params;
  return formatNameAddr({ ...na, params: tag === '' ? params : { ...params, tag } });
}

export function nameAddrOf(text: string, field: string): NameAddr {
  try {
    return parseNameAddr(text);
  } catch (err) {
    throw new DialogError(
      `Dialog ${field} ${JSON.stringify(text)} is not a name-addr: ${(err as Error).message}`,
    );
  }
}

export function uriOf(text: string, field: string): Uri {
  let uri: Uri | undefined;
  try {
    uri = parseUri(text);
  } catch (err) {
    throw new DialogError(`Dialog ${field} ${JSON.stringify(text)} is not a URI: ${(err as Error).message}`);
  }
  if (!uri) throw new DialogError(`Dialog ${field} ${JSON.stringify(text)} is not a URI`);
  return uri;
}

export function uriText(uri: Uri): string {
  return formatUri(uri);
}

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.scheme === 'sip' || uri.scheme === 'sips';
}
