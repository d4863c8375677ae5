// Failures inside the server, as its hooks report them: handlers that throw or reject (now, or late, after the
// client left), serializers that throw (a custom one, a BigInt and a cycle through json(), schemaJson missing a
// required field), streaming serializers that fail midway (ndjson, jsonArray), streams that fail midway (an
// async generator that throws, a Readable that emits 'error', a web ReadableStream that errors, a bad chunk, a
// declared length not met) and server sockets that error.
//
// Each is checked for its stable code (H1W_HANDLER_ERROR, H1W_SERIALIZE_FAILED, H1W_STREAM_FAILED,
// H1W_LENGTH_MISMATCH) in the response body or on the error hook with the original error as its cause, the
// typed close reason (kept alive / `error` / `client-closed`), the stream's own cleanup, what the client sees
// (a 500 before any byte, or a reset and never a terminated body), and that the server keeps serving and is
// left with nothing open: no connection, descriptor, resource, timer, listener or unhandled rejection.
import net from 'node:net';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpError, StreamAbortedError } from '../../lib/errors.js';
import type { Request } from '../../lib/request.js';
import { router } from '../../lib/router.js';
import { jsonArray } from '../../lib/serializers/json-array.js';
import { ndjson } from '../../lib/serializers/ndjson.js';
import { schemaJson } from '../../lib/serializers/schema-json.js';
import type { Serializer } from '../../lib/serializers/serializer.js';
import type { CloseEvent, ErrorEvent, HandleEvent } from '../../lib/stages.js';
import { talk, type TalkResult } from '../helpers/exact.js';
import { ProcessWatch, settledTo, TimerWatch, warmThenWatch, type Snapshot } from '../helpers/leaks.js';
import { sleep, waitFor } from '../helpers/process.js';
import { start, type Running } from '../helpers/server.js';

let running: Running;
let baseline: Snapshot;
let timers: TimerWatch;
let watch: ProcessWatch;
const closes: CloseEvent[] = [];
const errors: ErrorEvent[] = [];
const handled: HandleEvent[] = [];
const cleaned = new Set<string>();
const signalled = new Set<string>();
let lateSettled = 0;
const serverSockets: net.Socket[] = [];

const thrown = {
  sync: new Error('sync handler failed'),
  async: new Error('async handler failed'),
  late: new Error('rejected after the client left'),
  generator: new Error('the generator broke'),
  readable: new Error('the readable broke'),
  web: new Error('the web stream broke'),
  custom: new Error('the custom serializer broke'),
};

const circular: Record<string, unknown> = { name: 'loop' };
circular.self = circular;
const strictSchema = schemaJson({ type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } }, required: ['id'] }, 'strict-schema');
const failingSerializer: Serializer = {
  name: 'failing',
  contentType: 'application/x-failing',
  serialize: () => {
    throw thrown.custom;
  },
};
const piece = 'p'.repeat(16 * 1024);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function signalOf(req: Request, name: string): void {
  req.signal.addEventListener('abort', () => signalled.add(name), { once: true });
}

