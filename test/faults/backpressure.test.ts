// Backpressure both ways, at the level a client meets it: slow readers, floods, uploads echoed through a
// slow reader, clients that abort mid-stream. Memory is measured in the demo's own process (/proc RSS).
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { router } from '../../lib/router.js';
import { spawnDemo, type Child } from '../helpers/child.js';
import { sleep, waitFor } from '../helpers/process.js';
import { parseResponses } from '../helpers/response-parser.js';
import { start } from '../helpers/server.js';

const MB = 1024 * 1024;
let demo: Child;

test.before(async () => {
  demo = await spawnDemo();
  // Warm the demo up (wasm compiled, code optimised, heap grown to its working size) before any baseline.
  for (let i = 0; i < 50; i++) await fetch(`http://127.0.0.1:${demo.port}/orders?rows=20`).then((r) => r.arrayBuffer());
  for (let i = 0; i < 4; i++) await fetch(`http://127.0.0.1:${demo.port}/stream?chunks=256&size=65536`).then((r) => r.arrayBuffer());
  // One large echo first: socket reads leave tens of MB of garbage buffers until a GC takes them, so the heap
  // settles at its working size only after one big transfer. What is measured after it is growth that stays.
  await fetch(`http://127.0.0.1:${demo.port}/echo`, { method: 'POST', body: Buffer.alloc(100 * MB) }).then((r) => r.arrayBuffer());
});

test.after(async () => {
  await demo.stop();
});

/** Reads a response at about `bytesPerSecond`, sampling the demo's RSS; returns bytes read and peak growth. */
function slowRead(request: string, total: number, bytesPerSecond: number, onSocket?: (s: net.Socket) => void): Promise<{ read: number; growth: number; text: string }> {
  const base = demo.rss();
  let peak = base;
  return new Promise((resolve, reject) => {
    const socket = net.connect(demo.port, '127.0.0.1');
    let read = 0;
    let head = '';
    const started = performance.now();
    const sampler = setInterval(() => (peak = Math.max(peak, demo.rss())), 50);
    socket.on('data', (chunk) => {
      if (head.length < 200) head += chunk.toString('latin1', 0, Math.min(chunk.length, 200));
      read += chunk.length;
      const due = (read / bytesPerSecond) * 1000 - (performance.now() - started);
      if (due > 0) {
        socket.pause();
        setTimeout(() => socket.resume(), due);
      }
      if (read >= total) {
        clearInterval(sampler);
        socket.destroy();
        resolve({ read, growth: peak - base, text: head });
      }
    });
    socket.on('error', (error) => {
      clearInterval(sampler);
      reject(error);
    });
    socket.write(request);
    onSocket?.(socket);
  });
}

test('a slow reader of a 48 MB stream: the server stays within a few MB of where it started', async () => {
  const chunks = 768; // 768 × 64 KiB = 48 MiB, read at 12 MB/s: about 4 s
  const outcome = await slowRead(`GET /stream?chunks=${chunks}&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n`, chunks * 65536, 12 * MB);
  assert.match(outcome.text, /^HTTP\/1\.1 200 OK\r\n[^]*Transfer-Encoding: chunked\r\n/);
  assert.ok(outcome.growth < 12 * MB, `RSS grew by ${(outcome.growth / MB).toFixed(1)} MB`);
});

