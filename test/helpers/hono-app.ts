// One Hono app that uses what apps use: routing with params, middleware (cors, etag), c.json / c.text / c.body,
// streaming helpers, cookies, notFound and onError, request bodies (JSON, form, streamed), and the request's
// abort signal. The tests serve it through h1wire's fetchHandler and through @hono/node-server side by side.
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { cors } from 'hono/cors';
import { etag } from 'hono/etag';
import { streamSSE, streamText } from 'hono/streaming';

export interface AppProbe {
  /** Resolves with the abort reason's presence when /hang's request signal fires. */
  aborted: Promise<boolean>;
  /** Resolves once /hang has been entered. */
  entered: Promise<void>;
}

export function honoApp(): { app: Hono; probe: () => AppProbe } {
  const app = new Hono();
  let onAbort: (value: boolean) => void = () => {};
  let onEnter: () => void = () => {};

  app.use('/api/*', cors({ origin: 'https://example.com', allowMethods: ['GET', 'POST'], maxAge: 600 }));
  app.use('/etag/*', etag());

  app.get('/', (c) => c.text('Hello Hono!'));
  app.get('/api/users/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('q') ?? null }));
  app.get('/api/users/:id/posts/:post', (c) => c.json(c.req.param()));
  app.get('/etag/doc', (c) => c.json({ doc: 'same bytes, same tag' }));
  app.get('/created', (c) => c.json({ made: true }, 201, { 'X-Made-By': 'hono' }));
  app.get('/html', (c) => c.html('<h1>hi</h1>'));
  app.get('/redirect', (c) => c.redirect('/'));
  app.get('/nothing', (c) => c.body(null, 204));
  app.get('/reason', () => new Response('made', { status: 201, statusText: 'Made Here' }));
  app.get('/bytes', () => new Response(new Uint8Array([0, 1, 2, 255])));
  app.get('/blob', () => new Response(new Blob(['blob body'], { type: 'text/x-blob' })));
  app.get('/search-params', () => new Response(new URLSearchParams({ a: '1', b: 'two words' })));
  app.get('/body-stream', (c) => {
    let n = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (n === 3) controller.close();
        else controller.enqueue(new TextEncoder().encode(`chunk ${n++}\n`));
      },
    });
    return c.body(stream, 200, { 'Content-Type': 'text/plain' });
  });
  app.get('/stream-text', (c) =>
    streamText(c, async (stream) => {
      await stream.write('one ');
      await stream.sleep(2);
      await stream.writeln('two');
    }),
  );
  app.get('/sse', (c) =>
    streamSSE(c, async (stream) => {
      for (let id = 0; id < 3; id++) await stream.writeSSE({ id: String(id), event: 'tick', data: `tick ${id}` });
    }),
  );
  app.get('/cookies', (c) => {
    setCookie(c, 'session', 'abc', { path: '/', httpOnly: true });
    setCookie(c, 'theme', 'dark', { maxAge: 3600 });
    return c.text('two cookies');
  });
  app.get('/headers', (c) => c.json({ host: c.req.header('host'), agent: c.req.header('x-agent') ?? null, url: c.req.url }));
  app.post('/json', async (c) => c.json({ got: await c.req.json() }));
  app.post('/form', async (c) => c.json(await c.req.parseBody()));
  app.post('/upload', async (c) => {
    const reader = (c.req.raw.body as ReadableStream<Uint8Array>).getReader();
    let bytes = 0;
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      chunks++;
    }
    return c.json({ bytes, streamed: chunks > 0 });
  });
  app.get('/hang', async (c) => {
    const signal = c.req.raw.signal;
    onEnter();
    const aborted = await new Promise<boolean>((resolve) => {
      if (signal.aborted) resolve(true);
      signal.addEventListener('abort', () => resolve(true), { once: true });
      setTimeout(() => resolve(false), 2000);
    });
    onAbort(aborted);
    return c.text('too late');
  });
  app.get('/error', () => {
    throw new Error('boom');
  });
  app.notFound((c) => c.json({ missing: c.req.path }, 404));
  app.onError((error, c) => c.text(`handled: ${error.message}`, 500));

  const probe = (): AppProbe => {
    const entered = new Promise<void>((resolve) => {
      onEnter = resolve;
    });
    const aborted = new Promise<boolean>((resolve) => {
      onAbort = resolve;
    });
    return { aborted, entered };
  };
  return { app, probe };
}
