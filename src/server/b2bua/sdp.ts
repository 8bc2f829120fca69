/**
 * Hold and retrieve in SDP (SPEC S2.5, `sip-hold-rfc3264`): RFC 3264 §8.4 marks held media `a=sendonly`
 * (or `a=inactive`); the older RFC 2543 way sets the connection address to 0.0.0.0, which some devices still
 * need. Only the lines that say so are touched; the rest of the SDP passes through unchanged.
 */

/** True when the SDP puts the media on hold, by either convention. */
export function isHoldSdp(sdp: string): boolean {
  const lines = sdp.split(/\r?\n/);
  if (lines.some((l) => /^c=IN IP4 0\.0\.0\.0\s*$/.test(l))) return true;
  const directions = lines.filter((l) => /^a=(sendonly|inactive|recvonly|sendrecv)\s*$/.test(l));
  return directions.length > 0 && directions.every((l) => /^a=(sendonly|inactive)/.test(l));
}

/** The SDP with its media put on hold, per RFC 3264 (`a=sendonly`) or RFC 2543 (`c=0.0.0.0`). */
export function holdSdp(sdp: string, rfc3264: boolean): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  if (!rfc3264) return lines.map((l) => (l.startsWith('c=IN IP4 ') ? 'c=IN IP4 0.0.0.0' : l)).join(eol) + eol;
  // Per media section: its direction attribute becomes sendonly (inactive if it was recvonly/inactive), or
  // a=sendonly is added when it had none.
  const sections: string[][] = [[]];
  for (const l of lines) {
    if (l.startsWith('m=')) sections.push([]);
    sections[sections.length - 1]!.push(l);
  }
  for (const media of sections.slice(1)) {
    const i = media.findIndex((l) => /^a=(sendrecv|recvonly|sendonly|inactive)\s*$/.test(l));
    if (i < 0) media.push('a=sendonly');
    else media[i] = /^a=(recvonly|inactive)/.test(media[i]!) ? 'a=inactive' : 'a=sendonly';
  }
  return sections.flat().join(eol) + eol;
}

/** The SDP taken off hold: sendonly/inactive back to sendrecv, and no 0.0.0.0 (restored from `original`). */
export function retrieveSdp(sdp: string, original: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const address = /^c=IN IP4 (\S+)/m.exec(original)?.[1];
  return (
    sdp
      .split(/\r?\n/)
      .filter((l) => l !== '')
      .map((l) => {
        if (/^a=(sendonly|inactive)\s*$/.test(l)) return 'a=sendrecv';
        if (address && /^c=IN IP4 0\.0\.0\.0/.test(l)) return `c=IN IP4 ${address}`;
        return l;
      })
      .join(eol) + eol
  );
}

/** The session version of the SDP's o= line (RFC 4566 §5.2), or undefined when it has none. */
export function sdpVersion(sdp: string): number | undefined {
  const m = /^o=\S+ \S+ (\d+) /m.exec(sdp);
  return m ? Number(m[1]) : undefined;
}

/**
 * The SDP with its o= session version set to one more than `previous`'s (RFC 3264 §8: a changed offer in a
 * dialog increments the version of the last SDP sent). Without a version in either, the SDP is unchanged.
 */
export function nextVersionOf(sdp: string, previous: string | null | undefined): string {
  const before = previous ? sdpVersion(previous) : undefined;
  const own = sdpVersion(sdp);
  if (own === undefined) return sdp;
  const next = Math.max(own, before ?? own) + 1;
  return sdp.replace(/^(o=\S+ \S+ )(\d+)( )/m, `$1${next}$3`);
}

/**
 * An answer that rejects every media stream of `offer` (RFC 3264 §6: port 0): what the ACK of a 2xx with an
 * offer carries when the call it was for failed, just before the BYE.
 */
export function rejectingAnswer(offer: string): string {
  const eol = offer.includes('\r\n') ? '\r\n' : '\n';
  return (
    offer
      .split(/\r?\n/)
      .filter((l) => l !== '')
      .map((l) => l.replace(/^m=(\S+) \d+(\/\d+)? /, 'm=$1 0 '))
      .join(eol) + eol
  );
}