const app = router({
  'GET /': () => ({ ok: true }),
  'GET /throw': () => {
    throw thrown.sync;
  },
  'GET /reject': async () => {
    await tick();
    throw thrown.async;
  },
  'GET /http-error': () => {
    throw new HttpError(409, 'taken', { code: 'APP_TAKEN' });
  },
  'GET /late-reject': async (req) => {
    signalOf(req, 'late-reject');
    await sleep(150); // ignores the signal on purpose
    lateSettled++;
    throw thrown.late;
  },
  'GET /bigint': () => ({ n: 10n }),
  'GET /circular': () => circular,
  'GET /schema': [() => ({ name: 'has no id' }), { serializer: strictSchema }],
  'GET /custom': [() => ({ any: 1 }), { serializer: failingSerializer }],
  'GET /ndjson-bigint': [
    () =>
      (async function* () {
        try {
          for (let i = 0; i < 200; i++) {
            yield i === 100 ? { i, bad: 1n } : { i, pad: piece };
            await tick();
          }
        } finally {
          cleaned.add('ndjson-bigint');
        }
      })(),
    { serializer: ndjson() },
  ],
  'GET /array-cycle': [
    () => Array.from({ length: 4000 }, (_, i) => (i === 3000 ? circular : { i, pad: 'a'.repeat(100) })),
    { serializer: jsonArray({ sliceBytes: 8192 }) },
  ],
  'GET /generator': (req) => {
    signalOf(req, 'generator');
    return {
      body: (async function* () {
        try {
          for (let i = 0; i < 5; i++) {
            yield piece;
            await tick();
          }
          throw thrown.generator;
        } finally {
          cleaned.add('generator');
        }
      })(),
    };
  },
  'GET /readable': () => {
    let n = 0;
    const readable = new Readable({
      read() {
        setImmediate(() => {
          if (n++ < 5) this.push(piece);
          else this.destroy(thrown.readable);
        });
      },
    });
    readable.on('close', () => cleaned.add('readable'));
    readable.on('error', () => {}); // the server reports it; this keeps the test's own output quiet
    return { body: readable };
  },
  'GET /web': () => {
    let n = 0;
    return {
      body: new ReadableStream<string>({
        async pull(controller) {
          await tick();
          if (n++ < 5) controller.enqueue(piece);
          else controller.error(thrown.web);
        },
        cancel() {
          cleaned.add('web-cancel');
        },
      }),
    };
  },
  'GET /bad-chunk': () => ({
    body: (async function* () {
      yield piece;
      await tick();
      yield 42 as unknown as string;
    })(),
  }),
  'GET /short': () => ({
    length: 100_000,
    body: (async function* () {
      yield piece;
      await tick();
      yield piece;
    })(),
  }),
});

test.before(async () => {
  running = await start(app, {
    closeLinger: 300,
    hooks: {
      onClose: (event) => closes.push(event),
      onError: (event) => errors.push(event),
      onHandled: (event) => handled.push(event),
    },
  });
  running.server.net.on('connection', (socket: net.Socket) => serverSockets.push(socket));
  ({ watch, baseline, timers } = await warmThenWatch(running.port, () => running.server.stats().open));
});

test.after(async () => {
  timers.stop();
  watch.stop();
  await running.close();
});

function reset(): void {
  closes.length = 0;
  errors.length = 0;
  handled.length = 0;
  cleaned.clear();
  signalled.clear();
  serverSockets.length = 0;
}

const stats = (): ReturnType<Running['server']['stats']> => running.server.stats();

/** Sends `first` then a plain GET on the same connection; both must be answered, the connection kept. */
async function thenKept(first: string): Promise<TalkResult> {
  const result = await talk(running.port, `GET ${first} HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n`, { responses: 2 });
  assert.is(result.responses.length, 2, `${first}: ${result.text.slice(0, 300)}`);
  assert.is(result.responses[1]?.status, 200, `${first}: the next request on the same connection`);
  assert.not.ok(result.closed, `${first}: the connection must be kept`);
  return result;
}

function errorCode(result: TalkResult): string | undefined {
  const body = JSON.parse(result.responses[0]?.body.toString('utf8') ?? '{}') as { error?: { code?: string } };
  return body.error?.code;
}

async function noneOpen(label: string): Promise<void> {
  assert.ok(await waitFor(() => stats().open === 0, 3000), `${label}: still open ${JSON.stringify(stats().byState)}`);
}

/** A plain request on a new connection is answered (the server still serves); waits until it is closed. */
async function probe(label: string): Promise<void> {
  const next = await talk(running.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { untilClose: true });
  assert.is(next.responses[0]?.status, 200, `${label}: the server still serves`);
  await noneOpen(`${label} (probe)`);
}

