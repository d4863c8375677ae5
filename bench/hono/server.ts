// One server for the Hono benchmark, in its own process: `--impl fetch` (the Hono app on h1wire through
// fetchHandler; `fetch-light` with overrideGlobalResponse), `node-server` (the same app on node:http through @hono/node-server) or `native` (an h1wire
// router returning the same bytes, to measure what fetchHandler costs). Prints `listening on http://…`.
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { fetchHandler } from '../../lib/fetch-handler.js';
import { reply } from '../../lib/result.js';
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

const JSON_TYPE = { 'content-type': 'application/json' };

async function start(): Promise<number> {
  switch (values.impl) {
    case 'fetch':
    case 'fetch-light': {
      const server = createServer(fetchHandler(honoApp().fetch, { overrideGlobalResponse: values.impl === 'fetch-light' }));
      return (await server.listen(port)).port;
    }
    case 'native': {
      const server = createServer(
        router({
          'GET /json': () => reply(200, '{"hello":"world"}', JSON_TYPE),
          'GET /users/:id': (req) => reply(200, JSON.stringify({ id: req.params.id }), JSON_TYPE),
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
      throw new Error('--impl fetch|fetch-light|node-server|native');
  }
}

process.stdout.write(`listening on http://127.0.0.1:${await start()}\n`);
