// Deadlines as a client meets them: slowloris heads get 408, silent and idle connections are closed, slow
// bodies get 408; each within its timeout plus one sweep period (plus scheduling slack on a busy machine).
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../helpers/process.js';
import { dial } from '../helpers/transport.js';
import { start, type Running } from '../helpers/server.js';

const HEADERS = 600;
const REQUEST = 1500;
const KEEP_ALIVE = 1000;
const BUFFER = 300;
const SLACK = 300; // event-loop and scheduler delay on a shared 2-core machine

let running: Running;

test.before(async () => {
  running = await start(async (req) => ({ read: (await req.body.text()).length }), {
    headersTimeout: HEADERS,
    requestTimeout: REQUEST,
    keepAliveTimeout: KEEP_ALIVE,
    keepAliveBuffer: BUFFER,
  });
});

test.after(async () => {
  await running.close();
});

interface Outcome {
  ms: number;
  text: string;
}

/** Connects, lets `drive` talk, and resolves when the server closes the connection. */
function until_closed(drive: (socket: net.Socket, started: () => void) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = dial(running.port, '127.0.0.1');
    let t0 = performance.now();
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ ms: performance.now() - t0, text }));
    drive(socket, () => (t0 = performance.now()));
  });
}

test('the sweep period follows the shortest timeout', () => {
  const period = running.server.sweepPeriod;
  assert.ok(period <= HEADERS / 4, `period ${period}`);
  assert.ok(period >= 10);
});

