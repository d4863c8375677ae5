// The same Hono app through h1wire (fetchHandler) and through @hono/node-server on node:http, side by side:
// every case must give the same status, the same headers and the same body. Headers allowed to differ are
// listed in test/helpers/side-by-side.ts with why; nothing else may.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AcceptingRequest, UndiciRequest } from '../../lib/fetch-global-request.js';
import { LightResponse, UndiciResponse } from '../../lib/fetch-light-response.js';
import { exchange } from '../helpers/exchange.js';
import { honoApp } from '../helpers/hono-app.js';
import { comparable, field, restoreUndiciGlobals, sideBySide, unframed, withoutAddedType, type Mode, type Pair } from '../helpers/side-by-side.js';

async function both(mode: Mode = 'light'): Promise<Pair & { probe: ReturnType<typeof honoApp>['probe'] }> {
  const { app, probe } = honoApp();
  return { ...(await sideBySide(app.fetch, mode)), probe };
}

const CASES: [string, string][] = [
  ['text', 'GET / HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['json with params and query', 'GET /api/users/42?q=x%20y HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['two params', 'GET /api/users/7/posts/99 HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['cors simple', 'GET /api/users/1 HTTP/1.1\r\nHost: example.test\r\nOrigin: https://example.com\r\n\r\n'],
  [
    'cors preflight',
    'OPTIONS /api/users/1 HTTP/1.1\r\nHost: example.test\r\nOrigin: https://example.com\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-agent\r\n\r\n',
  ],
  ['etag', 'GET /etag/doc HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['etag 304', 'GET /etag/doc HTTP/1.1\r\nHost: example.test\r\nIf-None-Match: "ETAG"\r\n\r\n'],
  ['201 with a header', 'GET /created HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['html', 'GET /html HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['redirect', 'GET /redirect HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['204', 'GET /nothing HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['custom reason', 'GET /reason HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['Uint8Array body', 'GET /bytes HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['Blob body', 'GET /blob HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['URLSearchParams body', 'GET /search-params HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['c.body(stream)', 'GET /body-stream HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['streamText', 'GET /stream-text HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['streamSSE', 'GET /sse HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['two Set-Cookie', 'GET /cookies HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['request headers and url', 'GET /headers HTTP/1.1\r\nHost: example.test:8080\r\nX-Agent: raw\r\n\r\n'],
  ['absolute-form target', 'GET http://other.test/headers HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['JSON body', 'POST /json HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"a":[1,2,"b"]}'],
  ['form body', 'POST /form HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 17\r\n\r\nname=h1&lang=ts+x'],
  [
    'chunked upload',
    'POST /upload HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
  ],
  ['404 handler', 'GET /nowhere HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['405 becomes 404 in Hono', 'DELETE /api/users/1 HTTP/1.1\r\nHost: example.test\r\n\r\n'],
  ['onError', 'GET /error HTTP/1.1\r\nHost: example.test\r\n\r\n'],
];

const hono = suite('hono: h1wire and @hono/node-server side by side');

async function everyCase(mode: Mode): Promise<void> {
  const pair = await both(mode);
  try {
    // The etag case needs the real tag: ask once.
    const [tagged] = await exchange(pair.h1Port, CASES[5]![1]);
    const tag = tagged!.headers.find(([n]) => n.toLowerCase() === 'etag')![1];
    for (const [name, raw] of CASES) {
      const request = raw.replace('"ETAG"', tag);
      const [ours] = await exchange(pair.h1Port, request, { seed: request.length });
      const [theirs] = await exchange(pair.nodePort, request);
      assert.equal(comparable(ours!), withoutAddedType(comparable(theirs!), comparable(ours!)), name);
    }
  } finally {
    await pair.close();
  }
}

hono.after.each(restoreUndiciGlobals);

hono('every case, with the default light Response: same status, headers and body (split at random boundaries)', async () => {
  await everyCase('light');
  assert.is(globalThis.Response, LightResponse as unknown, 'the default installs the light Response');
  assert.is(globalThis.Request, AcceptingRequest as unknown, 'and the Request that takes its requests as input');
  assert.ok(new Response('x') instanceof UndiciResponse);
  assert.ok(Response.json({ a: 1 }) instanceof Response);
});

hono('every case again with overrideGlobalResponse: false (undici Response, global left alone)', async () => {
  await everyCase('undici');
  assert.is(globalThis.Response, UndiciResponse);
  assert.is(globalThis.Request, UndiciRequest);
});

for (const mode of ['light', 'undici'] as const) {
  hono(`HEAD (${mode}): the GET's headers, no body, and never a Content-Length other than the GET's`, async () => {
    const pair = await both(mode);
    try {
      // cors sets a header after the route ran: Hono then rebuilds the response as `new Response(res.body, res)`.
      for (const path of ['/', '/api/users/1', '/cookies', '/html']) {
        const head = `HEAD ${path} HTTP/1.1\r\nHost: example.test\r\n\r\n`;
        const [ours] = await exchange(pair.h1Port, head, { head: () => true });
        const [theirs] = await exchange(pair.nodePort, head, { head: () => true });
        const [get] = await exchange(pair.h1Port, `GET ${path} HTTP/1.1\r\nHost: example.test\r\n\r\n`);
        assert.equal(unframed(ours!), unframed(theirs!), path);
        assert.is(ours!.body.length, 0);
        // RFC 9110 §8.6: a Content-Length on a HEAD answer MUST be what the GET would send. Hono answers HEAD with
        // `new Response(null, getResponse)`: the light Response knows that one's length; undici's does not.
        if (mode === 'light') assert.is(field(ours!, 'content-length'), String(get!.body.length), `${path}: the GET's length`);
        else {
          assert.is(field(ours!, 'content-length'), undefined, `${path}: no length claimed`);
          assert.is(field(ours!, 'transfer-encoding'), 'chunked');
        }
      }
    } finally {
      await pair.close();
    }
  });
}

hono('c.req.raw.signal aborts when the client disconnects', async () => {
  const pair = await both();
  try {
    const probe = pair.probe();
    const pending = exchange(pair.h1Port, 'GET /hang HTTP/1.1\r\nHost: example.test\r\n\r\n', { timeoutMs: 100 }).catch(() => null);
    await probe.entered;
    await pending; // the client gives up (its socket is destroyed) before the app answers
    assert.is(await probe.aborted, true);
  } finally {
    await pair.close();
  }
});

hono.run();
