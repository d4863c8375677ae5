// `new Request(request, init)` over fetchHandler's request, as Hono middleware builds it (body-limit, for a body
// with no Content-Length): with fetchHandler's default globals the new Request has the method, URL, headers
// and body of the one it is made from (or the body init gives), as fetch says; the opt-out keeps undici's own.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AcceptingRequest, UndiciRequest } from '../../lib/fetch-global-request.js';
import { fetchHandler } from '../../lib/fetch-handler.js';
import { inject } from '../../lib/inject.js';
import { restoreUndiciGlobals } from '../helpers/side-by-side.js';

const made = suite('fetch: new Request(request, init)');

made.after.each(restoreUndiciGlobals);

const CHUNKED = 'POST /copy?x=1 HTTP/1.1\r\nHost: example.test\r\nX-Tag: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n';

made('a copy has the request\'s method, url, headers and body; a body in init replaces it', async () => {
  const handler = fetchHandler(async (request: Request) => {
    const copy = new Request(request);
    const replaced = new Request(request, { body: 'other' });
    const copied = { method: copy.method, url: copy.url, tag: copy.headers.get('x-tag'), body: await copy.text() };
    return Response.json({ copied, replaced: await replaced.text(), instance: copy instanceof Request && request instanceof Request });
  });
  const res = await inject(handler, CHUNKED);
  assert.is(res.status, 200);
  assert.equal(JSON.parse(res.body.toString()), {
    copied: { method: 'POST', url: 'http://example.test/copy?x=1', tag: 't', body: 'abcde' },
    replaced: 'other',
    instance: true,
  });
  assert.is(globalThis.Request, AcceptingRequest as unknown);
});

made('a stream body in init needs no duplex; a request whose body was read is refused unless init brings one', async () => {
  const handler = fetchHandler(async (request: Request) => {
    await request.text();
    const refused = (() => {
      try {
        new Request(request);
        return 'made';
      } catch (error) {
        return (error as Error).name;
      }
    })();
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const fresh = new Request(request, { body: stream, method: 'PUT' });
    return Response.json({ refused, fresh: [fresh.method, await fresh.text()] });
  });
  const res = await inject(handler, CHUNKED);
  assert.equal(JSON.parse(res.body.toString()), { refused: 'TypeError', fresh: ['PUT', 'streamed'] });
});

made('Hono body-limit on a chunked body: within the limit the route reads it, past it a 413', async () => {
  const app = new Hono();
  app.post('/copy', bodyLimit({ maxSize: 8 }), async (c) => c.text(`read ${await c.req.text()}`));
  const handler = fetchHandler(app.fetch);
  const within = await inject(handler, CHUNKED);
  assert.is(within.status, 200);
  assert.is(within.body.toString(), 'read abcde');
  const past = await inject(handler, CHUNKED.replace('0\r\n\r\n', '5\r\nfghij\r\n0\r\n\r\n'));
  assert.is(past.status, 413);
});

made('overrideGlobalResponse: false leaves undici\'s Request, which refuses the app\'s request as input', async () => {
  const handler = fetchHandler(
    (request: Request) => {
      try {
        new Request(request);
        return new Response('made');
      } catch (error) {
        return new Response((error as Error).name);
      }
    },
    { overrideGlobalResponse: false },
  );
  const res = await inject(handler, CHUNKED);
  assert.is(res.body.toString(), 'TypeError');
  assert.is(globalThis.Request, UndiciRequest);
});

made.run();
