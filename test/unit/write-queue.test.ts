// The write stage: responses in request order, few writes, nothing produced while the sink is full, streamed
// bodies framed (chunked or by length) and their declared length enforced. A fake sink records every write.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamAbortedError } from '../../lib/errors.js';
import { CONTINUE_DUE, CONTINUE_SENT, EX_DONE, EX_READY, EX_SENDING, Exchange, type ExchangeOwner } from '../../lib/exchange.js';
import { BODY_WHOLE, buildHead, chooseFraming } from '../../lib/frame.js';
import { reply, type Result } from '../../lib/result.js';
import { serializeValue } from '../../lib/serialize.js';
import { json } from '../../lib/serializers/json.js';
import type { Chunk } from '../../lib/serializers/serializer.js';
import { WriteQueue, type QueueOwner, type WriteSink } from '../../lib/write-queue.js';
import { parseResponses, type Response } from '../helpers/response-parser.js';

const DATE = 'Thu, 01 Jan 1970 00:00:00 GMT';
const KEEP = 'Connection: keep-alive\r\n';

class Sink implements WriteSink {
  writes: { data: Chunk; encoding: BufferEncoding; corked: boolean }[] = [];
  corks = 0;
  uncorks = 0;
  private depth = 0;
  /** write() returns false while this is set (the socket buffer is full). */
  full = false;
  writableLength = 0;

  write(data: Chunk, encoding: BufferEncoding): boolean {
    this.writes.push({ data, encoding, corked: this.depth > 0 });
    return !this.full;
  }
  cork(): void {
    this.corks++;
    this.depth++;
  }
  uncork(): void {
    this.uncorks++;
    this.depth--;
  }
  /** Every byte written, as the socket would send it. */
  bytes(): Buffer {
    return Buffer.concat(this.writes.map((w) => (typeof w.data === 'string' ? Buffer.from(w.data, w.encoding) : Buffer.from(w.data))));
  }
  text(): string {
    return this.bytes().toString('latin1');
  }
}

class Owner implements QueueOwner {
  held = new Set<Exchange>();
  framed: Exchange[] = [];
  done: Exchange[] = [];
  failures: { ex: Exchange; error: unknown }[] = [];
  writesSeen: [number, number][] = [];
  handOff(): void {}
  blockedCount = 0;
  drainedCount = 0;

  releasable(ex: Exchange): boolean {
    return !this.held.has(ex);
  }
  frame(ex: Exchange): void {
    const res = ex.response!;
    ex.framing = chooseFraming(res.status, res.kind, res.declaredLength, ex.http11);
    const length = res.kind === BODY_WHOLE ? res.byteLength : res.declaredLength;
    ex.head = buildHead(res.status, res.headers, res.contentType, ex.framing, length, KEEP);
    this.framed.push(ex);
  }
  responseDone(ex: Exchange): void {
    this.done.push(ex);
  }
  streamFailed(ex: Exchange, error: unknown): void {
    this.failures.push({ ex, error });
  }
  earlyFailures: { ex: Exchange; error: unknown }[] = [];
  failedBeforeHead(ex: Exchange, error: unknown): void {
    this.earlyFailures.push({ ex, error });
  }
  wrote(bytes: number, writes: number): void {
    this.writesSeen.push([bytes, writes]);
  }
  blocked(): void {
    this.blockedCount++;
  }
  drained(): void {
    this.drainedCount++;
  }
  wroteBytes(): number {
    return this.writesSeen.reduce((n, [b]) => n + b, 0);
  }
}

const exOwner: ExchangeOwner = { settled() {}, failed() {}, bodyRequested() {}, bodyDrained() {} };

function setup(highWaterMark = 64 * 1024): { sink: Sink; owner: Owner; queue: WriteQueue } {
  const sink = new Sink();
  const owner = new Owner();
  return { sink, owner, queue: new WriteQueue(sink, owner, highWaterMark) };
}

