// The light Response (fetchHandler's default, `overrideGlobalResponse`) on its own: what stays light, what
// becomes real, that it answers like undici's Response where an app can tell, and the bytes its fast path sends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LightResponse, lightParts, UndiciResponse } from '../../lib/fetch-light-response.js';
import { fetchHandler, type FetchApp } from '../../lib/fetch-handler.js';
import { inject } from '../../lib/inject.js';
import type { Request as H1Request } from '../../lib/request.js';

const Light = LightResponse as unknown as typeof Response;

// fetchHandler installs the light Response for the whole process: each test here starts from undici's.
test.after.each(() => {
  globalThis.Response = UndiciResponse;
});

test('string, bytes and null bodies stay light; status, statusText, headers read without a real Response', () => {
  const res = new Light('hi', { status: 201, statusText: 'Made', headers: { 'x-a': '1' } });
  assert.ok(lightParts(res) !== null);
  assert.is(res.status, 201);
  assert.is(res.ok, true);
  assert.is(res.statusText, 'Made');
  assert.is(res.headers.get('x-a'), '1');
  assert.is(res.headers.get('content-type'), 'text/plain;charset=UTF-8', 'as undici gives a string body');
  assert.ok(lightParts(res) !== null, 'still light after reading headers');
  assert.is(new Light(new Uint8Array([1])).headers.get('content-type'), null);
  assert.is(new Light(null, { status: 404 }).ok, false);
});

test('anything else becomes the real Response; instanceof holds both ways', async () => {
  const blob = new Light(new Blob(['b']));
  assert.is(lightParts(blob), null);
  assert.is(await blob.text(), 'b');
  const light = new Light('read me');
  assert.is(await light.text(), 'read me');
  assert.is(lightParts(light), null, 'reading the body made it real');
  assert.is(light.status, 200);
  assert.is(light.statusText, '');
  assert.is(light.headers.get('content-type'), 'text/plain;charset=UTF-8');
  assert.is(light.bodyUsed, true);
  assert.ok(light instanceof Response);
  assert.ok(new Response('x') instanceof LightResponse);
  assert.ok(Light.json({ a: 1 }) instanceof LightResponse);
  assert.throws(() => new Light('x', { status: 99 }), (e: unknown) => e instanceof RangeError);
  const cloned = new Light('twice').clone();
  assert.is(await cloned.text(), 'twice');
});

test('through fetchHandler: the light fields as sent, headers as a live Headers object or a record', async () => {
  {
    const handler = fetchHandler(
      (request) => {
        const url = new URL(request.url);
        if (url.pathname === '/live') {
          const res = new Response('live', { headers: [['x-pair', 'p']] });
          res.headers.append('set-cookie', 'a=1');
          res.headers.append('set-cookie', 'b=2');
          return res;
        }
        return new Response(new Uint8Array([104, 105]), { status: 202, statusText: 'Taken', headers: { 'Transfer-Encoding': 'chunked', 'X-Rec': 'r' } });
      },
      { overrideGlobalResponse: true },
    );
    const live = await inject(handler, { url: '/live' });
    assert.is(globalThis.Response, LightResponse as unknown);
    assert.equal(live.cookies, ['a=1', 'b=2']);
    assert.is(live.headers['x-pair'], 'p');
    assert.is(live.body.toString(), 'live');
    const rec = await inject(handler, { url: '/rec' });
    assert.is(rec.status, 202);
    assert.is(rec.reason, 'Taken');
    assert.is(rec.headers['x-rec'], 'r');
    assert.is(rec.headers['content-type'], undefined);
    assert.is(rec.headers['content-length'], '2');
    assert.is(rec.body.toString(), 'hi');
  }
});

