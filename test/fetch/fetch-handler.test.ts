// fetchHandler at the level an app meets it: what the web Request holds (and when it is made), what becomes of
// each kind of Response, and failures, all through inject (the server's own stages, no socket).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UndiciRequest } from '../../lib/fetch-global-request.js';
import { UndiciResponse } from '../../lib/fetch-light-response.js';
import { fetchHandler, type FetchApp } from '../../lib/fetch-handler.js';
import { inject } from '../../lib/inject.js';
import type { Request as H1Request } from '../../lib/request.js';
import { createServer } from '../../lib/server.js';
import tls from 'node:tls';
import { exchange } from '../helpers/exchange.js';
import { testCert } from '../helpers/transport.js';

function through<Env>(app: FetchApp<Env>, input: Parameters<typeof inject>[1], env?: Env) {
  return inject(fetchHandler(app, env === undefined ? {} : { env }), input);
}

const fetchSuite = suite('fetchHandler');

// fetchHandler installs its light Response for the whole process: each test starts from undici's.
fetchSuite.after.each(() => {
  globalThis.Response = UndiciResponse;
});

fetchSuite('the Request: a real Request, url from Host and target, headers as sent, signal', async () => {
  let seen: Record<string, unknown> = {};
  const res = await through((request) => {
    seen = {
      isRequest: request instanceof Request,
      method: request.method,
      url: request.url,
      agent: request.headers.get('x-agent'),
      cookie: request.headers.get('cookie'),
      aborted: request.signal.aborted,
      body: request.body,
      bodyUsed: request.bodyUsed,
      mode: request.mode,
    };
    return new Response('ok');
  }, 'GET /a/b?c=d HTTP/1.1\r\nHost: example.test:81\r\nX-Agent: one\r\nX-Agent: two\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n');
  assert.is(res.status, 200);
  assert.equal(seen, {
    isRequest: true,
    method: 'GET',
    url: 'http://example.test:81/a/b?c=d',
    agent: 'one, two',
    cookie: 'a=1; b=2',
    aborted: false,
    body: null,
    bodyUsed: false,
    mode: 'cors',
  });
});

fetchSuite('the URL: absolute-form as sent, https when the connection says so, localhost for HTTP/1.0', async () => {
  const urls: string[] = [];
  const app: FetchApp = (request) => {
    urls.push(request.url);
    return new Response(null, { status: 204 });
  };
  await through(app, 'GET http://other.test/x HTTP/1.1\r\nHost: example.test\r\n\r\n');
  await through(app, 'GET /ten HTTP/1.0\r\n\r\n');
  await through(app, 'OPTIONS * HTTP/1.1\r\nHost: example.test\r\n\r\n');
  const handler = fetchHandler(app);
  // What the TLS and trusted-forwarding layers set on h1wire's request.
  await inject((req: H1Request) => handler(Object.defineProperty(req, 'protocol', { value: 'https' })), { url: '/s', headers: { host: 'secure.test' } });
  assert.equal(urls, ['http://other.test/x', 'http://localhost/ten', 'http://example.test/', 'https://secure.test/s']);
});

fetchSuite('Headers are made only when the app touches them', async () => {
  const Original = globalThis.Headers;
  let made = 0;
  globalThis.Headers = class extends Original {
    constructor(init?: ConstructorParameters<typeof Headers>[0]) {
      super(init);
      made++;
    }
  } as typeof Headers;
  try {
    await through((request) => new Response(request.url), { url: '/' });
    const before = made;
    await through((request) => new Response(request.headers.get('host')), { url: '/' });
    assert.ok(made > before, 'touching headers builds them');
    assert.is(before, 0, 'a url-only app makes no Headers');
  } finally {
    globalThis.Headers = Original;
  }
});

