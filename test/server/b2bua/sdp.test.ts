/**
 * The SDP helpers of third-party call control (src/server/b2bua/sdp.ts): the black-hole answer the origin phone
 * of a made call gets at once (RFC 3725 §4.1 flow IV), the server's o= line kept within a dialog (RFC 3264 §8),
 * and where an SDP's media goes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  blackHoleAnswer,
  isHoldSdp,
  mediaTargets,
  serverOrigin,
  withOriginOf,
} from '../../../src/server/b2bua/sdp.ts';

const OFFER = [
  'v=0',
  'o=alice 2890844526 7 IN IP4 192.0.2.11',
  's=call',
  'c=IN IP4 192.0.2.11',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=rtcp:49171 IN IP4 192.0.2.11',
  'a=candidate:1 1 UDP 2130706431 192.0.2.11 49170 typ host',
  'a=ice-ufrag:8hhY',
  'a=sendrecv',
  'm=video 0 RTP/AVP 96',
  'm=video 51372 RTP/AVP 97',
  'c=IN IP4 192.0.2.12',
  'a=rtpmap:97 H264/90000',
  'a=sendonly',
  '',
].join('\r\n');

test('blackHoleAnswer: same m-lines and formats, nowhere and inactive, the offerer transport details left out', () => {
  const origin = serverOrigin('42', 1, '192.0.2.100');
  assert.equal(origin, 'o=duet 42 1 IN IP4 192.0.2.100');
  assert.equal(
    blackHoleAnswer(OFFER, origin),
    [
      'v=0',
      'o=duet 42 1 IN IP4 192.0.2.100',
      's=call',
      'c=IN IP4 0.0.0.0',
      't=0 0',
      'm=audio 9 RTP/AVP 0 8 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=inactive',
      'm=video 0 RTP/AVP 96',
      'm=video 9 RTP/AVP 97',
      'c=IN IP4 0.0.0.0',
      'a=rtpmap:97 H264/90000',
      'a=inactive',
      '',
    ].join('\r\n'),
  );
  assert.ok(isHoldSdp(blackHoleAnswer(OFFER, origin)));
  const v6 = 'v=0\no=- 1 1 IN IP6 2001:db8::1\ns=-\nc=IN IP6 2001:db8::1\nt=0 0\nm=audio 5004 RTP/AVP 0\n';
  assert.equal(
    blackHoleAnswer(v6, serverOrigin('7', 1, '2001:db8::100')),
    'v=0\no=duet 7 1 IN IP6 2001:db8::100\ns=-\nc=IN IP6 ::\nt=0 0\nm=audio 9 RTP/AVP 0\na=inactive\n',
  );
});

test("withOriginOf: the previous SDP's o= line, version plus one; mediaTargets tells moved media", () => {
  const held = blackHoleAnswer(OFFER, serverOrigin('42', 1, '192.0.2.100'));
  const answer =
    'v=0\r\no=bob 99 3 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
  const offer = withOriginOf(answer, held);
  assert.equal(offer, answer.replace('o=bob 99 3 IN IP4 192.0.2.20', 'o=duet 42 2 IN IP4 192.0.2.100'));
  assert.match(withOriginOf(offer, offer), /^o=duet 42 3 /m);
  // Without an o= line to keep, the version still goes up.
  assert.match(withOriginOf(answer, 'v=0\r\n'), /^o=bob 99 4 /m);

  assert.equal(mediaTargets(OFFER), 'audio 49170@192.0.2.11 video 0@192.0.2.11 video 51372@192.0.2.12');
  assert.equal(mediaTargets(answer), mediaTargets(answer.replace('o=bob 99 3', 'o=bob 99 4')));
  assert.notEqual(mediaTargets(answer), mediaTargets(answer.replace('audio 4000', 'audio 4002')));
  assert.notEqual(mediaTargets(answer), mediaTargets(answer.replace(/192\.0\.2\.20/g, '192.0.2.21')));
});