/** An exchange whose response is `result` (with a fixed Date, so heads are exact). */
function exchange(result: Result, options: { isHead?: boolean; http11?: boolean; ready?: boolean } = {}): Exchange {
  const ex = Exchange.forRequest(exOwner, { isHead: options.isHead ?? false, http11: options.http11 ?? true, keepAlive: true, contentLength: -1, hasBody: false });
  const headers = { Date: DATE, ...(result.headers as Record<string, string> | undefined) };
  ex.response = serializeValue({ ...result, headers }, undefined, { serializers: [json()], strictAccept: false });
  if (options.ready !== false) ex.moveTo(EX_READY);
  return ex;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await tick();
  }
  assert.unreachable(`timed out waiting for ${what}`);
}

function textHead(status: string, length: number, type = 'text/plain; charset=utf-8'): string {
  return `HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nDate: ${DATE}\r\nContent-Length: ${length}\r\n${KEEP}\r\n`;
}

/** The responses in the written bytes, read by the strict response parser: well formed, none left incomplete. */
function responsesIn(wire: Buffer): Response[] {
  const parsed = parseResponses(wire, () => false, false);
  assert.is(parsed.error, null);
  assert.not.ok(parsed.partial, 'no incomplete response');
  return parsed.responses;
}

/** Splits the written bytes into the head and what follows it. */
function splitHead(wire: Buffer): { head: string; body: Buffer } {
  const end = wire.indexOf('\r\n\r\n');
  assert.ok(end >= 0, 'a complete head');
  return { head: wire.subarray(0, end + 4).toString('latin1'), body: wire.subarray(end + 4) };
}

// ---- whole bodies -------------------------------------------------------------------------------------

test('one response: written whole in one write at the end of the tick, then done', async () => {
  const { sink, owner, queue } = setup();
  const ex = exchange(reply(200, 'hello'));
  queue.enqueue(ex);
  queue.pump();
  assert.is(sink.writes.length, 0, 'nothing is written synchronously');
  assert.is(queue.queuedBytes, textHead('200 OK', 5).length + 5);
  assert.equal(owner.done, [ex], 'every byte is queued');
  assert.is(ex.state, EX_DONE);
  assert.is(queue.exchanges.length, 0);
  await tick();
  assert.is(sink.writes.length, 1);
  assert.is(sink.corks, 0);
  assert.is(sink.text(), `${textHead('200 OK', 5)}hello`);
  assert.equal(owner.writesSeen, [[sink.bytes().length, 1]]);
  assert.is(queue.queuedBytes, 0);
  assert.is(ex.bodyBytes, 5);
});

test('a UTF-8 body: Content-Length counts bytes, the bytes are UTF-8', async () => {
  const { sink, owner, queue } = setup();
  const body = 'héllo → €';
  queue.enqueue(exchange(reply(200, body)));
  queue.pump();
  await tick();
  const { head, body: sent } = splitHead(sink.bytes());
  assert.ok(head.includes(`Content-Length: ${Buffer.byteLength(body)}\r\n`));
  assert.is(sent.toString('utf8'), body);
  assert.is(owner.wroteBytes(), sink.bytes().length);
});

test('a batch: responses queued between beginBatch and endBatch go out as one write', () => {
  const { sink, owner, queue } = setup();
  queue.beginBatch();
  const exs = ['one', 'two', 'three'].map((b) => exchange(reply(200, b)));
  for (const ex of exs) queue.enqueue(ex);
  queue.pump();
  assert.is(sink.writes.length, 0);
  queue.endBatch();
  assert.is(sink.writes.length, 1, 'adjacent strings are joined');
  assert.is(sink.text(), `${textHead('200 OK', 3)}one${textHead('200 OK', 3)}two${textHead('200 OK', 5)}three`);
  assert.equal(owner.done, exs);
  assert.equal(owner.writesSeen, [[sink.bytes().length, 1]]);
});

test('nested batches flush at the outermost end', () => {
  const { sink, queue } = setup();
  queue.beginBatch();
  queue.beginBatch();
  queue.enqueue(exchange(reply(200, 'x')));
  queue.pump();
  queue.endBatch();
  assert.is(sink.writes.length, 0);
  queue.endBatch();
  assert.is(sink.writes.length, 1);
});

test('order: a response ready early waits for the ones before it', async () => {
  const { sink, owner, queue } = setup();
  const first = exchange(reply(200, 'first'), { ready: false });
  const second = exchange(reply(200, 'second'));
  queue.enqueue(first);
  queue.enqueue(second);
  queue.pump();
  await tick();
  assert.is(sink.writes.length, 0);
  assert.equal(owner.done, []);
  first.moveTo(EX_READY);
  queue.pump();
  await tick();
  assert.is(sink.text(), `${textHead('200 OK', 5)}first${textHead('200 OK', 6)}second`);
  assert.equal(owner.done, [first, second]);
});

