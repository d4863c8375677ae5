// The life cycle of a fetch app's request and response on h1wire, as a client on a real socket sees it: bodies
// the app never reads, reads in part or cancels (and what the next request on the connection gets), an upload
// read slowly (the socket is paused), response streams that fail midway or before their first chunk, clients
// that leave while a stream or SSE is sent or while the app still awaits (request.signal, the stream's cancel(),
// nothing left open), throws and rejections with a request pipelined behind, and what HTTP/1.1 framing makes of
// 204, 304, HEAD and a Content-Length that disagrees with the body.
//
// Where node-server (node:http) behaves otherwise, the test says which side the RFCs or the fetch standard
// take, and why h1wire keeps its way.
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchHandler, type FetchApp } from '../../lib/fetch-handler.js';
import type { ServerOptions } from '../../lib/config.js';
import type { Request as H1Request } from '../../lib/request.js';
import { Conversation, everyVariant, talk } from '../helpers/exact.js';
import { exchange } from '../helpers/exchange.js';
import { ProcessWatch, settledTo, snapshot, TimerWatch, type Snapshot } from '../helpers/leaks.js';
import { sleep, waitFor } from '../helpers/process.js';
import { headerOf, type Response as Parsed } from '../helpers/response-parser.js';
import { restoreUndiciGlobals } from '../helpers/side-by-side.js';
import { start, type Running } from '../helpers/server.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const enc = new TextEncoder();

const lifecycle = suite('fetch life cycle');

let baseline: Snapshot;
let timers: TimerWatch;
let watch: ProcessWatch;

