// The defects an outside attack found (issue "Hardening II"), each as the attacker met it: deadlines at an
// uptime past 2^31 ms, a stream of tiny chunks starving other requests, closing connections that never go,
// uncounted refusals, one-byte body chunks multiplying memory, and a steady slow reader of large chunks.
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ServerOptions } from '../../lib/config.js';
import type { Handler } from '../../lib/handle.js';
import { sleep, waitFor } from '../helpers/process.js';
import { start } from '../helpers/server.js';

const SLACK = 400; // scheduler delay on a shared 2-core machine

/** Past 2^31 ms (24.8 days) of uptime, where deadlines packed into int32 once wrapped negative. */
const LONG_UPTIME = 2 ** 31 + 123_456.5;
const weeksIn = (): number => performance.now() + LONG_UPTIME;

interface Peer {
  socket: net.Socket;
  text(): string;
  closed: Promise<number>; // ms from connect to close
}

/** A raw client. `halfOpen`: the server's FIN does not end our side (as a client that never closes). */
function connect(port: number, halfOpen = false): Promise<Peer> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: halfOpen });
    const t0 = performance.now();
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise<number>((done) => socket.on('close', () => done(performance.now() - t0)));
    socket.on('connect', () => resolve({ socket, text: () => text, closed }));
  });
}

async function withServer(handler: Handler, options: ServerOptions, body: (port: number, stats: () => ReturnType<import('../../lib/server.js').Server['stats']>) => Promise<void>): Promise<void> {
  const running = await start(handler, options);
  try {
    await body(running.port, () => running.server.stats());
  } finally {
    await running.close();
  }
}

const echoLength: Handler = async (req) => ({ read: (await req.body.bytes()).length });

/** As a preload would: performance.now() itself reads 24.8+ days for the duration of `body`. */
async function atLongUptime(body: () => Promise<void>): Promise<void> {
  const real = performance.now.bind(performance);
  performance.now = () => real() + LONG_UPTIME;
  try {
    await body();
  } finally {
    performance.now = real;
  }
}

test('uptime past 2^31 ms: an idle keep-alive connection lives its timeout, then closes', () =>
  atLongUptime(() =>
  withServer(echoLength, { keepAliveTimeout: 1000, keepAliveBuffer: 200 }, async (port) => {
    const peer = await connect(port);
    peer.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(await waitFor(() => peer.text().includes('{"read":0}'), 2000), 'answered');
    const answeredAt = performance.now();
    await sleep(600);
    assert.is(peer.socket.readyState, 'open', 'still open 0.6 s into a 1.2 s idle timeout');
    peer.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(await waitFor(() => peer.text().split('{"read":0}').length === 3, 2000), 'the kept connection is reused');
    await peer.closed;
    const idleMs = performance.now() - answeredAt;
    assert.ok(idleMs >= 600 + 1000, `closed ${idleMs.toFixed(0)} ms after the first answer`);
    assert.ok(idleMs <= 600 + 1200 + SLACK * 2, `closed ${idleMs.toFixed(0)} ms after the first answer`);
  })));

test('a server clock past 2^31 ms (option clock): a body 0.6 s late is read, not refused with 408', async () => {
  await withServer(echoLength, { clock: weeksIn, requestTimeout: 3000, headersTimeout: 2000 }, async (port) => {
    const peer = await connect(port);
    peer.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n');
    await sleep(600);
    peer.socket.write('hello');
    assert.ok(await waitFor(() => peer.text().includes('\r\n\r\n'), 2000), 'answered');
    assert.match(peer.text(), /^HTTP\/1\.1 200 OK\r\n[^]*\{"read":5\}$/);
    peer.socket.destroy();
  });
});

test('a timeout of 2^31 ms or more is kept, not wrapped into "expired at once"', async () => {
  await withServer(echoLength, { keepAliveTimeout: 2 ** 31, headersTimeout: 2 ** 32 }, async (port) => {
    const quiet = await connect(port);
    const peer = await connect(port);
    peer.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(await waitFor(() => peer.text().includes('{"read":0}'), 2000));
    await sleep(800);
    assert.is(peer.socket.readyState, 'open', 'the idle connection is kept');
    assert.is(quiet.socket.readyState, 'open', 'a silent new connection is kept');
    peer.socket.destroy();
    quiet.socket.destroy();
  });
});

test('empty lines on a kept-alive connection do not extend its idle deadline', async () => {
  await withServer(echoLength, { keepAliveTimeout: 800, keepAliveBuffer: 0 }, async (port) => {
    const peer = await connect(port);
    peer.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(await waitFor(() => peer.text().includes('{"read":0}'), 2000));
    const answeredAt = performance.now();
    for (let i = 0; i < 3; i++) {
      await sleep(250);
      peer.socket.write('\r\n'); // each would have restarted the 0.8 s idle deadline
    }
    await peer.closed;
    const ms = performance.now() - answeredAt;
    assert.ok(ms < 800 + SLACK + 150, `closed ${ms.toFixed(0)} ms after the answer (idle timeout 800 ms)`);
    assert.ok(ms >= 750, `closed ${ms.toFixed(0)} ms after the answer`);
  });
});

