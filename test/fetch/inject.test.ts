// inject(): requests through a handler or a Server with no socket. Raw bytes (pipelined, cut into pieces),
// objects, limits as on a socket, and the exact bytes compared with what a real socket gets.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createDemoServer } from '../../lib/demo.js';
import { UndiciResponse } from '../../lib/fetch-light-response.js';
import { fetchHandler } from '../../lib/fetch-handler.js';
import { inject, InjectError } from '../../lib/inject.js';
import { reply } from '../../lib/result.js';
import { router } from '../../lib/router.js';
import { createServer } from '../../lib/server.js';
import { normalize } from '../helpers/exact.js';
import { exchange } from '../helpers/exchange.js';
import { honoApp } from '../helpers/hono-app.js';
import { pieces, prng } from '../helpers/wire.js';

const app = router({
  'GET /': () => ({ hello: 'world' }),
  'POST /echo': async (req) => reply(200, await req.body.bytes(), { 'Content-Type': req.header('content-type') ?? 'application/octet-stream' }),
  'GET /stream': () => ({ body: (async function* () { yield 'a'; yield 'bc'; })(), headers: { 'Content-Type': 'text/plain' } }),
  'GET /reason': () => ({ status: 200, reason: 'Fine Thanks', body: 'x' }),
  'GET /bad-reason': () => ({ status: 200, reason: 'no\r\nX-Injected: 1', body: 'x' }),
  'GET /never': () => new Promise(() => {}),
});

const PIPELINE =
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n' +
  'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: text/x-echo\r\nContent-Length: 5\r\n\r\nhello' +
  'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n' +
  'GET /stream HTTP/1.1\r\nHost: a\r\n\r\n' +
  'GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' +
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n'; // after Connection: close: never answered

async function rejects(run: () => Promise<unknown>, check: (error: unknown) => boolean): Promise<void> {
  try {
    await run();
  } catch (error) {
    assert.ok(check(error), String(error));
    return;
  }
  assert.unreachable('expected a rejection');
}

const injected = suite('inject');

// fetchHandler installs its light Response for the whole process: each test starts from undici's.
injected.after.each(() => {
  globalThis.Response = UndiciResponse;
});

injected('an object request: status, headers, body and the exact bytes', async () => {
  const res = await inject(app, { method: 'POST', url: '/echo', headers: { 'content-type': 'text/x-a' }, body: 'abc' });
  assert.is(res.status, 200);
  assert.is(res.headers['content-type'], 'text/x-a');
  assert.is(res.body.toString(), 'abc');
  assert.is(
    normalize(res.raw.toString('latin1')),
    'HTTP/1.1 200 OK\r\nContent-Type: text/x-a\r\nContent-Length: 3\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nabc',
  );
  assert.is(res.responses.length, 1);
  assert.is(res.closed, false);
});

injected('pipelined raw bytes: one response each, in order, HEAD without body, nothing after close', async () => {
  const res = await inject(app, PIPELINE);
  assert.equal(
    res.responses.map((r) => [r.status, r.body.toString()]),
    [
      [200, '{"hello":"world"}'],
      [200, 'hello'],
      [200, ''],
      [200, 'abc'],
      [404, res.responses[4]?.body.toString()],
    ],
  );
  assert.is(res.responses[2]!.headers['content-length'], '17');
  assert.is(res.responses[3]!.headers['transfer-encoding'], 'chunked');
  assert.is(res.responses[4]!.headers.connection, 'close');
  assert.ok(res.closed);
  assert.ok(res.wire.equals(Buffer.concat(res.responses.map((r) => r.raw))));
});

injected('raw bytes in random pieces give the same bytes as whole, and as a real socket', async () => {
  const whole = await inject(app, PIPELINE);
  const server = createServer(app);
  const { port } = await server.listen(0);
  try {
    const real = await exchange(port, PIPELINE, { count: 5, head: (i) => i === 2 });
    assert.is(real.length, 5);
    for (let seed = 1; seed <= 8; seed++) {
      const cut = await inject(app, pieces(Buffer.from(PIPELINE, 'latin1'), 'random', prng(seed)));
      assert.is(normalize(cut.wire.toString('latin1')), normalize(whole.wire.toString('latin1')), `seed ${seed}`);
    }
    // The same server answers inject and its real sockets alike.
    const viaServer = await inject(server, PIPELINE);
    assert.is(normalize(viaServer.wire.toString('latin1')), normalize(whole.wire.toString('latin1')));
  } finally {
    await server.close({ timeout: 100 });
  }
});