test('Response.json and Response.redirect stay light and answer as undici\'s', () => {
  const json = Light.json({ a: [1] }, { status: 201, headers: { 'x-b': '2' } });
  const theirs = UndiciResponse.json({ a: [1] }, { status: 201, headers: { 'x-b': '2' } });
  assert.ok(lightParts(json) !== null);
  assert.is(json.status, theirs.status);
  assert.equal([...json.headers], [...theirs.headers]);
  assert.equal(lightParts(json)!.body, '{"a":[1]}');
  assert.is(Light.json(null).headers.get('content-type'), 'application/json');
  assert.is(Light.json('x', { headers: { 'content-type': 'text/x-json' } }).headers.get('content-type'), 'text/x-json');
  const nothing = undefined as unknown as object;
  assert.throws(() => Light.json(nothing), (e: unknown) => e instanceof TypeError);
  assert.throws(() => UndiciResponse.json(nothing), (e: unknown) => e instanceof TypeError);
  const moved = Light.redirect('https://example.test/a b', 308);
  assert.ok(lightParts(moved) !== null);
  assert.is(moved.status, 308);
  assert.is(moved.headers.get('location'), UndiciResponse.redirect('https://example.test/a b', 308).headers.get('location'));
  const redirect = Light.redirect as (url: string | URL, status?: number) => Response;
  assert.is(redirect(new URL('http://x.test/')).status, 302);
  assert.throws(() => redirect('/relative'), (e: unknown) => e instanceof TypeError);
  assert.throws(() => redirect('https://example.test/', 200), (e: unknown) => e instanceof RangeError);
  assert.is(Light.error().type, 'error');
});

test('what undici refuses, the light Response refuses at construction too', () => {
  for (const [body, init] of [
    ['x', { status: 204 }],
    ['x', { status: 304 }],
    [null, { status: 600 }],
    [null, { status: 199 }],
    ['x', { statusText: 'bad\r\nline' }],
  ] as const) {
    let theirs: unknown;
    try {
      new UndiciResponse(body, init);
    } catch (error) {
      theirs = error;
    }
    assert.ok(theirs instanceof Error, `undici refuses ${JSON.stringify(init)}`);
    const kind = (theirs as Error).constructor;
    assert.throws(() => new Light(body, init), (e: unknown) => e instanceof kind && e.constructor === kind, JSON.stringify(init));
  }
  assert.ok(lightParts(new Light(null, { status: 204 })) !== null, 'a null body with 204 is fine');
});

test('a null body made from another Response (the HEAD idiom) copies it and keeps its length', async () => {
  const get = new Light('héllo', { status: 201, statusText: 'Made', headers: { 'x-a': '1' } });
  const head = new Light(null, get);
  const parts = lightParts(head)!;
  assert.ok(parts !== null);
  assert.is(head.status, 201);
  assert.is(head.statusText, 'Made');
  assert.is(head.headers.get('x-a'), '1');
  assert.is(head.headers.get('content-type'), 'text/plain;charset=UTF-8', "the source's default type, as undici copies it");
  assert.is(parts.lengthHint, 6, 'UTF-8 bytes');
  assert.is(lightParts(new Light(null, new UndiciResponse('abc')))!.lengthHint, -1, "undici's length is not known");
  assert.is(await new Light('body', get).text(), 'body');
});

/** A call's outcome as an app sees it: its value, or the kind of error it throws or rejects with. */
async function outcome(call: () => unknown): Promise<unknown> {
  try {
    return await call();
  } catch (error) {
    return error instanceof TypeError ? 'TypeError' : String(error);
  }
}

test('a response rebuilt from a light one\'s body (Hono\'s c.header() after next) stays light, and shares it as undici does', async () => {
  /** What an app sees when it rebuilds a response from another's body, then reads them in some order. */
  async function rebuilt(R: typeof Response, body: string | Uint8Array, order: 'second first' | 'first first'): Promise<unknown[]> {
    const first = new R(body, { status: 201, headers: { 'x-a': '1' } });
    const used = first.bodyUsed;
    const second = new R(first.body, first);
    second.headers.set('vary', 'Origin');
    const seen: unknown[] = [used, second.status, second.headers.get('x-a'), second.headers.get('vary')];
    const read = async (r: Response): Promise<unknown> => outcome(async () => Buffer.from(await r.arrayBuffer()).toString('latin1'));
    if (order === 'second first') seen.push(await read(second), await read(first));
    else seen.push(await read(first), await read(second));
    return seen;
  }
  for (const order of ['second first', 'first first'] as const) {
    assert.equal(await rebuilt(Light, 'héllo', order), await rebuilt(UndiciResponse, 'héllo', order), order);
    assert.equal(await rebuilt(Light, new Uint8Array([1, 2]), order), await rebuilt(UndiciResponse, new Uint8Array([1, 2]), order), order);
  }
  const first = new Light('whole', { headers: { 'content-type': 'text/x-w' } });
  const second = new Light(first.body, first);
  assert.ok(lightParts(second) !== null, 'light');
  assert.is(lightParts(second)!.body, 'whole');
  // A stream read from, or still locked, is not whole any more: refused at construction, as undici refuses it.
  const read = new Light('abc');
  const stream = read.body!;
  const reader = stream.getReader();
  await reader.read();
  reader.releaseLock();
  assert.throws(() => new UndiciResponse(stream), (e: unknown) => e instanceof TypeError);
  assert.throws(() => new Light(stream, read), (e: unknown) => e instanceof TypeError);
  const locked = new Light('abc');
  locked.body!.getReader();
  assert.throws(() => new Light(locked.body, locked), (e: unknown) => e instanceof TypeError);
  const other = new ReadableStream({ start: (c) => c.close() });
  assert.is(lightParts(new Light(other)), null, 'a stream of its own is undici\'s');
});

