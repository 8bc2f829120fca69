/**
 * `duet uas [--host A] [--port N] [--answer-after MS] [--reject CODE]`: the minimal UAS of sip/ua on real
 * sockets. Prints one JSON line when listening ({"listening":{"host","port"}}) and one per dialog event, so
 * tests and people can follow it; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { NodeClock, NodeNet, NodeRandom } from '../runtime/node/index.ts';
import { SipTransport } from '../sip/transport/transport.ts';
import { SimpleUas } from '../sip/ua/uas.ts';

export function runUas(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '5060' },
      'answer-after': { type: 'string', default: '0' },
      reject: { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`duet uas: --port ${values.port} is not in 0-65535\n`);
    return Promise.resolve(2);
  }
  const answerAfterMs = Number(values['answer-after']);
  const reject = values.reject === undefined ? undefined : Number(values.reject);
  if (reject !== undefined && !(Number.isInteger(reject) && reject >= 300 && reject <= 699)) {
    process.stderr.write(`duet uas: --reject ${values.reject} is not a final error status in 300-699\n`);
    return Promise.resolve(2);
  }
  const clock = new NodeClock();
  const random = new NodeRandom();
  const host = values.host;
  const print = (obj: unknown): void => {
    process.stdout.write(`${JSON.stringify(obj)}\n`);
  };
  let uas: SimpleUas | undefined;
  const transport = new SipTransport({
    net: new NodeNet(),
    clock,
    host,
    port,
    onMessage: (msg, inbound) => uas?.layer.receive(msg, inbound),
    onParseError: (error, inbound, answered) =>
      print({ parseError: error.reason, from: inbound.source, answered }),
  });
  return new Promise((resolve) => {
    transport.listen((err) => {
      if (err) {
        process.stderr.write(`duet uas: cannot listen on ${host}:${port}: ${err.code} ${err.message}\n`);
        resolve(1);
        return;
      }
      const local = transport.local('UDP');
      const shown = host.includes(':') ? `[${host}]` : host;
      uas = new SimpleUas({
        clock,
        random,
        sender: transport,
        contact: `sip:uas@${shown}:${local?.port ?? port}`,
        answerAfterMs,
        rejectInviteWith: reject,
        onEvent: (event) => print(event),
      });
      print({ listening: { host, port: local?.port ?? port } });
      const stop = (): void => {
        uas?.close();
        transport.close();
        resolve(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}
