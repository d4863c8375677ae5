// Errors as the client sees them: a handler that throws (500, JSON body, the connection lives on), an
// HttpError (its status), a response header with CR/LF/NUL (500, the header never written), an unknown
// expectation (417), and a body over maxBodySize (413, then close) with Content-Length and chunked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpError } from '../../lib/errors.js';
import type { Request } from '../../lib/request.js';
import { CLOSE, DATE, everyVariant, expectExact, KEEP, talk } from '../helpers/exact.js';
import { start, type Running } from '../helpers/server.js';

let app: Running;
let small: Running;
let bodiesSeen = 0;

async function handler(req: Request): Promise<unknown> {
  switch (req.path) {
    case '/throw':
      throw new Error('a secret detail that must not leak');
    case '/reject':
      await new Promise((r) => setTimeout(r, 10));
      throw new TypeError('async failure');
    case '/teapot':
      throw new HttpError(418, 'short and stout');
    case '/gone':
      throw new HttpError(410, 'moved on', { code: 'APP_GONE', headers: { 'X-Why': 'retired' } });
    case '/unavailable':
      throw new HttpError(503, 'database password is hunter2');
    case '/crlf':
      return { status: 200, headers: { 'X-Ok': 'fine', 'X-Split': 'a\r\nSet-Cookie: evil=1' }, body: 'never' };
    case '/lf':
      return { status: 200, headers: [['X-Split', 'a\nInjected: 1']], body: 'never' };
    case '/cr':
      return { status: 200, headers: { 'X-Split': 'a\rInjected: 1' }, body: 'never' };
    case '/nul':
      return { status: 200, headers: { 'X-Split': 'a\u0000b' }, body: 'never' };
    case '/bad-name':
      return { status: 200, headers: { 'X-Split\r\nInjected': 'x' }, body: 'never' };
    case '/ok':
      return 'ok';
    case '/read':
      bodiesSeen++;
      return `read ${(await req.body.bytes()).length}`;
    default:
      return 'root';
  }
}

test.before(async () => {
  app = await start(handler);
  small = await start(handler, { maxBodySize: 10 });
});

test.after(async () => {
  await app.close();
  await small.close();
});

const OK = `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\nDate: ${DATE}\r\n${KEEP}\r\nok`;

function jsonError(status: string, body: string, close = false, extra = ''): string {
  return `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\nDate: ${DATE}\r\n${close ? CLOSE : KEEP}\r\n${body}`;
}

const HANDLER_500 = jsonError('500 Internal Server Error', '{"error":{"status":500,"code":"H1W_HANDLER_ERROR","message":"Internal Server Error"}}');

test('a handler that throws: 500 with a generic JSON body, and the connection serves the next request', async () => {
  await expectExact(app.port, 'GET /throw HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n', HANDLER_500 + OK, {
    closes: false,
    responses: 2,
  });
  await expectExact(app.port, 'GET /reject HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n', HANDLER_500 + OK, {
    closes: false,
    responses: 2,
  });
});

test('an HttpError answers with its status, code, message and headers; 5xx messages stay generic', async () => {
  await expectExact(
    app.port,
    'GET /teapot HTTP/1.1\r\nHost: h\r\n\r\nGET /gone HTTP/1.1\r\nHost: h\r\n\r\nGET /unavailable HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n',
    jsonError("418 I'm a Teapot", '{"error":{"status":418,"code":"H1W_HTTP_418","message":"short and stout"}}') +
      jsonError('410 Gone', '{"error":{"status":410,"code":"APP_GONE","message":"moved on"}}', false, 'X-Why: retired\r\n') +
      jsonError('503 Service Unavailable', '{"error":{"status":503,"code":"H1W_HTTP_503","message":"Service Unavailable"}}') +
      OK,
    { closes: false, responses: 4 },
  );
});

test('a response header holding CR, LF or NUL (or a bad name): 500, and the bad header is never written', async () => {
  const invalid = jsonError('500 Internal Server Error', '{"error":{"status":500,"code":"H1W_INVALID_HEADER","message":"Internal Server Error"}}');
  for (const path of ['/crlf', '/lf', '/cr', '/nul', '/bad-name']) {
    await everyVariant(async (v) => {
      const r = await talk(app.port, `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n`, {
        split: v.split,
        seed: v.seed,
        responses: 2,
      });
      assert.is(r.normalized, invalid + OK, path);
      for (const leak of ['X-Split', 'X-Ok', 'Injected', 'Set-Cookie', 'never']) assert.not.ok(r.text.includes(leak), `${path}: ${leak} leaked`);
    });
  }
});

