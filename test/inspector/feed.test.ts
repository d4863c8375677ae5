// The inspector's feed fed by hand on the stage channels: the states a connection goes through, and the bounds
// (rows per batch, exchanges kept, connections tracked, messages queued for a slow page).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventStream, MAX_QUEUED } from '../../lib/inspector.js';
import { HISTORY, InspectorFeed, MAX_CONNECTIONS, MAX_ROWS_PER_BATCH, TICK_MS, type Batch } from '../../lib/inspector-feed.js';
import type { Request } from '../../lib/request.js';
import { CHANNELS } from '../../lib/stages.js';
import { sleep } from '../helpers/process.js';

function fakeRequest(id: string, headers: Record<string, string> = {}): Request {
  return {
    id, method: 'POST', target: '/x', path: '/x', remoteAddress: '127.0.0.1', remotePort: 4000,
    header: (name: string) => headers[name],
  } as unknown as Request;
}

const OWN = 999_999;

async function watch(during: () => void): Promise<{ batches: Batch[]; snapshot: () => Batch; close: () => void }> {
  const feed = new InspectorFeed(['authorization'], '/_wire');
  const batches: Batch[] = [];
  const { close } = feed.open((batch) => batches.push(structuredClone(batch)), OWN);
  during();
  await sleep(TICK_MS * 2.5);
  const snapshot = (): Batch => {
    const page = feed.open(() => {}, OWN);
    page.close();
    return page.snapshot;
  };
  return { batches, snapshot, close };
}

test('a connection goes reading → body → handling → writing → idle → closed, as batches tell it', async () => {
  const states: string[] = [];
  const feed = new InspectorFeed([], '/_wire');
  const { close } = feed.open((batch) => states.push(...batch.connections.map((c) => c.state)), OWN);
  const req = fakeRequest('41.1', { 'content-length': '5' });
  const steps: [() => void, string][] = [
    [() => CHANNELS.accept.publish({ connection: 41, remoteAddress: '127.0.0.1', remotePort: 4000 }), 'reading'],
    [() => CHANNELS.parse.publish({ request: req, head: 'POST /x HTTP/1.1\r\nContent-Length: 5\r\n' }), 'body'],
    [() => CHANNELS.handle.publish({ request: req, durationMs: 1, error: null }), 'handling'],
    [() => CHANNELS.frame.publish({ request: req, status: 200, head: 'HTTP/1.1 200 OK\r\n\r\n', framing: 'none' }), 'writing'],
    [() => CHANNELS.finish.publish({ request: req, status: 200, bodyBytes: 0, keepAlive: true, timings: null }), 'idle'],
    [() => CHANNELS.close.publish({ connection: 41, reason: 'client-closed', requests: 1, bytesIn: 1, bytesOut: 1 }), 'closed'],
  ];
  for (const [step] of steps) {
    step();
    await sleep(TICK_MS * 1.5);
  }
  close();
  assert.equal(states, steps.map(([, state]) => state));
});

test('a batch carries at most MAX_ROWS_PER_BATCH rows of each kind and counts the rest as skipped', async () => {
  const extra = 30;
  const { batches, close } = await watch(() => {
    for (let i = 0; i < MAX_ROWS_PER_BATCH + extra; i++) CHANNELS.accept.publish({ connection: 1000 + i, remoteAddress: '::1', remotePort: i });
  });
  close();
  assert.is(batches.length, 1);
  assert.is(batches[0]?.connections.length, MAX_ROWS_PER_BATCH);
  assert.is(batches[0]?.skipped, extra);
});

test('history is bounded: HISTORY exchanges, MAX_CONNECTIONS connections', async () => {
  const { snapshot, close } = await watch(() => {
    for (let i = 0; i < MAX_CONNECTIONS + 20; i++) {
      CHANNELS.accept.publish({ connection: 2000 + i, remoteAddress: '::1', remotePort: i });
      CHANNELS.parse.publish({ request: fakeRequest(`${2000 + i}.1`), head: 'GET /x HTTP/1.1\r\n' });
    }
  });
  const seen = snapshot();
  close();
  assert.is(seen.exchanges.length, HISTORY);
  assert.is(seen.connections.length, MAX_CONNECTIONS - 1, 'one is the page\'s own, tracked and hidden');
  assert.is(seen.exchanges.at(-1)?.id, `${2000 + MAX_CONNECTIONS + 19}.1`, 'the newest are kept');
});

test('a page that does not read keeps MAX_QUEUED messages; the oldest are dropped and counted', async () => {
  let send: (batch: Batch) => void = () => {};
  let closed = false;
  const feed = { open: (s: (batch: Batch) => void) => ((send = s), { snapshot: empty(), close: () => (closed = true) }) };
  const controller = new AbortController();
  const stream = eventStream(feed, { id: '1.1', signal: controller.signal } as unknown as Request);
  for (let i = 0; i < 30; i++) send(empty());
  const messages: string[] = [];
  for (let i = 0; i < MAX_QUEUED + 1; i++) messages.push((await stream.next()).value as string);
  assert.is(messages[0], 'retry: 2000\n\n');
  assert.is(messages.length - 1, MAX_QUEUED);
  assert.match(messages.at(-1) ?? '', /^event: batch\ndata: \{.*"dropped":11\}\n\n$/);
  controller.abort();
  assert.ok((await stream.next()).done);
  assert.ok(closed, 'the page is taken off the feed');
});

test('a response to no request (a parse error) adds no row', async () => {
  const { batches, close } = await watch(() => {
    CHANNELS.frame.publish({ request: null, status: 400, head: 'HTTP/1.1 400 Bad Request\r\n\r\n', framing: 'length' });
    CHANNELS.finish.publish({ request: null, status: 400, bodyBytes: 0, keepAlive: false, timings: null });
  });
  close();
  assert.equal(batches, []);
});

test('every page closed: no channel is left subscribed', () => {
  for (const [name, channel] of Object.entries(CHANNELS)) assert.not.ok(channel.hasSubscribers, name);
});

function empty(): Batch {
  return { connections: [], exchanges: [], backpressure: [], skipped: 0 };
}

test.run();
