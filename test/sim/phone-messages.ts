/**
 * The requests a simulated phone sends (REGISTER, INVITE, the ACK of a 2xx, BYE), built once for the phones
 * of the simulation tests (test/sim/phone.ts, test/sim/world/phone.ts). The phone is DN `dn` at `host`, port
 * 5060 over UDP, and sends everything to `server`.
 */
import { createRequest } from '../../src/sip/message/build.ts';
import { getCallId, getContacts, getCSeq, getTo } from '../../src/sip/message/headers.ts';
import type { HeaderField, SipRequest, SipResponse, Uri } from '../../src/sip/message/types.ts';
import { parseUri } from '../../src/sip/message/uri.ts';
import type { Destination } from '../../src/sip/transport/types.ts';

export class PhoneMessages {
  private seq = 1;

  constructor(
    private readonly dn: string,
    private readonly host: string,
    readonly server: Destination,
    private readonly newBranch: () => string,
  ) {}

  register(callId: string, expires: number): SipRequest {
    return createRequest({
      method: 'REGISTER',
      uri: parseUri(`sip:${this.server.host}`)!,
      headers: [...this.headers('REGISTER', callId, this.dn), { name: 'Expires', value: String(expires) }],
    });
  }

  invite(dialed: string, callId: string): SipRequest {
    const sdp = `v=0\r\no=p 1 1 IN IP4 ${this.host}\r\ns=-\r\nc=IN IP4 ${this.host}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n`;
    return createRequest({
      method: 'INVITE',
      uri: parseUri(`sip:${dialed}@${this.server.host}`)!,
      headers: [
        ...this.headers('INVITE', callId, dialed),
        { name: 'Content-Type', value: 'application/sdp' },
      ],
      body: Buffer.from(sdp),
    });
  }

  /** The ACK of a 2xx: a new request with the INVITE's CSeq number, to the answer's Contact (§13.2.2.4). */
  ack(ok: SipResponse): SipRequest {
    const to = getTo(ok);
    const toUser = 'user' in to.uri ? (to.uri.user ?? '') : '';
    return createRequest({
      method: 'ACK',
      uri: this.targetOf(ok),
      headers: this.headers('ACK', getCallId(ok), toUser, to.params.tag ?? undefined, getCSeq(ok).seq),
    });
  }

  bye(ok: SipResponse, dialed: string): SipRequest {
    return createRequest({
      method: 'BYE',
      uri: this.targetOf(ok),
      headers: this.headers('BYE', getCallId(ok), dialed, getTo(ok).params.tag ?? undefined),
    });
  }

  private targetOf(ok: SipResponse): Uri {
    const contacts = getContacts(ok);
    return contacts !== '*' && contacts[0] ? contacts[0].uri : parseUri(`sip:${this.server.host}`)!;
  }

  private headers(
    method: string,
    callId: string,
    to: string,
    toTag?: string,
    seq = this.seq++,
  ): HeaderField[] {
    return [
      { name: 'Via', value: `SIP/2.0/UDP ${this.host}:5060;branch=${this.newBranch()};rport` },
      { name: 'Max-Forwards', value: '70' },
      // The Call-IDs end in random hex: their tail makes a From tag unique per call.
      { name: 'From', value: `<sip:${this.dn}@${this.host}>;tag=${callId.slice(-8)}` },
      { name: 'To', value: `<sip:${to}@${this.server.host}>${toTag ? `;tag=${toTag}` : ''}` },
      { name: 'Call-ID', value: callId },
      { name: 'CSeq', value: `${seq} ${method}` },
      { name: 'Contact', value: `<sip:${this.dn}@${this.host}:5060>` },
    ];
  }
}
