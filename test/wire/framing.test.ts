// Response framing as the client sees it on the wire: exact bytes for GET, HEAD, 204, 304, HTTP/1.0 with and
// without keep-alive, streamed bodies (chunked on 1.1, close-delimited on 1.0) and plain return values. Every
// request is also sent one byte per write and split at random boundaries (see helpers/exact.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Request } from '../../lib/request.js';
import { CLOSE, Conversation, DATE, expectExact, KEEP, talk } from '../helpers/exact.js';
import { start, startDemo, type Running } from '../helpers/server.js';

let demo: Running;
let app: Running;
const writes: { bytes: number; writes: number }[] = [];

async function* parts(list: string[]): AsyncGenerator<string | Buffer> {
  for (const p of list) {
    await new Promise((r) => setTimeout(r, 1));
    yield p.startsWith('b:') ? Buffer.from(p.slice(2)) : p;
  }
}

function handler(req: Request): unknown {
  switch (req.path) {
    case '/object':
      return { a: 1, list: [true, null, 'x'] };
    case '/string':
      return 'héllo wörld'; // 11 characters, 13 UTF-8 bytes
    case '/buffer':
      return Buffer.from([0x00, 0x01, 0xfe, 0xff]);
    case '/undefined':
      return undefined;
    case '/async-object':
      return new Promise((resolve) => setTimeout(() => resolve({ later: true }), 20));
    case '/not-modified':
      return { status: 304, headers: { ETag: '"v1"' } };
    case '/no-content':
      return { status: 204, headers: { 'X-Reason': 'nothing' } };
    case '/stream':
      return { status: 200, headers: { 'Content-Type': 'text/plain' }, body: parts(['abc', 'b:defgh', 'é', 'xyzxyzxyzxyzxyzxyz']) };
    case '/trailers':
      return { status: 200, body: parts(['ab', 'cd']), trailers: () => ({ 'X-Checksum': 'abcd-ok' }) };
    case '/latin1':
      // obs-text in a header value goes out as the single byte 0xE9; the body is UTF-8.
      return { status: 200, headers: { 'X-Name': 'caf\u00e9' }, body: 'caf\u00e9' };
    case '/created':
      return { status: 201, headers: [['Location', '/items/7'], ['X-Two', 'a'], ['X-Two', 'b']], body: { id: 7 } };
    default:
      return 'root';
  }
}

test.before(async () => {
  demo = await startDemo();
  app = await start(handler, { hooks: { onWrite: (e) => writes.push({ bytes: e.bytes, writes: e.writes }) } });
});

test.after(async () => {
  await demo.close();
  await app.close();
});

const HELLO = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\nDate: ${DATE}\r\n`;

test('GET / on HTTP/1.1: exact bytes, kept alive with Keep-Alive: timeout=5', async () => {
  await expectExact(demo.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', `${HELLO}${KEEP}\r\n{"hello":"world"}`, { closes: false });
});

test('HEAD / keeps the GET head (Content-Length 17) and sends no body', async () => {
  await expectExact(demo.port, 'HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n', `${HELLO}${KEEP}\r\n`, { closes: false, heads: [0] });
  // Followed on the same connection by a GET: its status line comes right after the HEAD's blank line.
  await expectExact(
    demo.port,
    'HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\n',
    `${HELLO}${KEEP}\r\n${HELLO}${KEEP}\r\n{"hello":"world"}`,
    { closes: false, heads: [0], responses: 2 },
  );
});

test('HEAD of a streamed body: the GET head (chunked), no chunk bytes, connection kept', async () => {
  await expectExact(
    app.port,
    'HEAD /stream HTTP/1.1\r\nHost: a\r\n\r\nGET /string HTTP/1.1\r\nHost: a\r\n\r\n',
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nDate: ${DATE}\r\n${KEEP}\r\n` +
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\nDate: ${DATE}\r\n${KEEP}\r\nh\xc3\xa9llo w\xc3\xb6rld`,
    { closes: false, heads: [0], responses: 2 },
  );
});

test('204 and 304: no body, no Content-Length, no Content-Type', async () => {
  await expectExact(demo.port, 'GET /status/204 HTTP/1.1\r\nHost: h\r\n\r\n', `HTTP/1.1 204 No Content\r\nDate: ${DATE}\r\n${KEEP}\r\n`, { closes: false });
  await expectExact(demo.port, 'GET /status/304 HTTP/1.1\r\nHost: h\r\n\r\n', `HTTP/1.1 304 Not Modified\r\nDate: ${DATE}\r\n${KEEP}\r\n`, { closes: false });
  await expectExact(
    app.port,
    'GET /not-modified HTTP/1.1\r\nHost: h\r\n\r\nGET /no-content HTTP/1.1\r\nHost: h\r\n\r\nGET /string HTTP/1.1\r\nHost: h\r\n\r\n',
    `HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nDate: ${DATE}\r\n${KEEP}\r\n` +
      `HTTP/1.1 204 No Content\r\nX-Reason: nothing\r\nDate: ${DATE}\r\n${KEEP}\r\n` +
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\nDate: ${DATE}\r\n${KEEP}\r\nh\xc3\xa9llo w\xc3\xb6rld`,
    { closes: false, responses: 3 },
  );
});

