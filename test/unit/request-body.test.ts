// RequestBody: an async iterable of the request's body chunks, with text/json/bytes and backpressure flags.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpError } from '../../lib/errors.js';
import { emptyBody, RequestBody, type BodyOwner } from '../../lib/request-body.js';
import { rejects } from '../helpers/fixtures.js';

class Owner implements BodyOwner {
  requested = 0;
  drained = 0;
  bodyRequested(): void {
    this.requested++;
  }
  bodyDrained(): void {
    this.drained++;
  }
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');


test('chunks pushed before reading come out in order, then the end; small neighbours joined', async () => {
  const body = new RequestBody(null, 1024);
  body.push(b('one '));
  body.push(b('two '));
  body.push(b('three'));
  body.end(null);
  const got: string[] = [];
  for await (const chunk of body) got.push(chunk.toString());
  assert.equal(got, ['one two three'], 'small chunks buffered together come out as one');
  assert.is(body.received, 13);
  assert.is(body.complete, true);

  const big = new RequestBody(null, 1 << 20);
  const large = Buffer.alloc(8192, 'L');
  big.push(b('a'));
  big.push(large);
  big.push(b('z'));
  big.end(null);
  const sizes: number[] = [];
  for await (const chunk of big) sizes.push(chunk.length);
  assert.equal(sizes, [1, 8192, 1], 'a large chunk is kept as it came, in order between the small ones');
});

test('a body sent as many one-byte chunks is stored in a few segments, bytes intact', async () => {
  const body = new RequestBody(null, 1 << 20);
  const sent = Buffer.from(Array.from({ length: 40_000 }, (_, i) => (i * 7) % 256));
  for (let i = 0; i < sent.length; i++) body.push(sent.subarray(i, i + 1));
  body.end(null);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  assert.ok(chunks.length <= 3, `${chunks.length} chunks for 40,000 one-byte pushes`);
  assert.ok(Buffer.concat(chunks).equals(sent));
});

test('bytes() collects as the body arrives: never full, resolves at the end, rejects on failure', async () => {
  const owner = new Owner();
  const body = new RequestBody(owner, 10);
  body.push(b('0123456789ab'));
  assert.is(body.full, true);
  const whole = body.bytes();
  assert.is(body.full, false, 'a collecting reader takes everything: reading must not pause');
  assert.is(owner.drained, 1, 'the pause for the unread bytes ends');
  for (let i = 0; i < 100; i++) body.push(b('x'));
  assert.is(body.full, false);
  body.end(null);
  assert.is((await whole).toString(), `0123456789ab${'x'.repeat(100)}`);

  const failing = new RequestBody(null, 10);
  const pending = failing.bytes();
  failing.push(b('part'));
  const reason = new Error('reset');
  failing.fail(reason);
  assert.is(await rejects(pending), reason);
});

test('a reader waiting for data gets each chunk as it is pushed, and the end', async () => {
  const body = new RequestBody(null, 1024);
  const it = body[Symbol.asyncIterator]();
  const first = it.next();
  body.push(b('late'));
  assert.equal((await first).value?.toString(), 'late');
  const second = it.next();
  body.end(['T', 'v']);
  assert.is((await second).done, true);
  assert.equal(body.trailers, ['T', 'v']);
});

test('text(), bytes(), json()', async () => {
  const t = new RequestBody(null, 1024);
  // A multi-byte character cut between two chunks still decodes.
  const euro = b('€');
  t.push(Buffer.concat([b('price: '), euro.subarray(0, 1)]));
  t.push(euro.subarray(1));
  t.end(null);
  assert.is(await t.text(), 'price: €');

  const one = new RequestBody(null, 1024);
  const only = b('single');
  one.push(only);
  one.end(null);
  const bytes = await one.bytes();
  assert.equal([...bytes], [...only]);

  const many = new RequestBody(null, 1024);
  many.push(b('ab'));
  many.push(b('cd'));
  many.end(null);
  assert.is((await many.bytes()).toString(), 'abcd');

  const none = new RequestBody(null, 1024);
  none.end(null);
  assert.is((await none.bytes()).length, 0);

  const j = new RequestBody(null, 1024);
  j.push(b('{"a":[1,'));
  j.push(b('2],"b":null}'));
  j.end(null);
  assert.equal(await j.json(), { a: [1, 2], b: null });
});

test('json(): malformed JSON is a 400 H1W_INVALID_JSON with the parse error as cause', async () => {
  const body = new RequestBody(null, 1024);
  body.push(b('{"a":'));
  body.end(null);
  const error = await rejects(body.json());
  assert.ok(error instanceof HttpError);
  assert.is(error.status, 400);
  assert.is(error.code, 'H1W_INVALID_JSON');
  assert.is(error.closesConnection, false, 'the request was framed fine: the connection may go on');
  assert.ok(error.cause instanceof SyntaxError);
  const empty = new RequestBody(null, 1024);
  empty.end(null);
  assert.is(((await rejects(empty.json())) as HttpError).status, 400);
});

test('the body can be read only once, by one reader at a time', async () => {
  const body = new RequestBody(null, 1024);
  body[Symbol.asyncIterator]();
  assert.throws(() => body[Symbol.asyncIterator](), TypeError);
  await rejects(body.text());

  const other = new RequestBody(null, 1024);
  const it = other[Symbol.asyncIterator]();
  const pending = it.next();
  const error = await rejects(it.next());
  assert.ok(error instanceof TypeError);
  other.push(b('x'));
  assert.is((await pending).value?.toString(), 'x');
});

test('bodyRequested: called once, on the first read (the cue for 100 Continue)', async () => {
  const owner = new Owner();
  const body = new RequestBody(owner, 1024);
  assert.is(body.used, false);
  body.push(b('x'));
  assert.is(owner.requested, 0, 'pushing is not reading');
  const it = body[Symbol.asyncIterator]();
  assert.is(owner.requested, 0, 'taking an iterator is not reading');
  await it.next();
  assert.is(owner.requested, 1);
  assert.is(body.used, true);
  const next = it.next();
  body.end(null);
  await next;
  assert.is(owner.requested, 1);
});

test('full: buffered bytes at or past the high-water mark; bodyDrained once reading brings them below', async () => {
  const owner = new Owner();
  const body = new RequestBody(owner, 10_000);
  body.push(Buffer.alloc(5000));
  assert.is(body.full, false);
  body.push(Buffer.alloc(5000));
  assert.is(body.full, true);
  body.push(Buffer.alloc(3000));
  assert.is(body.full, true);
  const it = body[Symbol.asyncIterator]();
  await it.next(); // 8,000 left
  assert.is(body.full, false);
  assert.is(owner.drained, 1);
  await it.next(); // 3,000 left
  assert.is(owner.drained, 1, 'only the crossing counts');
  await it.next();
  assert.is(owner.drained, 1);
});

test('bodyDrained is not called when the buffer was never full', async () => {
  const owner = new Owner();
  const body = new RequestBody(owner, 100);
  body.push(b('small'));
  body.end(null);
  await body.text();
  assert.is(owner.drained, 0);
});

test('a chunk handed straight to a waiting reader is never buffered', async () => {
  const body = new RequestBody(null, 4);
  const it = body[Symbol.asyncIterator]();
  const waiting = it.next();
  body.push(b('0123456789'));
  assert.is(body.full, false);
  await waiting;
});

test('fail(): a waiting reader and every later read get the error; buffered data is dropped', async () => {
  const body = new RequestBody(null, 1024);
  const it = body[Symbol.asyncIterator]();
  const waiting = it.next();
  const reason = new Error('connection reset');
  body.fail(reason);
  assert.is(await rejects(waiting), reason);
  assert.is(await rejects(it.next()), reason);

  const buffered = new RequestBody(null, 4);
  buffered.push(b('data!'));
  assert.is(buffered.full, true);
  buffered.fail(reason);
  assert.is(buffered.full, false);
  assert.is(await rejects(buffered.text()), reason);
  buffered.push(b('more')); // counted, not kept
  assert.is(buffered.received, 9);
  assert.is(buffered.full, false);
});

test('fail(): after the end, or a second time, changes nothing', async () => {
  const ended = new RequestBody(null, 1024);
  ended.push(b('whole'));
  ended.end(null);
  ended.fail(new Error('late'));
  assert.is(await ended.text(), 'whole');

  const twice = new RequestBody(null, 1024);
  const first = new Error('first');
  twice.fail(first);
  twice.fail(new Error('second'));
  assert.is(await rejects(twice.text()), first);
});

test('discard(): drops what is buffered and what still arrives; reading then ends', async () => {
  const owner = new Owner();
  const body = new RequestBody(owner, 4);
  body.push(b('12345'));
  assert.is(body.full, true);
  body.discard();
  assert.is(body.full, false);
  body.push(b('more'));
  assert.is(body.full, false);
  assert.is(body.received, 9, 'received counts every byte, read or not');
  assert.is(await body.text(), '');
});

test('breaking out of for-await discards the rest', async () => {
  const body = new RequestBody(null, 4);
  body.push(Buffer.alloc(5000, 'f'));
  body.push(Buffer.alloc(5000, 's'));
  for await (const chunk of body) {
    assert.is(chunk.toString(), 'f'.repeat(5000));
    break;
  }
  assert.is(body.full, false);
  body.push(b('third'));
  assert.is(body.full, false);
});

test('emptyBody(): complete, no trailers, reads as nothing', async () => {
  const body = emptyBody();
  assert.is(body.complete, true);
  assert.is(body.trailers, null);
  assert.is(body.received, 0);
  assert.is(await body.text(), '');
});

test.run();
