// Request rules as a client meets them, raw bytes over a socket (whole, one byte per write, random splits): an
// empty Host, a fragment in the target, empty lines before a request line, and connection fields in trailers.
import { test } from 'uvu';
import { MAX_EMPTY_LINES } from '../../lib/parser.js';
import type { Request } from '../../lib/request.js';
import { CLOSE, DATE, expectExact, textResponse } from '../helpers/exact.js';
import { start, type Running } from '../helpers/server.js';

let app: Running;

async function handler(req: Request): Promise<unknown> {
  const body = await req.body.text();
  const trailers = req.trailers === null ? '' : ` trailers ${req.trailers.join('|')}`;
  return `${req.method} ${req.target} host=${req.header('host') ?? '-'} body=${body}${trailers}`;
}

test.before(async () => {
  app = await start(handler);
});

test.after(async () => {
  await app.close();
});

const text = textResponse;

const bad = (code: string, message: string): string => {
  const body = `{"error":{"status":400,"code":"${code}","message":"${message}"}}`;
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nDate: ${DATE}\r\n${CLOSE}\r\n${body}`;
};

const EMPTY_HOST = bad('H1W_BAD_HOST', 'an empty Host leaves the target without a host');
const FRAGMENT = bad('H1W_BAD_TARGET', 'a fragment (#...) is not part of a request target');

test('an empty Host with an origin-form or "*" target in HTTP/1.1: 400, then close', async () => {
  await expectExact(app.port, 'GET / HTTP/1.1\r\nHost:\r\n\r\n', EMPTY_HOST, { closes: true });
  await expectExact(app.port, 'GET /a HTTP/1.1\r\nHost: \r\nAccept: */*\r\n\r\n', EMPTY_HOST, { closes: true });
  await expectExact(app.port, 'OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n', EMPTY_HOST, { closes: true });
});

test('an empty Host where the target names its authority (absolute-form), or in HTTP/1.0: answered', async () => {
  await expectExact(app.port, 'GET http://a.example/x HTTP/1.1\r\nHost:\r\n\r\n', text('GET http://a.example/x host= body='), { closes: false });
  await expectExact(app.port, 'GET / HTTP/1.0\r\nHost:\r\n\r\n', text('GET / host= body=', true), { closes: true });
});

test('a fragment in the request target: 400, then close', async () => {
  await expectExact(app.port, 'GET /page#section HTTP/1.1\r\nHost: h\r\n\r\n', FRAGMENT, { closes: true });
  await expectExact(app.port, 'GET /p?q=1# HTTP/1.1\r\nHost: h\r\n\r\n', FRAGMENT, { closes: true });
  await expectExact(app.port, 'GET http://h/p#f HTTP/1.1\r\nHost: h\r\n\r\n', FRAGMENT, { closes: true });
});

test(`empty lines: up to ${MAX_EMPTY_LINES} before each request line are ignored, one more is 400`, async () => {
  const most = '\r\n'.repeat(MAX_EMPTY_LINES);
  const get = (target: string): string => `GET ${target} HTTP/1.1\r\nHost: h\r\n\r\n`;
  // Before the first request, and after a POST body (the extra CRLF old clients send), before each request.
  await expectExact(
    app.port,
    `${most}${get('/1')}POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi\r\n${most.slice(2)}${get('/3')}`,
    text('GET /1 host=h body=') + text('POST /2 host=h body=hi') + text('GET /3 host=h body='),
    { closes: false, responses: 3 },
  );
  const tooMany = bad('H1W_TOO_MANY_EMPTY_LINES', `more than ${MAX_EMPTY_LINES} empty lines before a request line`);
  await expectExact(app.port, `${most}\r\n${get('/1')}`, tooMany, { closes: true });
  // Requests before them are answered first; the refusal does not wait for a request line.
  await expectExact(app.port, `${get('/1')}${most}\r\n`, text('GET /1 host=h body=') + tooMany, { closes: true, responses: 2 });
});

test('Connection: close in a chunked request\'s trailers: the head decides, the response keeps the connection, the next request is answered', async () => {
  const chunked = 'POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nConnection: close\r\n\r\n';
  await expectExact(
    app.port,
    `${chunked}GET /next HTTP/1.1\r\nHost: h\r\n\r\n`,
    text('POST /up host=h body=hi trailers Connection|close') + text('GET /next host=h body='),
    { closes: false, responses: 2 },
  );
});

test.run();
