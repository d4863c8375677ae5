// A second, broader Hono app for the side-by-side comparison with @hono/node-server: Hono's own middleware
// (etag, secure-headers, basic-auth, request-id, timing, pretty-json, body-limit, compress, trailing-slash,
// cors), every body kind a route returns, cookies both ways, query and header reading, request bodies
// (multipart, urlencoded, invalid JSON, 1 MiB, chunked), the default notFound and onError, and a sub-app with
// an onError of its own. Every answer is a function of the request alone, so two servers must send the same.
// Left out, as they cannot run the same on both: hono/ip-restriction (needs the adapter's getConnInfo, which
// reads node-server's `env.incoming`), hono/cache (the Cache API, absent from Node), serve-static (each adapter
// has its own), hono/logger (changes no response, only prints). request-id and timing run with values of the
// request's or the route's own, since a generated id or a measured time differs on every run.
import { Hono } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { bodyLimit } from 'hono/body-limit';
import { compress } from 'hono/compress';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { cors } from 'hono/cors';
import { etag } from 'hono/etag';
import { methodOverride } from 'hono/method-override';
import { prettyJSON } from 'hono/pretty-json';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import { timeout } from 'hono/timeout';
import { setMetric, timing } from 'hono/timing';
import { trimTrailingSlash } from 'hono/trailing-slash';

/** Text long enough for compress (its threshold is 1 KiB) and compressible. */
export const LONG_TEXT = 'h1wire and node-server answer alike. '.repeat(100);

/** A form field's or file's description, the same whatever the server. */
async function describe(value: unknown): Promise<unknown> {
  if (value instanceof File) return { file: value.name, type: value.type, size: value.size, text: await value.text() };
  if (Array.isArray(value)) return Promise.all(value.map(describe));
  return value;
}

