// The demo's routes, in process (startDemo), over real sockets: exact bytes where they are small, structure
// and sizes where they are not.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLOSE, DATE, everyVariant, expectExact, KEEP, talk } from '../helpers/exact.js';
import { waitFor } from '../helpers/process.js';
import { headerOf } from '../helpers/response-parser.js';
import { MAX_STREAM_CHUNK } from '../../lib/demo.js';
import { HANDLED_METHODS } from '../../lib/request-rules.js';
import { startDemo, type Running } from '../helpers/server.js';

let demo: Running;

test.before(async () => {
  demo = await startDemo({ maxBodySize: 8 * 1024 * 1024 });
});

test.after(async () => {
  await demo.close();
});

const get = (target: string, extra = ''): string => `GET ${target} HTTP/1.1\r\nHost: demo\r\n${extra}\r\n`;
const json = (status: string, body: string, extra = ''): string =>
  `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\nDate: ${DATE}\r\n${KEEP}\r\n${body}`;

async function getJson(target: string): Promise<{ status: number; body: unknown; raw: Buffer }> {
  const r = await talk(demo.port, get(target), { timeoutMs: 8000 });
  const res = r.responses[0];
  if (res === undefined) throw new Error(`no response to ${target}: ${r.text.slice(0, 200)}`);
  assert.is(headerOf(res.headers, 'content-type'), 'application/json', target);
  return { status: res.status, body: JSON.parse(res.body.toString('utf8')), raw: res.body };
}

test('GET / → {"hello":"world"}', async () => {
  await expectExact(demo.port, get('/'), json('200 OK', '{"hello":"world"}'), { closes: false });
});

test('GET /orders: 50 rows by default, each with its fields; rows=N gives N; the same N gives the same bytes', async () => {
  const fifty = await getJson('/orders');
  assert.is(fifty.status, 200);
  const list = fifty.body as Record<string, unknown>[];
  assert.ok(Array.isArray(list));
  assert.is(list.length, 50);
  list.forEach((o, i) => {
    assert.equal(Object.keys(o).sort(), ['createdAt', 'currency', 'customer', 'id', 'items', 'status', 'total']);
    assert.is(o.id, i + 1);
    assert.type(o.customer, 'string');
    assert.ok(['pending', 'paid', 'shipped', 'delivered', 'cancelled'].includes(o.status as string), String(o.status));
    assert.type(o.total, 'number');
    assert.ok(['EUR', 'USD', 'GBP'].includes(o.currency as string));
    assert.ok(Array.isArray(o.items) && (o.items as unknown[]).length >= 1);
    for (const item of o.items as Record<string, unknown>[]) {
      assert.type(item.sku, 'string');
      assert.ok(Number.isInteger(item.quantity));
      assert.type(item.price, 'number');
    }
    assert.ok(!Number.isNaN(Date.parse(o.createdAt as string)), String(o.createdAt));
  });
  const again = await getJson('/orders?rows=50');
  assert.ok(again.raw.equals(fifty.raw), 'rows=50 is the default, byte for byte');
  const seven = await getJson('/orders?rows=7');
  assert.is((seven.body as unknown[]).length, 7);
  assert.equal(seven.body, list.slice(0, 7), 'the first rows do not depend on N');
  const sevenAgain = await getJson('/orders?rows=7');
  assert.ok(sevenAgain.raw.equals(seven.raw));
  const none = await getJson('/orders?rows=0');
  assert.equal(none.body, []);
  const many = await getJson('/orders?rows=3000');
  assert.is((many.body as unknown[]).length, 3000);
});

test('GET /orders with a bad rows → 400 JSON error (kept alive)', async () => {
  const body = '{"error":{"status":400,"code":"H1W_DEMO_BAD_PARAMETER","message":"rows must be an integer from 0 to 100000"}}';
  await Promise.all(
    ['abc', '100001', '-1', '1.5', ''].map((rows) =>
      expectExact(demo.port, get(`/orders?rows=${rows}`), json('400 Bad Request', body), {
        closes: false,
        variants: [{ split: 'random', seed: 5, label: `rows=${rows}` }],
      }),
    ),
  );
});

