// Bugs found by the property, fuzz and fault tests, each kept as the behaviour a user sees, so that they
// stay fixed: streams that would never be cancelled, a Readable that crashed the process, idle connections
// that were never closed, a HEAD refusal with a body, requests left waiting behind a failed stream.
import fs from 'node:fs';
import net from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { router } from '../../lib/router.js';
import { html } from '../../lib/serializers/html.js';
import { talk } from '../helpers/exact.js';
import { openFds, sleep, waitFor } from '../helpers/process.js';
import { start } from '../helpers/server.js';

/** Connects, sends `request`, and resets the connection after `ms`. */
async function leaveAfter(port: number, request: string, ms: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(request);
  await sleep(ms);
  socket.destroy();
}

test('a stream a handler returns after its client left is cancelled (no open file, cancel() runs)', async () => {
  let fileClosed = false;
  let webCancelled = false;
  const server = await start(async (req) => {
    await sleep(80); // the client leaves meanwhile
    if (req.path === '/file') {
      const file = fs.createReadStream(fileURLToPath(import.meta.url));
      file.on('close', () => (fileClosed = true));
      return { body: file };
    }
    return { body: new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(16)), cancel: () => void (webCancelled = true) }) };
  });
  try {
    const fds = openFds();
    await leaveAfter(server.port, 'GET /file HTTP/1.1\r\nHost: x\r\n\r\n', 20);
    await leaveAfter(server.port, 'GET /web HTTP/1.1\r\nHost: x\r\n\r\n', 20);
    assert.ok(await waitFor(() => fileClosed && webCancelled, 2000), `fileClosed ${fileClosed}, webCancelled ${webCancelled}`);
    assert.ok(await waitFor(() => server.server.stats().open === 0 && openFds() === fds, 2000), 'descriptors back');
  } finally {
    await server.close();
  }
});

test('a Node Readable cancelled before it was ever read does not crash the process', async () => {
  let destroyed = 0;
  const server = await start(() => {
    const body = Readable.from([Buffer.from('abc')]);
    body.on('close', () => destroyed++);
    return { status: 200, body };
  });
  try {
    // The body of the request never completes, so the response is held, then the client leaves.
    await leaveAfter(server.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc', 50);
    // Pipelined behind a slow one, then the client leaves.
    await leaveAfter(server.port, 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab', 50);
    assert.ok(await waitFor(() => server.server.stats().open === 0, 2000));
    assert.ok(destroyed >= 2);
    const res = await fetch(`${server.url}/`);
    assert.is(await res.text(), 'abc', 'the process is alive and serving');
  } finally {
    await server.close();
  }
});

test('a kept connection that goes idle again after each request still closes at its idle deadline', async () => {
  const server = await start(() => 'ok', { keepAliveTimeout: 1000, keepAliveBuffer: 200 });
  try {
    const closed = await new Promise<number>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      let answers = 0;
      let lastAnswer = 0;
      socket.on('data', () => {
        answers++;
        lastAnswer = performance.now();
        if (answers === 1) socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'); // idle → a request → idle
        else setTimeout(() => socket.write('\r\n'), 100); // an empty line on an idle connection
      });
      socket.on('close', () => resolve(performance.now() - lastAnswer));
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    assert.ok(closed < 1200 + 100 + server.server.sweepPeriod + 500, `closed ${closed.toFixed(0)} ms after the last answer`);
  } finally {
    await server.close();
  }
});

test('a new connection that sends only empty lines is closed at the headers deadline', async () => {
  const server = await start(() => 'ok', { headersTimeout: 500 });
  try {
    const result = await talk(server.port, '\r\n\r\n', { untilClose: true, timeoutMs: 3000 });
    assert.ok(result.closed, 'closed');
    assert.is(result.text, '');
  } finally {
    await server.close();
  }
});

test('a HEAD request refused by the head rules is answered without a body', async () => {
  const server = await start(() => 'ok');
  try {
    for (const request of ['HEAD / HTTP/1.1\r\n\r\n', 'HEAD / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 'HEAD / HTTP/5.1\r\nHost: a\r\n\r\n']) {
      const result = await talk(server.port, request, { untilClose: true, heads: [0] });
      const status = result.responses[0]?.status ?? 0;
      assert.ok(status >= 400, JSON.stringify(request));
      assert.match(result.text, /Content-Length: \d+\r\n/);
      assert.ok(result.text.endsWith('\r\n\r\n'), `no body after the head for ${JSON.stringify(request)}`);
    }
  } finally {
    await server.close();
  }
});

test('requests pipelined behind a stream that fails are aborted (their signal fires)', async () => {
  let aborted = 0;
  let waiting = 0;
  const server = await start(
    router({
      'GET /fail': () => ({
        body: (async function* () {
          yield 'a';
          await sleep(50);
          throw new Error('the source broke');
        })(),
      }),
      'GET /wait': (req) =>
        new Promise((_, reject) => {
          waiting++;
          req.signal.addEventListener('abort', () => {
            aborted++;
            reject(req.signal.reason);
          });
        }),
    }),
  );
  try {
    await talk(server.port, 'GET /fail HTTP/1.1\r\nHost: x\r\n\r\nGET /wait HTTP/1.1\r\nHost: x\r\n\r\n', { untilClose: true });
    assert.ok(await waitFor(() => server.server.stats().open === 0, 2000));
    assert.is(waiting, 1);
    assert.is(aborted, 1);
  } finally {
    await server.close();
  }
});

test('a stream that fails before its first chunk is a clean 500; the connection lives on', async () => {
  const server = await start(() => ({
    body: (async function* () {
      throw new Error('before the first chunk');
    })(),
  }));
  try {
    const result = await talk(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.0\r\n\r\n', { responses: 2, untilClose: true });
    assert.equal(result.responses.map((r) => r.status), [500, 500]);
    assert.match(result.text, /"code":"H1W_STREAM_FAILED"/);
    assert.ok(result.fin, 'the HTTP/1.0 one closes normally');
  } finally {
    await server.close();
  }
});

test('html`` closes the async iterables it renders when the response is cancelled', async () => {
  let cleaned = false;
  const server = await start(() =>
    html`<ul>${(async function* () {
      try {
        for (;;) {
          yield html`<li>${'x'.repeat(1000)}</li>`;
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        cleaned = true;
      }
    })()}</ul>`,
  );
  try {
    await leaveAfter(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 30);
    assert.ok(await waitFor(() => cleaned, 2000));
  } finally {
    await server.close();
  }
});

test.run();
