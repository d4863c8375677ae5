// Streamed bodies behind one pull interface: async iterables, Node Readables and web ReadableStreams.
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isStreamBody, toBodySource, type BodySource } from '../../lib/body-source.js';
import type { Chunk } from '../../lib/serializers/serializer.js';
import { rejects } from '../helpers/fixtures.js';

async function all(source: BodySource): Promise<string[]> {
  const out: string[] = [];
  for (let c = await source.next(); c !== null; c = await source.next()) out.push(typeof c === 'string' ? c : Buffer.from(c).toString());
  return out;
}


test('isStreamBody: async iterables and web streams; not strings, arrays, bytes or plain objects', () => {
  async function* gen(): AsyncGenerator<string> {}
  assert.ok(isStreamBody(gen()));
  assert.ok(isStreamBody(Readable.from(['a'])));
  assert.ok(isStreamBody(new ReadableStream()));
  assert.ok(isStreamBody({ [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) }));
  for (const v of ['str', [1, 2], new Uint8Array(1), { a: 1 }, null, undefined, 5, new Set([1])]) assert.not.ok(isStreamBody(v));
});

test('async iterables: chunks in order, empty chunks skipped, then null', async () => {
  async function* gen(): AsyncGenerator<Chunk> {
    yield 'a';
    yield '';
    yield new Uint8Array([0x62]);
    yield Buffer.alloc(0);
    yield 'c';
  }
  const s = toBodySource(gen());
  assert.equal(await all(s), ['a', 'b', 'c']);
  assert.is(await s.next(), null);
});

test('chunks that are neither strings nor bytes are refused', async () => {
  for (const bad of [1, null, { a: 1 }, [1]]) {
    async function* gen(): AsyncGenerator<unknown> {
      yield bad;
    }
    const error = await rejects(toBodySource(gen()).next());
    assert.ok(error instanceof TypeError, String(bad));
  }
});

test('cancel() on an async generator runs its finally block', async () => {
  let finished = false;
  async function* gen(): AsyncGenerator<string> {
    try {
      yield 'first';
      yield 'second';
    } finally {
      finished = true;
    }
  }
  const s = toBodySource(gen());
  assert.is(await s.next(), 'first');
  s.cancel(new Error('client gone'));
  await new Promise((r) => setImmediate(r));
  assert.ok(finished);
});

test('cancel() on an iterator without return() is harmless', () => {
  const it = { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: false, value: 'x' }) }) };
  toBodySource(it).cancel(undefined);
});

test('Node Readable: read through, destroyed on cancel with the reason', async () => {
  assert.equal(await all(toBodySource(Readable.from(['x', Buffer.from('y'), 'z']))), ['x', 'y', 'z']);
  const r = new Readable({ read() {} });
  r.push('first');
  const s = toBodySource(r);
  assert.is(Buffer.from((await s.next()) as Uint8Array).toString(), 'first');
  r.on('error', () => {});
  const reason = new Error('gone');
  s.cancel(reason);
  assert.ok(r.destroyed);
  const other = new Readable({ read() {} });
  toBodySource(other).cancel('not an error');
  assert.ok(other.destroyed);
});

test('web ReadableStream: read through, empty chunks skipped, cancelled on cancel', async () => {
  const enc = new TextEncoder();
  const rs = new ReadableStream<unknown>({
    start(c) {
      c.enqueue(enc.encode('he'));
      c.enqueue(new Uint8Array(0));
      c.enqueue('llo');
      c.close();
    },
  });
  assert.equal(await all(toBodySource(rs)), ['he', 'llo']);
  let cancelled: unknown = null;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(enc.encode('more'));
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const s = toBodySource(endless);
  assert.is(Buffer.from((await s.next()) as Uint8Array).toString(), 'more');
  s.cancel('bye');
  await new Promise((r) => setImmediate(r));
  assert.is(cancelled, 'bye');
  const bad = new ReadableStream<unknown>({ start: (c) => c.enqueue(42) });
  assert.ok((await rejects(toBodySource(bad).next())) instanceof TypeError);
});

test.run();