injected('limits apply as on a socket: maxBodySize → 413 and a close', async () => {
  const res = await inject(app, { method: 'POST', url: '/echo', body: 'x'.repeat(2000) }, { server: { maxBodySize: 1000 } });
  assert.is(res.status, 413);
  assert.ok(res.closed);
  const server = createServer(app, { maxHeaderSize: 200 });
  const big = await inject(server, { url: '/', headers: { 'x-big': 'y'.repeat(300) } });
  assert.is(big.status, 431);
  await server.close();
});

injected('a malformed request gets its 400 and a close; an incomplete one is given up', async () => {
  const bad = await inject(app, 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
  assert.is(bad.status, 400);
  assert.ok(bad.closed);
  const partial = await inject(app, 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /x HT');
  assert.is(partial.responses.length, 1);
  assert.is(partial.status, 200);
  await rejects(() => inject(app, 'GET / HT'), (e: unknown) => e instanceof InjectError && e.code === 'H1W_INJECT_NO_RESPONSE');
});

injected('a custom reason phrase is sent; one that could split the head is a 500', async () => {
  const ok = await inject(app, { url: '/reason' });
  assert.is(ok.reason, 'Fine Thanks');
  assert.ok(ok.raw.toString('latin1').startsWith('HTTP/1.1 200 Fine Thanks\r\n'));
  const bad = await inject(app, { url: '/bad-reason' });
  assert.is(bad.status, 500);
  assert.not.ok(bad.raw.toString('latin1').includes('X-Injected'));
});

injected('a handler that never answers: timeout, typed', async () => {
  await rejects(() => inject(app, { url: '/never' }, { timeout: 50 }), (e: unknown) => e instanceof InjectError && e.code === 'H1W_INJECT_TIMEOUT');
});

injected('a Hono app through fetchHandler, and the demo server', async () => {
  const { app: hono } = honoApp();
  const res = await inject(fetchHandler(hono.fetch), { url: '/cookies' });
  assert.equal(res.cookies, ['session=abc; Path=/; HttpOnly', 'theme=dark; Max-Age=3600; Path=/']);
  const demo = createDemoServer();
  const hello = await inject(demo, { url: '/fetch/hello' });
  assert.is(hello.body.toString(), '{"hello":"world"}');
  assert.is(hello.headers['content-type'], 'application/json');
  const echo = await inject(demo, { method: 'POST', url: '/fetch/echo', headers: { 'Content-Type': 'text/x-demo' }, body: 'round trip' });
  assert.is(echo.body.toString(), 'round trip');
  assert.is(echo.headers['content-type'], 'text/x-demo');
  const empty = await inject(demo, { method: 'POST', url: '/fetch/echo' });
  assert.is(empty.body.length, 0);
  assert.is(empty.headers['content-type'], undefined);
  await demo.close();
});

injected('interim 100 Continue, trailers and a close-delimited HTTP/1.0 stream are read as a client would', async () => {
  const handler = router({
    'POST /up': async (req) => ({ body: await req.body.text(), trailers: { 'X-Sum': '3' }, headers: { 'Content-Type': 'text/plain' }, status: 200 }),
    'GET /stream': () => ({ body: (async function* () { yield 'one'; yield 'two'; })() }),
  });
  const cont = await inject(handler, 'POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok');
  assert.is(cont.interim.length, 1);
  assert.ok(cont.interim[0]!.toString('latin1').startsWith('HTTP/1.1 100 Continue\r\n'));
  assert.is(cont.body.toString(), 'ok');
  const old = await inject(handler, 'GET /stream HTTP/1.0\r\n\r\n');
  assert.is(old.body.toString(), 'onetwo');
  assert.ok(old.closed);
  const chunkedBack = await inject(
    (req) => ({ body: (async function* () { yield await req.body.text(); })(), trailers: { 'X-Sum': '3' } }),
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n',
  );
  assert.is(chunkedBack.body.toString(), 'ab');
  assert.equal(chunkedBack.trailers, ['X-Sum', '3']);
});

injected.run();
