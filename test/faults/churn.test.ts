// Clients that vanish in every state leave nothing behind: 5,000 connections dropped mid-head, mid-body,
// while the handler runs, mid-response and idle; afterwards no connection is open, the process has the
// file descriptors and timers it started with, and every streamed body was cancelled (its cleanup ran).
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { router } from '../../lib/router.js';
import { liveTimers, openFds, sleep, waitFor } from '../helpers/process.js';
import { start, type Running } from '../helpers/server.js';

let running: Running;
let streamsStarted = 0;
let streamsCleaned = 0;
let handlersStarted = 0;
let handlersAborted = 0;

async function* endless(): AsyncGenerator<Buffer> {
  streamsStarted++;
  const block = Buffer.alloc(64 * 1024, 'x');
  try {
    for (;;) {
      yield block;
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    streamsCleaned++;
  }
}

const handler = router({
  'GET /': () => ({ ok: true }),
  'POST /upload': async (req) => ({ bytes: (await req.body.bytes()).length }),
  'GET /slow': (req) =>
    new Promise((resolve, reject) => {
      handlersStarted++;
      const timer = setTimeout(() => resolve({ slow: true }), 2000);
      req.signal.addEventListener('abort', () => {
        handlersAborted++;
        clearTimeout(timer);
        reject(req.signal.reason);
      });
    }),
  'GET /stream': () => ({ body: endless() }),
});

type Drop = (port: number) => Promise<void>;

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Sends `bytes`, waits for `wait` (a response prefix, or nothing), then drops (reset or FIN). */
function dropAfter(bytes: string, wait: string | number | null, how: 'destroy' | 'end'): Drop {
  return async (port) => {
    const socket = await connect(port);
    socket.on('error', () => {});
    socket.write(bytes);
    if (typeof wait === 'number') {
      await new Promise((r) => setTimeout(r, wait));
    } else if (wait !== null) {
      await new Promise<void>((resolve) => {
        let seen = '';
        const onData = (chunk: Buffer): void => {
          seen += chunk.toString('latin1');
          if (seen.includes(wait)) {
            socket.off('data', onData);
            resolve();
          }
        };
        socket.on('data', onData);
      });
    } else {
      await new Promise((r) => setImmediate(r));
    }
    if (how === 'destroy') socket.destroy();
    else socket.end();
  };
}

const DROPS: [string, Drop][] = [
  ['mid-head, reset', dropAfter('GET / HTTP/1.1\r\nHo', null, 'destroy')],
  ['mid-head, FIN', dropAfter('GET / HTTP/1.1\r\nHo', null, 'end')],
  ['mid-body, reset', dropAfter('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc', null, 'destroy')],
  ['mid-body, FIN', dropAfter('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc', null, 'end')],
  ['while the handler runs', dropAfter('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', 50, 'destroy')],
  ['mid-response', dropAfter('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n', '\r\n\r\n', 'destroy')],
  ['idle, reset', dropAfter('GET / HTTP/1.1\r\nHost: x\r\n\r\n', '{"ok":true}', 'destroy')],
  ['idle, FIN', dropAfter('GET / HTTP/1.1\r\nHost: x\r\n\r\n', '{"ok":true}', 'end')],
];

const TOTAL = 5000;
const CONCURRENCY = 200;

test.before(async () => {
  running = await start(handler, { keepAliveTimeout: 60_000, headersTimeout: 60_000, requestTimeout: 60_000 });
});

test.after(async () => {
  await running.close();
});

test(`${TOTAL} connections dropped in every state leave nothing open`, async () => {
  // Warm up once so lazily created things (the Date cache, the wasm module) are not counted as leaks.
  await dropAfter('GET / HTTP/1.1\r\nHost: x\r\n\r\n', '{"ok":true}', 'end')(running.port);
  assert.ok(await waitFor(() => running.server.stats().open === 0, 5000));
  await sleep(1100); // the Date cache timer lives at most a second
  const fds = openFds();
  const timers = liveTimers();

  let done = 0;
  while (done < TOTAL) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < CONCURRENCY && done < TOTAL; i++, done++) {
      const drop = (DROPS[done % DROPS.length] as [string, Drop])[1];
      batch.push(drop(running.port));
    }
    await Promise.all(batch);
  }

  const closed = await waitFor(() => running.server.stats().open === 0, 10_000);
  const stats = running.server.stats();
  assert.ok(closed, `still open: ${JSON.stringify(stats.byState)}`);
  assert.ok(stats.accepted >= TOTAL, `accepted ${stats.accepted}`);
  assert.is(streamsCleaned, streamsStarted, 'every streamed body was cancelled');
  assert.ok(streamsStarted >= TOTAL / DROPS.length - 1, `streams ${streamsStarted}`);
  assert.ok(handlersStarted > 0);
  assert.is(handlersAborted, handlersStarted, 'every handler still running saw its request aborted');
  await sleep(1100);
  assert.is(openFds(), fds, 'file descriptors back to where they started');
  assert.is(liveTimers(), timers, 'no timer left alive');
});

test('the server still serves after the storm', async () => {
  const res = await fetch(`${running.url}/`);
  assert.is(res.status, 200);
  assert.equal(await res.json(), { ok: true });
});

test.run();