/**
 * The server's own o= line for a leg whose SDP it writes itself (RFC 4566 §5.2; RFC 3264 §8 keeps it within a
 * dialog, only the version going up).
 */
export function serverOrigin(sessionId: string, version: number, host: string): string {
  return `o=duet ${sessionId} ${version} IN ${host.includes(':') ? 'IP6' : 'IP4'} ${host}`;
}

/**
 * A "black hole" answer to `offer` (RFC 3725 §4.1 flow IV, message 3): the same m-lines in the same order with
 * the formats offered (and their rtpmap/fmtp lines), so that it is a valid answer the phone accepts (RFC 3264
 * §6), but connection address 0.0.0.0 (:: for IPv6) and a=inactive: nobody sends or expects media until the
 * phone is re-INVITEd with the real media. Streams the offer disabled (port 0) stay disabled. The offerer's
 * own transport details (ICE candidates, RTCP address) are left out; `origin` is the o= line.
 */
export function blackHoleAnswer(offer: string, origin: string): string {
  const eol = offer.includes('\r\n') ? '\r\n' : '\n';
  const session: string[] = [];
  const media: string[][] = [];
  for (const l of offer.split(/\r?\n/)) {
    if (l === '') continue;
    if (l.startsWith('m=')) media.push([]);
    (media.length > 0 ? media[media.length - 1]! : session).push(l);
  }
  const nowhere = (l: string): string => (/^c=IN IP6 /.test(l) ? 'c=IN IP6 ::' : 'c=IN IP4 0.0.0.0');
  const dropped = /^a=(sendrecv|sendonly|recvonly|inactive|candidate|end-of-candidates|ice-\S*|rtcp)(:|\s*$)/;
  const out: string[] = [];
  for (const l of session) {
    if (l.startsWith('o=')) out.push(origin);
    else if (l.startsWith('c=')) out.push(nowhere(l));
    else if (!dropped.test(l)) out.push(l);
  }
  for (const section of media) {
    const m = /^m=(\S+) (\d+)(\/\d+)? (.*)$/.exec(section[0]!);
    if (!m || m[2] === '0') {
      out.push(...(m ? [`m=${m[1]} 0 ${m[4]}`] : []));
      continue;
    }
    out.push(`m=${m[1]} 9 ${m[4]}`);
    for (const l of section.slice(1)) {
      if (l.startsWith('c=')) out.push(nowhere(l));
      else if (!dropped.test(l)) out.push(l);
    }
    out.push('a=inactive');
  }
  return out.join(eol) + eol;
}

/**
 * The SDP with the o= line of `previous` (the last SDP the server sent in this dialog) and its version plus
 * one (RFC 3264 §8: a new offer in a dialog keeps the origin and increments the version). Without an o= line in
 * `previous`, the SDP keeps its own origin with the version bumped past `previous`'s.
 */
export function withOriginOf(sdp: string, previous: string): string {
  const prev = /^o=(\S+) (\S+) (\d+) (.*)$/m.exec(previous);
  if (!prev || !/^o=/m.test(sdp)) return nextVersionOf(sdp, previous);
  return sdp.replace(/^o=.*$/m, `o=${prev[1]} ${prev[2]} ${Number(prev[3]) + 1} ${prev[4]}`);
}

/**
 * Where an SDP's media goes: per m-line, the media type, its connection address (media-level, else
 * session-level) and port. Two SDPs with the same targets need no new offer to the party that has one of them.
 */
export function mediaTargets(sdp: string): string {
  let session = '';
  const targets: string[] = [];
  let current: { m: string; c: string } | undefined;
  const flush = (): void => {
    if (current) targets.push(`${current.m}@${current.c || session}`);
  };
  for (const l of sdp.split(/\r?\n/)) {
    if (l.startsWith('m=')) {
      flush();
      const [type, port] = l.slice(2).split(' ');
      current = { m: `${type} ${port}`, c: '' };
    } else if (l.startsWith('c=')) {
      const address = l.slice(2).trim().split(/\s+/)[2] ?? '';
      if (current) current.c = address;
      else session = address;
    }
  }
  flush();
  return targets.join(' ');
}