test('order: a front response the owner does not release holds everything behind it', async () => {
  const { sink, owner, queue } = setup();
  const first = exchange(reply(200, 'a'));
  const second = exchange(reply(200, 'b'));
  owner.held.add(first);
  queue.enqueue(first);
  queue.enqueue(second);
  queue.pump();
  await tick();
  assert.is(sink.writes.length, 0);
  assert.equal(owner.framed, [], 'not framed before release');
  owner.held.clear();
  queue.pump();
  await tick();
  assert.is(sink.text(), `${textHead('200 OK', 1)}a${textHead('200 OK', 1)}b`);
});

test('bytes bodies: head and data go out corked, as one batch, in order', () => {
  const { sink, owner, queue } = setup();
  const data = Buffer.from([0x00, 0xff, 0x80, 0x0d, 0x0a]);
  queue.beginBatch();
  queue.enqueue(exchange(reply(200, data)));
  queue.enqueue(exchange(reply(200, 'after')));
  queue.pump();
  queue.endBatch();
  assert.is(sink.corks, 1);
  assert.is(sink.uncorks, 1);
  assert.ok(sink.writes.length >= 2);
  assert.ok(sink.writes.every((w) => w.corked));
  const expected = Buffer.concat([
    Buffer.from(textHead('200 OK', 5, 'application/octet-stream'), 'latin1'),
    data,
    Buffer.from(`${textHead('200 OK', 5)}after`, 'latin1'),
  ]);
  assert.equal([...sink.bytes()], [...expected]);
  assert.equal(owner.writesSeen, [[expected.length, sink.writes.length]]);
});

test('obs-text in a header: the head goes out byte for byte (latin1), the body as UTF-8', () => {
  const { sink, queue } = setup();
  queue.beginBatch();
  queue.enqueue(exchange(reply(200, 'é', { 'X-Name': 'caf\xe9' })));
  queue.pump();
  queue.endBatch();
  const wire = sink.bytes();
  const { head, body } = splitHead(wire);
  const at = wire.indexOf('X-Name: caf');
  assert.is(wire[at + 11], 0xe9, 'one byte 0xE9, not the UTF-8 C3 A9');
  assert.ok(head.includes('Content-Length: 2\r\n'));
  assert.equal([...body], [0xc3, 0xa9]);
});

test('HEAD: the head with the length of the body it would have, and no body', () => {
  const { sink, owner, queue } = setup();
  queue.beginBatch();
  const ex = exchange(reply(200, 'twelve bytes'), { isHead: true });
  queue.enqueue(ex);
  queue.enqueue(exchange(reply(200, 'next')));
  queue.pump();
  queue.endBatch();
  assert.is(sink.text(), `${textHead('200 OK', 12)}${textHead('200 OK', 4)}next`);
  assert.is(ex.bodyBytes, 0);
  assert.equal(owner.done.length, 2);
});

test('204 and 304: no body bytes even if one was given', () => {
  const { sink, queue } = setup();
  queue.beginBatch();
  queue.enqueue(exchange(reply(204, 'ignored')));
  queue.enqueue(exchange(reply(304, 'ignored')));
  queue.pump();
  queue.endBatch();
  assert.is(sink.text(), `HTTP/1.1 204 No Content\r\nDate: ${DATE}\r\n${KEEP}\r\nHTTP/1.1 304 Not Modified\r\nDate: ${DATE}\r\n${KEEP}\r\n`);
});

test('an empty body: Content-Length: 0', () => {
  const { sink, queue } = setup();
  queue.beginBatch();
  queue.enqueue(exchange({ status: 200 }));
  queue.pump();
  queue.endBatch();
  assert.is(sink.text(), `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nContent-Length: 0\r\n${KEEP}\r\n`);
});

