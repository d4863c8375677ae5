// toResult on a Response with a stream body: how long it may wait for the body before handing it on. A whole
// body (one chunk, then the end at once) is sent with its length; any other stream is handed to the write
// queue within a turn of the loop, even one that has nothing yet, so that its head can leave and a client that
// leaves can cancel it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toResult } from '../../lib/fetch-response.js';
import type { Result } from '../../lib/result.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function streamed(result: Result): AsyncIterableIterator<Uint8Array> {
  const body = result.body as AsyncIterableIterator<Uint8Array>;
  assert.is(typeof body[Symbol.asyncIterator], 'function', 'a streamed body');
  return body;
}

/** toResult's outcome, or 'pending' if it is not settled after `turns` turns of the event loop. */
async function within<T>(promise: T | Promise<T>, turns: number): Promise<T | 'pending'> {
  let outcome: T | 'pending' = 'pending';
  void Promise.resolve(promise).then((value) => (outcome = value));
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
  return outcome;
}

test('a stream with nothing yet is handed on within two turns, and return() cancels it', async () => {
  let cancelled = false;
  const silent = new ReadableStream<Uint8Array>({ cancel: () => void (cancelled = true) });
  const result = await within(toResult(new Response(silent), false), 2);
  assert.ok(result !== 'pending', 'not held until a first chunk that may never come');
  const body = streamed(result as Result);
  await body.return?.();
  assert.ok(cancelled);
});

test('a stream that speaks later: its chunks in order, then the end', async () => {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const later = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const body = streamed((await toResult(new Response(later), false)) as Result);
  setTimeout(() => {
    controller.enqueue(enc.encode('a'));
    controller.enqueue(enc.encode('b'));
    controller.close();
  }, 5);
  const parts: string[] = [];
  for await (const chunk of body) parts.push(dec.decode(chunk));
  assert.equal(parts, ['a', 'b']);
});

test('one chunk and the end at once is a whole body; a first chunk then silence is a stream that starts with it', async () => {
  const whole = (await toResult(new Response(new ReadableStream({ start: (c) => (c.enqueue(enc.encode('all')), c.close()) })), false)) as Result;
  assert.is(dec.decode(whole.body as Uint8Array), 'all');
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const first = new ReadableStream<Uint8Array>({ start: (c) => void ((controller = c), c.enqueue(enc.encode('first'))) });
  const body = streamed((await toResult(new Response(first), false)) as Result);
  const step = await body.next();
  assert.is(dec.decode(step.value as Uint8Array), 'first');
  controller.close();
  assert.ok((await body.next()).done);
});

test('a stream that fails at once rejects (a 500: nothing was sent); an empty one is no body', async () => {
  const failing = new ReadableStream({ pull: () => Promise.reject(new Error('broke')) });
  let error: unknown;
  await Promise.resolve(toResult(new Response(failing), false)).catch((e: unknown) => (error = e));
  assert.match(String(error), /broke/);
  const empty = (await toResult(new Response(new ReadableStream({ start: (c) => c.close() })), false)) as Result;
  assert.is(empty.body, undefined);
});

test.run();