test('an unknown expectation → 417; kept without a body, closed when a body was announced', async () => {
  const body = '{"error":{"status":417,"code":"H1W_EXPECTATION_FAILED","message":"cannot meet the expectation \\"x-teapot\\""}}';
  await expectExact(
    app.port,
    'GET /ok HTTP/1.1\r\nHost: h\r\nExpect: x-teapot\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n',
    jsonError('417 Expectation Failed', body) + OK,
    { closes: false, responses: 2 },
  );
  const before = bodiesSeen;
  await expectExact(app.port, 'POST /read HTTP/1.1\r\nHost: h\r\nExpect: x-teapot\r\nContent-Length: 3\r\n\r\nabc', jsonError('417 Expectation Failed', body, true), {
    closes: true,
  });
  assert.is(bodiesSeen, before, 'the handler never ran');
});

const TOO_LARGE = jsonError('413 Content Too Large', '{"error":{"status":413,"code":"H1W_BODY_TOO_LARGE","message":"request body larger than 10 bytes"}}', true);

test('maxBodySize with Content-Length: 413 at once, then close; what follows is not answered', async () => {
  const before = bodiesSeen;
  await expectExact(small.port, 'POST /read HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world' + 'GET /ok HTTP/1.1\r\nHost: h\r\n\r\n', TOO_LARGE, {
    closes: true,
  });
  assert.is(bodiesSeen, before, 'the handler never ran');
  // Announced too large with Expect: 100-continue: 413 instead of 100 Continue.
  await expectExact(small.port, 'POST /read HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n', TOO_LARGE, { closes: true });
  assert.is(bodiesSeen, before, 'the handler never ran');
  // At the limit it is fine.
  await expectExact(
    small.port,
    'POST /read HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhelloworld',
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 7\r\nDate: ${DATE}\r\n${KEEP}\r\nread 10`,
    { closes: false },
  );
});

test('maxBodySize with a chunked body: 413 once the chunks pass the limit, then close', async () => {
  await expectExact(
    small.port,
    'GET /ok HTTP/1.1\r\nHost: h\r\n\r\n' + 'POST /read HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n' + 'GET /ok HTTP/1.1\r\nHost: h\r\n\r\n',
    OK + TOO_LARGE,
    { closes: true, responses: 2 },
  );
  await expectExact(
    small.port,
    'POST /read HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n',
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 7\r\nDate: ${DATE}\r\n${KEEP}\r\nread 10`,
    { closes: false },
  );
});

test('maxBodySize as a function: a limit per request, by Content-Length or as the chunks pass it; a throwing one refuses', async () => {
  const reported: unknown[] = [];
  const perPath = await start(handler, {
    maxBodySize: (req) => {
      if (req.path === '/broken-limit') throw new Error('limit lookup failed');
      return req.query.get('max') === null ? 1000 : Number(req.query.get('max'));
    },
    hooks: { onError: (event) => reported.push(event.error) },
  });
  try {
    const tooLarge = (n: number): string =>
      jsonError('413 Content Too Large', `{"error":{"status":413,"code":"H1W_BODY_TOO_LARGE","message":"request body larger than ${n} bytes"}}`, true);
    const read10 = `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 7\r\nDate: ${DATE}\r\n${KEEP}\r\nread 10`;
    // The same 10 bytes: within the default 1000, over a limit of 4 for this request.
    await expectExact(perPath.port, 'POST /read HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhelloworld', read10, { closes: false });
    await expectExact(perPath.port, 'POST /read?max=4 HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhelloworld', tooLarge(4), { closes: true });
    await expectExact(
      perPath.port,
      'POST /read?max=7 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n',
      tooLarge(7),
      { closes: true },
    );
    // A limit function that throws: reported, and the body refused (limit 0) rather than read without a bound.
    await expectExact(perPath.port, 'POST /broken-limit HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx', tooLarge(0), { closes: true });
    assert.ok(reported.some((e) => e instanceof Error && e.message === 'limit lookup failed'), 'the thrown error reached onError');
  } finally {
    await perPath.close();
  }
});

test.run();