test('through fetchHandler: a header set after the route ran is sent, with the body, once', async () => {
  const { Hono } = await import('hono');
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    c.header('x-after', 'set');
  });
  app.get('/', (c) => c.json({ ok: true }));
  for (const options of [{}, { overrideGlobalResponse: false }]) {
    globalThis.Response = UndiciResponse;
    const res = await inject(fetchHandler(app.fetch, options), { url: '/' });
    assert.is(res.headers['x-after'], 'set');
    assert.is(res.headers['content-type'], 'application/json');
    assert.is(res.headers['content-length'], '11');
    assert.is(res.body.toString(), '{"ok":true}');
  }
  // The one the app rebuilt is sent; the one it came from can no longer be read (undici: disturbed).
  let original: Response | undefined;
  const handler = fetchHandler(() => {
    original = new Response('only once');
    return new Response(original.body, original);
  });
  assert.is((await inject(handler, { url: '/' })).body.toString(), 'only once');
  assert.is(String(await outcome(() => original!.text())), 'TypeError');
});

/** One request through fetchHandler (light Response), as raw bytes on the wire. */
async function wire(app: FetchApp, request: string): Promise<string> {
  const res = await inject(fetchHandler(app), request);
  return res.raw.toString('latin1');
}

test('fast path: a Content-Type alone gives the same head as a native handler, once; others keep theirs', async () => {
  const json = await wire(() => new Response('{"a":1}', { headers: { 'Content-Type': 'application/json' } }), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const native = (await inject(() => ({ a: 1 }), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')).raw.toString('latin1');
  const dateless = (head: string): string => head.replace(/Date: [^\r]*\r\n/, '');
  assert.is(dateless(json), dateless(native));
  assert.is(json.match(/content-type/gi)?.length, 1);
  const text = await wire(() => new Response('hi'), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.match(text, /\r\nContent-Type: text\/plain;charset=UTF-8\r\nContent-Length: 2\r\n/);
  // A type on a response with no content: kept as a field where the frame stage would drop a serializer's.
  for (const status of [204, 205, 304]) {
    const none = await wire(() => new Response(status === 205 ? null : null, { status, headers: { 'content-type': 'text/x-none' } }), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.match(none, /\r\ncontent-type: text\/x-none\r\n/, String(status));
  }
  // Obs-text in the type: not for the cached head; sent as a field, latin1, as undici keeps it.
  const latin = await wire(() => new Response('x', { headers: { 'content-type': 'text/x; n=\u00e9' } }), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.match(latin, /\r\ncontent-type: text\/x; n=\u00e9\r\n/);
});

test('headers: checked at construction as undici checks them, and copied as undici copies them', async () => {
  for (const headers of [
    { 'Content-Type': 'text/plain\r\nX-Injected: 1' },
    { 'x-a': 'a\nb' },
    { 'x-a': 'a\u0000b' },
    { 'bad name': 'v' },
    [['x-a', '1', 'extra']],
    [['x-a']],
  ] as ConstructorParameters<typeof Headers>[0][]) {
    assert.throws(() => new UndiciResponse('x', { headers }), (e: unknown) => e instanceof TypeError, 'undici refuses');
    assert.throws(() => new Light('x', { headers }), (e: unknown) => e instanceof TypeError, JSON.stringify(headers));
    const res = await inject(fetchHandler(() => new Response('x', { headers })), { url: '/' });
    assert.is(res.status, 500, 'a throw in the app');
    assert.not.ok(res.raw.toString('latin1').includes('X-Injected'));
  }
  // Edge whitespace: undici strips it; so does the light Response (by becoming undici's).
  assert.is(new Light('x', { headers: { 'x-a': '  v \t' } }).headers.get('x-a'), 'v');
  const record: Record<string, string> = { 'x-a': '1' };
  const pairs: [string, string][] = [['x-b', '2']];
  const live = new Headers({ 'x-c': '3' });
  const responses = [new Light('r', { headers: record }), new Light('p', { headers: pairs }), new Light('h', { headers: live })];
  record['x-late'] = 'no';
  pairs.push(['x-late', 'no']);
  live.set('x-late', 'no');
  for (const response of responses) {
    assert.ok(lightParts(response) !== null);
    const sent = await inject(fetchHandler(() => response), { url: '/' });
    assert.is(sent.headers['x-late'], undefined, 'changed after construction: not sent');
    assert.is(response.headers.get('x-late'), null);
  }
});

test('a Response given at once becomes a Result at once: no promise for handle.ts to wait on', async () => {
  let req: H1Request | undefined;
  await inject((r) => {
    req = r;
    return '';
  }, { url: '/' });
  const handler = fetchHandler(() => new Response('now', { headers: { 'content-type': 'text/x-now' } }));
  const sync = handler(req!);
  assert.not.ok(sync instanceof Promise);
  assert.is((sync as { body?: unknown }).body, 'now');
  assert.ok(fetchHandler(async () => new Response('later'))(req!) instanceof Promise);
  assert.ok(fetchHandler(() => new Response(new Blob(['blob'])))(req!) instanceof Promise, 'a body read as a stream');
});

test('the light Response is installed by the first request, not by making a handler; false leaves undici\'s', async () => {
  const handler = fetchHandler(() => new Response(String(globalThis.Response === Light)));
  assert.is(globalThis.Response, UndiciResponse, 'making a handler changes nothing');
  assert.is((await inject(handler, { url: '/' })).body.toString(), 'true');
  globalThis.Response = UndiciResponse;
  const optedOut = fetchHandler(() => new Response(String(globalThis.Response === UndiciResponse)), { overrideGlobalResponse: false });
  assert.is((await inject(optedOut, { url: '/' })).body.toString(), 'true');
  assert.is(globalThis.Response, UndiciResponse);
});

test('HEAD: the length of a body the app still gives, one the app states, the GET\'s, or none at all', async () => {
  const head = (app: FetchApp, options = {}) => inject(fetchHandler(app, options), 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n');
  const withBody = await head(() => new Response('hello'));
  assert.is(withBody.headers['content-length'], '5');
  assert.is(withBody.body.length, 0);
  const stated = await head(() => new Response(null, { headers: { 'content-length': '42' } }));
  assert.is(stated.headers['content-length'], '42');
  const copied = await head(() => new Response(null, new Response('{"x":1}', { headers: { 'content-type': 'application/json' } })));
  assert.is(copied.headers['content-length'], '7', "the GET's length, from the Response it was made from");
  assert.is(copied.headers['content-type'], 'application/json');
  for (const options of [{}, { overrideGlobalResponse: false }]) {
    globalThis.Response = UndiciResponse;
    const unknown = await head(() => new Response(null, new Response(new Blob(['abc']))), options);
    assert.is(unknown.headers['content-length'], undefined, 'no false Content-Length: 0');
    assert.is(unknown.headers['transfer-encoding'], 'chunked');
    assert.is(unknown.body.length, 0);
    assert.not.ok(unknown.closed);
  }
  const noContent = await head(() => new Response(null, { status: 204 }));
  assert.is(noContent.headers['content-length'], undefined);
  assert.is(noContent.headers['transfer-encoding'], undefined);
  // GET of a null body is still an empty body of length 0.
  const get = await inject(fetchHandler(() => new Response(null)), { url: '/' });
  assert.is(get.headers['content-length'], '0');
});

test.run();