export function honoParityApp(): Hono {
  const app = new Hono();

  app.use('/etag/*', etag());
  app.use('/secure/*', secureHeaders());
  app.use('/private/*', basicAuth({ username: 'ada', password: 'lovelace' }));
  // The id is the request's own X-Request-Id when valid: a generated one (a random UUID) would differ.
  app.use('/id/*', requestId());
  // total: false, and metrics with set values: a measured time would differ between runs.
  app.use('/timing/*', timing({ total: false }));
  app.use('/pretty/*', prettyJSON());
  app.use('/gz/*', compress());
  app.use('/slash/*', trimTrailingSlash());
  app.use('/cors/*', cors({ origin: ['https://a.example', 'https://b.example'], credentials: true, exposeHeaders: ['X-Total'], allowHeaders: ['X-Agent'], maxAge: 60 }));

  app.get('/etag/text', (c) => c.text('tagged text'));
  app.get('/etag/headers', (c) => c.json({ tagged: true }, 200, { 'Cache-Control': 'max-age=60', 'X-Kept': 'yes' }));
  app.get('/secure/page', (c) => c.html('<p>secure</p>'));
  app.get('/private/area', (c) => c.text('welcome'));
  app.get('/id/echo', (c) => c.json({ id: c.get('requestId') }));
  app.get('/timing/db', (c) => {
    setMetric(c, 'db', 12.5, 'Database');
    setMetric(c, 'cache', 'hit');
    return c.text('timed');
  });
  app.get('/pretty/data', (c) => c.json({ list: [1, 2], nested: { ok: true } }));
  app.get('/gz/text', (c) => c.text(LONG_TEXT));
  app.get('/gz/small', (c) => c.text('too small to compress'));
  app.get('/slash/page', (c) => c.text('no slash'));
  app.get('/cors/data', (c) => c.json({ cors: true }, 200, { 'X-Total': '2' }));
  app.post('/cors/data', (c) => c.json({ posted: true }));
  app.use('/override/form', methodOverride({ app }));
  app.use('/override/header', methodOverride({ app, header: 'X-HTTP-Method-Override' }));
  app.use('/slow', timeout(30));
  app.delete('/override/*', async (c) => c.json({ method: c.req.method, body: await c.req.text() }));
  app.get('/slow', async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return c.text('too late');
  });
  app.post('/limited', bodyLimit({ maxSize: 16 }), async (c) => c.text(`took ${(await c.req.text()).length}`));

  app.get('/go/temporary', (c) => c.redirect('/'));
  app.get('/go/permanent', (c) => c.redirect('https://elsewhere.example/path?x=1', 301));
  app.get('/page', (c) => c.html('<!doctype html><title>t</title><p>héllo</p>'));
  app.get('/empty', (c) => c.body(null, 204));
  app.get('/reset', (c) => c.body(null, 205));
  app.get('/teapot', (c) => c.text('short and stout', 418));
  app.get('/latin-header', (c) => {
    c.header('X-Name', 'caf\u00e9');
    c.header('Content-Disposition', 'attachment; filename="na\u00efve.txt"');
    c.header('X-Empty', '');
    c.header('Vary', 'Accept', { append: true });
    c.header('Vary', 'Cookie', { append: true });
    return c.text('headers');
  });
  app.get('/bytes', (c) => c.body(new Uint8Array([104, 49, 0, 255])));
  app.get('/array-buffer', (c) => c.body(new Uint8Array([1, 2, 3]).buffer as ArrayBuffer, 200, { 'Content-Type': 'application/octet-stream' }));
  app.get('/blob', (c) => c.body(new Blob(['a blob'], { type: 'text/x-blob' }) as unknown as ArrayBuffer));
  // Hono's c.newResponse keeps status and headers but drops statusText; a Response made by hand keeps it.
  app.get('/status-text', (c) => c.newResponse('accepted', { status: 202, statusText: 'Queued For Later', headers: { 'X-Queue': '3' } }));
  app.get('/reason', () => new Response('accepted', { status: 202, statusText: 'Queued For Later', headers: { 'X-Queue': '3' } }));
  app.get('/stream', () => {
    const parts = ['first ', 'second ', 'third'];
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        const part = parts.shift();
        if (part === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(part));
      },
    });
    return new Response(stream, { headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Streamed': '1' } });
  });
  app.get('/sse', (c) =>
    streamSSE(c, async (stream) => {
      await stream.writeSSE({ data: 'line one\nline two' });
      await stream.writeSSE({ event: 'done', id: '7', data: '{"end":true}', retry: 1000 });
    }),
  );
  app.get('/cookies/set', (c) => {
    setCookie(c, 'a', 'one', { path: '/', httpOnly: true, secure: true, sameSite: 'Strict' });
    setCookie(c, 'b', 'two words', { maxAge: 60 });
    setCookie(c, 'c', 'three', { domain: 'example.test', path: '/x' });
    deleteCookie(c, 'old', { path: '/' });
    return c.text('cookies');
  });
  app.get('/cookies/read', (c) => c.json({ one: getCookie(c, 'session') ?? null, all: getCookie(c) }));
  app.get('/query', (c) => c.json({ q: c.req.query('q') ?? null, tags: c.req.queries('tag') ?? null, all: c.req.query() }));
  app.get('/latin-request', (c) => c.json({ name: c.req.header('x-name') ?? null, codes: [...(c.req.header('x-name') ?? '')].map((ch) => ch.codePointAt(0)) }));
  app.get('/header', (c) => c.json({ accept: c.req.header('accept') ?? null, all: c.req.header() }));
  app.post('/parse', async (c) => {
    const body = await c.req.parseBody({ all: true });
    const described: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(body)) described[name] = await describe(value);
    return c.json(described);
  });
  app.post('/json', async (c) => c.json({ got: await c.req.json() }));
  app.post('/text', async (c) => {
    const text = await c.req.text();
    return c.json({ text, codes: [...text].slice(0, 4).map((ch) => ch.codePointAt(0)), length: text.length });
  });
  app.post('/blob', async (c) => {
    const blob = await c.req.raw.blob();
    return c.json({ type: blob.type, size: blob.size });
  });
  app.post('/echo', async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    return c.body(bytes, 200, { 'Content-Type': c.req.header('content-type') ?? 'application/octet-stream', 'X-Got': String(bytes.length) });
  });
  app.get('/url', (c) => c.json({ url: c.req.url, path: c.req.path, host: c.req.header('host') ?? null }));
  app.get('/signal', (c) => {
    const signal = c.req.raw.signal;
    return c.json({ signal: signal instanceof AbortSignal, aborted: signal.aborted });
  });
  app.post('/has-body', (c) => c.json({ body: c.req.raw.body !== null }));
  app.get('/te-chunked', (c) => c.text('framed by the server', 200, { 'Transfer-Encoding': 'chunked' }));
  app.get('/stream-length', () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('12345'));
        controller.close();
      },
    });
    return new Response(stream, { headers: { 'Content-Length': '5', 'Content-Type': 'text/plain' } });
  });
  app.get('/error-response', () => Response.error());
  app.get('/throw', () => {
    throw new Error('unhandled');
  });

  // A sub-app with its own error handler, mounted: its errors are its own, the rest fall to the default.
  const handled = new Hono();
  handled.get('/throw', () => {
    throw new TypeError('handled here');
  });
  handled.post('/json', async (c) => c.json({ got: await c.req.json() }));
  handled.onError((error, c) => c.json({ error: error.name, message: error.message }, 422));
  app.route('/handled', handled);

  return app;
}
