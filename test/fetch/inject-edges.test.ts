// inject() at its edges, each compared with what a real socket client of the same Server reads where one can:
// object requests (repeated headers, bodies, framing given by hand, odd methods and urls), the results (repeated
// response fields, 1xx, HEAD, close-delimited, pipelining with a slow handler, a stream that fails), server
// features (hooks, maxConnections, deadlines, TLS, upgrades, trustProxy) and concurrency.
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createDemoServer } from '../../lib/demo.js';
import { inject, InjectError, InjectInputError, type InjectInput, type InjectRequest } from '../../lib/inject.js';
import { requestBytes } from '../../lib/inject-request.js';
import type { Request } from '../../lib/request.js';
import { createServer, type Server } from '../../lib/server.js';
import type { Hooks } from '../../lib/stages.js';
import { upgrade } from '../../lib/upgrade.js';
import { normalize } from '../helpers/exact.js';
import { testCert } from '../helpers/transport.js';
import { pieces, prng, send } from '../helpers/wire.js';

async function rejects(run: () => Promise<unknown>, code: string): Promise<void> {
  try {
    await run();
  } catch (error) {
    assert.ok((error instanceof InjectError || error instanceof InjectInputError) && error.code === code, String(error));
    return;
  }
  assert.unreachable(`expected a rejection with ${code}`);
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the handler saw, as JSON: the echo a test compares between inject and a socket. */
async function echo(req: Request): Promise<unknown> {
  const body = await req.body.text();
  return { method: req.method, target: req.target, path: req.path, cookie: req.header('cookie') ?? null, rawHeaders: req.rawHeaders, body };
}

/** Both ways to the same server: inject's whole wire, and a socket's for the same bytes (Dates normalised). */
async function viaBoth(server: Server, port: number, input: InjectRequest | string): Promise<{ inject: string; socket: string; closed: boolean }> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : requestBytes(input);
  const res = await inject(server, input);
  const real = await send(port, bytes, { quietMs: 150 });
  return { inject: normalize(res.wire.toString('latin1')), socket: normalize(real.bytes.toString('latin1')), closed: res.closed };
}

// ---- object requests -----------------------------------------------------------------------------------------

const objects = suite('inject: object requests, as a socket gets their bytes');
let echoServer: Server;
let echoPort = 0;
objects.before(async () => {
  echoServer = createServer(echo);
  ({ port: echoPort } = await echoServer.listen(0));
});
objects.after(() => echoServer.close({ timeout: 100 }));

objects('repeated headers: arrays, tuples, two Cookie lines in different case, a Host in capitals', async () => {
  const cases: InjectRequest[] = [
    { headers: { 'x-a': ['1', '2'], accept: 'text/plain' } },
    { headers: [['Cookie', 'a=1'], ['cookie', 'b=2']] },
    { headers: { HOST: 'example.test' } },
  ];
  for (const c of cases) {
    const both = await viaBoth(echoServer, echoPort, c);
    assert.is(both.inject, both.socket, JSON.stringify(c));
  }
  const cookies = await inject(echoServer, { headers: [['Cookie', 'a=1'], ['cookie', 'b=2']] });
  assert.is(JSON.parse(cookies.body.toString()).cookie, 'a=1; b=2');
  const host = await inject(echoServer, { headers: { HOST: 'example.test' } });
  assert.equal(JSON.parse(host.body.toString()).rawHeaders, ['HOST', 'example.test']);
});

