// The inspector's event stream read by a raw client: its head and event format, one batch per tick at most
// however busy the server, nothing subscribed or sent when no page is open, the page's own connection left out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TICK_MS } from '../../lib/inspector-feed.js';
import { CHANNELS } from '../../lib/stages.js';
import { sleep, waitFor } from '../helpers/process.js';
import { startDemo, type Running } from '../helpers/server.js';
import { SseClient } from './sse-client.js';

let demo: Running;
test.before(async () => {
  demo = await startDemo({ inspector: true });
});
test.after(() => demo.close());

const subscribed = (): boolean => Object.values(CHANNELS).some((channel) => channel.hasSubscribers);

async function get(path: string, init?: RequestInit): Promise<string> {
  return (await fetch(`${demo.url}${path}`, init)).text();
}

test('no page open: no channel has a subscriber, and requests are served as usual', async () => {
  assert.is(subscribed(), false);
  assert.is(await get('/'), '{"hello":"world"}');
  assert.is(subscribed(), false);
});

test('the stream: an event-stream head, a retry line, a snapshot, then batches of what happened', async () => {
  const sse = new SseClient(demo.port);
  assert.ok(await waitFor(() => sse.events.length >= 1, 2000), 'a snapshot');
  assert.match(sse.head, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(sse.head, /\r\nContent-Type: text\/event-stream\r\n/);
  assert.match(sse.head, /\r\nTransfer-Encoding: chunked\r\n/);
  assert.match(sse.raw, /\r\n\r\n[0-9a-f]+\r\nretry: 2000\n\n/);
  assert.match(sse.raw, /event: snapshot\ndata: \{.*\}\n\n/);
  assert.is(sse.events[0]?.event, 'snapshot');
  assert.ok(subscribed(), 'subscribed while a page is open');
  await get('/orders?rows=3');
  assert.ok(await waitFor(() => sse.events.some((e) => e.data.exchanges.some((x) => x.done && x.target === '/orders?rows=3')), 2000));
  const done = sse.events.flatMap((e) => e.data.exchanges).find((x) => x.done && x.target === '/orders?rows=3');
  assert.is(done?.status, 200);
  assert.is(done?.framing, 'length');
  assert.equal(Object.keys(done?.stages ?? {}), ['parse', 'handle', 'serialize', 'frame', 'write']);
  assert.match(done?.requestHead ?? '', /^GET \/orders\?rows=3 HTTP\/1\.1\r\n.*\r\n\r\n$/s);
  assert.match(done?.responseHead ?? '', /^HTTP\/1\.1 200 OK\r\n.*Content-Length: \d+\r\n.*\r\n\r\n$/s);
  const own = Number(/"connection":(\d+)/.exec(JSON.stringify(done))?.[1]);
  const rows = sse.events.flatMap((e) => e.data.connections);
  assert.ok(rows.some((row) => row.id === own), 'the fetch connection is shown');
  assert.ok(rows.every((row) => row.requests === 0 || row.id === own || row.state !== undefined));
  sse.close();
  assert.ok(await waitFor(() => !subscribed(), 2000), 'the last page gone: unsubscribed');
});

test('the page leaves its own event-stream connection out, and is quiet while nothing happens', async () => {
  const sse = new SseClient(demo.port);
  assert.ok(await waitFor(() => sse.events.length >= 1, 2000));
  await sleep(TICK_MS * 5);
  assert.is(sse.events.length, 1, 'only the snapshot: the stream itself is not news');
  sse.close();
});

test('a burst of requests comes as at most one batch per tick', async () => {
  const sse = new SseClient(demo.port);
  assert.ok(await waitFor(() => sse.events.length >= 1, 2000));
  const started = performance.now();
  for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: 20 }, () => get('/')));
  const elapsed = performance.now() - started;
  await sleep(TICK_MS * 3);
  const batches = sse.events.filter((e) => e.event === 'batch');
  assert.ok(batches.length >= 1);
  assert.ok(batches.length <= Math.ceil((elapsed + TICK_MS * 3) / TICK_MS) + 1, `${batches.length} batches in ${elapsed} ms`);
  for (const batch of batches) assert.ok(batch.data.exchanges.length <= 50 && batch.data.connections.length <= 50);
  sse.close();
  assert.ok(await waitFor(() => !subscribed(), 2000));
});

test.run();