test('100 Continue goes out before the response is ready, once', () => {
  const { sink, queue } = setup();
  const ex = exchange(reply(200, 'ok'), { ready: false });
  ex.continueState = CONTINUE_DUE;
  queue.enqueue(ex);
  queue.beginBatch();
  queue.pump();
  queue.endBatch();
  assert.is(sink.text(), 'HTTP/1.1 100 Continue\r\n\r\n');
  assert.is(ex.continueState, CONTINUE_SENT);
  queue.pump();
  ex.moveTo(EX_READY);
  queue.beginBatch();
  queue.pump();
  queue.endBatch();
  assert.is(sink.text(), `HTTP/1.1 100 Continue\r\n\r\n${textHead('200 OK', 2)}ok`);
});

test('100 Continue of a later exchange waits for its turn', () => {
  const { sink, queue } = setup();
  const first = exchange(reply(200, 'a'), { ready: false });
  const second = exchange(reply(200, 'b'), { ready: false });
  second.continueState = CONTINUE_DUE;
  queue.enqueue(first);
  queue.enqueue(second);
  queue.beginBatch();
  queue.pump();
  queue.endBatch();
  assert.is(sink.writes.length, 0);
  first.moveTo(EX_READY);
  queue.beginBatch();
  queue.pump();
  queue.endBatch();
  assert.is(sink.text(), `${textHead('200 OK', 1)}aHTTP/1.1 100 Continue\r\n\r\n`);
});

// ---- backpressure -------------------------------------------------------------------------------------

test('a full sink: blocked() once, nothing more written until onDrain(), then the rest in order', async () => {
  const { sink, owner, queue } = setup();
  sink.full = true;
  queue.beginBatch();
  queue.enqueue(exchange(reply(200, 'one')));
  queue.pump();
  queue.endBatch();
  assert.is(sink.writes.length, 1);
  assert.is(queue.blocked, true);
  assert.is(owner.blockedCount, 1);
  const later = exchange(reply(200, 'two'));
  queue.enqueue(later);
  queue.pump();
  await tick();
  await tick();
  assert.is(sink.writes.length, 1, 'nothing taken from the queue while blocked');
  assert.equal(owner.framed.length, 1);
  sink.full = false;
  queue.onDrain();
  assert.is(queue.blocked, false);
  assert.is(owner.drainedCount, 1);
  await tick();
  assert.is(sink.text(), `${textHead('200 OK', 3)}one${textHead('200 OK', 3)}two`);
  assert.equal(owner.done.length, 2);
  assert.is(owner.blockedCount, 1);
});

test('onDrain() when not blocked does nothing', () => {
  const { owner, queue } = setup();
  queue.onDrain();
  assert.is(owner.drainedCount, 0);
});

test('the high-water mark cuts a batch: a response is not added once pending bytes reach it', () => {
  const { sink, owner, queue } = setup(300);
  const body = 'x'.repeat(50);
  const one = textHead('200 OK', 50).length + 50;
  assert.ok(one < 300 && 2 * one >= 300);
  queue.beginBatch();
  for (let i = 0; i < 5; i++) queue.enqueue(exchange(reply(200, body)));
  queue.pump();
  // Two responses reach the mark: they are written before the third is added; and so on.
  assert.is(sink.writes.length, 2);
  queue.endBatch();
  assert.equal(sink.writes.map((w) => Buffer.byteLength(w.data as string)), [2 * one, 2 * one, one]);
  assert.is(owner.wroteBytes(), 5 * one);
  assert.is(owner.done.length, 5);
});

test('a whole body larger than the high-water mark leaves in slices of at most the mark, in order, the same bytes', async () => {
  const { sink, owner, queue } = setup(100);
  for (let i = 0; i < 3; i++) queue.enqueue(exchange(reply(200, String(i).repeat(250))));
  queue.pump();
  await until(() => owner.done.length === 3, 'all three responses');
  assert.is(sink.text(), [0, 1, 2].map((i) => textHead('200 OK', 250) + String(i).repeat(250)).join(''));
  const bodyBytes = sink.writes.map((w) => {
    const text = typeof w.data === 'string' ? w.data : Buffer.from(w.data).toString('latin1');
    const head = text.indexOf('\r\n\r\n');
    return head < 0 ? text.length : text.length - head - 4;
  });
  assert.ok(bodyBytes.every((n) => n <= 100), `body bytes per write: ${bodyBytes.join(', ')}`);
  assert.ok(sink.writes.length >= 9, 'three slices each');
});