test('handler errors: 500 with H1W_HANDLER_ERROR, the thrown error on the hooks, the connection kept', async () => {
  for (const [path, error] of [['/throw', thrown.sync], ['/reject', thrown.async]] as const) {
    reset();
    const result = await thenKept(path);
    assert.is(result.responses[0]?.status, 500);
    assert.is(errorCode(result), 'H1W_HANDLER_ERROR', path);
    assert.not.match(result.text, /handler failed/, 'the message of a 5xx stays private');
    assert.is(errors.length, 1, path);
    assert.is(errors[0]?.error, error, `${path}: onError carries the thrown error`);
    assert.is(errors[0]?.request?.path, path);
    assert.is(handled.find((e) => e.request.path === path)?.error, error, `${path}: onHandled carries it too`);
    await noneOpen(path);
    assert.equal(closes.map((c) => c.reason), ['client-closed']);
  }
  reset();
  const result = await thenKept('/http-error');
  assert.is(result.responses[0]?.status, 409);
  assert.is(errorCode(result), 'APP_TAKEN');
  await noneOpen('/http-error');
});

test('a handler that rejects after its client left: signal fired first, no unhandled rejection, no 500 sent', async () => {
  reset();
  const settledBefore = lateSettled;
  const socket = net.connect(running.port, '127.0.0.1');
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('GET /late-reject HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.ok(await waitFor(() => stats().byState.handling === 1, 2000));
  socket.resetAndDestroy();
  await noneOpen('late reject');
  assert.ok(signalled.has('late-reject'), 'req.signal fired when the client left');
  assert.ok(await waitFor(() => lateSettled === settledBefore + 1, 2000), 'the handler finished later');
  await sleep(20);
  assert.is(received, '');
  assert.equal(closes.map((c) => c.reason), ['client-closed']);
  assert.equal(watch.rejections, [], 'no unhandled rejection');
  assert.is(stats().closes.error, 0);
  await probe('late reject');
});

test('serializers that throw: 500 with H1W_SERIALIZE_FAILED before any byte, the cause kept, the connection kept', async () => {
  const cases: [string, (cause: unknown) => boolean][] = [
    ['/bigint', (cause) => cause instanceof TypeError && /BigInt/i.test(cause.message)],
    ['/circular', (cause) => cause instanceof TypeError && /circular/i.test(cause.message)],
    ['/schema', (cause) => cause instanceof Error && /id/.test(cause.message)],
    ['/custom', (cause) => cause === thrown.custom],
  ];
  for (const [path, isCause] of cases) {
    reset();
    const result = await thenKept(path);
    assert.is(result.responses[0]?.status, 500, path);
    assert.is(errorCode(result), 'H1W_SERIALIZE_FAILED', path);
    assert.is(errors.length, 1, `${path}: ${errors.length} error events`);
    const error = errors[0]?.error as HttpError;
    assert.instance(error, HttpError, path);
    assert.is(error.code, 'H1W_SERIALIZE_FAILED', path);
    assert.ok(isCause(error.cause), `${path}: the cause is the serializer's own error, got ${String(error.cause)}`);
    assert.is(errors[0]?.request?.path, path);
    await noneOpen(path);
    assert.equal(closes.map((c) => c.reason), ['client-closed'], path);
  }
  await probe('serializers');
});

/** Reads until the server closes; the response must not look complete, and the close must be a reset. */
async function brokenStream(path: string): Promise<TalkResult> {
  const result = await talk(running.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, { untilClose: true, timeoutMs: 5000 });
  assert.ok(result.closed, `${path}: the server must close`);
  assert.ok(result.reset, `${path}: the truncation must be a reset, not a FIN`);
  assert.not.ok(result.text.endsWith('\r\n0\r\n\r\n'), `${path}: the chunked body must never be terminated`);
  assert.is(result.responses.length, 0, `${path}: no complete response`);
  return result;
}

async function reportedOnce(path: string, code: string, cause: (c: unknown) => boolean): Promise<void> {
  await noneOpen(path);
  assert.is(errors.length, 1, `${path}: ${errors.length} error events`);
  const error = errors[0]?.error;
  assert.instance(error, StreamAbortedError, path);
  assert.is((error as StreamAbortedError).code, code, path);
  assert.ok(cause((error as StreamAbortedError).cause), `${path}: cause ${String((error as StreamAbortedError).cause)}`);
  assert.is(errors[0]?.request?.path, path);
  assert.equal(closes.map((c) => c.reason), ['error'], `${path}: close reasons`);
}

test('streaming serializers that fail midway: H1W_STREAM_FAILED, a reset, the source cleaned up', async () => {
  reset();
  const ndjsonResult = await brokenStream('/ndjson-bigint');
  // What was sent before the failure may be cut short by the reset itself; the head left long before.
  assert.match(ndjsonResult.text, /^HTTP\/1\.1 200 OK\r\n[^]*Content-Type: application\/x-ndjson\r\n/);
  await reportedOnce('/ndjson-bigint', 'H1W_STREAM_FAILED', (c) => c instanceof TypeError && /BigInt/i.test(c.message));
  assert.ok(cleaned.has('ndjson-bigint'), "ndjson's source generator was closed (its finally ran)");

  reset();
  const arrayResult = await brokenStream('/array-cycle');
  assert.match(arrayResult.text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n[0-9a-f]+\r\n\[\{"i":0,/);
  await reportedOnce('/array-cycle', 'H1W_STREAM_FAILED', (c) => c instanceof TypeError && /circular/i.test(c.message));
});

test('streams that fail midway: generator throws, Readable errors, ReadableStream errors, a bad chunk, a short length', async () => {
  const cases: [string, string, (c: unknown) => boolean, string | null][] = [
    ['/generator', 'H1W_STREAM_FAILED', (c) => c === thrown.generator, 'generator'],
    ['/readable', 'H1W_STREAM_FAILED', (c) => c === thrown.readable, 'readable'],
    ['/web', 'H1W_STREAM_FAILED', (c) => c === thrown.web, null],
    ['/bad-chunk', 'H1W_STREAM_FAILED', (c) => c instanceof TypeError && /chunks must be/.test(c.message), null],
    ['/short', 'H1W_LENGTH_MISMATCH', (c) => c === undefined, null],
  ];
  for (const [path, code, cause, cleanup] of cases) {
    reset();
    const result = await brokenStream(path);
    // Some of the body went out before the failure: this is the mid-stream case, not a failure before any byte.
    assert.ok(result.text.includes(piece), `${path}: the first chunks were sent`);
    await reportedOnce(path, code, cause);
    if (cleanup !== null) assert.ok(await waitFor(() => cleaned.has(cleanup), 1000), `${path}: cleanup`);
    if (path === '/generator') assert.not.ok(signalled.has('generator'), 'a stream that failed on its own is not an abort by the client');
    await probe(path);
  }
  assert.ok(stats().closes.error >= 5);
});

test("server sockets that error: ECONNRESET/EPIPE are the client's doing, anything else is an error, reported", async () => {
  for (const [code, reason, reported] of [['ECONNRESET', 'client-closed', false], ['EPIPE', 'client-closed', false], ['EIO', 'error', true]] as const) {
    reset();
    const socket = net.connect(running.port, '127.0.0.1');
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.write('GET /late-reject HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(await waitFor(() => stats().byState.handling === 1 && serverSockets.length === 1, 2000), code);
    const failure = Object.assign(new Error(`simulated ${code}`), { code });
    (serverSockets[0] as net.Socket).destroy(failure);
    await noneOpen(code);
    assert.equal(closes.map((c) => c.reason), [reason], code);
    assert.ok(signalled.has('late-reject'), `${code}: the handler's signal fired`);
    if (reported) {
      assert.is(errors.length, 1, code);
      assert.is(errors[0]?.error, failure, `${code}: onError carries the socket's error`);
      assert.is(errors[0]?.connection, closes[0]?.connection);
    } else {
      assert.equal(errors.map((e) => e.error), [], `${code}: not a server error`);
    }
    assert.ok(await waitFor(() => socket.destroyed, 2000), `${code}: the client saw the close`);
    assert.is(received, '');
    await probe(code);
  }
  await sleep(200); // the last late handler settles
});

test('afterwards: nothing left open, no descriptor, resource, timer or listener leaked, no warning', async () => {
  const problems = await settledTo(baseline, 3000, timers);
  assert.equal(problems, [], problems.join('\n'));
  assert.equal(watch.warnings, []);
  assert.equal(watch.rejections, []);
  assert.is(stats().open, 0);
});

test.run();