lifecycle.before(async () => {
  // Warm up what every test makes once (the WebAssembly parser, the light Response), and let the
  // Date cache timer expire, so that what is left at the end is what the tests left.
  const running = await serve(() => new Response('warm'));
  await exchange(running.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await running.close();
  await sleep(1100);
  watch = new ProcessWatch();
  baseline = snapshot();
  timers = new TimerWatch();
});

lifecycle.after(() => {
  timers.stop();
  watch.stop();
  restoreUndiciGlobals();
});

function serve<Env>(app: FetchApp<Env>, options: ServerOptions = {}): Promise<Running> {
  return start(fetchHandler(app), { maxBodySize: 32 * MiB, ...options });
}

/** `size` bytes of body that read as requests, were they ever parsed as such. */
function smuggling(size: number): Buffer {
  const fake = Buffer.from('GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');
  const body = Buffer.alloc(size);
  for (let at = 0; at < size; at += fake.length) fake.copy(body, at, 0, Math.min(fake.length, size - at));
  return body;
}

function sized(path: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
}

function chunked(path: string, body: Buffer, chunkSize: number): Buffer {
  const parts: Buffer[] = [Buffer.from(`POST ${path} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n`, 'latin1')];
  for (let at = 0; at < body.length; at += chunkSize) {
    const piece = body.subarray(at, at + chunkSize);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`, 'latin1'), piece, Buffer.from('\r\n', 'latin1'));
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

const SECOND = Buffer.from('GET /second HTTP/1.1\r\nHost: a\r\n\r\n', 'latin1');

function bodyOf(res: Parsed | undefined): string {
  return res === undefined ? '(none)' : res.body.toString('latin1');
}

/** The app of the body tests: records each request it sees, answers POST /<how> after doing <how> with its
 * body, and GET /second with "second". */
function bodyApp(seen: string[]): FetchApp {
  return async (request) => {
    const path = new URL(request.url).pathname;
    seen.push(`${request.method} ${path}`);
    const body = request.body;
    if (path === '/ignore' || body === null) return new Response(path === '/second' ? 'second' : 'first');
    if (path === '/cancel') await body.cancel();
    else {
      const reader = body.getReader();
      const first = await reader.read();
      if (path === '/part-then-cancel') await reader.cancel();
      return new Response(`first read ${first.value?.length ?? 0}`);
    }
    return new Response('first');
  };
}

lifecycle('a body the app never reads: skipped when small, else the head says close and no byte of it is read as a request', async () => {
  const seen: string[] = [];
  const running = await serve(bodyApp(seen));
  try {
    // Past maxDiscardSize (256 KiB), sized or chunked: answered, `Connection: close`, an orderly close, and the
    // request behind it never answered (the client may retry it, RFC 9112 §9.3.2). node:http would read and drop
    // the whole body to keep the connection (node-server drains up to 64 MiB); h1wire bounds what it reads for
    // nobody (documented `maxDiscardSize`, closes['unread-body']), and says so in the head.
    for (const request of [sized('/ignore', smuggling(MiB)), chunked('/ignore', smuggling(MiB), 16 * KiB)]) {
      seen.length = 0;
      const result = await talk(running.port, Buffer.concat([request, SECOND]), { untilClose: true, timeoutMs: 8000 });
      assert.is(result.responses.length, 1, result.text.slice(0, 300));
      assert.is(bodyOf(result.responses[0]), 'first');
      assert.is(headerOf(result.responses[0]!.headers, 'connection'), 'close');
      assert.ok(result.fin && !result.reset, `an orderly close, not a reset (fin=${result.fin} reset=${result.reset})`);
      assert.equal(seen, ['POST /ignore']);
    }
    assert.ok(await waitFor(() => running.server.stats().closes['unread-body'] === 2, 2000), 'both counted as unread-body');
    // Within it: the rest is read and dropped, and the request behind it is answered on the same connection,
    // whatever the cuts between the writes.
    await everyVariant(async (v) => {
      for (const request of [sized('/ignore', smuggling(100 * KiB)), chunked('/ignore', smuggling(10 * KiB), 700)]) {
        const result = await talk(running.port, Buffer.concat([request, SECOND]), { responses: 2, split: v.split, seed: v.seed, timeoutMs: 8000 });
        assert.equal(result.responses.map(bodyOf), ['first', 'second']);
        assert.is(headerOf(result.responses[0]!.headers, 'connection'), 'keep-alive');
        assert.not.ok(result.closed, 'kept');
      }
    }, [{ split: 'whole', seed: 1, label: 'whole' }, { split: 'random', seed: 7, label: 'random split, seed 7' }]);
    assert.not.ok(seen.includes('GET /smuggled'), 'no byte of a body was parsed as a request');
  } finally {
    await running.close();
  }
});

lifecycle('a body read in part or cancelled, then answered: the head says close when the rest is too large to skip', async () => {
  const seen: string[] = [];
  const running = await serve(bodyApp(seen));
  try {
    // The app answered with a whole body: once it is written, nobody reads the rest, whether the app read a
    // chunk of it, cancelled it, or both. A head saying keep-alive, then a close, would let the client send the
    // next request for nothing. (A cancelled body never fills the buffer: its answer went only once the whole
    // body, past maxDiscardSize, had been read and dropped.)
    for (const path of ['/part', '/cancel', '/part-then-cancel']) {
      seen.length = 0;
      for (const request of [sized(path, smuggling(MiB)), chunked(path, smuggling(MiB), 32 * KiB)]) {
        const result = await talk(running.port, Buffer.concat([request, SECOND]), { untilClose: true, timeoutMs: 8000 });
        assert.is(result.responses.length, 1, `${path}: ${result.text.slice(0, 300)}`);
        assert.is(headerOf(result.responses[0]!.headers, 'connection'), 'close', path);
        assert.ok(result.fin && !result.reset, `${path}: an orderly close (fin=${result.fin} reset=${result.reset})`);
      }
      assert.equal(seen, [`POST ${path}`, `POST ${path}`]);
    }
    // Small enough to skip: kept, and the next request answered, at any cuts.
    await everyVariant(async (v) => {
      for (const path of ['/part', '/cancel', '/part-then-cancel']) {
        for (const request of [sized(path, smuggling(100 * KiB)), chunked(path, smuggling(3 * KiB), 100)]) {
          const result = await talk(running.port, Buffer.concat([request, SECOND]), { responses: 2, split: v.split, seed: v.seed, timeoutMs: 8000 });
          assert.is(bodyOf(result.responses[1]), 'second', `${path} ${v.label}`);
          assert.not.ok(result.closed, `${path}: kept`);
        }
      }
    }, [{ split: 'whole', seed: 1, label: 'whole' }, { split: 'random', seed: 99, label: 'random split, seed 99' }]);
    assert.not.ok(seen.includes('GET /smuggled'));
  } finally {
    await running.close();
  }
});

lifecycle('an app that answers and reads on gets an error once the rest is dropped, never a cut body that looks whole', async () => {
  // node:http keeps feeding a request body to a reader after the response (node-server would deliver it
  // all); h1wire drops the rest of a body nobody read by the time the response is sent (above). The reader must
  // then learn it: a stream that ends early would pass a truncated upload off as complete (fetch: a body that
  // does not arrive whole errors its stream).
  let outcome: Promise<string> = Promise.resolve('not called');
  const running = await serve((request) => {
    if (request.body === null) return new Response('second');
    const reader = request.body.getReader();
    outcome = (async () => {
      let bytes = 0;
      try {
        for (let step = await reader.read(); step.done !== true; step = await reader.read()) {
          bytes += step.value.length;
          await sleep(1);
        }
        return `ended after ${bytes} bytes`;
      } catch (error) {
        return `${(error as Error).name}: ${(error as { code?: string }).code}`;
      }
    })();
    return new Response('accepted', { status: 202 });
  });
  try {
    for (const size of [100 * KiB, 2 * MiB]) {
      // The head and 80 KiB (past the high-water mark, so the answer may leave before the body is whole); the
      // rest only after the answer came.
      const request = sized('/upload', smuggling(size));
      const cut = request.indexOf('\r\n\r\n') + 4 + 80 * KiB;
      const conversation = await Conversation.open(running.port);
      try {
        await conversation.write(request.subarray(0, cut));
        const answer = await conversation.until((t) => t.includes('accepted'), 3000, 'the 202');
        assert.is(await outcome, 'BodyDiscardedError: H1W_BODY_DISCARDED', `${size} bytes`);
        if (size > 256 * KiB) {
          assert.match(answer, /\r\nConnection: close\r\n/);
          continue;
        }
        // Within maxDiscardSize: the rest is skipped and the connection serves the next request.
        await conversation.write(Buffer.concat([request.subarray(cut), SECOND]));
        await conversation.until((t) => t.endsWith('second'), 3000, 'the second response');
      } finally {
        conversation.destroy();
      }
    }
  } finally {
    await running.close();
  }
});

lifecycle('an upload read slowly: the socket is paused, and the server holds about a high-water mark of it', async () => {
  // Backpressure reaches the socket: between the app's reads (1 ms apart), h1wire stops reading once a
  // high-water mark (64 KiB) is buffered, so what it has received but the app not yet read stays near that,
  // while the client would write the whole body at once.
  const total = 8 * MiB;
  let mostHeld = 0;
  let reads = 0;
  const app: FetchApp<{ request: H1Request }> = async (request, env) => {
    const reader = (request.body as ReadableStream<Uint8Array>).getReader();
    let consumed = 0;
    let sum = 0;
    for (let step = await reader.read(); step.done !== true; step = await reader.read()) {
      reads++;
      consumed += step.value.length;
      for (const byte of step.value) sum = (sum + byte) % 65521;
      mostHeld = Math.max(mostHeld, env.request.body.received - consumed);
      await sleep(1);
    }
    return Response.json({ consumed, sum });
  };
  const running = await serve(app);
  try {
    const body = Buffer.alloc(total);
    let sum = 0;
    for (let i = 0; i < total; i++) {
      body[i] = (i * 7 + (i >> 12)) & 0xff;
      sum = (sum + body[i]!) % 65521;
    }
    const [res] = await exchange(running.port, sized('/upload', body), { timeoutMs: 30_000 });
    assert.equal(JSON.parse(bodyOf(res)), { consumed: total, sum });
    assert.ok(reads > 16, `${reads} reads`);
    assert.ok(mostHeld <= 256 * KiB, `held up to ${mostHeld} bytes the app had not read`);
  } finally {
    await running.close();
  }
});

lifecycle('a response stream that fails midway: its chunks, no last chunk, a reset; failing at once is a 500 and the connection goes on', async () => {
  const app: FetchApp = (request) => {
    const path = new URL(request.url).pathname;
    let n = 0;
    if (path === '/midway') {
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            await sleep(5);
            if (++n <= 2) controller.enqueue(enc.encode(`part${n};`));
            else controller.error(new Error('the source broke'));
          },
        }),
      );
    }
    if (path === '/not-bytes' || path === '/not-bytes-later') {
      // Fetch: a body stream's chunks must be Uint8Arrays (reading one that yields anything else is a TypeError).
      const later = path === '/not-bytes-later';
      return new Response(
        new ReadableStream<unknown>({
          async start(controller) {
            if (later) {
              controller.enqueue(enc.encode('bytes;'));
              await sleep(10);
            }
            controller.enqueue(42);
            controller.close();
          },
        }) as ReadableStream<Uint8Array>,
      );
    }
    if (path === '/at-once') return new Response(new ReadableStream({ pull: () => Promise.reject(new Error('broke at once')) }));
    if (path === '/late') {
      // Silent for a while, then fails before any chunk: its head has left by then (after one turn, as for any
      // stream, and as node-server flushes it), so it is cut like one that failed midway.
      return new Response(new ReadableStream({ pull: () => sleep(30).then(() => Promise.reject(new Error('broke late'))) }));
    }
    return new Response('ok');
  };
  const running = await serve(app);
  try {
    for (const path of ['/midway', '/late', '/not-bytes-later']) {
      const result = await talk(running.port, `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\nGET /ok HTTP/1.1\r\nHost: a\r\n\r\n`, { untilClose: true });
      const text = result.text;
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n/, path);
      assert.match(text, /\r\nTransfer-Encoding: chunked\r\n/i, path);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      const sent = { '/midway': '6\r\npart1;\r\n6\r\npart2;\r\n', '/late': '', '/not-bytes-later': '6\r\nbytes;\r\n' }[path];
      assert.is(body, sent, `${path}: the chunks sent, and no last chunk`);
      assert.ok(result.reset, `${path}: reset, so that no client takes the body for whole`);
      assert.is(result.responses.filter((r) => r.status === 200 && bodyOf(r) === 'ok').length, 0, `${path}: nothing after it`);
    }
    const next = await exchange(running.port, 'GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.is(bodyOf(next[0]), 'ok', 'a new connection is served');
    // Failing at once, or a chunk that is not bytes as the only one (before this, the socket refused it at the
    // write: no answer, the request behind it stuck, and an uncaught exception when the connection closed).
    await everyVariant(async (v) => {
      for (const path of ['/at-once', '/not-bytes']) {
        const result = await talk(running.port, `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\nGET /ok HTTP/1.1\r\nHost: a\r\n\r\n`, { responses: 2, split: v.split, seed: v.seed });
        assert.equal(result.responses.map((r) => r.status), [500, 200], path);
        assert.is(bodyOf(result.responses[1]), 'ok');
        assert.not.ok(result.closed);
      }
    });
  } finally {
    await running.close();
  }
});

/** What the apps of the leaving-client tests saw. */
interface Left {
  reason?: unknown;
  cancelled?: unknown;
  finished?: boolean;
}

function abortsOf(request: Request, left: Left): void {
  request.signal.addEventListener('abort', () => (left.reason = request.signal.reason), { once: true });
}

/** Opens a connection, sends `request`, waits for `ready` (what came back, or what the app saw), and leaves (a
 * reset when `reset`, else a FIN and a close). */
/** An SSE stream that ticks every 10 ms until aborted, noting in `left` what the app saw of the end. */
function tickingSse(c: Context, left: Left): Response {
  abortsOf(c.req.raw, left);
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => {
      left.cancelled = 'onAbort';
    });
    for (let i = 0; !stream.aborted; i++) {
      await stream.writeSSE({ data: `tick ${i}` });
      await stream.sleep(10);
    }
    left.finished = true;
  });
}

async function leaveAfter(port: number, request: string, ready: (conversation: Conversation) => Promise<unknown>, reset: boolean): Promise<string> {
  const conversation = await Conversation.open(port);
  await conversation.write(request);
  await ready(conversation);
  const text = conversation.text();
  if (reset) conversation.socket.resetAndDestroy();
  else conversation.socket.end(() => conversation.destroy());
  return text;
}

function isAbort(reason: unknown): boolean {
  return reason instanceof Error && reason.name === 'AbortError' && (reason as { code?: string }).code === 'H1W_CONNECTION_CLOSED';
}

lifecycle('the client leaves mid-stream, mid-SSE, before the first event, or while the app awaits: signal, cancel(), nothing open', async () => {
  // node-server aborts request.signal with a string ("Client connection prematurely closed."); h1wire with an
  // Error named AbortError (the name fetch gives an abort), with a stable code and who closed.
  const probes: Record<string, Left> = {};
  const hono = new Hono();
  hono.get('/sse', (c) => tickingSse(c, (probes.sse = {} as Left)));
  hono.get('/sse-silent', (c) => {
    // Waits for an event that never comes: only the response stream's cancel() can end it.
    const left = (probes['sse-silent'] = {} as Left);
    abortsOf(c.req.raw, left);
    return streamSSE(c, async (stream) => {
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      left.cancelled = 'onAbort';
      left.finished = true;
    });
  });
  hono.get('/interval', (c) => {
    const left = (probes.interval = {} as Left);
    abortsOf(c.req.raw, left);
    let timer: NodeJS.Timeout | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        timer = setInterval(() => controller.enqueue(enc.encode('tick\n')), 5);
      },
      cancel(reason) {
        clearInterval(timer);
        left.cancelled = reason ?? 'cancelled';
      },
    });
    return c.body(body);
  });
  hono.get('/awaiting', async (c) => {
    const left = (probes.awaiting = {} as Left);
    abortsOf(c.req.raw, left);
    await new Promise((resolve) => c.req.raw.signal.addEventListener('abort', resolve, { once: true }));
    // An app that answers anyway, with a stream that would never speak: it must be cancelled, not kept.
    return c.body(new ReadableStream({ cancel: (reason) => void (left.cancelled = reason ?? 'cancelled') }));
  });
  hono.post('/upload', async (c) => {
    // Reading the body when the client leaves mid-upload: the read fails with the same abort.
    const left = (probes.upload = {} as Left);
    abortsOf(c.req.raw, left);
    const reader = (c.req.raw.body as ReadableStream<Uint8Array>).getReader();
    try {
      while (!(await reader.read()).done);
    } catch (error) {
      left.cancelled = error;
    }
    return c.text('never sent');
  });
  const running = await serve(hono.fetch);
  try {
    const sees = (test: (text: string) => boolean) => (c: Conversation) => c.until(test, 3000);
    const cases: [string, (c: Conversation) => Promise<unknown>][] = [
      ['/interval', sees((t) => t.includes('tick\n'))],
      ['/sse', sees((t) => t.includes('data: tick 0\n\n'))],
      // The head of a stream that has nothing to say yet still leaves (an EventSource opens on it).
      ['/sse-silent', sees((t) => /^HTTP\/1\.1 200 OK\r\n[^]*text\/event-stream[^]*\r\n\r\n/.test(t))],
      ['/awaiting', () => waitFor(() => probes.awaiting !== undefined, 3000)],
      ['/upload', () => waitFor(() => probes.upload !== undefined, 3000)],
    ];
    for (const reset of [false, true]) {
      for (const [path, seen] of cases) {
        const name = path.slice(1);
        delete probes[name];
        const request = path === '/upload' ? `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n${'u'.repeat(5000)}` : `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;
        const head = await leaveAfter(running.port, request, seen, reset);
        const left = () => probes[name] ?? {};
        const done = await waitFor(() => left().reason !== undefined && left().cancelled !== undefined && running.server.stats().open === 0, 3000);
        assert.ok(done, `${path} (${reset ? 'reset' : 'FIN'}): ${JSON.stringify({ reason: String(left().reason), cancelled: String(left().cancelled), open: running.server.stats().open, head: head.slice(0, 80) })}`);
        assert.ok(isAbort(left().reason), `${path}: signal.reason is ${String(left().reason)}`);
        if (path === '/upload') assert.is(left().cancelled, left().reason, 'the body read failed with the abort');
        if (path.startsWith('/sse')) assert.ok(await waitFor(() => left().finished === true, 1000), `${path}: the SSE callback ended`);
      }
    }
  } finally {
    await running.close();
  }
});