test('HTTP/1.0 without keep-alive: Connection: close, Content-Length, then the server closes (FIN)', async () => {
  await expectExact(demo.port, 'GET / HTTP/1.0\r\n\r\n', `${HELLO}${CLOSE}\r\n{"hello":"world"}`, { closes: true });
  await expectExact(demo.port, 'GET / HTTP/1.0\r\nHost: h\r\nConnection: close\r\n\r\n', `${HELLO}${CLOSE}\r\n{"hello":"world"}`, { closes: true });
});

test('HTTP/1.0 with Connection: keep-alive: kept, with Content-Length; a second request is answered', async () => {
  await expectExact(demo.port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', `${HELLO}${KEEP}\r\n{"hello":"world"}`, { closes: false });
  await expectExact(
    demo.port,
    'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /status/204 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET / HTTP/1.0\r\n\r\n',
    `${HELLO}${KEEP}\r\n{"hello":"world"}HTTP/1.1 204 No Content\r\nDate: ${DATE}\r\n${KEEP}\r\n${HELLO}${CLOSE}\r\n{"hello":"world"}`,
    { closes: true, responses: 3 },
  );
});

test('a streamed body on HTTP/1.1 is chunked: exact chunk bytes, then the connection is kept', async () => {
  await expectExact(
    demo.port,
    'GET /stream?chunks=3&size=5 HTTP/1.1\r\nHost: h\r\n\r\n',
    `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nDate: ${DATE}\r\n${KEEP}\r\n` +
      '5\r\nh1wir\r\n5\r\nh1wir\r\n5\r\nh1wir\r\n0\r\n\r\n',
    { closes: false },
  );
  // Strings and buffers, multi-byte UTF-8 (the size counts bytes), sizes in hex.
  await expectExact(
    app.port,
    'GET /stream HTTP/1.1\r\nHost: h\r\n\r\n',
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nDate: ${DATE}\r\n${KEEP}\r\n` +
      '3\r\nabc\r\n5\r\ndefgh\r\n2\r\n\xc3\xa9\r\n12\r\nxyzxyzxyzxyzxyzxyz\r\n0\r\n\r\n',
    { closes: false },
  );
});

test('a streamed body with trailers, and a streamed body with Connection: close (ended, then FIN)', async () => {
  await expectExact(
    app.port,
    'GET /trailers HTTP/1.1\r\nHost: h\r\nTE: trailers\r\n\r\n',
    `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nDate: ${DATE}\r\n${KEEP}\r\n` +
      '2\r\nab\r\n2\r\ncd\r\n0\r\nX-Checksum: abcd-ok\r\n\r\n',
    { closes: false },
  );
  await expectExact(
    demo.port,
    'GET /stream?chunks=2&size=3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
    `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nDate: ${DATE}\r\n${CLOSE}\r\n` +
      '3\r\nh1w\r\n3\r\nh1w\r\n0\r\n\r\n',
    { closes: true },
  );
});

test('a header value with obs-text is written as latin1 bytes, the body as UTF-8', async () => {
  await expectExact(
    app.port,
    'GET /latin1 HTTP/1.1\r\nHost: h\r\n\r\n',
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Name: caf\xe9\r\nContent-Length: 5\r\nDate: ${DATE}\r\n${KEEP}\r\ncaf\xc3\xa9`,
    { closes: false },
  );
});

test('a streamed body on HTTP/1.0 is close-delimited: no length, no chunking, Connection: close, FIN', async () => {
  const head = `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nDate: ${DATE}\r\n${CLOSE}\r\n`;
  await expectExact(demo.port, 'GET /stream?chunks=3&size=5 HTTP/1.0\r\n\r\n', `${head}h1wirh1wirh1wir`, { closes: true });
  // Even when the client asked to keep the connection: the close is what ends the body.
  await expectExact(demo.port, 'GET /stream?chunks=2&size=5 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', `${head}h1wirh1wir`, { closes: true });
  await expectExact(
    app.port,
    'GET /stream HTTP/1.0\r\n\r\n',
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: ${DATE}\r\n${CLOSE}\r\nabcdefgh\xc3\xa9xyzxyzxyzxyzxyzxyz`,
    { closes: true },
  );
});

test('plain values: object → JSON 200, string → text/plain, Buffer → octet-stream, undefined → 204', async () => {
  const request = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`;
  const ok = (type: string, length: number, body: string): string =>
    `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nDate: ${DATE}\r\n${KEEP}\r\n${body}`;
  await expectExact(app.port, request('/object'), ok('application/json', 30, '{"a":1,"list":[true,null,"x"]}'), { closes: false });
  await expectExact(app.port, request('/async-object'), ok('application/json', 14, '{"later":true}'), { closes: false });
  await expectExact(app.port, request('/string'), ok('text/plain; charset=utf-8', 13, 'h\xc3\xa9llo w\xc3\xb6rld'), { closes: false });
  await expectExact(app.port, request('/buffer'), ok('application/octet-stream', 4, '\x00\x01\xfe\xff'), { closes: false });
  await expectExact(app.port, request('/undefined'), `HTTP/1.1 204 No Content\r\nDate: ${DATE}\r\n${KEEP}\r\n`, { closes: false });
  await expectExact(
    app.port,
    request('/created'),
    `HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nLocation: /items/7\r\nX-Two: a\r\nX-Two: b\r\nContent-Length: 8\r\nDate: ${DATE}\r\n${KEEP}\r\n{"id":7}`,
    { closes: false },
  );
});

test('HTTP/1.1 keeps the connection by default: a later request on it is answered', async () => {
  const conv = await Conversation.open(demo.port);
  try {
    await conv.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    await conv.until((t) => t.endsWith('{"hello":"world"}'));
    assert.is(await conv.quiet(400), '', 'nothing more after the response');
    assert.not.ok(conv.closed, 'kept open');
    await conv.write('GET /status/204 HTTP/1.1\r\nHost: h\r\n\r\n');
    const text = await conv.until((t) => t.includes('204 No Content') && t.endsWith('\r\n\r\n'));
    assert.is(text.split('HTTP/1.1 ').length - 1, 2);
  } finally {
    conv.destroy();
  }
});

test('a small response goes out in one write, and the Date is a current IMF-fixdate', async () => {
  writes.length = 0;
  const r = await talk(app.port, 'GET /object HTTP/1.1\r\nHost: h\r\n\r\n');
  assert.is(r.responses.length, 1);
  assert.equal(writes, [{ bytes: r.bytes.length, writes: 1 }]);
  const date = r.responses[0]?.headers.find(([n]) => n === 'Date')?.[1] ?? '';
  assert.ok(Math.abs(Date.parse(date) - Date.now()) < 3000, date);
});

test.run();
