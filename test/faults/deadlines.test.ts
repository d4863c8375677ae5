// Deadlines as a client meets them: slowloris heads get 408, silent and idle connections are closed, slow
// bodies get 408; each within its timeout plus one sweep period (plus scheduling slack on a busy machine).
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../helpers/process.js';
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
    const socket = net.connect(running.port, '127.0.0.1');
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
    const socket = net.connect(running.port, '127.0.0.1');
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

test.run();
