/**
 * sip/transport on the simulated network: Via received/rport stamping and response routing (RFC 3261 §18,
 * RFC 3581), TCP connection reuse, 400 for unreadable requests, transport errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Address, NetError } from '../../../src/runtime/net.ts';
import { Simulator } from '../../../src/runtime/sim/simulator.ts';
import { createResponse } from '../../../src/sip/message/build.ts';
import { getTopVia } from '../../../src/sip/message/headers.ts';
import { parseMessage } from '../../../src/sip/message/parser.ts';
import type { SipMessage, SipParseError, SipRequest, SipResponse } from '../../../src/sip/message/types.ts';
import { SipTransport } from '../../../src/sip/transport/transport.ts';
import type { Inbound, TransportProtocol } from '../../../src/sip/transport/types.ts';

const SERVER = '192.0.2.10';
const CLIENT = '192.0.2.20';

function request(via: string, cseq = 1, method = 'OPTIONS'): string {
  return (
    `${method} sip:srv@${SERVER} SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\nFrom: <sip:c@${CLIENT}>;tag=f\r\n` +
    `To: <sip:srv@${SERVER}>\r\nCall-ID: call-${cseq}\r\nCSeq: ${cseq} ${method}\r\nContent-Length: 0\r\n\r\n`
  );
}

function setup(protocols: TransportProtocol[] = ['UDP', 'TCP']) {
  const sim = new Simulator({ seed: 11 });
  const server = sim.addNode('server', [SERVER]);
  const client = sim.addNode('client', [CLIENT]);
  const received: { msg: SipMessage; inbound: Inbound }[] = [];
  const errors: { error: SipParseError; answered: boolean }[] = [];
  const transport = new SipTransport({
    net: server.net,
    clock: server.clock,
    host: SERVER,
    port: 5060,
    protocols,
    onMessage: (msg, inbound) => received.push({ msg, inbound }),
    onParseError: (error, _inbound, answered) => errors.push({ error, answered }),
  });
  let listenError: NetError | undefined;
  transport.listen((err) => {
    listenError = err;
  });
  sim.runFor(10);
  assert.equal(listenError, undefined);
  return { sim, server, client, transport, received, errors };
}

/** A raw UDP socket on the client, to send exact bytes and see exactly what comes back. */
function rawUdp(env: ReturnType<typeof setup>, port: number) {
  const got: { data: string; from: Address }[] = [];
  const sock = env.client.net.bindUdp(
    { host: CLIENT, port },
    { onMessage: (data, from) => got.push({ data: Buffer.from(data).toString('latin1'), from }) },
  );
  env.sim.runFor(5);
  return { sock, got };
}

test('a request behind NAT: received and rport are stamped, and the response goes to the source port', () => {
  const env = setup();
  const { sock, got } = rawUdp(env, 40000);
  // The Via claims an address and port the packet did not come from (a NAT rewrote them).
  sock.send(Buffer.from(request('SIP/2.0/UDP 198.51.100.99:5070;branch=z9hG4bKnat1;rport')), {
    host: SERVER,
    port: 5060,
  });
  env.sim.runFor(100);
  assert.equal(env.received.length, 1);
  const req = env.received[0]!.msg as SipRequest;
  const via = getTopVia(req);
  assert.equal(via.params.received, CLIENT);
  assert.equal(via.params.rport, '40000');
  env.transport.sendResponse(createResponse(req, 200), env.received[0]!.inbound);
  env.sim.runFor(100);
  assert.equal(got.length, 1);
  assert.match(got[0]!.data, /^SIP\/2\.0 200 OK\r\n/);
  assert.match(got[0]!.data, /received=192\.0\.2\.20;rport=40000|rport=40000;received=192\.0\.2\.20/);
  assert.deepEqual(got[0]!.from, { host: SERVER, port: 5060 }, 'sent from the listening socket');
});

test('without rport, a response goes to received and the Via port (§18.2.2)', () => {
  const env = setup();
  const { got } = rawUdp(env, 5070);
  const { sock } = rawUdp(env, 40001);
  sock.send(Buffer.from(request('SIP/2.0/UDP 198.51.100.99:5070;branch=z9hG4bKnat2')), {
    host: SERVER,
    port: 5060,
  });
  env.sim.runFor(100);
  const req = env.received[0]!.msg as SipRequest;
  assert.equal(getTopVia(req).params.received, CLIENT);
  assert.equal('rport' in getTopVia(req).params, false);
  env.transport.sendResponse(createResponse(req, 200), env.received[0]!.inbound);
  env.sim.runFor(100);
  assert.equal(got.length, 1, 'delivered to port 5070 of the received address');
});

test('a Via that matches the source is left as it is', () => {
  const env = setup();
  const { sock } = rawUdp(env, 5060);
  sock.send(Buffer.from(request(`SIP/2.0/UDP ${CLIENT}:5060;branch=z9hG4bKsame`)), {
    host: SERVER,
    port: 5060,
  });
  env.sim.runFor(100);
  const via = getTopVia(env.received[0]!.msg);
  assert.deepEqual(via.params, { branch: 'z9hG4bKsame' });
});