test('a stream of 300,000 one-byte chunks leaves in few writes and does not starve other requests', async () => {
  const CHUNKS = 300_000;
  let writes = 0;
  const block = Buffer.from('x');
  const handler: Handler = (req) =>
    req.path === '/stream'
      ? {
          body: (async function* () {
            for (let i = 0; i < CHUNKS; i++) yield block;
          })(),
        }
      : { ok: true };
  await withServer(handler, { hooks: { onWrite: (e) => void (writes += e.writes) } }, async (port) => {
    const streamer = await connect(port);
    const probe = await connect(port);
    const t0 = performance.now();
    streamer.socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => streamer.text().length > 1000, 5000, 1);
    const sent = performance.now();
    probe.socket.write('GET /probe HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(await waitFor(() => probe.text().includes('{"ok":true}'), 10_000, 1));
    const probeMs = performance.now() - sent;
    assert.ok(await waitFor(() => streamer.text().endsWith('0\r\n\r\n'), 30_000, 5), 'the stream ends');
    const streamMs = performance.now() - t0;
    const body = streamer.text().slice(streamer.text().indexOf('\r\n\r\n') + 4);
    assert.is(body, '1\r\nx\r\n'.repeat(CHUNKS) + '0\r\n\r\n', 'every chunk, framed, in order');
    // Before: a write per chunk, and the probe waited for the whole stream (seconds).
    assert.ok(writes < CHUNKS / 100, `${writes} writes for ${CHUNKS} chunks`);
    assert.ok(probeMs < Math.max(250, streamMs / 4), `the probe waited ${probeMs.toFixed(0)} ms (stream ${streamMs.toFixed(0)} ms)`);
    streamer.socket.destroy();
    probe.socket.destroy();
  });
});

test('a closing connection whose last write the reader never takes is gone within writeTimeout', async () => {
  // Writes stay under the (large) high-water mark, so none blocks: the kernel fills, then our buffer.
  const SIZE = 256 * 1024;
  const payload = 'z'.repeat(SIZE);
  await withServer(() => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: payload }), {
    highWaterMark: 64 * 1024 * 1024,
    keepAliveTimeout: 300,
    keepAliveBuffer: 0,
    writeTimeout: 600,
    closeLinger: 300,
  }, async (port, stats) => {
    let serverSide: net.Socket | null = null;
    const peer = await connect(port);
    peer.socket.pause(); // never reads
    for (let i = 0; i < 400 && (serverSide === null || (serverSide as net.Socket).writableLength === 0); i++) {
      const before = stats().responses;
      peer.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor(() => stats().responses > before, 2000, 2);
      serverSide ??= findServerSocket(port, peer.socket.localPort as number);
    }
    assert.ok(serverSide !== null && (serverSide as net.Socket).writableLength > 0, 'the kernel buffers filled');
    const full = performance.now();
    await waitFor(() => stats().open === 0, 5000, 10); // (the paused client does not see the reset)
    const ms = performance.now() - full;
    assert.is(stats().open, 0, `still open ${ms.toFixed(0)} ms after the buffers filled: ${JSON.stringify(stats().byState)}`);
    assert.ok(ms <= 300 + 600 + 300 + SLACK * 2, `gone after ${ms.toFixed(0)} ms`);
    assert.is(stats().closes['idle-timeout'], 1, 'closed for idling; the stalled write only delayed it');
    peer.socket.destroy();
  });
});

/** The server's end of a connection, found through the handles of this process (tests only). */
function findServerSocket(port: number, remotePort: number): net.Socket | null {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  for (const h of handles) {
    if (h instanceof net.Socket && h.localPort === port && h.remotePort === remotePort) return h;
  }
  return null;
}