objects('bodies: a Uint8Array, an empty string (Content-Length: 0), chunked by its own header', async () => {
  const cases: InjectRequest[] = [
    { method: 'POST', url: '/bytes', body: new Uint8Array([0x68, 0x69, 0xff]) },
    { method: 'POST', body: '' },
    { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' }, body: 'hello' },
    { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } },
  ];
  for (const c of cases) {
    const both = await viaBoth(echoServer, echoPort, c);
    assert.is(both.inject, both.socket, JSON.stringify(c));
    assert.is(both.closed, false);
  }
  const chunked = await inject(echoServer, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' }, body: 'hello' });
  assert.is(chunked.status, 200);
  assert.is(JSON.parse(chunked.body.toString()).body, 'hello');
  const empty = await inject(echoServer, { method: 'POST', body: '' });
  assert.ok(JSON.parse(empty.body.toString()).rawHeaders.includes('Content-Length'));
});

objects('a Content-Length that disagrees with the body goes out as given, and is read as a socket reads it', async () => {
  const short: InjectRequest = { method: 'POST', headers: { 'content-length': '2' }, body: 'heGET /x HTTP/1.1\r\nHost: a\r\n\r\n' };
  const both = await viaBoth(echoServer, echoPort, short);
  assert.is(both.inject, both.socket);
  const res = await inject(echoServer, short);
  assert.equal(res.responses.map((r) => JSON.parse(r.body.toString()).body), ['he', '']);
  assert.is(JSON.parse(res.responses[1]!.body.toString()).target, '/x');
  // Longer than the body: the request never completes; the client gives up (FIN) and no answer comes.
  await rejects(() => inject(echoServer, { method: 'POST', headers: { 'content-length': '10' }, body: 'hello' }), 'H1W_INJECT_NO_RESPONSE');
});

objects('HEAD: no body read back; a lower-case method goes out as given and gets what a socket gets', async () => {
  const head = await viaBoth(echoServer, echoPort, { method: 'HEAD' });
  assert.is(head.inject, head.socket);
  const res = await inject(echoServer, { method: 'HEAD' });
  assert.is(res.body.length, 0);
  assert.ok(Number(res.headers['content-length']) > 0);
  const lower = await viaBoth(echoServer, echoPort, { method: 'get' });
  assert.is(lower.inject, lower.socket);
  const got = await inject(echoServer, { method: 'get' });
  assert.is(got.status, 400);
  assert.ok(got.closed);
});

objects('urls: spaces and non-ASCII are percent-encoded as UTF-8, a target without a slash is sent as is', async () => {
  const spaced = await inject(echoServer, { url: '/a b/café?q=€' });
  assert.is(spaced.status, 200);
  assert.is(JSON.parse(spaced.body.toString()).target, '/a%20b/caf%C3%A9?q=%E2%82%AC');
  for (const url of ['/a b/café?q=€', 'items/1', '*', 'http://example.test/abs?x=1']) {
    const both = await viaBoth(echoServer, echoPort, { method: url === '*' ? 'OPTIONS' : 'GET', url });
    assert.is(both.inject, both.socket, url);
  }
  const relative = await inject(echoServer, { url: 'items/1' });
  assert.is(relative.status, 400);
});

objects('input that would break the message is refused, typed, before any byte reaches the server', async () => {
  const before = echoServer.stats().accepted;
  await rejects(() => inject(echoServer, { headers: { 'x-a': 'ok\r\nX-Injected: 1' } }), 'H1W_INJECT_BAD_INPUT');
  await rejects(() => inject(echoServer, { method: 'GET / HTTP/1.1\r\n\r\nGET' }), 'H1W_INJECT_BAD_INPUT');
  await rejects(() => inject(echoServer, { headers: { 'x-a': '€' } }), 'H1W_INJECT_BAD_INPUT');
  await rejects(() => inject(echoServer, 'GET /€ HTTP/1.1\r\nHost: a\r\n\r\n'), 'H1W_INJECT_BAD_INPUT');
  await rejects(() => inject(echo, { headers: { 'bad name': '1' } }), 'H1W_INJECT_BAD_INPUT');
  assert.is(echoServer.stats().accepted, before);
});

// ---- results --------------------------------------------------------------------------------------------------

const results = suite('inject: results read as a client reads them');

const answers = createServer(
  async (req) => {
    if (req.path === '/repeated') {
      return {
        body: 'r',
        headers: [
          ['X-A', '1'],
          ['x-a', '2'],
          ['Set-Cookie', 'a=1; Path=/'],
          ['Set-Cookie', 'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT'],
        ],
      };
    }
    if (req.path === '/slow') await delay(60);
    if (req.path === '/stream') return { body: (async function* () { yield 'one'; yield 'two'; })() };
    if (req.path === '/fails') {
      return {
        body: (async function* () {
          yield 'part';
          await delay(5);
          throw new Error('the source failed');
        })(),
      };
    }
    return { body: `${req.method} ${req.path} ${await req.body.text()}` };
  },
  { serverTiming: false },
);
let answersPort = 0;
results.before(async () => {
  ({ port: answersPort } = await answers.listen(0));
});
results.after(() => answers.close({ timeout: 100 }));

results('repeated response fields are joined with ", " as fetch Headers joins them; Set-Cookie values stay apart', async () => {
  const res = await inject(answers, { url: '/repeated' });
  assert.is(res.headers['x-a'], '1, 2');
  assert.equal(res.cookies, ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT']);
  const named = res.rawHeaders.flatMap((name, i) => (i % 2 === 0 && name.toLowerCase() === 'x-a' ? [name, res.rawHeaders[i + 1]] : []));
  assert.equal(named, ['X-A', '1', 'x-a', '2']); // as sent: names' case and order kept
  const real = await fetch(`http://127.0.0.1:${answersPort}/repeated`);
  await real.arrayBuffer();
  assert.is(real.headers.get('x-a'), res.headers['x-a']);
  assert.equal(real.headers.getSetCookie(), res.cookies);
  assert.is(real.headers.get('set-cookie'), res.headers['set-cookie']);
});

results('Expect: 100-continue, HEAD with Content-Length, an HTTP/1.0 close-delimited stream: the socket bytes', async () => {
  const inputs = [
    'POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok',
    'HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET /stream HTTP/1.0\r\n\r\n',
  ];
  for (const input of inputs) {
    const both = await viaBoth(answers, answersPort, input);
    assert.is(both.inject, both.socket, input);
  }
  const cont = await inject(answers, { method: 'POST', url: '/up', headers: { Expect: '100-continue' }, body: 'ok' });
  assert.is(cont.interim.length, 1);
  assert.is(cont.body.toString(), 'POST /up ok');
  const head = await inject(answers, inputs[1]!);
  assert.is(head.responses[0]!.body.length, 0);
  assert.is(head.responses[0]!.headers['content-length'], String('HEAD /h '.length));
  assert.is(head.responses[1]!.body.toString(), 'GET /after ');
  const old = await inject(answers, inputs[2]!);
  assert.is(old.body.toString(), 'onetwo');
  assert.is(old.headers['content-length'], undefined);
  assert.ok(old.closed && old.complete);
});

results('pipelined, a slow handler before a fast one: answers in request order, cut anywhere', async () => {
  const pipeline = 'GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\nPOST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyzGET /last HTTP/1.1\r\nHost: a\r\n\r\n';
  const whole = await inject(answers, pipeline);
  assert.equal(whole.responses.map((r) => r.body.toString()), ['GET /slow ', 'GET /fast ', 'POST /p xyz', 'GET /last ']);
  const real = await send(answersPort, pipeline, { quietMs: 200 });
  assert.is(normalize(whole.wire.toString('latin1')), normalize(real.bytes.toString('latin1')));
  for (const seed of [3, 17, 99]) {
    const cut = await inject(answers, pieces(Buffer.from(pipeline, 'latin1'), 'random', prng(seed)));
    assert.is(normalize(cut.wire.toString('latin1')), normalize(whole.wire.toString('latin1')), `seed ${seed}`);
  }
});

results('a stream that fails after its head: the response so far, incomplete, and the reset', async () => {
  const res = await inject(answers, { url: '/fails' });
  assert.is(res.status, 200);
  assert.is(res.complete, false);
  assert.is(res.body.toString(), 'part');
  assert.ok(res.reset);
  const real = await send(answersPort, 'GET /fails HTTP/1.1\r\nHost: a\r\n\r\n', { quietMs: 300 });
  assert.ok(real.reset);
  assert.is(normalize(res.wire.toString('latin1')), normalize(real.bytes.toString('latin1')));
});

// ---- server features ------------------------------------------------------------------------------------------

const features = suite('inject: server features as on a socket');

features('hooks see the same stages, statuses and close reasons for inject as for a socket', async () => {
  const seen: string[] = [];
  const hooks: Hooks = {
    onAccept: () => seen.push('accept'),
    onHeaders: (e) => seen.push(`headers ${e.request.target}`),
    onHandled: (e) => seen.push(`handled ${e.error === null ? 'ok' : 'error'}`),
    onFramed: (e) => seen.push(`framed ${e.status} ${e.framing}`),
    onFinish: (e) => seen.push(`finish ${e.status} ${e.keepAlive}`),
    onIdle: (e) => seen.push(`idle ${e.requests}`),
    onClose: (e) => seen.push(`close ${e.reason} ${e.requests}`),
  };
  const server = createServer((req) => (req.path === '/boom' ? Promise.reject(new Error('boom')) : { body: 'x' }), { hooks });
  const { port } = await server.listen(0);
  try {
    const input = 'GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /boom HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
    await send(port, input, { quietMs: 100 });
    await delay(30);
    const socketEvents = seen.splice(0);
    await inject(server, input);
    // No wait here: inject resolves once its connection's life is over, close included.
    assert.equal(seen.splice(0), socketEvents);
    assert.is(server.stats().open, 0);
    assert.ok(socketEvents.includes('close client-asked 3'), socketEvents.join(' | '));
  } finally {
    await server.close({ timeout: 100 });
  }
});

features('maxConnections: a connection over the limit gets the 503 a socket gets', async () => {
  const server = createServer(() => ({ body: 'ok' }), { maxConnections: 1 });
  const { port } = await server.listen(0);
  const held = await import('node:net').then((net) => net.connect(port, '127.0.0.1'));
  try {
    await new Promise((resolve) => held.once('connect', resolve));
    await delay(20);
    const res = await inject(server, { url: '/' });
    assert.is(res.status, 503);
    assert.ok(res.closed);
    const real = await send(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { quietMs: 150 });
    assert.is(res.wire.toString('latin1'), real.bytes.toString('latin1'));
  } finally {
    held.destroy();
    await server.close({ timeout: 100 });
  }
});

features('deadlines: a slow handler is no request timeout; a request never completed is given up, not a 408', async () => {
  const server = createServer(async () => {
    await delay(250);
    return { body: 'late' };
  }, { requestTimeout: 100, headersTimeout: 80 });
  const { port } = await server.listen(0);
  try {
    const res = await inject(server, { url: '/' });
    assert.is(res.status, 200);
    assert.is(res.body.toString(), 'late');
    const real = await send(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { quietMs: 400 });
    assert.is(normalize(real.bytes.toString('latin1')), normalize(res.wire.toString('latin1')));
    // The socket client that stops midway waits for the 408; inject's client gives up at once instead.
    const stalled = await send(port, 'GET / HTTP/1.1\r\nHost: a\r\n', { quietMs: 400 });
    assert.match(stalled.bytes.toString('latin1'), /^HTTP\/1\.1 408 /);
    await rejects(() => inject(server, 'GET / HTTP/1.1\r\nHost: a\r\n'), 'H1W_INJECT_NO_RESPONSE');
  } finally {
    await server.close({ timeout: 100 });
  }
});

features('a TLS server: the injected request counts as HTTPS, as a TLS client of that server sees it', async () => {
  const { key, cert } = testCert();
  const server = createServer((req) => ({ body: `${req.protocol} ${String(req.secure)}` }), { tls: { key, cert } });
  const { port } = await server.listen(0);
  try {
    const res = await inject(server, { url: '/' });
    const real = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
      const got: Buffer[] = [];
      socket.on('data', (d: Buffer) => got.push(d));
      socket.on('error', reject);
      socket.on('end', () => resolve(Buffer.concat(got).toString('latin1')));
      socket.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    });
    assert.is(res.body.toString(), 'https true');
    assert.match(real, /\r\n\r\nhttps true$/);
    const plain = await inject((req) => ({ body: req.protocol }), { url: '/' });
    assert.is(plain.body.toString(), 'http');
  } finally {
    await server.close({ timeout: 100 });
  }
});