test('an unreadable request whose Via reads is answered 400 naming the fault; garbage is dropped and counted', () => {
  const env = setup();
  const { sock, got } = rawUdp(env, 40002);
  const bad = request(`SIP/2.0/UDP ${CLIENT}:40002;branch=z9hG4bKbad`).replace(
    'CSeq: 1 OPTIONS',
    'CSeq: 1 INVITE',
  );
  sock.send(Buffer.from(bad), { host: SERVER, port: 5060 });
  sock.send(Buffer.from('\x00\x01 not sip at all\r\n\r\n'), { host: SERVER, port: 5060 });
  env.sim.runFor(100);
  assert.equal(env.received.length, 0);
  assert.equal(got.length, 1);
  assert.match(got[0]!.data, /^SIP\/2\.0 400 [^\r]*(CSeq|method)/i);
  assert.equal(env.transport.stats.parseErrors, 2);
  assert.equal(env.transport.stats.dropped, 1);
  assert.deepEqual(
    env.errors.map((e) => e.answered),
    [true, false],
  );
});

test('TCP: responses return on the request connection, and requests reuse one connection per peer', () => {
  const env = setup();
  const clientMsgs: SipResponse[] = [];
  const clientTransport = new SipTransport({
    net: env.client.net,
    clock: env.client.clock,
    host: CLIENT,
    port: 5060,
    protocols: ['TCP'],
    onMessage: (msg) => clientMsgs.push(msg as SipResponse),
  });
  clientTransport.listen(() => {});
  env.sim.runFor(5);
  for (let i = 1; i <= 3; i++) {
    const parsed = parseMessage(request(`SIP/2.0/TCP ${CLIENT}:5060;branch=z9hG4bKtcp${i}`, i));
    assert.ok(parsed.ok);
    clientTransport.sendRequest(parsed.message as SipRequest, { transport: 'TCP', host: SERVER, port: 5060 });
  }
  env.sim.runFor(200);
  assert.equal(env.received.length, 3);
  assert.equal(env.transport.stats.connections, 1);
  assert.equal(clientTransport.stats.connections, 1);
  for (const { msg, inbound } of env.received) {
    assert.equal(inbound.transport, 'TCP');
    env.transport.sendResponse(createResponse(msg as SipRequest, 200), inbound);
  }
  env.sim.runFor(200);
  assert.equal(clientMsgs.length, 3);
  assert.deepEqual(
    clientMsgs.map((m) => m.status),
    [200, 200, 200],
  );
  assert.equal(env.transport.stats.connections, 1, 'no new connection for the responses');
});

test('TCP: a connection refused is reported to the sender', () => {
  const env = setup();
  const clientTransport = new SipTransport({
    net: env.client.net,
    clock: env.client.clock,
    host: CLIENT,
    port: 5060,
    protocols: ['TCP'],
    onMessage: () => {},
  });
  clientTransport.listen(() => {});
  env.sim.runFor(5);
  const parsed = parseMessage(request(`SIP/2.0/TCP ${CLIENT}:5060;branch=z9hG4bKref`));
  assert.ok(parsed.ok);
  const errors: string[] = [];
  clientTransport.sendRequest(
    parsed.message as SipRequest,
    { transport: 'TCP', host: SERVER, port: 5999 },
    (e) => errors.push(e.code),
  );
  env.sim.runFor(200);
  assert.deepEqual(errors, ['ECONNREFUSED']);
  assert.equal(clientTransport.stats.connections, 0);
});

test('TCP: a stream without Content-Length is closed; the server keeps serving others', () => {
  const env = setup();
  let closed = false;
  const conn = env.client.net.connectTcp(
    { host: SERVER, port: 5060 },
    {
      onConnect: () => conn.write(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n')),
      onData: () => {},
      onClose: () => {
        closed = true;
      },
    },
  );
  env.sim.runFor(500);
  assert.equal(closed, true);
  assert.equal(env.errors.length, 1);
  assert.match(env.errors[0]!.error.reason, /Content-Length is required/);
  const { sock } = rawUdp(env, 40003);
  sock.send(Buffer.from(request(`SIP/2.0/UDP ${CLIENT}:40003;branch=z9hG4bKafter`)), {
    host: SERVER,
    port: 5060,
  });
  env.sim.runFor(100);
  assert.equal(env.received.length, 1);
});

test('listening on a taken port reports EADDRINUSE and leaves nothing open', () => {
  const env = setup(['UDP', 'TCP']);
  const second = new SipTransport({
    net: env.server.net,
    clock: env.server.clock,
    host: SERVER,
    port: 5060,
    onMessage: () => {},
  });
  let err: NetError | undefined;
  second.listen((e) => {
    err = e;
  });
  env.sim.runFor(10);
  assert.equal(err?.code, 'EADDRINUSE');
  assert.equal(second.local('UDP'), undefined);
});
