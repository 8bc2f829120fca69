/**
 * "Is the SIP port answering?": an OPTIONS to the server itself over UDP, repeated until any response comes
 * back or the deadline passes. Any final or provisional response will do: it proves the server reads its
 * socket and runs its SIP stack, which is what a benchmark needs before it sends load.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

export function optionsRequest(host: string, port: number, localPort: number, callId: string): string {
  const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
  return [
    `OPTIONS sip:${host}:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:bench-probe@127.0.0.1:${localPort}>;tag=${randomBytes(4).toString('hex')}`,
    `To: <sip:${host}:${port}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    `Contact: <sip:bench-probe@127.0.0.1:${localPort}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Resolves with the status line of the first response; rejects after timeoutMs. */
export function probeSip(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const callId = `probe-${randomBytes(8).toString('hex')}`;
    let timer: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const finish = (err: Error | undefined, line?: string) => {
      clearInterval(timer);
      clearTimeout(deadline);
      socket.close();
      if (err) reject(err);
      else resolve(line ?? '');
    };
    socket.on('message', (msg) => {
      const text = msg.toString('utf8');
      if (text.startsWith('SIP/2.0 ') && text.includes(callId))
        finish(undefined, text.slice(0, text.indexOf('\r\n')));
    });
    socket.on('error', (err) => finish(err));
    socket.bind(0, '127.0.0.1', () => {
      const send = () => {
        const req = optionsRequest(host, port, socket.address().port, callId);
        socket.send(req, port, host, () => {});
      };
      send();
      timer = setInterval(send, 250);
      deadline = setTimeout(
        () => finish(new Error(`no SIP response to OPTIONS from ${host}:${port} within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
  });
}