features('an accepted upgrade: the 101 its owner writes, and what it said after, with upgraded set', async () => {
  const owned: string[] = [];
  const handler = (req: Request): unknown =>
    req.upgrade === 'echo'
      ? upgrade((socket, head) => {
          socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
          socket.write(head);
          socket.on('close', () => owned.push('closed'));
        })
      : { body: 'plain' };
  const res = await inject(handler, 'GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\nhello');
  assert.is(res.status, 101);
  assert.ok(res.upgraded);
  assert.is(res.headers.upgrade, 'echo');
  assert.is(res.responses.length, 1);
  assert.is(res.wire.subarray(res.raw.length).toString(), 'hello');
  await delay(10);
  assert.equal(owned, ['closed']); // inject's client leaves once the new owner is quiet
  const declined = await inject(handler, 'GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: other\r\nConnection: upgrade\r\n\r\n');
  assert.is(declined.body.toString(), 'plain');
  assert.not.ok(declined.upgraded);
});

features('the demo WebSocket route through inject: ws completes its handshake on the in-memory socket', async () => {
  const demo = createDemoServer();
  try {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const res = await inject(demo, {
      url: '/ws',
      headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' },
    });
    assert.is(res.status, 101);
    assert.ok(res.upgraded);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    assert.is(res.headers['sec-websocket-accept'], accept);
    // A masked text frame right after the head: ws gets it back through unshift and echoes it, unmasked.
    const head = `GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    const mask = [1, 2, 3, 4];
    const frame = Buffer.from([0x81, 0x80 | 2, ...mask, 'h'.charCodeAt(0) ^ mask[0]!, 'i'.charCodeAt(0) ^ mask[1]!]);
    // Whole (the frame is in `head`), as its own read after the head (it waits for ws's 'data' listener), and
    // cut at random.
    const bytes = Buffer.concat([Buffer.from(head, 'latin1'), frame]);
    for (const input of [bytes, [head, frame], pieces(bytes, 'random', prng(7))]) {
      const echoed = await inject(demo, input);
      assert.is(echoed.status, 101);
      assert.equal([...echoed.wire.subarray(echoed.raw.length)], [0x81, 2, 0x68, 0x69]);
    }
  } finally {
    await demo.close({ timeout: 100, upgraded: 'destroy' });
  }
});

features('remoteAddress with trustProxy: forwarding headers count only from a trusted peer', async () => {
  const server = createServer((req) => ({ body: `${req.remoteAddress} ${req.ip}` }), { trustProxy: 'loopback' });
  const forwarded = { headers: { 'X-Forwarded-For': '203.0.113.9' } };
  assert.is((await inject(server, forwarded)).body.toString(), '127.0.0.1 203.0.113.9');
  assert.is((await inject(server, forwarded, { remoteAddress: '198.51.100.7' })).body.toString(), '198.51.100.7 198.51.100.7');
  await server.close();
});

features('proxyProtocol: the PROXY header is read from the injected bytes as from a socket, cut anywhere', async () => {
  const server = createServer((req) => ({ body: `${req.remoteAddress}:${req.remotePort} ${req.method}` }), { proxyProtocol: true });
  const { port } = await server.listen(0);
  try {
    const input = 'PROXY TCP4 203.0.113.7 10.0.0.1 5555 80\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n';
    const res = await inject(server, input);
    assert.equal(res.responses.map((r) => [r.status, r.body.toString()]), [[200, ''], [200, '203.0.113.7:5555 GET']]);
    const real = await send(port, input, { quietMs: 150 });
    assert.is(normalize(res.wire.toString('latin1')), normalize(real.bytes.toString('latin1')));
    for (const seed of [5, 8]) {
      const cut = await inject(server, pieces(Buffer.from(input, 'latin1'), 'random', prng(seed)));
      assert.is(normalize(cut.wire.toString('latin1')), normalize(res.wire.toString('latin1')), `seed ${seed}`);
    }
    // No header, or one cut short: dropped without a word, as a socket is.
    const dropped = server.stats().closes['proxy-header'];
    await rejects(() => inject(server, { url: '/' }), 'H1W_INJECT_NO_RESPONSE');
    await rejects(() => inject(server, 'PROXY TCP4 203.0.113.7'), 'H1W_INJECT_NO_RESPONSE');
    assert.is(server.stats().closes['proxy-header'], dropped + 2);
    assert.is((await send(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { quietMs: 150 })).bytes.length, 0);
  } finally {
    await server.close({ timeout: 100 });
  }
});

// ---- concurrency ----------------------------------------------------------------------------------------------

const together = suite('inject: many at once, with sockets, and after close');

together('100 injects in parallel on one Server, while it serves a socket: each gets its own answers', async () => {
  const server = createServer(async (req) => {
    await delay(Number(req.query.get('wait')));
    return { body: `${req.path} ${await req.body.text()}` };
  });
  const { port } = await server.listen(0);
  try {
    const inputs: InjectInput[] = Array.from({ length: 100 }, (_, i) =>
      i % 2 === 0
        ? { method: 'POST', url: `/n${i}?wait=${(i * 7) % 13}`, body: `b${i}` }
        : `GET /n${i}?wait=${(i * 5) % 11} HTTP/1.1\r\nHost: a\r\n\r\nGET /again${i}?wait=0 HTTP/1.1\r\nHost: a\r\n\r\n`,
    );
    const [answers, real] = await Promise.all([
      Promise.all(inputs.map((input) => inject(server, input))),
      send(port, 'GET /socket?wait=20 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
    ]);
    answers.forEach((res, i) => {
      const want = i % 2 === 0 ? [`/n${i} b${i}`] : [`/n${i} `, `/again${i} `];
      assert.equal(res.responses.map((r) => r.body.toString()), want, `inject ${i}`);
    });
    assert.match(real.bytes.toString('latin1'), /\r\n\r\n\/socket $/);
    // Every injected connection is gone once its inject resolved (the socket's may still linger a moment).
    assert.is(server.stats().accepted, 101);
    assert.ok(server.stats().open <= 1, `open: ${server.stats().open}`);
  } finally {
    await server.close({ timeout: 100 });
  }
});

together('inject after close() or closeListener(): a typed error at once, as a socket is refused', async () => {
  const server = createServer(() => ({ body: 'x' }));
  assert.is((await inject(server, { url: '/' })).status, 200); // never listening: inject works
  await server.close();
  const started = Date.now();
  await rejects(() => inject(server, { url: '/' }), 'H1W_INJECT_SERVER_CLOSED');
  assert.ok(Date.now() - started < 1000);
  const other = createServer(() => ({ body: 'x' }));
  await other.listen(0);
  await other.closeListener();
  await rejects(() => inject(other, { url: '/' }), 'H1W_INJECT_SERVER_CLOSED');
  await other.close();
});

objects.run();
results.run();
features.run();
together.run();