test('maxConnections counts closing connections: a lingering one still holds its place', async () => {
  await withServer(() => ({ ok: true }), { maxConnections: 2, closeLinger: 1500 }, async (port, stats) => {
    const kept = await connect(port);
    const lingering = await connect(port, true);
    lingering.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.ok(await waitFor(() => stats().byState.closing === 1, 2000), 'the server closed its side; the client did not');
    const third = await connect(port);
    await third.closed;
    assert.match(third.text(), /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    assert.is(stats().refused, 1);
    kept.socket.destroy();
    lingering.socket.destroy();
  });
});

test('a connection flood over maxConnections holds a bounded number of sockets', async () => {
  await withServer(() => ({ ok: true }), { maxConnections: 1, closeLinger: 2000 }, async (port, stats) => {
    const held = await connect(port);
    const flood: Peer[] = [];
    let peak = 0;
    for (let i = 0; i < 150; i++) {
      flood.push(await connect(port, true)); // never closes its side: a refusal would linger its full 2 s
      peak = Math.max(peak, stats().open);
    }
    await sleep(50);
    peak = Math.max(peak, stats().open);
    assert.ok(peak <= 1 + 16, `peak ${peak} open sockets`);
    assert.is(stats().refused, 150);
    const answered = flood.filter((p) => p.text().startsWith('HTTP/1.1 503')).length;
    assert.ok(answered >= 1 && answered <= 16, `${answered} got a 503`);
    for (const p of flood) p.socket.destroy();
    held.socket.destroy();
  });
});

/** Heap in use after a full garbage collection. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

test('one-byte body chunks cost their bytes: 20 held bodies of 65,535 chunks stay small', async () => {
  const CONNECTIONS = 20;
  const CHUNKS = 65_535; // just under the high-water mark: the answer waits for the whole body
  let handled = 0;
  await withServer(() => ({ handled: ++handled }), {}, async (port, stats) => {
    const before = heapAfterGc();
    const peers = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(port)));
    const body = Buffer.from('1\r\nx\r\n'.repeat(CHUNKS));
    for (const p of peers) {
      p.socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
      p.socket.write(body);
    }
    const target = CONNECTIONS * CHUNKS * 6;
    assert.ok(await waitFor(() => stats().bytesIn >= target, 20_000), 'every chunk arrived');
    const held = heapAfterGc() - before;
    // Before: ~100 bytes of Buffer object per one-byte chunk (~130 MB here). Now: the bytes, in segments.
    assert.ok(held < 24 * 1024 * 1024, `${(held / 1048576).toFixed(1)} MB held for ${CONNECTIONS} bodies of ${CHUNKS} bytes`);
    for (const p of peers) p.socket.write('0\r\n\r\n');
    assert.ok(await waitFor(() => peers.every((p) => p.text().includes('"handled"')), 5000), 'each answered once its body ended');
    for (const p of peers) p.socket.destroy();
  });
});

test('await req.body.json() of 1 MiB sent as one-byte chunks holds about its size', async () => {
  const value = { text: 'y'.repeat(1024 * 1024 - 12) };
  const json = JSON.stringify(value);
  const handler: Handler = async (req) => {
    const parsed = (await req.body.json()) as { text: string };
    return { length: parsed.text.length };
  };
  const bytes = Buffer.from(json);
  const wire = Buffer.alloc(bytes.length * 6 + 5, '1\r\nx\r\n');
  for (let i = 0; i < bytes.length; i++) wire[i * 6 + 3] = bytes[i] as number;
  wire.write('0\r\n\r\n', bytes.length * 6, 'latin1');
  await withServer(handler, { maxBodySize: 2 * 1024 * 1024 }, async (port, stats) => {
    const before = heapAfterGc();
    const peer = await connect(port);
    peer.socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    peer.socket.write(wire);
    // Measured while json() collects: most of the body has arrived, its end has not.
    assert.ok(await waitFor(() => stats().bytesIn >= wire.length * 0.7, 20_000, 1));
    const held = heapAfterGc() - before;
    assert.ok(await waitFor(() => peer.text().includes(`{"length":${value.text.length}}`), 20_000), peer.text().slice(0, 200));
    assert.ok(held < 16 * 1024 * 1024, `${(held / 1048576).toFixed(1)} MB held while reading a 1 MiB body`);
    peer.socket.destroy();
  });
});

test('a steady reader (~6 MiB/s) of a 16 MiB stream chunk gets every byte (progress is seen slice by slice)', async () => {
  const SIZE = 16 * 1024 * 1024;
  const block = Buffer.alloc(SIZE, 's');
  const handler: Handler = () => ({
    body: (async function* () {
      yield block;
      yield 'end';
    })(),
  });
  // The chunk takes ~2.5 s to drain, the write timeout is 1 s: only progress seen within a chunk saves it.
  await withServer(handler, { writeTimeout: 1000 }, async (port) => {
    const peer = await connect(port);
    peer.socket.removeAllListeners('data'); // read on our own schedule: ~128 KiB per 20 ms
    peer.socket.pause();
    let received = 0;
    peer.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const reading = setInterval(() => {
      for (let budget = 128 * 1024; budget > 0; ) {
        const data = peer.socket.read() as Buffer | null;
        if (data === null) break;
        received += data.length;
        budget -= data.length;
      }
    }, 20);
    let ended = false;
    peer.socket.on('end', () => (ended = true));
    const done = (await waitFor(() => received >= SIZE + 3 || ended, 20_000, 20)) && !ended;
    clearInterval(reading);
    assert.ok(done, `received ${received} of ${SIZE + 3} body bytes before the connection ended`);
    peer.socket.destroy();
  });
});

test.run();