lifecycle('server.close() with an SSE stream open: the stream is cut at the timeout, its onAbort runs, the signal says why', async () => {
  const left: Left = {};
  const hono = new Hono();
  hono.get('/sse', (c) => tickingSse(c, left));
  const running = await serve(hono.fetch);
  const conversation = await Conversation.open(running.port);
  try {
    await conversation.write('GET /sse HTTP/1.1\r\nHost: a\r\n\r\n');
    await conversation.until((t) => t.includes('data: tick 1\n\n'), 3000);
    const started = performance.now();
    await running.server.close({ timeout: 200 });
    assert.ok(performance.now() - started < 2000, 'close() resolved at its timeout');
    assert.ok(await waitFor(() => left.finished === true, 1000), 'the SSE loop ended');
    assert.is(left.cancelled, 'onAbort');
    assert.ok(isAbort(left.reason), String(left.reason));
    assert.ok(await conversation.waitClose(1000), 'the client sees the connection end');
    assert.not.match(conversation.text(), /\r\n0\r\n\r\n$/, 'never a clean end of the chunked body');
  } finally {
    conversation.destroy();
    await running.close();
  }
});

lifecycle('a throw and a rejection are a 500, and the requests pipelined behind get their own answers', async () => {
  const app: FetchApp = async (request) => {
    const path = new URL(request.url).pathname;
    if (path === '/reject') return Promise.reject(new Error('rejected'));
    if (path === '/after-body') {
      await request.text();
      throw new Error('after reading the body');
    }
    return new Response(`ok ${path}`);
  };
  const sync: FetchApp = (request) => {
    if (request.url.endsWith('/throw')) throw new Error('thrown');
    return app(request, undefined);
  };
  const running = await serve(sync);
  try {
    const pipeline =
      'GET /throw HTTP/1.1\r\nHost: a\r\n\r\n' +
      'POST /after-body HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
      'GET /reject HTTP/1.1\r\nHost: a\r\n\r\n' +
      'GET /fine HTTP/1.1\r\nHost: a\r\n\r\n';
    await everyVariant(async (v) => {
      const result = await talk(running.port, pipeline, { responses: 4, split: v.split, seed: v.seed });
      assert.equal(result.responses.map((r) => r.status), [500, 500, 500, 200]);
      assert.is(bodyOf(result.responses[3]), 'ok /fine');
      assert.not.ok(result.closed, 'kept');
    });
  } finally {
    await running.close();
  }
});