test('a sliced whole body waits for the drain between slices, and never splits a surrogate pair', async () => {
  const { sink, owner, queue } = setup(100);
  const body = `${'a'.repeat(99)}😀${'b'.repeat(150)}`; // the pair sits across the first slice boundary
  const bytes = Buffer.byteLength(body);
  sink.full = true;
  queue.enqueue(exchange(reply(200, body)));
  queue.pump();
  await until(() => owner.blockedCount === 1, 'blocked');
  const before = sink.writes.length;
  for (let i = 0; i < 5; i++) await tick();
  assert.is(sink.writes.length, before, 'nothing more while the sink is full');
  sink.full = false;
  queue.onDrain();
  await until(() => owner.done.length === 1, 'done');
  assert.is(sink.bytes().toString('utf8'), textHead('200 OK', bytes) + body);
  for (const w of sink.writes) {
    if (typeof w.data === 'string') assert.not.ok(/[\ud800-\udbff]$/.test(w.data), 'no write ends inside a pair');
  }
});

test('the high-water mark counts what the sink still buffers', () => {
  const { sink, queue } = setup(200);
  sink.writableLength = 150;
  queue.beginBatch();
  queue.enqueue(exchange(reply(200, 'a')));
  queue.enqueue(exchange(reply(200, 'b')));
  queue.pump();
  assert.is(sink.writes.length, 1, 'the first response alone already reaches the mark with the buffered bytes');
  queue.endBatch();
  assert.is(sink.writes.length, 2);
});

test('a cut batch that fills the sink stops there until the drain', async () => {
  const { sink, owner, queue } = setup(200);
  sink.full = true;
  queue.beginBatch();
  for (let i = 0; i < 3; i++) queue.enqueue(exchange(reply(200, 'y'.repeat(100))));
  queue.pump();
  queue.endBatch();
  assert.is(sink.writes.length, 1);
  assert.is(queue.exchanges.length, 2);
  assert.is(owner.blockedCount, 1);
  sink.full = false;
  queue.onDrain();
  await tick();
  assert.is(queue.exchanges.length, 0);
  assert.is(owner.done.length, 3);
  assert.is(sink.bytes().toString('latin1').split('HTTP/1.1 200 OK').length - 1, 3);
});

// ---- streamed bodies ----------------------------------------------------------------------------------

function source(chunks: (Chunk | Error)[], log?: { pulled: number; finished: boolean }): AsyncGenerator<Chunk> {
  return (async function* () {
    try {
      for (const c of chunks) {
        if (log !== undefined) log.pulled++;
        await tick();
        if (c instanceof Error) throw c;
        yield c;
      }
    } finally {
      if (log !== undefined) log.finished = true;
    }
  })();
}

test('a stream in HTTP/1.1: chunked, empty chunks skipped, sizes in bytes, last chunk', async () => {
  const { sink, owner, queue } = setup();
  const ex = exchange({ status: 200, body: source(['hello', Buffer.from(' world'), '', new Uint8Array(0), ' é', 'x'.repeat(300)]) });
  queue.enqueue(ex);
  queue.pump();
  assert.is(ex.state, EX_SENDING);
  await until(() => owner.done.length === 1, 'the stream to end');
  const { head } = splitHead(sink.bytes());
  assert.ok(head.startsWith('HTTP/1.1 200 OK\r\n'));
  assert.ok(head.includes('Transfer-Encoding: chunked\r\n'));
  assert.ok(head.includes('Content-Type: application/octet-stream\r\n'));
  assert.not.ok(/content-length/i.test(head));
  const [res, ...more] = responsesIn(sink.bytes());
  assert.is(res?.framing, 'chunked');
  assert.is(res?.body.toString('utf8'), `hello world é${'x'.repeat(300)}`);
  assert.equal(res?.trailers, []);
  assert.is(more.length, 0);
  assert.is(res?.end, sink.bytes().length, 'nothing after the body');
  assert.is(ex.state, EX_DONE);
  assert.is(ex.bodyBytes, Buffer.byteLength(`hello world é${'x'.repeat(300)}`));
  assert.is(owner.wroteBytes(), sink.bytes().length);
  assert.equal(owner.failures, []);
});