test('slowloris: one header byte every 200 ms gets 408 and a close within headersTimeout + a sweep', async () => {
  const request = `GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
  const outcome = await until_closed((socket) => {
    let i = 0;
    const tick = setInterval(() => {
      if (socket.destroyed || i >= request.length) clearInterval(tick);
      else socket.write(request[i++] as string);
    }, 200);
    socket.on('close', () => clearInterval(tick));
  });
  assert.match(outcome.text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(outcome.text, /Connection: close\r\n/);
  assert.ok(outcome.ms >= HEADERS - 50, `closed after ${outcome.ms} ms`);
  assert.ok(outcome.ms <= HEADERS + running.server.sweepPeriod + SLACK, `closed after ${outcome.ms} ms`);
});

test('a connection that never sends a byte is closed without a response', async () => {
  const outcome = await until_closed(() => {});
  assert.is(outcome.text, '');
  assert.ok(outcome.ms >= HEADERS - 50 && outcome.ms <= HEADERS + running.server.sweepPeriod + SLACK, `closed after ${outcome.ms} ms`);
});

test('an idle keep-alive connection closes after keepAliveTimeout + buffer, advertising timeout=1', async () => {
  let responseAt = 0;
  const outcome = await until_closed((socket, started) => {
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.once('data', () => {
      responseAt = performance.now();
      started();
    });
  });
  assert.ok(responseAt > 0);
  assert.match(outcome.text, /Keep-Alive: timeout=1\r\n/);
  assert.ok(outcome.ms >= KEEP_ALIVE + BUFFER - 50, `idle for ${outcome.ms} ms`);
  assert.ok(outcome.ms <= KEEP_ALIVE + BUFFER + running.server.sweepPeriod + SLACK, `idle for ${outcome.ms} ms`);
});

test('a client that reuses an idle connection just before the advertised timeout is served', async () => {
  const text = await new Promise<string>((resolve) => {
    const socket = dial(running.port, '127.0.0.1');
    let seen = '';
    let sent = 1;
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (sent === 1 && seen.includes('\r\n\r\n')) {
        sent = 2;
        // The advertised timeout is 1 s; reuse at 0.95 s, well inside the server's buffer.
        setTimeout(() => socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), KEEP_ALIVE - 50);
      }
    });
    socket.on('close', () => resolve(seen));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  assert.is(text.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
});

test('a body that stops arriving gets 408 after requestTimeout', async () => {
  const outcome = await until_closed((socket) => {
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello');
  });
  assert.match(outcome.text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(outcome.text, /"code":"H1W_REQUEST_TIMEOUT"/);
  assert.ok(outcome.ms >= REQUEST - 50 && outcome.ms <= REQUEST + running.server.sweepPeriod + SLACK, `after ${outcome.ms} ms`);
});

test('every close is counted by its reason', async () => {
  assert.ok(await waitFor(() => running.server.stats().open === 0, 2000));
  const closes = running.server.stats().closes;
  assert.ok(closes['headers-timeout'] >= 2, JSON.stringify(closes));
  assert.ok(closes['idle-timeout'] >= 1, JSON.stringify(closes));
  assert.ok(closes['request-timeout'] >= 1, JSON.stringify(closes));
});

// ---- the write-stall deadline and the linger after our FIN ---------------------------------------------------

const WRITE = 500;
const LINGER = 300;
const BIG = 8 * 1024 * 1024; // far more than loopback socket buffers take from a client that does not read

async function stallServer(): Promise<Running> {
  return start(() => ({ status: 200, headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(BIG, 's') }), {
    writeTimeout: WRITE,
    closeLinger: LINGER,
    headersTimeout: 10_000,
  });
}

test('a client that stops reading mid-response is destroyed after writeTimeout + a sweep (write-stalled)', async () => {
  const server = await stallServer();
  const socket = dial(server.port, '127.0.0.1');
  try {
    let received = 0;
    let lastData = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      lastData = performance.now();
      socket.pause(); // read one chunk, then nothing more (a paused socket does not see the reset either)
    });
    socket.on('error', () => {});
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(await waitFor(() => lastData > 0, 3000), 'the response began');
    const released = await waitFor(() => server.server.stats().open === 0, WRITE + server.server.sweepPeriod + SLACK + 500, 5);
    const ms = performance.now() - lastData; // the server blocked at about the moment we stopped reading
    assert.ok(released, `still open ${ms} ms after the reader stopped`);
    assert.ok(received < BIG, `read ${received} bytes`);
    assert.ok(ms >= WRITE - 50, `destroyed ${ms} ms after the reader stopped`);
    assert.ok(ms <= WRITE + server.server.sweepPeriod + SLACK + 200, `destroyed ${ms} ms after the reader stopped`);
    assert.is(server.server.stats().closes['write-stalled'], 1);
  } finally {
    socket.destroy();
    await server.close();
  }
});

test('a reader slower than one writeTimeout per body, but steady, is not write-stalled: it gets the whole body', async () => {
  // 16 MiB at about 6 MiB/s takes well over the 1 s writeTimeout. The body leaves in slices as the socket
  // drains, so the reader's progress shows; one 16 MiB write would show none until its last byte.
  const size = 16 * 1024 * 1024;
  const server = await start(() => ({ status: 200, headers: { 'Content-Type': 'application/octet-stream' }, body: 'w'.repeat(size) }), {
    writeTimeout: 1000,
    headersTimeout: 10_000,
  });
  try {
    const t0 = performance.now();
    const received = await new Promise<number>((resolve) => {
      const socket = dial(server.port, '127.0.0.1');
      let total = 0;
      let sinceResume = 0;
      // About 64 KiB every 10 ms, whatever the read size (over TLS a read is one 16 KiB record).
      socket.on('data', (chunk: Buffer) => {
        total += chunk.length;
        sinceResume += chunk.length;
        if (sinceResume >= 64 * 1024) socket.pause();
      });
      const pace = setInterval(() => {
        sinceResume = 0;
        socket.resume();
      }, 10);
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(pace);
        resolve(total);
      });
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    const ms = performance.now() - t0;
    assert.ok(received > size, `received ${received} bytes in ${ms.toFixed(0)} ms: the whole body and its head`);
    assert.ok(ms > 1000, `took ${ms.toFixed(0)} ms: longer than writeTimeout, or the test proves nothing`);
    assert.is(server.server.stats().closes['write-stalled'], 0);
  } finally {
    await server.close();
  }
});

test('after our FIN, a client that never closes its side is let go after closeLinger + a sweep', async () => {
  const server = await stallServer();
  try {
    const socket = dial(server.port, '127.0.0.1', { allowHalfOpen: true });
    socket.on('error', () => {});
    let finAt = 0;
    socket.on('end', () => (finAt = performance.now()));
    socket.on('data', () => {}); // read the response (and so receive the FIN)
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.ok(await waitFor(() => finAt > 0, 5000), 'the server ended its side');
    assert.ok(await waitFor(() => server.server.stats().open === 0, LINGER + server.server.sweepPeriod + SLACK + 200), 'released');
    const ms = performance.now() - finAt;
    assert.ok(ms >= LINGER - 50, `released ${ms} ms after the FIN`);
    socket.destroy();
  } finally {
    await server.close();
  }
});

test.run();
