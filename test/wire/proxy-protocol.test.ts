// proxyProtocol over real sockets: the header names the client (v1 TCP4/TCP6/UNKNOWN, v2 PROXY/LOCAL with
// TLVs), the request that follows it — in the same packet, or cut anywhere — is answered, and a connection
// without a valid header is closed, counted, and never answered as HTTP.
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ServerOptions } from '../../lib/config.js';
import type { Handler } from '../../lib/handle.js';
import { converse } from '../helpers/converse.js';
import { v2 } from '../helpers/proxy.js';
import { start, type Running } from '../helpers/server.js';

const SLACK = 400; // scheduler delay on a shared 2-core machine
const whoami: Handler = (req) => ({ address: req.remoteAddress, port: req.remotePort });
const GET = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');

async function withServer(options: ServerOptions, body: (running: Running) => Promise<void>): Promise<void> {
  const running = await start(whoami, { proxyProtocol: true, proxyHeaderTimeout: 1000, ...options });
  try {
    await body(running);
  } finally {
    await running.close();
  }
}

async function ask(port: number, pieces: Buffer[], responses = 1): Promise<unknown[]> {
  const result = await converse(port, pieces, { responses, pause: 'tick', timeoutMs: 3000 });
  assert.is(result.parsed.error, null);
  assert.is(result.parsed.finals.length, responses, `${responses} responses: ${result.bytes.toString('latin1')}`);
  return result.parsed.finals.map((r) => JSON.parse(r.body.toString()));
}

/** Sends `bytes` and expects the connection to close with not one byte of response. */
async function closedUnanswered(port: number, bytes: Buffer, end = false): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  let received = 0;
  socket.on('data', (d) => (received += d.length));
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(bytes);
  if (end) socket.end();
  await new Promise((resolve) => socket.once('close', resolve));
  assert.is(received, 0, 'nothing answered');
}

test('v1 TCP4 and TCP6: the header is the request\'s remote address, in the same packet as the request', () =>
  withServer({}, async ({ port }) => {
    const four = Buffer.from('PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n');
    assert.equal(await ask(port, [Buffer.concat([four, GET])]), [{ address: '192.0.2.1', port: 56324 }]);
    const six = Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 40000 443\r\n');
    assert.equal(await ask(port, [Buffer.concat([six, GET, GET])], 2), [{ address: '2001:db8::1', port: 40000 }, { address: '2001:db8::1', port: 40000 }]);
  }));

test('v1 UNKNOWN and v2 LOCAL keep the socket\'s own address', () =>
  withServer({}, async ({ port }) => {
    const [unknown] = (await ask(port, [Buffer.concat([Buffer.from('PROXY UNKNOWN\r\n'), GET])])) as { address: string; port: number }[];
    assert.is(unknown?.address, '127.0.0.1');
    assert.ok((unknown?.port ?? 0) > 0);
    const local = v2({ command: 0, family: 0x11, source: '10.9.9.9', destination: '10.0.0.1', sport: 9, dport: 80, tlvs: [[0x05, Buffer.from('unique-id')]] });
    const [seen] = (await ask(port, [Buffer.concat([local, GET])])) as { address: string }[];
    assert.is(seen?.address, '127.0.0.1');
  }));

test('v2 PROXY with TLVs, the header and request cut at every byte', () =>
  withServer({}, async ({ port }) => {
    const header = v2({ command: 1, family: 0x11, source: '203.0.113.7', destination: '10.0.0.1', sport: 61000, dport: 80, tlvs: [[0x02, Buffer.from('example.com')], [0x04, Buffer.alloc(3)]] });
    const whole = Buffer.concat([header, GET]);
    for (let cut = 1; cut < header.length + 3; cut++) {
      const seen = await ask(port, [whole.subarray(0, cut), whole.subarray(cut)]);
      assert.equal(seen, [{ address: '203.0.113.7', port: 61000 }], `cut at ${cut}`);
    }
    const six = v2({ command: 1, family: 0x21, source: '2001:db8::42', destination: '2001:db8::1', sport: 5, dport: 80 });
    const bytes = Buffer.concat([six, GET]);
    const pieces = [...bytes].map((b) => Buffer.from([b]));
    assert.equal(await ask(port, pieces), [{ address: '2001:db8::42', port: 5 }], 'one byte per write');
  }));

test('a connection without a valid header is closed and counted, never parsed as HTTP', () =>
  withServer({}, async ({ port, server }) => {
    await closedUnanswered(port, GET); // plain HTTP: no header at all
    await closedUnanswered(port, Buffer.from(`PROXY UNKNOWN ${'x'.repeat(100)}\r\n`)); // over 107 bytes
    await closedUnanswered(port, Buffer.from('PROXY TCP4 192.0.2.1 198.51.100.2 56324 99999\r\n'));
    await closedUnanswered(port, Buffer.from('\r\n\r\n\x00\r\nQUIT\n\x21\x12\x00\x0c'));
    // A v2 block cut short by the client's FIN.
    const header = v2({ command: 1, family: 0x11, source: '192.0.2.1', destination: '198.51.100.2', sport: 1, dport: 2 });
    await closedUnanswered(port, header.subarray(0, 20), true);
    const stats = server.stats();
    assert.is(stats.closes['proxy-header'], 5);
    assert.is(stats.accepted, 5);
    assert.is(stats.requests, 0);
    assert.is(stats.open, 0);
  }));

test('a client that sends nothing is closed at the header deadline', () =>
  withServer({ proxyHeaderTimeout: 300 }, async ({ port, server }) => {
    const t0 = performance.now();
    await closedUnanswered(port, Buffer.alloc(0));
    const ms = performance.now() - t0;
    assert.ok(ms >= 290 && ms <= 300 + SLACK, `closed after ${ms.toFixed(0)} ms`);
    // Half a header is no better.
    const t1 = performance.now();
    await closedUnanswered(port, Buffer.from('PROXY TCP4 192.0.2.1'));
    assert.ok(performance.now() - t1 >= 290, 'waited for the deadline');
    assert.is(server.stats().closes['proxy-header'], 2);
  }));

test('the header comes once: a second PROXY line on the connection is HTTP, and a bad one', () =>
  withServer({}, async ({ port }) => {
    const proxy = Buffer.from('PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n');
    const result = await converse(port, [Buffer.concat([proxy, GET, proxy])], { responses: 2, untilClose: true, timeoutMs: 3000 });
    assert.equal(result.parsed.finals.map((r) => r.status), [200, 400]);
  }));

test('without proxyProtocol, a PROXY header is never detected: 400', async () => {
  const running = await start(whoami);
  try {
    const result = await converse(running.port, [Buffer.from('PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n')], { responses: 1, untilClose: true, timeoutMs: 3000 });
    assert.equal(result.parsed.finals.map((r) => r.status), [400]);
  } finally {
    await running.close();
  }
});

test('close() does not wait for sockets still owing their header', () =>
  withServer({ proxyHeaderTimeout: 5000 }, async ({ port, server }) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('PROXY TCP4 ');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const t0 = performance.now();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await server.close({ timeout: 5000 });
    await closed;
    assert.ok(performance.now() - t0 < 1000, 'closed at once');
    assert.is(server.stats().closes['server-closing'], 1);
  }));

test.run();