test('trailers after a chunked stream: an object, or a function called at the end', async () => {
  for (const trailers of [{ 'X-Checksum': 'abc', 'X-Multi': ['1', '2'] }, async () => [['X-Checksum', 'abc'], ['X-Multi', '1'], ['X-Multi', 2]] as [string, string | number][]]) {
    const { sink, owner, queue } = setup();
    queue.enqueue(exchange({ status: 200, body: source(['data']), trailers }));
    queue.pump();
    await until(() => owner.done.length === 1, 'the stream to end');
    const [res] = responsesIn(sink.bytes());
    assert.is(res?.body.toString(), 'data');
    assert.equal(res?.trailers, [['X-Checksum', 'abc'], ['X-Multi', '1'], ['X-Multi', '2']]);
    assert.ok(sink.text().endsWith('\r\n0\r\nX-Checksum: abc\r\nX-Multi: 1\r\nX-Multi: 2\r\n\r\n'), 'the trailer lines, exactly');
  }
});

test('invalid trailers fail the stream (its head is already out)', async () => {
  const { owner, queue } = setup();
  queue.enqueue(exchange({ status: 200, body: source(['data']), trailers: { 'X-Bad': 'a\r\nb' } }));
  queue.pump();
  await until(() => owner.failures.length === 1, 'the failure');
  const error = owner.failures[0]!.error;
  assert.ok(error instanceof StreamAbortedError);
  assert.is(error.code, 'H1W_STREAM_FAILED');
  assert.equal(owner.done, []);
});

test('a stream with a declared length: Content-Length, raw bytes, no chunk framing', async () => {
  const { sink, owner, queue } = setup();
  queue.enqueue(exchange({ status: 200, body: source(['12345', Buffer.from('67890')]), length: 10, trailers: { T: 'ignored' } }));
  queue.pump();
  await until(() => owner.done.length === 1, 'the stream to end');
  const { head, body } = splitHead(sink.bytes());
  assert.ok(head.includes('Content-Length: 10\r\n'));
  assert.not.ok(/transfer-encoding/i.test(head));
  assert.is(body.toString('latin1'), '1234567890');
});

test('a stream longer than its declared length fails before the excess is written, and is cancelled', async () => {
  const { sink, owner, queue } = setup();
  const log = { pulled: 0, finished: false };
  const ex = exchange({ status: 200, body: source(['12345', '6789', 'AB', 'never'], log), length: 10 });
  queue.enqueue(ex);
  queue.pump();
  await until(() => owner.failures.length === 1, 'the failure');
  const error = owner.failures[0]!.error as StreamAbortedError;
  assert.ok(error instanceof StreamAbortedError);
  assert.is(error.code, 'H1W_LENGTH_MISMATCH');
  assert.is(owner.failures[0]!.ex, ex);
  const { body } = splitHead(sink.bytes());
  assert.is(body.toString('latin1'), '123456789', 'nothing past the declared length');
  await until(() => log.finished, 'the source to be cancelled');
  assert.is(log.pulled, 3);
  assert.equal(owner.done, []);
});

test('a stream shorter than its declared length fails at its end', async () => {
  const { owner, queue } = setup();
  queue.enqueue(exchange({ status: 200, body: source(['123']), headers: { 'Content-Length': '10' } }));
  queue.pump();
  await until(() => owner.failures.length === 1, 'the failure');
  const error = owner.failures[0]!.error as StreamAbortedError;
  assert.is(error.code, 'H1W_LENGTH_MISMATCH');
  assert.ok(error.message.includes('3') && error.message.includes('10'));
  assert.equal(owner.done, []);
});

test('a stream that throws: H1W_STREAM_FAILED with the error as cause; no last chunk is sent', async () => {
  const { sink, owner, queue } = setup();
  const boom = new Error('database went away');
  queue.enqueue(exchange({ status: 200, body: source(['partial', boom]) }));
  queue.pump();
  await until(() => owner.failures.length === 1, 'the failure');
  const error = owner.failures[0]!.error as StreamAbortedError;
  assert.is(error.code, 'H1W_STREAM_FAILED');
  assert.is(error.cause, boom);
  const { body } = splitHead(sink.bytes());
  assert.not.ok(body.toString('latin1').includes('0\r\n\r\n'), 'a truncated body must not look complete');
  assert.equal(owner.done, []);
});