test('100,000 pipelined requests and no reading: memory stays flat, then every one is answered in order', async () => {
  const base = demo.rss();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, demo.rss())), 50);
  const socket = net.connect(demo.port, '127.0.0.1');
  socket.pause(); // read nothing
  const N = 100_000;
  const requests: string[] = [];
  for (let i = 0; i < N; i++) requests.push(`GET /status/${200 + (i % 3)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const payload = Buffer.from(requests.join(''), 'latin1');
  socket.write(payload);
  await sleep(1500); // the server parses what it can, answers, fills the socket, and must stop there
  const stalledGrowth = peak - base;
  const received: Buffer[] = [];
  socket.on('data', (chunk) => received.push(chunk));
  socket.resume();
  const all = await new Promise<Buffer>((resolve) => {
    let tail = '';
    let count = 0;
    const onData = (chunk: Buffer): void => {
      const text = tail + chunk.toString('latin1');
      for (let i = text.indexOf('HTTP/1.1 2'); i >= 0; i = text.indexOf('HTTP/1.1 2', i + 1)) count++;
      tail = text.slice(-9); // a status line cut by a chunk boundary is counted once, on the next chunk
      if (count >= N) {
        socket.off('data', onData);
        setTimeout(() => resolve(Buffer.concat(received)), 100);
      }
    };
    socket.on('data', onData);
    setTimeout(() => resolve(Buffer.concat(received)), 20_000); // never hang; the assertions below tell
  });
  clearInterval(sampler);
  socket.destroy();
  assert.ok(stalledGrowth < 16 * MB, `RSS grew by ${(stalledGrowth / MB).toFixed(1)} MB while nothing was read`);
  const parsed = parseResponses(all, () => false, false);
  assert.is(parsed.responses.length, N);
  parsed.responses.forEach((res, i) => {
    if (res.status !== 200 + (i % 3)) assert.unreachable(`response ${i} has status ${res.status}`);
  });
});

test('a 100 MB upload echoed through /echo to a slow reader: same bytes back, memory flat', async () => {
  const size = 100 * MB;
  const block = Buffer.alloc(MB);
  for (let i = 0; i < block.length; i++) block[i] = (i * 31 + 7) & 0xff;
  const sent = createHash('sha256');
  for (let i = 0; i < size / MB; i++) sent.update(block);
  const base = demo.rss();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, demo.rss())), 50);
  const got = createHash('sha256');
  const result = await new Promise<{ status: number; bytes: number; te: string | undefined }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: demo.port, method: 'POST', path: '/echo', headers: { 'content-type': 'application/x-test', 'content-length': size } });
    req.on('response', (res) => {
      let bytes = 0;
      const started = performance.now();
      res.on('data', (chunk: Buffer) => {
        got.update(chunk);
        bytes += chunk.length;
        const due = (bytes / (80 * MB)) * 1000 - (performance.now() - started); // read at about 80 MB/s
        if (due > 0) {
          res.pause();
          setTimeout(() => res.resume(), due);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, te: res.headers['transfer-encoding'] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    Readable.from(
      (function* () {
        for (let i = 0; i < size / MB; i++) yield block;
      })(),
    ).pipe(req);
  });
  clearInterval(sampler);
  assert.is(result.status, 200);
  assert.is(result.te, 'chunked');
  assert.is(result.bytes, size);
  assert.is(got.digest('hex'), sent.digest('hex'));
  // Buffering the body would cost 100 MB or more. What remains is garbage: socket reads are fresh Buffers that
  // V8 collects when external memory passes its soft limit (64 MiB), so the peak depends on GC timing, not size.
  assert.ok(peak - base < 48 * MB, `RSS grew by ${((peak - base) / MB).toFixed(1)} MB for a 100 MB echo`);
});

test('1,000 clients abort mid-stream: every kind of stream is cancelled and no connection is left', async () => {
  let started = 0;
  let cleaned = 0;
  const block = Buffer.alloc(32 * 1024, 'y');
  const app = router({
    'GET /generator': () => ({
      body: (async function* () {
        started++;
        try {
          for (;;) {
            yield block;
            await new Promise((r) => setImmediate(r));
          }
        } finally {
          cleaned++;
        }
      })(),
    }),
    'GET /readable': () => {
      started++;
      const readable = new Readable({ read() { setImmediate(() => this.push(block)); } });
      readable.on('close', () => cleaned++);
      return { body: readable };
    },
    'GET /web': () => {
      started++;
      return {
        body: new ReadableStream({
          pull(controller) {
            controller.enqueue(new Uint8Array(block));
            return new Promise((r) => setImmediate(r));
          },
          cancel() {
            cleaned++;
          },
        }),
      };
    },
  });
  const server = await start(app);
  const kinds = ['generator', 'readable', 'web'];
  const abortOne = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      let seen = 0;
      socket.on('data', (chunk) => {
        seen += chunk.length;
        if (seen > 40 * 1024) {
          socket.destroy();
          resolve();
        }
      });
      socket.write(`GET /${kinds[i % 3]} HTTP/1.1\r\nHost: x\r\n\r\n`);
    });
  for (let batch = 0; batch < 10; batch++) await Promise.all(Array.from({ length: 100 }, (_, i) => abortOne(batch * 100 + i)));
  assert.ok(await waitFor(() => server.server.stats().open === 0 && cleaned === started, 5000), `open ${server.server.stats().open}, started ${started}, cleaned ${cleaned}`);
  assert.is(started, 1000);
  await server.close();
});

test('a handler that does not read: the server stops reading at the high-water mark', async () => {
  const HWM = 64 * 1024;
  let receivedWhileWaiting = -1;
  const server = await start(async (req) => {
    await sleep(300); // the client keeps sending meanwhile
    receivedWhileWaiting = req.body.received;
    return { length: (await req.body.bytes()).length };
  }, { highWaterMark: HWM, maxBodySize: 64 * MB });
  const res = await fetch(`${server.url}/`, { method: 'POST', body: Buffer.alloc(8 * MB, 'z') });
  assert.equal(await res.json(), { length: 8 * MB });
  // High-water mark plus what one socket read can bring (64 KiB).
  assert.ok(receivedWhileWaiting >= 0 && receivedWhileWaiting <= HWM + 64 * 1024, `buffered ${receivedWhileWaiting}`);
  await server.close();
});

test('maxPipelineDepth bounds the requests in flight on one connection', async () => {
  let active = 0;
  let most = 0;
  const server = await start(async () => {
    active++;
    most = Math.max(most, active);
    await sleep(5);
    active--;
    return 'ok';
  }, { maxPipelineDepth: 4 });
  const socket = net.connect(server.port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(40));
  assert.ok(await waitFor(() => (text.match(/HTTP\/1\.1 200/g) ?? []).length === 40, 5000));
  socket.destroy();
  assert.is(most, 4);
  await server.close();
});

test('Expect: 100-continue with node:http: the continue event comes, then the echo', async () => {
  const outcome = await new Promise<{ continued: boolean; body: string }>((resolve, reject) => {
    let continued = false;
    const req = http.request({ host: '127.0.0.1', port: demo.port, method: 'POST', path: '/echo', headers: { expect: '100-continue', 'content-length': 5 } });
    req.on('continue', () => {
      continued = true;
      req.end('hello');
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ continued, body }));
    });
    req.on('error', reject);
    req.flushHeaders();
  });
  assert.ok(outcome.continued);
  assert.is(outcome.body, 'hello');
});

test.run();