test('/echo: any method echoes the body exactly, with its Content-Type, and a Content-Length', async () => {
  const body = 'caf\xc3\xa9 \x00\x01\xff binary-ish';
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    await expectExact(
      demo.port,
      `${method} /echo HTTP/1.1\r\nHost: demo\r\nContent-Type: application/x-thing; v=1\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      `HTTP/1.1 200 OK\r\nContent-Type: application/x-thing; v=1\r\nContent-Length: ${body.length}\r\nDate: ${DATE}\r\n${KEEP}\r\n${body}`,
      { closes: false },
    );
  }
  // Chunked in, Content-Length out; no Content-Type in → application/octet-stream.
  await expectExact(
    demo.port,
    'POST /echo HTTP/1.1\r\nHost: demo\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n',
    `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 7\r\nDate: ${DATE}\r\n${KEEP}\r\nabcdefg`,
    { closes: false },
  );
  // No body at all.
  await expectExact(
    demo.port,
    get('/echo'),
    `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 0\r\nDate: ${DATE}\r\n${KEEP}\r\n`,
    { closes: false },
  );
});

// A body past the echo's 64 KiB buffer streams back chunked, and the connection is kept.
test('/echo: a 5 MB body streams back chunked, byte for byte, Content-Type copied', async () => {
  const payload = randomBytes(5 * 1024 * 1024);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const result = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = http.request(
        `${demo.url}/echo`,
        { method: 'PUT', agent, headers: { 'Content-Type': 'image/x-test', 'Content-Length': payload.length } },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
    assert.is(result.status, 200);
    assert.is(result.headers['transfer-encoding'], 'chunked');
    assert.is(result.headers['content-length'], undefined);
    assert.is(result.headers['content-type'], 'image/x-test');
    assert.is(result.body.length, payload.length);
    const hash = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    assert.is(hash(result.body), hash(payload));
  } finally {
    agent.destroy();
  }
});

test('/stream?chunks=N&size=B: N chunks of B bytes, exactly', async () => {
  const block = (size: number): string => Buffer.alloc(size, 'h1wire streams chunk by chunk. ').toString('latin1');
  const chunked = `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nDate: ${DATE}\r\n${KEEP}\r\n`;
  await expectExact(demo.port, get('/stream?chunks=4&size=3000'), chunked + `bb8\r\n${block(3000)}\r\n`.repeat(4) + '0\r\n\r\n', { closes: false });
  await expectExact(demo.port, get('/stream?chunks=0&size=10'), `${chunked}0\r\n\r\n`, { closes: false });
  // The defaults: 10 chunks of 1024 bytes.
  await expectExact(demo.port, get('/stream'), chunked + `400\r\n${block(1024)}\r\n`.repeat(10) + '0\r\n\r\n', { closes: false });
  const bad = await talk(demo.port, get('/stream?size=0'));
  assert.is(bad.responses[0]?.status, 400);
});

test(`/stream: a chunk of MAX_STREAM_CHUNK (${MAX_STREAM_CHUNK}) bytes is served, one more byte is 400`, async () => {
  const most = await talk(demo.port, get(`/stream?chunks=1&size=${MAX_STREAM_CHUNK}`), { timeoutMs: 15000 });
  assert.is(most.responses[0]?.status, 200);
  assert.is(most.responses[0]?.body.length, MAX_STREAM_CHUNK);
  const body = `{"error":{"status":400,"code":"H1W_DEMO_BAD_PARAMETER","message":"size must be an integer from 1 to ${MAX_STREAM_CHUNK}"}}`;
  await expectExact(demo.port, get(`/stream?chunks=1&size=${MAX_STREAM_CHUNK + 1}`), json('400 Bad Request', body), { closes: false });
});

test('/status/NNN: that status with {"status":N}; 204 and 304 without a body; 405 with Allow; out of range → 400', async () => {
  const statuses = [
    [200, 'OK'],
    [201, 'Created'],
    [404, 'Not Found'],
    [418, "I'm a Teapot"],
    [503, 'Service Unavailable'],
    [599, ''],
  ] as const;
  await Promise.all(
    statuses.map(([code, reason]) =>
      expectExact(demo.port, get(`/status/${code}`), json(`${code} ${reason}`, `{"status":${code}}`), {
        closes: false,
        variants: [{ split: 'random', seed: code, label: String(code) }],
      }),
    ),
  );
  await expectExact(demo.port, get('/status/204') + get('/status/304'), `HTTP/1.1 204 No Content\r\nDate: ${DATE}\r\n${KEEP}\r\nHTTP/1.1 304 Not Modified\r\nDate: ${DATE}\r\n${KEEP}\r\n`, {
    closes: false,
    responses: 2,
  });
  // A 405 lists what the route takes (RFC 9110 §15.5.6).
  await expectExact(demo.port, get('/status/405'), json('405 Method Not Allowed', '{"status":405}', 'Allow: GET, HEAD, OPTIONS\r\n'), { closes: false });
  const bad = await Promise.all(['199', '600', 'abc', '2000'].map((code) => talk(demo.port, get(`/status/${code}`))));
  bad.forEach((r, i) => {
    assert.is(r.responses[0]?.status, 400, String(i));
    assert.ok(r.text.includes('"code":"H1W_DEMO_BAD_PARAMETER"'), String(i));
  });
});

test('/slow?ms=N answers {"slept":N} after at least N ms; /error → 500 JSON', async () => {
  const t0 = performance.now();
  await expectExact(demo.port, get('/slow?ms=250'), json('200 OK', '{"slept":250}'), { closes: false, variants: [{ split: 'whole', seed: 1, label: 'whole' }] });
  assert.ok(performance.now() - t0 >= 240, 'waited');
  await expectExact(demo.port, get('/error'), json('500 Internal Server Error', '{"error":{"status":500,"code":"H1W_HANDLER_ERROR","message":"Internal Server Error"}}'), {
    closes: false,
  });
  const bad = await talk(demo.port, get('/slow?ms=soon'));
  assert.is(bad.responses[0]?.status, 400);
});

test('HEAD on GET routes: the GET head, no body', async () => {
  await everyVariant(async (v) => {
    await Promise.all(
      ['/', '/orders?rows=5', '/status/404', '/stream?chunks=2&size=4', '/nope', '/error'].map(async (target) => {
        const g = await talk(demo.port, get(target), { split: v.split, seed: v.seed });
        const h = await talk(demo.port, `HEAD ${target} HTTP/1.1\r\nHost: demo\r\n\r\n`, { split: v.split, seed: v.seed, heads: [0], graceMs: 150 });
        const getHead = g.normalized.slice(0, g.normalized.indexOf('\r\n\r\n') + 4);
        assert.ok((g.responses[0]?.body.length ?? 0) > 0, `${target}: the GET has a body`);
        assert.is(h.normalized, getHead, target);
        assert.not.ok(h.closed, target);
      }),
    );
  });
});

test('unknown path → 404; wrong method → 405 with Allow', async () => {
  await expectExact(demo.port, get('/nope'), json('404 Not Found', '{"error":{"status":404,"code":"H1W_NOT_FOUND","message":"no route for /nope"}}'), {
    closes: false,
  });
  await expectExact(
    demo.port,
    'POST / HTTP/1.1\r\nHost: demo\r\nContent-Length: 2\r\n\r\nhi' + 'DELETE /orders HTTP/1.1\r\nHost: demo\r\n\r\n',
    json('405 Method Not Allowed', '{"error":{"status":405,"code":"H1W_METHOD_NOT_ALLOWED","message":"POST is not allowed here"}}', 'Allow: GET, HEAD, OPTIONS\r\n') +
      json('405 Method Not Allowed', '{"error":{"status":405,"code":"H1W_METHOD_NOT_ALLOWED","message":"DELETE is not allowed here"}}', 'Allow: GET, HEAD, OPTIONS\r\n'),
    { closes: false, responses: 2 },
  );
});

test('OPTIONS: 204 with the path\'s Allow; /echo and OPTIONS * list every method the demo takes (RFC 9110 §9.3.7)', async () => {
  const noContent = (allow: string): string => `HTTP/1.1 204 No Content\r\nAllow: ${allow}\r\nDate: ${DATE}\r\n${KEEP}\r\n`;
  // /echo takes any method, so the server as a whole does too; /orders takes GET (and HEAD).
  const every = HANDLED_METHODS.join(', ');
  assert.ok(every.includes('POST, PROPFIND') && every.includes('PUT, QUERY'), every);
  await expectExact(
    demo.port,
    'OPTIONS * HTTP/1.1\r\nHost: demo\r\n\r\nOPTIONS /orders?rows=3 HTTP/1.1\r\nHost: demo\r\n\r\nOPTIONS /echo HTTP/1.1\r\nHost: demo\r\nContent-Length: 2\r\n\r\nhi',
    noContent(every) + noContent('GET, HEAD, OPTIONS') + noContent(every),
    { closes: false, responses: 3 },
  );
  await expectExact(demo.port, 'OPTIONS /nope HTTP/1.1\r\nHost: demo\r\n\r\n', json('404 Not Found', '{"error":{"status":404,"code":"H1W_NOT_FOUND","message":"no route for /nope"}}'), {
    closes: false,
  });
});

test('a well-formed HTTP/1.x version other than 1.0 and 1.1 gets 505 (not 400), then the close', async () => {
  const body = '{"error":{"status":505,"code":"H1W_VERSION_NOT_SUPPORTED","message":"HTTP/1.2 is not supported"}}';
  await expectExact(
    demo.port,
    `${get('/')}GET / HTTP/1.2\r\nHost: demo\r\n\r\n`,
    json('200 OK', '{"hello":"world"}') +
      `HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nDate: ${DATE}\r\n${CLOSE}\r\n${body}`,
    { closes: true, responses: 2 },
  );
});

test('/echo streaming back a chunked upload that turns malformed midway: the response is cut off, never completed', async () => {
  const socket = net.connect(demo.port, '127.0.0.1');
  let got = Buffer.alloc(0);
  let reset = false;
  socket.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
  socket.on('error', () => (reset = true));
  const closed = new Promise((r) => socket.on('close', r));
  await new Promise((r) => socket.once('connect', r));
  const size = 32 * 1024;
  socket.write('POST /echo HTTP/1.1\r\nHost: demo\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
  for (let i = 0; i < 4; i++) socket.write(`${size.toString(16)}\r\n${'e'.repeat(size)}\r\n`);
  // Past the high-water mark the echo streams back while the upload goes on: wait until it has begun.
  assert.ok(await waitFor(() => got.includes('\r\n\r\n'), 3000), 'the response began before the upload ended');
  socket.write('zz\r\n'); // not a chunk size: the request is malformed after its answer began
  await closed;
  const text = got.toString('latin1');
  assert.ok(text.startsWith('HTTP/1.1 200 OK\r\n'), text.slice(0, 80));
  assert.match(text.slice(0, text.indexOf('\r\n\r\n')), /\r\nTransfer-Encoding: chunked/);
  assert.not.ok(text.endsWith('0\r\n\r\n'), 'the last chunk never comes: the client cannot mistake it for a whole echo');
  assert.not.ok(text.includes('HTTP/1.1 400'), 'no 400 spliced into a response already under way');
  assert.ok(reset || socket.destroyed, 'the connection ended');
});

test('GET /fetch/hello and POST /fetch/echo: web Responses through fetchHandler, exact bytes', async () => {
  await expectExact(
    demo.port,
    get('/fetch/hello'),
    // Response.json() is fetchHandler's light Response: its one Content-Type goes out as a native handler's does.
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\nDate: ${DATE}\r\n${KEEP}\r\n{"hello":"world"}`,
    { closes: false },
  );
  const echo = 'POST /fetch/echo HTTP/1.1\r\nHost: demo\r\nContent-Type: text/x-demo\r\nContent-Length: 11\r\n\r\nhello fetch';
  await expectExact(
    demo.port,
    echo,
    `HTTP/1.1 200 OK\r\ncontent-type: text/x-demo\r\nContent-Length: 11\r\nDate: ${DATE}\r\n${KEEP}\r\nhello fetch`,
    { closes: false },
  );
});

test('/stats: the server counters as JSON', async () => {
  const a = (await getJson('/stats')).body as Record<string, unknown>;
  for (const key of ['accepted', 'refused', 'open', 'byState', 'requests', 'responses', 'bytesIn', 'bytesOut', 'closes', 'free']) {
    assert.ok(key in a, key);
  }
  const b = (await getJson('/stats')).body as Record<string, number>;
  assert.ok(b.requests > (a.requests as number), 'requests counted');
  assert.ok(b.accepted > (a.accepted as number), 'each talk() is a new connection');
  assert.ok((b.open as number) >= 1, 'this connection is open');
});

test('HTTP/1.0 to the demo: Connection: close and the close', async () => {
  await expectExact(demo.port, 'GET /status/201 HTTP/1.0\r\n\r\n', `HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 14\r\nDate: ${DATE}\r\n${CLOSE}\r\n{"status":201}`, {
    closes: true,
  });
});

test.run();