test('a stream that yields something other than strings and bytes fails', async () => {
  // At once: nothing was written yet, so the owner may still answer it (a clean 500).
  const early = setup();
  async function* bad(): AsyncGenerator<unknown> {
    yield 42;
  }
  early.queue.enqueue(exchange({ status: 200, body: bad() }));
  early.queue.pump();
  await until(() => early.owner.earlyFailures.length === 1, 'the early failure');
  assert.ok(early.owner.earlyFailures[0]!.error instanceof TypeError);
  assert.is(early.sink.bytes().length, 0, 'no byte of the response was written');
  assert.is(early.owner.failures.length, 0);
  // After a first chunk: the head is out, the failure can only end the connection.
  const late = setup();
  async function* badLater(): AsyncGenerator<unknown> {
    yield 'fine';
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    yield 42;
  }
  late.queue.enqueue(exchange({ status: 200, body: badLater() }));
  late.queue.pump();
  await until(() => late.owner.failures.length === 1, 'the failure');
  assert.ok((late.owner.failures[0]!.error as StreamAbortedError).cause instanceof TypeError);
  assert.match(late.sink.text(), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n4\r\nfine\r\n$/);
});

test('a stream in HTTP/1.0: close-delimited, raw bytes', async () => {
  const { sink, owner, queue } = setup();
  queue.enqueue(exchange({ status: 200, body: source(['a', 'b']) }, { http11: false }));
  queue.pump();
  await until(() => owner.done.length === 1, 'the stream to end');
  const { head, body } = splitHead(sink.bytes());
  assert.not.ok(/content-length|transfer-encoding/i.test(head));
  assert.is(body.toString(), 'ab');
});

test('HEAD with a stream body: the stream is cancelled, never read', async () => {
  const { sink, owner, queue } = setup();
  const log = { pulled: 0, finished: false };
  const gen = source(['never'], log);
  const ex = exchange({ status: 200, body: gen }, { isHead: true });
  queue.beginBatch();
  queue.enqueue(ex);
  queue.pump();
  queue.endBatch();
  assert.equal(owner.done, [ex]);
  assert.is(ex.response!.source, null);
  assert.ok(splitHead(sink.bytes()).head.includes('Transfer-Encoding: chunked'));
  assert.is(splitHead(sink.bytes()).body.length, 0);
  await tick();
  assert.is(log.pulled, 0);
});

test('responses after a stream wait for its end', async () => {
  const { sink, owner, queue } = setup();
  const streamed = exchange({ status: 200, body: source(['s1', 's2', 's3']) });
  const after = exchange(reply(200, 'after'));
  queue.enqueue(streamed);
  queue.enqueue(after);
  queue.pump();
  await until(() => owner.done.length === 2, 'both responses');
  assert.equal(owner.done, [streamed, after]);
  const wire = sink.bytes();
  const [first] = responsesIn(wire);
  assert.is(first?.body.toString(), 's1s2s3');
  assert.is(wire.toString('latin1', first?.end), `${textHead('200 OK', 5)}after`);
});

test('stream backpressure: no chunk is pulled while the sink is full; onDrain resumes', async () => {
  const { sink, owner, queue } = setup();
  const log = { pulled: 0, finished: false };
  const chunks = Array.from({ length: 6 }, (_, i) => `chunk${i}`);
  queue.enqueue(exchange({ status: 200, body: source(chunks, log) }));
  sink.full = true;
  queue.pump();
  await until(() => queue.blocked, 'the sink to fill');
  // Chunks ready in one turn are written together at its end, so the chunk asked for before that write
  // blocked may still land; after it, the producer is asked for nothing more until the drain.
  for (let i = 0; i < 3; i++) await tick();
  const pulledWhenBlocked = log.pulled;
  const writesWhenBlocked = sink.writes.length;
  for (let i = 0; i < 10; i++) await tick();
  assert.is(log.pulled, pulledWhenBlocked, 'the producer is not asked for more');
  assert.is(sink.writes.length, writesWhenBlocked);
  assert.ok(pulledWhenBlocked < chunks.length);
  sink.full = false;
  queue.onDrain();
  await until(() => owner.done.length === 1, 'the stream to end');
  assert.is(responsesIn(sink.bytes())[0]?.body.toString(), chunks.join(''));
});