lifecycle('204 and 304 send no body and no Content-Length that says otherwise; HEAD cancels a stream body', async () => {
  const cancelled: string[] = [];
  const app: FetchApp = (request) => {
    const path = new URL(request.url).pathname;
    // RFC 9110 §8.6: no Content-Length in a 204 (MUST NOT); a 304's may only be the 200's, and need not be sent.
    // node-server sends the app's `content-length: 5` on both; h1wire keeps the MUST NOT (and drops the 304's).
    if (path === '/204') return new Response(null, { status: 204, headers: { 'content-length': '5', 'x-kind': 'none' } });
    if (path === '/304') return new Response(null, { status: 304, headers: { 'content-length': '5', etag: '"e"' } });
    // Fetch itself refuses a body with these statuses (a TypeError in the app): a 500, and the connection goes on.
    if (path === '/204-body') return new Response('body', { status: 204 });
    // HEAD: the stream is never read, so it is cancelled at once. node-server pulls it to its end (HEAD's
    // bytes are dropped by node:http): a stream that never ends holds the connection, and the requests behind it.
    if (path === '/head-stream' || path === '/head-silent') {
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            if (path === '/head-stream') controller.enqueue(enc.encode('never sent'));
          },
          cancel: () => void cancelled.push(path),
        }),
      );
    }
    return new Response('next');
  };
  const running = await serve(app);
  try {
    const pipeline =
      'GET /204 HTTP/1.1\r\nHost: a\r\n\r\n' +
      'GET /304 HTTP/1.1\r\nHost: a\r\n\r\n' +
      'GET /204-body HTTP/1.1\r\nHost: a\r\n\r\n' +
      'HEAD /head-stream HTTP/1.1\r\nHost: a\r\n\r\n' +
      'HEAD /head-silent HTTP/1.1\r\nHost: a\r\n\r\n' +
      'GET /next HTTP/1.1\r\nHost: a\r\n\r\n';
    await everyVariant(async (v) => {
      const result = await talk(running.port, pipeline, { responses: 6, heads: [3, 4], split: v.split, seed: v.seed });
      const [r204, r304, r204body, head, silent, next] = result.responses as Parsed[];
      assert.equal(result.responses.map((r) => r.status), [204, 304, 500, 200, 200, 200]);
      assert.is(headerOf(r204!.headers, 'content-length'), undefined, '204: no Content-Length');
      assert.is(headerOf(r204!.headers, 'transfer-encoding'), undefined, '204: no Transfer-Encoding');
      assert.is(headerOf(r204!.headers, 'x-kind'), 'none');
      assert.equal([r204!.bodyBytes, r304!.bodyBytes, head!.bodyBytes, silent!.bodyBytes], [0, 0, 0, 0]);
      assert.match(bodyOf(r204body), /H1W_HANDLER_ERROR/);
      assert.is(headerOf(r304!.headers, 'etag'), '"e"');
      assert.is(bodyOf(next), 'next', 'the bytes after each head were the next response');
      assert.not.ok(result.closed);
    });
    assert.ok(await waitFor(() => cancelled.length === 10, 1000), `every HEAD's stream cancelled: ${cancelled.length}`);
  } finally {
    await running.close();
  }
});

