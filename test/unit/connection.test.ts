// A real Connection (through ConnectionPool.accept) against a fake socket: bytes in (split at random
// boundaries), exact bytes out (Date normalised), every connection state and every close reason, deadlines
// fired by pool.sweep() on an injected clock. Nothing here waits on time: microtasks and setImmediate only.
import type { Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig, type ServerOptions } from '../../lib/config.js';
import type { Handler } from '../../lib/handle.js';
import { ConnectionPool } from '../../lib/pool.js';
import type { Request } from '../../lib/request.js';
import { reply } from '../../lib/result.js';
import { Observer, type CloseReason } from '../../lib/stages.js';
import { MemorySocket } from '../../lib/inject-socket.js';
import { PARSER_RETURN_DELAY, WARM_IDLE_CONNECTIONS } from '../../lib/limits.js';
import { CLOSE, DATE, normalize, textResponse } from '../helpers/exact.js';
import { pieces, prng } from '../helpers/wire.js';

/** The in-memory socket inject() uses, with what these tests add: the test decides what write() returns (false:
 * the kernel buffer is full) and reads every byte written with Date normalised. */
class FakeSocket extends MemorySocket {
  accepts = true;

  constructor() {
    super('192.0.2.1', 40000);
  }

  override write(data: string | Uint8Array, encoding?: BufferEncoding): boolean {
    super.write(data, encoding);
    return this.accepts;
  }

  /** Every byte written, Date values normalised. */
  text(): string {
    return normalize(Buffer.concat(this.written).toString('latin1'));
  }
}