fetchSuite('request bodies: text, json, arrayBuffer, blob, formData, the stream, and used once', async () => {
  const post = (body: string, type: string) => ({ method: 'POST', url: '/', headers: { 'content-type': type }, body });
  const text = await through(async (r) => new Response(await r.text()), post('plain', 'text/plain'));
  assert.is(text.body.toString(), 'plain');
  const json = await through(async (r) => Response.json(await r.json()), post('{"a":1}', 'application/json'));
  assert.is(json.body.toString(), '{"a":1}');
  const blob = await through(async (r) => {
    const b = await r.blob();
    return new Response(`${b.type}:${b.size}`);
  }, post('12345', 'text/x-five'));
  assert.is(blob.body.toString(), 'text/x-five:5');
  const form = await through(async (r) => {
    const data = await r.formData();
    return new Response(String(data.get('name')));
  }, post('name=h1wire&x=1', 'application/x-www-form-urlencoded'));
  assert.is(form.body.toString(), 'h1wire');
  const streamed = await through(async (r) => {
    let n = 0;
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
    return new Response(String(n));
  }, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
  assert.is(streamed.body.toString(), '5');
  const twice = await through(async (r) => {
    await r.arrayBuffer();
    const second = await r.text().then(
      () => 'read again',
      (e: unknown) => (e instanceof TypeError ? `TypeError, used=${r.bodyUsed}` : 'other'),
    );
    return new Response(second);
  }, post('once', 'text/plain'));
  assert.is(twice.body.toString(), 'TypeError, used=true');
  const cloned = await through(async (r) => new Response(await r.clone().text()), post('clone me', 'text/plain'));
  assert.is(cloned.body.toString(), 'clone me');
});

fetchSuite('request bodies decode as fetch does: a UTF-8 BOM dropped, bad bytes as U+FFFD, blob() type parsed', async () => {
  // Text as the Encoding standard's "UTF-8 decode" (TextDecoder) makes it: one BOM dropped. (undici's own text()
  // drops two, against the standard; node-server decodes with TextDecoder.) The blob type as undici parses it.
  const bodies: [Buffer, string][] = [
    [Buffer.from('\ufeff{"bom":true}'), 'application/json'],
    [Buffer.from('\ufeff\ufeffTwo marks'), 'text/plain'],
    [Buffer.from([0x61, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x9f, 0x98, 0x62, 0xed, 0xa0, 0x80, 0x63, 0xef, 0xbb]), 'Text/Plain; Charset="utf-8"; x=1'],
    [Buffer.from('no type'), 'not a type'],
    [Buffer.from('{}'), 'application/json, text/html;q=1'],
  ];
  for (const [bytes, type] of bodies) {
    const reference = () => new UndiciRequest('http://a/', { method: 'POST', body: bytes, headers: { 'content-type': type } });
    const decoded = new TextDecoder().decode(bytes);
    const expected = { text: decoded, blob: (await reference().blob()).type, json: (() => { try { return JSON.stringify(JSON.parse(decoded)); } catch { return 'refused'; } })() };
    const res = await through(async (r) => {
      const copy = r.clone();
      const text = await r.text();
      return Response.json({ text, blob: (await copy.blob()).type });
    }, { method: 'POST', url: '/', headers: { 'content-type': type }, body: bytes });
    const json = await through(async (r) => new Response(await r.json().then(JSON.stringify, () => 'refused')), { method: 'POST', url: '/', body: bytes });
    const blob = await through(async (r) => new Response((await r.blob()).type), { method: 'POST', url: '/', headers: { 'content-type': type }, body: bytes });
    assert.equal(JSON.parse(res.body.toString()).text, expected.text, type);
    assert.is(json.body.toString(), expected.json, type);
    assert.is(blob.body.toString(), expected.blob, type);
  }
  const none = await through(async (r) => new Response(`[${(await r.blob()).type}]`), { method: 'POST', url: '/', body: 'x' });
  assert.is(none.body.toString(), '[]');
});

fetchSuite('request.body is present when Content-Length or Transfer-Encoding says so (RFC 9112 §6), even empty', async () => {
  const app = fetchHandler(async (r: Request) => {
    const present = r.body !== null;
    return Response.json({ present, text: present ? await new Response(r.body).text() : null });
  });
  const seen = async (raw: string) => JSON.parse((await inject(app, raw)).body.toString());
  assert.equal(await seen('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'), { present: true, text: '' });
  assert.equal(await seen('DELETE / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'), { present: true, text: '' });
  assert.equal(await seen('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi'), { present: true, text: 'hi' });
  assert.equal(await seen('POST / HTTP/1.1\r\nHost: a\r\n\r\n'), { present: false, text: null });
  assert.equal(await seen('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi'), { present: false, text: null });
});

fetchSuite('responses: statusText, headers, Set-Cookie apart, no Content-Type unless given, streams chunked', async () => {
  const res = await through(() => {
    const headers = new Headers({ 'x-one': '1' });
    headers.append('set-cookie', 'a=1');
    headers.append('set-cookie', 'b=2; Path=/');
    return new Response(new Uint8Array([1, 2, 3]), { status: 202, statusText: 'Taken', headers });
  }, { url: '/' });
  assert.is(res.status, 202);
  assert.is(res.reason, 'Taken');
  assert.equal(res.cookies, ['a=1', 'b=2; Path=/']);
  assert.is(res.headers['content-type'], undefined);
  assert.is(res.headers['content-length'], '3');
  const standard = await through(() => new Response('x', { status: 404, statusText: 'Not Found' }), { url: '/' });
  assert.ok(standard.raw.toString('latin1').startsWith('HTTP/1.1 404 Not Found\r\n'));
  const stream = await through(() => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('a'));
        setTimeout(() => {
          controller.enqueue(new TextEncoder().encode('b'));
          controller.close();
        }, 5);
      },
    });
    return new Response(body);
  }, { url: '/' });
  assert.is(stream.headers['transfer-encoding'], 'chunked');
  assert.is(stream.body.toString(), 'ab');
  const buffer = await through(() => new Response(new TextEncoder().encode('ab').buffer as ArrayBuffer), { url: '/' });
  assert.is(buffer.headers['content-length'], '2');
});