lifecycle('a Content-Length that disagrees with the body: a 500 before any byte, or a reset once the head has left', async () => {
  const app: FetchApp = (request) => {
    const path = new URL(request.url).pathname;
    const declared = path.endsWith('short') ? '3' : '9';
    if (path.startsWith('/string')) return new Response('hello', { headers: { 'content-length': declared } });
    if (path.startsWith('/stream')) {
      const parts = ['he', 'llo'];
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            await sleep(5);
            const part = parts.shift();
            if (part === undefined) controller.close();
            else controller.enqueue(enc.encode(part));
          },
        }),
        { headers: { 'content-length': declared } },
      );
    }
    return new Response('next');
  };
  const running = await serve(app);
  try {
    // A whole body is known before its head: a length that is not its own is the app's error, a 500, and the
    // connection goes on. node-server sends the app's length with the 5 bytes: with 3, "lo" is read as the start of
    // the next response, with 9 the next response's first bytes are taken for this body (a desync, RFC 9112 §6.3).
    for (const path of ['/string-short', '/string-long']) {
      const result = await talk(running.port, `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n`, { responses: 2 });
      assert.equal(result.responses.map((r) => r.status), [500, 200], path);
      assert.is(bodyOf(result.responses[1]), 'next');
    }
    // A stream's head states the length before its bytes exist: fewer or more than that reset the connection,
    // and the client never reads more bytes than the head declared.
    for (const path of ['/stream-short', '/stream-long']) {
      const result = await talk(running.port, `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`, { untilClose: true });
      const text = result.text;
      const declared = path.endsWith('short') ? 3 : 9;
      assert.match(text, new RegExp(`\\r\\nContent-Length: ${declared}\\r\\n`), path);
      // What was sent before the mismatch showed ("he"), fewer bytes than declared: no client takes it for whole.
      assert.is(text.slice(text.indexOf('\r\n\r\n') + 4), path.endsWith('short') ? 'he' : 'hello', path);
      assert.ok(result.reset, `${path}: reset`);
    }
  } finally {
    await running.close();
  }
});

lifecycle('afterwards: no descriptor, resource, timer or process listener left, no unhandled rejection or warning', async () => {
  const problems = await settledTo(baseline, 3000, timers);
  assert.equal(problems, []);
  assert.equal(watch.rejections.map(String), []);
  assert.equal(watch.warnings, []);
});

lifecycle.run();
