// Connection management on the wire: Connection: close (the response says so, everything is flushed, then
// FIN, and whatever follows the request is ignored), pipelining (answers in request order, however the
// handlers' finishing order goes), and a malformed request after complete ones (those are answered first).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Request } from '../../lib/request.js';
import { CLOSE, Conversation, DATE, everyVariant, expectExact, normalize, talk, textResponse } from '../helpers/exact.js';
import { start, type Running } from '../helpers/server.js';
import { prng } from '../helpers/wire.js';

let app: Running;
let handled = 0;
/** Requests to /keep, as the handler got them (README: a Request is never reused; a handler may keep it). */
const kept: Request[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function handler(req: Request): Promise<unknown> {
  handled++;
  const ms = Number(req.query.get('ms') ?? '0');
  if (ms > 0) await sleep(ms);
  switch (req.path) {
    case '/id':
      return req.query.get('id') ?? '';
    case '/big':
      return 'x'.repeat(Number(req.query.get('n')));
    case '/ignore-body':
      return 'did not read it';
    case '/echo':
      return await req.body.text();
    case '/keep':
      kept.push(req);
      return 'kept';
    case '/say-close':
      return { status: 200, headers: { Connection: 'close' }, body: 'bye' };
    default:
      return 'root';
  }
}

test.before(async () => {
  app = await start(handler);
});

test.after(async () => {
  await app.close();
});

const text = textResponse;

test('Connection: close: the response says close, then FIN; a request and garbage after it are ignored', async () => {
  const before = handled;
  await expectExact(
    app.port,
    'GET /id?id=only HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /id?id=never HTTP/1.1\r\nHost: h\r\n\r\n\x00\x01 garbage that is not HTTP\r\n\r\n',
    text('only', true),
    { closes: true },
  );
  assert.is(handled - before, 5, 'one handler call per variant: the request after the close was never dispatched');
});

test('Connection: close after keep-alive requests: the earlier ones are kept, the close one ends it', async () => {
  await expectExact(
    app.port,
    'GET /id?id=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /id?id=2&ms=30 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /id?id=3 HTTP/1.1\r\nHost: h\r\n\r\n',
    text('1') + text('2', true),
    { closes: true, responses: 2 },
  );
});

test('Connection: close with a slow, large response: every byte is flushed before the FIN', async () => {
  const n = 600_000; // more than the socket buffers hold at once
  await everyVariant(async (v) => {
    const r = await talk(app.port, `GET /big?n=${n}&ms=50 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`, {
      split: v.split,
      seed: v.seed,
      untilClose: true,
    });
    const head = `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${n}\r\nDate: ${DATE}\r\n${CLOSE}\r\n`;
    assert.is(r.normalized.slice(0, head.length), head);
    const body = r.bytes.subarray(r.text.indexOf('\r\n\r\n') + 4);
    assert.is(body.length, n, 'the whole body, nothing after it');
    assert.ok(body.equals(Buffer.alloc(n, 'x')), 'the body bytes');
    assert.ok(r.fin && !r.reset, 'orderly close');
  });
});

test('a handler asking for Connection: close gets it, and the server closes after the response', async () => {
  await expectExact(
    app.port,
    'GET /say-close HTTP/1.1\r\nHost: h\r\n\r\nGET /id?id=after HTTP/1.1\r\nHost: h\r\n\r\n',
    text('bye', true),
    { closes: true },
  );
});

test('pipelined requests are answered in request order while async handlers finish out of order', async () => {
  const random = prng(2024);
  let request = '';
  let expected = '';
  for (let i = 0; i < 24; i++) {
    const ms = Math.floor(random() * 80);
    request += `GET /id?id=r${i}&ms=${ms} HTTP/1.1\r\nHost: h\r\n\r\n`;
    expected += text(`r${i}`);
  }
  // 24 is past the default pipeline depth (16): reading pauses and resumes on the way.
  await expectExact(app.port, request, expected, { closes: false, responses: 24 });
});

test('a Request kept after its response keeps its own target and headers while later requests reuse the connection', async () => {
  // Variants run at once on their own connections: each tags its requests (v=) to find its own.
  await everyVariant(async (variant) => {
    const tag = `${variant.split}-${variant.seed}`;
    let request = '';
    for (let i = 0; i < 20; i++) request += `GET /keep?v=${tag}&n=${i} HTTP/1.1\r\nHost: h\r\nX-N: ${i}\r\nCookie: a=${i}\r\n\r\n`;
    const r = await talk(app.port, request, { split: variant.split, seed: variant.seed, responses: 20 });
    assert.is(r.responses.length, 20);
    const mine = kept.filter((req) => req.query.get('v') === tag);
    assert.is(new Set(mine).size, 20, 'twenty distinct Request objects');
    mine.forEach((req, i) => {
      assert.is(req.target, `/keep?v=${tag}&n=${i}`);
      assert.is(req.header('x-n'), String(i));
      assert.is(req.headers.cookie, `a=${i}`);
      assert.equal(req.rawHeaders, ['Host', 'h', 'X-N', String(i), 'Cookie', `a=${i}`]);
    });
  });
});

test('pipelined mix: bodies, HEAD and errors stay in order; the last request closes', async () => {
  const request =
    'POST /echo?ms=60 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nfirst' +
    'HEAD /id?id=headed&ms=5 HTTP/1.1\r\nHost: h\r\n\r\n' +
    'POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nsec\r\n3\r\nond\r\n0\r\n\r\n' +
    'GET /id?id=last&ms=20 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';
  const headed = text('headed');
  await expectExact(app.port, request, text('first') + headed.slice(0, headed.length - 'headed'.length) + text('second') + text('last', true), {
    closes: true,
    responses: 4,
    heads: [1],
  });
});

test('a parse error after complete pipelined requests: each is answered, in order, before the 400', async () => {
  const bad =
    'GET /id?id=a&ms=120 HTTP/1.1\r\nHost: h\r\n\r\n' +
    'GET /id?id=b HTTP/1.1\r\nHost: h\r\n\r\n' +
    'POST /echo?ms=40 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz' +
    'GET /id?id=c HTTP/1.1\r\nHost: h\r\nBad Header: no\r\n\r\n';
  await everyVariant(async (v) => {
    const r = await talk(app.port, bad, { split: v.split, seed: v.seed, untilClose: true });
    const prefix = text('a') + text('b') + text('xyz');
    assert.is(r.normalized.slice(0, prefix.length), prefix);
    const last = r.responses[3];
    assert.is(r.responses.length, 4);
    assert.is(last?.status, 400);
    assert.ok(r.normalized.slice(prefix.length).startsWith(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n`));
    assert.ok(r.normalized.includes(`\r\n${CLOSE}\r\n{"error":{"status":400,`), 'the 400 says close');
    assert.ok(r.fin && !r.reset, 'then the server closes (FIN)');
  });
});

test('a malformed chunked body replaces the 200 its handler already returned with a 400', async () => {
  await everyVariant(async (v) => {
    const r = await talk(
      app.port,
      'GET /id?id=ok HTTP/1.1\r\nHost: h\r\n\r\nPOST /ignore-body HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nZZ\r\n',
      { split: v.split, seed: v.seed, untilClose: true },
    );
    assert.is(r.normalized.slice(0, text('ok').length), text('ok'));
    assert.equal(
      r.responses.map((x) => x.status),
      [200, 400],
    );
    assert.not.ok(r.text.includes('did not read it'));
    assert.ok(r.fin);
  });
});

test('a large body its handler never reads: answered once past the high-water mark, with Connection: close, then FIN', async () => {
  // More is still to come than the server will read and drop (maxDiscardSize), so it says close and ends.
  const conv = await Conversation.open(app.port);
  try {
    const total = 900_000;
    await conv.write(`POST /ignore-body HTTP/1.1\r\nHost: h\r\nContent-Length: ${total}\r\n\r\n`);
    await conv.write(Buffer.alloc(200_000, 'b')); // past the 64 KiB high-water mark; 700,000 bytes still to come
    const got = await conv.until((t) => t.endsWith('did not read it'), 3000, 'the answer');
    assert.is(normalize(got), text('did not read it', true));
    assert.ok(await conv.waitClose(3000), 'the server ends the connection');
    assert.ok(conv.fin, 'with a FIN');
  } finally {
    conv.destroy();
  }
});

test('a body its handler never reads, past the high-water mark but within maxDiscardSize: answered, the rest dropped, kept', async () => {
  const conv = await Conversation.open(app.port);
  try {
    await conv.write('POST /ignore-body HTTP/1.1\r\nHost: h\r\nContent-Length: 150000\r\n\r\n');
    await conv.write(Buffer.alloc(100_000, 'b'));
    const got = await conv.until((t) => t.endsWith('did not read it'), 3000, 'the answer before the body is complete');
    assert.is(normalize(got), text('did not read it'));
    // The rest of the body is read and dropped; the next request on the connection is answered.
    await conv.write(Buffer.alloc(50_000, 'b'));
    await conv.write('GET /id?id=next HTTP/1.1\r\nHost: h\r\n\r\n');
    const both = await conv.until((t) => t.endsWith('next'), 3000, 'the next answer');
    assert.is(normalize(both), text('did not read it') + text('next'));
  } finally {
    conv.destroy();
  }
});

test('a client FIN means it is gone (default): nothing in flight is answered, the server ends too', async () => {
  const conv = await Conversation.open(app.port);
  try {
    await conv.write('GET /id?id=x&ms=80 HTTP/1.1\r\nHost: h\r\n\r\n');
    conv.socket.end();
    assert.ok(await conv.waitClose(3000), 'closed');
    assert.is(conv.text(), '');
    assert.ok(conv.fin && !conv.reset, 'with a FIN');
  } finally {
    conv.destroy();
  }
});

test('allowHalfOpen: a client that half-closes after its requests still gets every answer, then FIN', async () => {
  const halfOpen = await start(handler, { allowHalfOpen: true });
  const conv = await Conversation.open(halfOpen.port);
  try {
    await conv.write('GET /id?id=x&ms=80 HTTP/1.1\r\nHost: h\r\n\r\nGET /id?id=y HTTP/1.1\r\nHost: h\r\n\r\n');
    conv.socket.end();
    assert.ok(await conv.waitClose(3000), 'closed');
    const got = normalize(conv.text());
    // The last response may say keep-alive or close (the client's FIN is not a close option); both bodies come.
    assert.ok(got === text('x') + text('y') || got === text('x') + text('y', true), got);
    assert.ok(conv.fin && !conv.reset);
  } finally {
    conv.destroy();
    await halfOpen.close();
  }
});

test.run();