fetchSuite('failures: a throw, a rejection, a non-Response and a failing stream', async () => {
  const thrown = await through(() => {
    throw new Error('sync');
  }, { url: '/' });
  assert.is(thrown.status, 500);
  const rejected = await through(() => Promise.reject(new Error('async')), { url: '/' });
  assert.is(rejected.status, 500);
  const notResponse = await through((() => ({ hello: 1 })) as unknown as FetchApp, { url: '/' });
  assert.is(notResponse.status, 500);
  assert.match(notResponse.body.toString(), /H1W_NOT_A_RESPONSE/);
  const failing = await inject(
    fetchHandler(() => new Response(new ReadableStream({ pull: () => Promise.reject(new Error('stream broke')) }))),
    { url: '/' },
  );
  assert.is(failing.status, 500);
  assert.throws(() => fetchHandler(null as unknown as FetchApp), /needs a function/);
});

fetchSuite('env: h1wire request by default, a value, or a function of the request', async () => {
  const show: FetchApp<unknown> = (_request, env) => new Response(typeof env === 'object' && env !== null && 'request' in env ? 'request' : String(env));
  assert.is((await through(show, { url: '/' })).body.toString(), 'request');
  assert.is((await through(show, { url: '/' }, 'fixed')).body.toString(), 'fixed');
  const perRequest = await inject(fetchHandler(show, { env: (req: H1Request) => req.method }), { url: '/' });
  assert.is(perRequest.body.toString(), 'GET');
});

fetchSuite('request.body is pulled with backpressure: the socket is read only as fast as the app reads', async () => {
  const total = 8 * 1024 * 1024;
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let receivedWhileHeld = -1;
  const app: FetchApp<{ request: H1Request }> = async (request, env) => {
    const reader = (request.body as ReadableStream<Uint8Array>).getReader();
    let bytes = (await reader.read()).value?.length ?? 0;
    await held;
    receivedWhileHeld = env.request.body.received;
    for (let step = await reader.read(); step.done !== true; step = await reader.read()) bytes += step.value.length;
    return new Response(String(bytes));
  };
  const server = createServer(fetchHandler(app), { maxBodySize: total });
  const { port } = await server.listen(0);
  try {
    const pending = exchange(port, Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${total}\r\n\r\n`), Buffer.alloc(total, 'x')]), { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the client writes as fast as it can meanwhile
    release();
    const [res] = await pending;
    assert.is(res!.body.toString(), String(total));
    // What h1wire took off the socket while the app held: about its high-water mark, far below the body.
    assert.ok(receivedWhileHeld > 0 && receivedWhileHeld < total / 4, `received ${receivedWhileHeld} while held`);
  } finally {
    await server.close({ timeout: 100 });
  }
});

fetchSuite('https in request.url from a real TLS connection, and from a trusted proxy\'s X-Forwarded-For/-Proto only', async () => {
  const app: FetchApp = (request) => new Response(request.url);
  const { key, cert } = testCert();
  const server = createServer(fetchHandler(app), { tls: { key, cert } });
  const { port } = await server.listen(0, '127.0.0.1');
  try {
    // Over TLS, the default port 443 is dropped from the URL, any other kept (as the URL parser does for https).
    for (const [host, want] of [[`localhost:${port}`, `https://localhost:${port}/a?b=1`], ['secure.test:443', 'https://secure.test/a?b=1'], ['secure.test:80', 'https://secure.test:80/a?b=1']] as const) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
        let text = '';
        socket.setEncoding('latin1').on('data', (d: string) => (text += d));
        socket.on('error', reject).on('close', () => resolve(text));
        socket.end(`GET /a?b=1 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      });
      assert.is(answer.slice(answer.indexOf('\r\n\r\n') + 4), want, host);
    }
  } finally {
    await server.close({ timeout: 100 });
  }
  const request = 'GET /p HTTP/1.1\r\nHost: app.test:443\r\nX-Forwarded-For: 198.51.100.7\r\nX-Forwarded-Proto: https\r\n\r\n';
  const trusted = await inject(fetchHandler(app), request, { server: { trustProxy: 'loopback' } });
  assert.is(trusted.body.toString(), 'https://app.test/p');
  // The same header from a peer that is not trusted changes nothing (and port 443 stays: it is not http's default).
  const untrusted = await inject(fetchHandler(app), request, { server: { trustProxy: 'loopback' }, remoteAddress: '203.0.113.9' });
  assert.is(untrusted.body.toString(), 'http://app.test:443/p');
});

fetchSuite.run();
