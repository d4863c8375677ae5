// One server for the Hono benchmark, in its own process: `--impl fetch` (the Hono app on h1wire through
// fetchHandler, its defaults: the light Response), `fetch-undici` (the same with `overrideGlobalResponse: false`),
// `node-server` (the same app on node:http through @hono/node-server, its defaults) or `native` (an h1wire router
// returning the same bytes the idiomatic way, a plain object for the JSON serializer, to measure what
// fetchHandler costs). Prints `listening on http://…`.
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { fetchHandler } from '../../lib/fetch-handler.js';
import { router } from '../../lib/router.js';
import { createServer } from '../../lib/server.js';

const { values } = parseArgs({ options: { impl: { type: 'string' }, port: { type: 'string' } } });
const port = Number(values.port ?? 0);

function honoApp(): Hono {
  const app = new Hono();
  app.get('/json', (c) => c.json({ hello: 'world' }));
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
  return app;
}

async function start(): Promise<number> {
  switch (values.impl) {
    case 'fetch':
    case 'fetch-undici': {
      const server = createServer(fetchHandler(honoApp().fetch, values.impl === 'fetch' ? {} : { overrideGlobalResponse: false }));
      return (await server.listen(port)).port;
    }
    case 'native': {
      const server = createServer(
        router({
          'GET /json': () => ({ hello: 'world' }),
          'GET /users/:id': (req) => ({ id: req.params.id }),
        }),
      );
      return (await server.listen(port)).port;
    }
    case 'node-server': {
      const server = createAdaptorServer({ fetch: honoApp().fetch });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    }
    default:
      throw new Error('--impl fetch|fetch-undici|node-server|native');
  }
}

process.stdout.write(`listening on http://127.0.0.1:${await start()}\n`);