test('close(): cancels streams, drops pending bytes, marks exchanges aborted; nothing written after', async () => {
  const { sink, owner, queue } = setup();
  const log = { pulled: 0, finished: false };
  const streaming = exchange({ status: 200, body: source(['a', 'b', 'c', 'd'], log) });
  const waiting = exchange(reply(200, 'never'), { ready: false });
  queue.enqueue(streaming);
  queue.enqueue(waiting);
  sink.full = true;
  queue.pump();
  await until(() => queue.blocked, 'the sink to fill');
  const written = sink.writes.length;
  const reason = new Error('connection reset');
  queue.close(reason);
  queue.close(reason);
  assert.ok(streaming.aborted);
  assert.ok(waiting.aborted);
  assert.is(queue.exchanges.length, 0);
  await until(() => log.finished, 'the source to be cancelled');
  waiting.moveTo(EX_READY);
  queue.pump();
  queue.flush();
  for (let i = 0; i < 5; i++) await tick();
  assert.is(sink.writes.length, written);
  assert.equal(owner.failures, [], 'a closed connection is not a stream failure');
  assert.equal(owner.done, []);
});

test('close(): bytes queued in this tick are never written', async () => {
  const { sink, queue } = setup();
  queue.enqueue(exchange(reply(200, 'pending')));
  queue.pump();
  assert.ok(queue.queuedBytes > 0);
  queue.close(new Error('gone'));
  assert.is(queue.queuedBytes, 0);
  await tick();
  assert.is(sink.writes.length, 0);
});

test('close() while a stream waits on its producer: the late chunk is dropped', async () => {
  const { sink, owner, queue } = setup();
  let release: (() => void) | null = null;
  async function* slow(): AsyncGenerator<Chunk> {
    yield 'first';
    await new Promise<void>((r) => {
      release = r;
    });
    yield 'late';
  }
  queue.enqueue(exchange({ status: 200, body: slow() }));
  queue.pump();
  await until(() => release !== null, 'the producer to wait');
  const written = sink.bytes().length;
  queue.close(new Error('gone'));
  (release as unknown as () => void)();
  for (let i = 0; i < 5; i++) await tick();
  assert.is(sink.bytes().length, written);
  assert.equal(owner.failures, []);
  assert.equal(owner.done, []);
});

test('close() while trailers are being computed: no last chunk, no failure, not done', async () => {
  const { sink, owner, queue } = setup();
  let release: ((t: Record<string, string>) => void) | null = null;
  const trailers = (): Promise<Record<string, string>> =>
    new Promise((r) => {
      release = r;
    });
  queue.enqueue(exchange({ status: 200, body: source(['data']), trailers }));
  queue.pump();
  await until(() => release !== null, 'the trailer function to be called');
  const written = sink.bytes().length;
  queue.close(new Error('gone'));
  (release as unknown as (t: Record<string, string>) => void)({ 'X-T': '1' });
  for (let i = 0; i < 5; i++) await tick();
  assert.is(sink.bytes().length, written);
  assert.not.ok(sink.text().includes('0\r\n'));
  assert.equal(owner.failures, []);
  assert.equal(owner.done, []);
});

test('close() while the producer is pending, then the producer fails: not reported as a stream failure', async () => {
  const { owner, queue } = setup();
  let fail: ((e: Error) => void) | null = null;
  const pending = {
    [Symbol.asyncIterator]() {
      return {
        next: () =>
          new Promise<IteratorResult<Chunk>>((_, reject) => {
            fail = reject;
          }),
      };
    },
  };
  queue.enqueue(exchange({ status: 200, body: pending }));
  queue.pump();
  await until(() => fail !== null, 'the producer to be asked');
  queue.close(new Error('gone'));
  (fail as unknown as (e: Error) => void)(new Error('producer failed after the close'));
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(owner.failures, []);
  assert.equal(owner.done, []);
});

test('flush() with nothing pending writes nothing', () => {
  const { sink, owner, queue } = setup();
  queue.flush();
  assert.is(sink.writes.length, 0);
  assert.equal(owner.writesSeen, []);
});

test.run();
