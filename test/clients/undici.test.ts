// undici's Client with pipelining: many concurrent requests go out pipelined on one connection; every answer
// belongs to its request. (undici holds back the next request until the previous one's headers arrive
// unless a request says `blocking: false`, so the requests here do.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from 'undici';
import type { Request } from '../../lib/request.js';
import { start, startDemo, type Running } from '../helpers/server.js';
import { prng } from '../helpers/wire.js';

let app: Running;
let demo: Running;
let inFlight = 0;
let maxInFlight = 0;
const connections = new Set<string>();
const random = prng(77);

async function handler(req: Request): Promise<unknown> {
  connections.add(req.id.split('.')[0] as string);
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  try {
    // Finish out of order: later requests often finish first.
    await new Promise((r) => setTimeout(r, Math.floor(random() * 40)));
    const n = Number(req.path.slice(1));
    if (req.query.has('fail')) throw new Error('planned');
    return { n, square: n * n, target: req.target };
  } finally {
    inFlight--;
  }
}

test.before(async () => {
  app = await start(handler);
  demo = await startDemo();
});

test.after(async () => {
  await app.close();
  await demo.close();
});

test('60 concurrent GETs over Client({ pipelining: 10 }): all correct, one connection, pipelined', async () => {
  const client = new Client(app.url, { pipelining: 10 });
  try {
    const accepted = app.server.stats().accepted;
    maxInFlight = 0;
    connections.clear();
    const results = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const res = await client.request({ method: 'GET', path: `/${i}?x=${i}`, blocking: false });
        return { status: res.statusCode, type: res.headers['content-type'], body: (await res.body.json()) as Record<string, unknown> };
      }),
    );
    results.forEach((r, i) => {
      assert.is(r.status, 200);
      assert.is(r.type, 'application/json');
      assert.equal(r.body, { n: i, square: i * i, target: `/${i}?x=${i}` });
    });
    assert.is(app.server.stats().accepted - accepted, 1, 'one connection');
    assert.is(connections.size, 1);
    assert.ok(maxInFlight > 1, `requests were pipelined (at most ${maxInFlight} in the handler at once)`);
    assert.ok(maxInFlight <= 10, `never more than the client's pipelining depth (${maxInFlight})`);
  } finally {
    await client.close();
  }
});

test('pipelined failures answer their own requests; the others still succeed', async () => {
  const client = new Client(app.url, { pipelining: 10 });
  try {
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await client.request({ method: 'GET', path: i % 3 === 0 ? `/${i}?fail` : `/${i}`, blocking: false });
        return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
      }),
    );
    results.forEach((r, i) => {
      if (i % 3 === 0) {
        assert.is(r.status, 500, String(i));
        assert.equal(r.body, { error: { status: 500, code: 'H1W_HANDLER_ERROR', message: 'Internal Server Error' } });
      } else {
        assert.is(r.status, 200, String(i));
        assert.is(r.body.n, i);
      }
    });
  } finally {
    await client.close();
  }
});

test('the demo over a pipelining Client: mixed routes and statuses pair up with their requests', async () => {
  const client = new Client(demo.url, { pipelining: 10 });
  try {
    const paths = ['/', '/status/201', '/status/204', '/orders?rows=3', '/nope', '/slow?ms=30', '/status/404', '/stream?chunks=3&size=10', '/error', '/'];
    const results = await Promise.all(
      [...paths, ...paths].map(async (path) => {
        const res = await client.request({ method: 'GET', path, blocking: false });
        return { path, status: res.statusCode, body: await res.body.text() };
      }),
    );
    for (const r of results) {
      switch (r.path) {
        case '/':
          assert.is(r.body, '{"hello":"world"}');
          break;
        case '/status/201':
          assert.is(r.status, 201);
          assert.is(r.body, '{"status":201}');
          break;
        case '/status/204':
          assert.is(r.status, 204);
          assert.is(r.body, '');
          break;
        case '/orders?rows=3':
          assert.is((JSON.parse(r.body) as unknown[]).length, 3);
          break;
        case '/nope':
          assert.is(r.status, 404);
          break;
        case '/slow?ms=30':
          assert.is(r.body, '{"slept":30}');
          break;
        case '/status/404':
          assert.is(r.status, 404);
          assert.is(r.body, '{"status":404}');
          break;
        case '/stream?chunks=3&size=10':
          assert.is(r.body.length, 30);
          break;
        case '/error':
          assert.is(r.status, 500);
          break;
      }
    }
  } finally {
    await client.close();
  }
});

test.run();