/** Lets every pending microtask, nextTick and setImmediate run (a few rounds: one may schedule the next). */
async function flush(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface Rig {
  pool: ConnectionPool;
  clock: { now: number };
  open(): FakeSocket;
  /** Sends `data` on `socket` in pieces cut at random boundaries (seeded), then flushes. */
  send(socket: FakeSocket, data: string, seed?: number): Promise<void>;
  /** Moves the clock on by `ms` and runs the sweep. */
  advance(ms: number): Promise<void>;
  byState(): Record<string, number>;
  /** Non-zero close counts. */
  closes(): Partial<Record<CloseReason, number>>;
}

const rigs: Rig[] = [];

function rig(handler: Handler, options: ServerOptions = {}): Rig {
  const clock = { now: 1e9 }; // weeks in, as a monotonic clock may be
  const pool = new ConnectionPool(resolveConfig({ ...options, clock: () => clock.now }), new Observer({}, null, false), handler);
  const r: Rig = {
    pool,
    clock,
    open() {
      const socket = new FakeSocket();
      pool.accept(socket as unknown as Socket);
      return socket;
    },
    async send(socket, data, seed = 7) {
      for (const piece of pieces(Buffer.from(data, 'latin1'), 'random', prng(seed))) {
        socket.emit('data', piece);
        await flush(1);
      }
      await flush();
    },
    async advance(ms) {
      clock.now += ms;
      pool.sweep();
      await flush();
    },
    byState: () => pool.stats().byState,
    closes() {
      const all = pool.stats().closes;
      return Object.fromEntries(Object.entries(all).filter(([, n]) => n > 0)) as Partial<Record<CloseReason, number>>;
    },
  };
  rigs.push(r);
  return r;
}

test.after.each(() => {
  for (const r of rigs.splice(0)) {
    r.pool.destroyAll('error');
    r.pool.dispose();
  }
});

/** A handler whose answers the test gives, one per request, in any order. */
function deferred(): { handler: Handler; seen: Request[]; answer(i: number, value: unknown): void } {
  const seen: Request[] = [];
  const resolvers: ((value: unknown) => void)[] = [];
  return {
    seen,
    handler: (req) =>
      new Promise((resolve) => {
        seen.push(req);
        resolvers.push(resolve);
      }),
    answer: (i, value) => (resolvers[i] as (value: unknown) => void)(value),
  };
}

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: h\r\n${extra}\r\n`;
const POST = (path: string, length: number, body: string): string =>
  `POST ${path} HTTP/1.1\r\nHost: h\r\nContent-Length: ${length}\r\n\r\n${body}`;
const echoPath: Handler = (req) => req.path;

test('reading → handling → idle, with the exact response', async () => {
  const d = deferred();
  const r = rig(d.handler);
  const socket = r.open();
  assert.is(r.byState().reading, 1, 'a new connection waits for its first head');
  await r.send(socket, GET('/a'));
  assert.is(r.byState().handling, 1);
  assert.is(socket.written.length, 0);
  d.answer(0, 'hello');
  await flush();
  assert.is(socket.text(), textResponse('hello'));
  assert.is(r.byState().idle, 1);
  const stats = r.pool.stats();
  assert.is(stats.requests, 1);
  assert.is(stats.responses, 1);
  assert.is(stats.bytesIn, GET('/a').length);
  assert.is(stats.bytesOut, Buffer.concat(socket.written).length);
  assert.is(socket.paused, false);
});

test('pipelined requests are answered in request order, whatever order the handler finishes in', async () => {
  const d = deferred();
  const r = rig(d.handler);
  const socket = r.open();
  await r.send(socket, GET('/1') + GET('/2') + GET('/3'), 99);
  assert.equal(d.seen.map((req) => req.path), ['/1', '/2', '/3']);
  d.answer(2, 'three');
  d.answer(1, 'two');
  await flush();
  assert.is(socket.written.length, 0, 'nothing before the first');
  d.answer(0, 'one');
  await flush();
  assert.is(socket.text(), textResponse('one') + textResponse('two') + textResponse('three'));
  assert.is(r.byState().idle, 1);
});

test('a body the handler reads: state body until it is whole, then kept', async () => {
  const r = rig(async (req) => `got ${await req.body.text()}`);
  const socket = r.open();
  await r.send(socket, POST('/p', 10, '01234'));
  assert.is(r.byState().body, 1);
  await r.send(socket, '56789');
  assert.is(socket.text(), textResponse('got 0123456789'));
  assert.is(r.byState().idle, 1);
  assert.equal(r.closes(), {});
});

test('a body nobody reads is answered past the high-water mark; its rest is dropped up to maxDiscardSize', async () => {
  const cases: [number, string, Partial<Record<CloseReason, number>>][] = [
    // The response goes once 16 bytes of the body came (where a split falls decides how many more): 40 to 44 left.
    [100, textResponse('/early') + textResponse('/next'), {}], // dropped as it comes, the connection kept
    [10, textResponse('/early', true), { 'unread-body': 1 }], // too much to skip: close
  ];
  for (const [maxDiscardSize, expected, closes] of cases) {
    const r = rig(echoPath, { highWaterMark: 16, maxDiscardSize });
    const socket = r.open();
    await r.send(socket, POST('/early', 60, 'x'.repeat(20)));
    assert.is(socket.text(), textResponse('/early', maxDiscardSize < 40), 'the response went out before the body');
    await r.send(socket, 'x'.repeat(40) + GET('/next'));
    assert.is(socket.text(), expected);
    assert.equal(r.closes(), closes);
  }
});

test('write blocked: state writing, reading paused; drain resumes and reads what was held', async () => {
  const r = rig(echoPath);
  const socket = r.open();
  socket.accepts = false;
  await r.send(socket, GET('/1'));
  assert.is(r.byState().writing, 1);
  assert.is(socket.paused, true);
  await r.send(socket, GET('/2')); // already on its way when reading paused: held, not parsed
  assert.is(socket.text(), textResponse('/1'));
  socket.accepts = true;
  socket.emit('drain');
  await flush();
  assert.is(socket.paused, false);
  assert.is(socket.text(), textResponse('/1') + textResponse('/2'));
  assert.is(r.byState().idle, 1);
});

test('Connection: close from the client → client-asked; what follows is dropped', async () => {
  const r = rig(echoPath);
  const socket = r.open();
  await r.send(socket, GET('/bye', 'Connection: close\r\n') + GET('/never'));
  assert.is(socket.text(), textResponse('/bye', true));
  assert.is(socket.writableEnded, true);
  assert.equal(r.closes(), { 'client-asked': 1 });
});

test('Connection: close from the handler → response-close', async () => {
  const r = rig(() => reply(200, 'done', { connection: 'close' }));
  const socket = r.open();
  await r.send(socket, GET('/'));
  assert.is(socket.text(), textResponse('done', true));
  assert.equal(r.closes(), { 'response-close': 1 });
});

test('a streamed body on HTTP/1.0 → close-delimited: no length, FIN ends it', async () => {
  const r = rig(() => ({
    body: (async function* () {
      yield 'ab';
      yield 'cd';
    })(),
  }));
  const socket = r.open();
  await r.send(socket, 'GET /s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  assert.is(socket.text(), `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nDate: ${DATE}\r\n${CLOSE}\r\nabcd`);
  assert.equal(r.closes(), { 'close-delimited': 1 });
});

test('maxRequestsPerConnection → the last response says close, max-requests', async () => {
  const r = rig(echoPath, { maxRequestsPerConnection: 2 });
  const socket = r.open();
  await r.send(socket, GET('/1') + GET('/2') + GET('/3'));
  assert.is(socket.text(), textResponse('/1') + textResponse('/2', true));
  assert.equal(r.closes(), { 'max-requests': 1 });
});

test('malformed input → 400 after the requests before it, protocol-error', async () => {
  const r = rig(echoPath);
  const socket = r.open();
  await r.send(socket, `${GET('/ok')}GET / HTTP/1.1\r\nBad Header: x\r\n\r\n`);
  const text = socket.text();
  assert.ok(text.startsWith(textResponse('/ok')), text);
  const rest = text.slice(textResponse('/ok').length);
  assert.match(rest, /^HTTP\/1\.1 400 Bad Request\r\nContent-Type: application\/json\r\nContent-Length: \d+\r\nDate: <date>\r\nConnection: close\r\n\r\n\{"error":\{"status":400,/);
  assert.equal(r.closes(), { 'protocol-error': 1 });
});

test("the client's FIN on an idle connection → client-closed", async () => {
  const r = rig(echoPath);
  const socket = r.open();
  await r.send(socket, GET('/'));
  socket.emit('end');
  await flush();
  assert.is(socket.writableEnded, true, 'our FIN follows');
  assert.equal(r.closes(), { 'client-closed': 1 });
});

test('shutdown: an idle connection closes now, a busy one after its answer (Connection: close) → server-closing', async () => {
  const d = deferred();
  const r = rig(d.handler);
  const idle = r.open();
  await r.send(idle, GET('/i'));
  d.answer(0, 'idle');
  await flush();
  const busy = r.open();
  await r.send(busy, GET('/b'));
  assert.equal({ idle: r.byState().idle, handling: r.byState().handling }, { idle: 1, handling: 1 });
  r.pool.shutdownAll();
  await flush();
  assert.equal(r.closes(), { 'server-closing': 1 });
  assert.is(idle.text(), textResponse('idle'));
  d.answer(1, 'last');
  await flush();
  assert.is(busy.text(), textResponse('last', true));
  assert.equal(r.closes(), { 'server-closing': 2 });
});

test('idle-timeout: keepAliveTimeout + keepAliveBuffer after the response', async () => {
  const r = rig(echoPath, { keepAliveTimeout: 5000, keepAliveBuffer: 1000 });
  const socket = r.open();
  await r.send(socket, GET('/'));
  await r.advance(5999);
  assert.is(r.byState().idle, 1, 'not yet');
  await r.advance(1);
  assert.is(socket.text(), textResponse('/'), 'closed without a word');
  assert.equal(r.closes(), { 'idle-timeout': 1 });
});

test('headers-timeout: a head that never ends is answered 408', async () => {
  const r = rig(echoPath, { headersTimeout: 1000 });
  const socket = r.open();
  await r.send(socket, 'GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ');
  await r.advance(999);
  assert.is(socket.written.length, 0);
  await r.advance(1);
  assert.match(socket.text(), /^HTTP\/1\.1 408 Request Timeout\r\n[^]*Connection: close\r\n\r\n\{"error":\{"status":408,/);
  assert.equal(r.closes(), { 'headers-timeout': 1 });
});

test('headers-timeout: a connection that never sends a byte is closed without an answer', async () => {
  const r = rig(echoPath, { headersTimeout: 1000 });
  const socket = r.open();
  await r.advance(1000);
  assert.is(socket.written.length, 0);
  assert.equal(r.closes(), { 'headers-timeout': 1 });
});

test('write-stalled: a blocked write with no progress for writeTimeout destroys the connection', async () => {
  const r = rig(echoPath, { writeTimeout: 2000 });
  const socket = r.open();
  socket.accepts = false;
  socket.writableLength = 500;
  await r.send(socket, GET('/'));
  assert.is(r.byState().writing, 1);
  socket.writableLength = 400; // progress: the deadline starts over
  await r.advance(2000);
  assert.is(socket.destroyed, false);
  await r.advance(2000);
  assert.is(socket.destroyed, true);
  assert.equal(r.closes(), { 'write-stalled': 1 });
});

test('a peer that does not close after our FIN is destroyed after closeLinger', async () => {
  const r = rig(echoPath, { closeLinger: 500 });
  const socket = r.open();
  socket.peerClosesAfterFin = false;
  await r.send(socket, GET('/', 'Connection: close\r\n'));
  assert.is(r.byState().closing, 1);
  await r.advance(499);
  assert.is(socket.destroyed, false);
  await r.advance(1);
  assert.is(socket.destroyed, true);
  assert.equal(r.closes(), { 'client-asked': 1 });
});

test('the same pipeline split at many random boundaries gives the same bytes', async () => {
  const input = GET('/1') + `POST /2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` + GET('/3');
  const r = rig(async (req) => `${req.path} ${await req.body.text()}`);
  for (const seed of [1, 2, 3, 11, 4242, 90001]) {
    const socket = r.open();
    await r.send(socket, input, seed);
    assert.is(socket.text(), textResponse('/1 ') + textResponse('/2 abc') + textResponse('/3 '), `seed ${seed}`);
  }
  assert.is(r.byState().idle, 6);
});

test('request-timeout: a body that stops coming is answered 408', async () => {
  const r = rig(async (req) => req.body.text(), { requestTimeout: 3000, headersTimeout: 1000 });
  const socket = r.open();
  await r.send(socket, POST('/', 10, 'abc'));
  await r.advance(2999);
  assert.is(r.byState().body, 1, 'the head came in time: only the request deadline runs');
  await r.advance(1);
  assert.match(socket.text(), /^HTTP\/1\.1 408 Request Timeout\r\n[^]*Connection: close\r\n\r\n/);
  assert.equal(r.closes(), { 'request-timeout': 1 });
});

test('a reset from the client (ECONNRESET) → client-closed; a handler still running is aborted', async () => {
  const d = deferred();
  const r = rig(d.handler);
  const socket = r.open();
  await r.send(socket, GET('/'));
  const error = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  socket.emit('error', error);
  socket.destroy();
  await flush();
  assert.is((d.seen[0] as Request).signal.aborted, true);
  d.answer(0, 'too late');
  await flush();
  assert.is(socket.written.length, 0);
  assert.equal(r.closes(), { 'client-closed': 1 });
});

test('another socket error → error', async () => {
  const r = rig(echoPath);
  const socket = r.open();
  socket.emit('error', Object.assign(new Error('boom'), { code: 'EWHATEVER' }));
  socket.destroy();
  await flush();
  assert.equal(r.closes(), { error: 1 });
});

test('allowHalfOpen: a FIN after whole requests still gets them answered, then closes', async () => {
  const d = deferred();
  const r = rig(d.handler, { allowHalfOpen: true });
  const socket = r.open();
  await r.send(socket, GET('/a') + GET('/b'));
  socket.emit('end');
  await flush();
  assert.is(socket.writableEnded, false, 'still answering');
  d.answer(0, 'a');
  d.answer(1, 'b');
  await flush();
  assert.is(socket.text(), textResponse('a') + textResponse('b'));
  assert.equal(r.closes(), { 'client-closed': 1 });
});

test('allowHalfOpen: a FIN in the middle of a request → 400 for it, client-closed', async () => {
  const r = rig(echoPath, { allowHalfOpen: true });
  const socket = r.open();
  await r.send(socket, 'GET / HTTP/1.1\r\nHo');
  socket.emit('end');
  await flush();
  assert.match(socket.text(), /^HTTP\/1\.1 400 Bad Request\r\n[^]*Connection: close\r\n\r\n\{"error":\{"status":400,"code":"H1W_INCOMPLETE_REQUEST"/);
  assert.equal(r.closes(), { 'client-closed': 1 });
});

test('a handler that throws → 500, and the connection is kept', async () => {
  const r = rig((req) => {
    if (req.path === '/bad') throw new Error('oops');
    return 'fine';
  });
  const socket = r.open();
  await r.send(socket, GET('/bad') + GET('/good'));
  const text = socket.text();
  assert.match(text, /^HTTP\/1\.1 500 Internal Server Error\r\n[^]*Connection: keep-alive\r\n/);
  assert.ok(text.endsWith(textResponse('fine')), text);
  assert.is(r.byState().idle, 1);
  assert.equal(r.closes(), {});
});

test('shutdown while a request is still arriving: it completes and is answered with Connection: close', async () => {
  const r = rig(async (req) => req.body.text());
  const socket = r.open();
  await r.send(socket, POST('/', 6, 'abc'));
  r.pool.shutdownAll();
  await flush();
  await r.send(socket, `def${GET('/dropped')}`);
  assert.is(socket.text(), textResponse('abcdef', true));
  assert.equal(r.closes(), { 'server-closing': 1 });
});

test('maxPipelineDepth: reading pauses with that many unanswered, and resumes as they are answered', async () => {
  const d = deferred();
  const r = rig(d.handler, { maxPipelineDepth: 2 });
  const socket = r.open();
  await r.send(socket, GET('/1') + GET('/2') + GET('/3'));
  assert.is(d.seen.length, 2);
  assert.is(socket.paused, true);
  d.answer(0, 'one');
  await flush();
  assert.is(d.seen.length, 3, 'the held request is parsed');
  assert.is(socket.paused, false);
  d.answer(1, 'two');
  d.answer(2, 'three');
  await flush();
  assert.is(socket.text(), textResponse('one') + textResponse('two') + textResponse('three'));
});

test('an idle connection gives its parser back, and takes one again for the next request', async () => {
  const r = rig(echoPath);
  const socket = r.open();
  await r.send(socket, GET('/1'));
  assert.is(r.pool.stats().free.parsers, 0);
  await r.advance(1000);
  assert.is(r.pool.stats().free.parsers, 1);
  await r.send(socket, GET('/2'));
  assert.is(socket.text(), textResponse('/1') + textResponse('/2'));
  assert.equal(r.closes(), {});
});

test('past WARM_IDLE_CONNECTIONS idle connections the one idle longest gives its parser back at once; every one then serves a pipeline split at random', async () => {
  const r = rig(echoPath);
  const n = WARM_IDLE_CONNECTIONS + 40;
  const sockets: FakeSocket[] = [];
  for (let i = 0; i < n; i++) {
    const socket = r.open();
    sockets.push(socket);
    await r.send(socket, GET(`/first/${i}`), i);
  }
  assert.is(r.byState().idle, n);
  // Each connection past the cap parked the longest idle one, whose parser the next one took: one is left over.
  assert.is(r.pool.stats().free.parsers, 1, 'the burst held WARM_IDLE_CONNECTIONS + 1 parsers, not one per connection');
  await r.advance(PARSER_RETURN_DELAY);
  assert.is(r.pool.stats().free.parsers, WARM_IDLE_CONNECTIONS + 1, 'every idle connection is parked');
  for (let i = 0; i < n; i++) {
    const socket = sockets[i] as FakeSocket;
    await r.send(socket, `\r\n${GET(`/a/${i}`)}${POST(`/b/${i}`, 3, 'xyz')}${GET(`/c/${i}`)}`, 1000 + i);
    const first = textResponse(`/first/${i}`);
    assert.is(socket.text(), first + textResponse(`/a/${i}`) + textResponse(`/b/${i}`) + textResponse(`/c/${i}`), `connection ${i}`);
  }
  assert.is(r.byState().idle, n);
  assert.equal(r.closes(), {});
  assert.is(r.pool.stats().requests, 4 * n);
});

test('a parked connection: empty lines keep it idle, its idle deadline runs on, a FIN closes it', async () => {
  const r = rig(echoPath, { keepAliveTimeout: 5000, keepAliveBuffer: 0 });
  const [a, b] = [r.open(), r.open()];
  await r.send(a, GET('/a'));
  await r.send(b, GET('/b'));
  await r.advance(PARSER_RETURN_DELAY);
  assert.is(r.pool.stats().free.parsers, 2, 'both parked');
  await r.send(a, '\r\n\r\n');
  assert.is(r.byState().idle, 2, 'empty lines start nothing');
  await r.advance(PARSER_RETURN_DELAY);
  assert.is(r.pool.stats().free.parsers, 2, 'the parser the empty lines took is given back');
  b.endInput();
  await flush();
  assert.equal(r.closes(), { 'client-closed': 1 });
  await r.advance(5000 - 2 * PARSER_RETURN_DELAY);
  assert.equal(r.closes(), { 'client-closed': 1, 'idle-timeout': 1 }, 'the idle deadline ran from the response, empty lines or not');
  assert.is(a.text(), textResponse('/a'));
});

test('parked connections: shutdown closes them, a reset closes one, and a new socket on a recycled one is served', async () => {
  const r = rig(echoPath);
  const [a, b] = [r.open(), r.open()];
  await r.send(a, GET('/a'));
  await r.send(b, GET('/b'));
  await r.advance(PARSER_RETURN_DELAY);
  b.emit('error', Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
  b.destroy();
  r.pool.shutdownAll();
  await flush();
  assert.equal(r.closes(), { 'client-closed': 1, 'server-closing': 1 });
  assert.is(r.pool.stats().open, 0);
  r.pool.draining = false;
  const c = r.open(); // a recycled connection object, parked when it was closed
  await r.send(c, GET('/c') + GET('/d'), 3);
  assert.is(c.text(), textResponse('/c') + textResponse('/d'));
});

test('keepAliveTimeout 0: idle connections are counted and kept, never timed out', async () => {
  const r = rig(echoPath, { keepAliveTimeout: 0 });
  const socket = r.open();
  await r.send(socket, GET('/1'));
  await r.advance(3_600_000);
  assert.is(r.byState().idle, 1);
  await r.send(socket, GET('/2'));
  const noHint = (body: string): string => textResponse(body).replace('Keep-Alive: timeout=5\r\n', '');
  assert.is(socket.text(), noHint('/1') + noHint('/2'));
  assert.equal(r.closes(), {});
});

test.run();
