// The serialize stage: a handler's value → status, checked headers, content type and body bytes or stream.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpError, InvalidResponseError, NotAcceptableError, SerializeError } from '../../lib/errors.js';
import { BODY_STREAM, BODY_WHOLE } from '../../lib/frame.js';
import { reply } from '../../lib/result.js';
import { serializeError, serializeValue, type SerializeContext, type Serialized } from '../../lib/serialize.js';
import { html } from '../../lib/serializers/html.js';
import { json } from '../../lib/serializers/json.js';
import type { Chunk, Serializer } from '../../lib/serializers/serializer.js';
import { text } from '../../lib/serializers/text.js';

const ctx: SerializeContext = { serializers: [json()], strictAccept: false };
const both: SerializeContext = { serializers: [json(), text('text/plain; charset=utf-8')], strictAccept: false };
const strict: SerializeContext = { ...both, strictAccept: true };

function throwsHttp(fn: () => unknown, status: number, code: string): HttpError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HttpError, `expected an HttpError, got ${String(error)}`);
    assert.is(error.status, status);
    assert.is(error.code, code);
    return error;
  }
  assert.unreachable(`expected ${status} ${code}`);
  throw new Error('unreachable');
}

async function drain(out: Serialized): Promise<string> {
  assert.ok(out.source !== null);
  let s = '';
  for (let c = await out.source.next(); c !== null; c = await out.source.next()) s += typeof c === 'string' ? c : Buffer.from(c).toString();
  return s;
}

test('undefined: 204 No Content, no body, no content type', () => {
  const out = serializeValue(undefined, undefined, ctx);
  assert.is(out.status, 204);
  assert.is(out.kind, BODY_WHOLE);
  assert.is(out.whole, null);
  assert.is(out.byteLength, 0);
  assert.is(out.contentType, null);
  assert.is(out.headers.text, '');
});

test('a string: 200 text/plain UTF-8, length in bytes', () => {
  const out = serializeValue('héllo €', undefined, ctx);
  assert.is(out.status, 200);
  assert.is(out.contentType, 'text/plain; charset=utf-8');
  assert.is(out.whole, 'héllo €');
  assert.is(out.byteLength, Buffer.byteLength('héllo €'));
  assert.is(out.byteLength, 10);
  assert.is(out.serializer, 'text');
  assert.is(serializeValue('', undefined, ctx).byteLength, 0);
});

test('bytes: 200 application/octet-stream, sent as they are', () => {
  const data = new Uint8Array([0, 1, 2, 255]);
  const out = serializeValue(data, undefined, ctx);
  assert.is(out.contentType, 'application/octet-stream');
  assert.is(out.whole, data);
  assert.is(out.byteLength, 4);
  assert.is(serializeValue(Buffer.from('abc'), undefined, ctx).byteLength, 3);
});

test('other values go through the default serializer', () => {
  const out = serializeValue({ a: [1, 'x'], b: null }, undefined, ctx);
  assert.is(out.status, 200);
  assert.is(out.contentType, 'application/json');
  assert.equal(JSON.parse(out.whole as string), { a: [1, 'x'], b: null });
  assert.is(out.serializer, 'json');
  assert.is(serializeValue([1, 2], undefined, ctx).whole, '[1,2]');
  assert.is(serializeValue(42, undefined, ctx).whole, '42');
  assert.is(serializeValue(false, undefined, ctx).whole, 'false');
  // A non-ASCII JSON body's length is counted in UTF-8 bytes.
  const u = serializeValue({ s: '€' }, undefined, ctx);
  assert.is(u.byteLength, Buffer.byteLength(u.whole as string));
});

test('null returned as a plain value is a value: JSON null; a result whose body is null is empty', () => {
  const out = serializeValue(null, undefined, ctx);
  assert.is(out.status, 200);
  assert.is(out.whole, 'null');
  assert.is(out.contentType, 'application/json');
  const empty = serializeValue({ status: 200, body: null }, undefined, ctx);
  assert.is(empty.whole, null);
  assert.is(empty.byteLength, 0);
  assert.is(empty.contentType, null);
});

test('a result: status, headers and body', () => {
  const out = serializeValue(reply(201, { id: 7 }, { Location: '/items/7', 'X-Multi': ['a', 'b'] }), undefined, ctx);
  assert.is(out.status, 201);
  assert.is(out.headers.text, 'Location: /items/7\r\nX-Multi: a\r\nX-Multi: b\r\n');
  assert.is(out.whole, '{"id":7}');
  const plain = serializeValue({ status: 404 }, undefined, ctx);
  assert.is(plain.status, 404);
  assert.is(plain.whole, null);
  const noStatus = serializeValue({ body: 'x', headers: [['X-A', 1]] }, undefined, ctx);
  assert.is(noStatus.status, 200, 'status defaults to 200');
  assert.is(noStatus.headers.text, 'X-A: 1\r\n');
});

test('a result with an undefined body keeps its status (no 204 rewrite)', () => {
  const out = serializeValue({ status: 200 }, undefined, ctx);
  assert.is(out.status, 200);
  assert.is(out.byteLength, 0);
});

test('invalid statuses, and 101, are refused before anything is sent', () => {
  for (const status of [99, 1000, 0, 200.5, -1, NaN]) {
    throwsHttp(() => serializeValue({ status }, undefined, ctx), 500, 'H1W_INVALID_STATUS');
  }
  throwsHttp(() => serializeValue(reply(101), undefined, ctx), 500, 'H1W_INVALID_STATUS');
  throwsHttp(() => serializeValue(reply('200' as unknown as number), undefined, ctx), 500, 'H1W_INVALID_STATUS');
});

test('invalid headers are refused (InvalidResponseError, not exposed)', () => {
  const e = throwsHttp(() => serializeValue(reply(200, 'x', { 'Bad Name': 'v' }), undefined, ctx), 500, 'H1W_INVALID_HEADER');
  assert.ok(e instanceof InvalidResponseError);
  assert.is(e.expose, false);
  throwsHttp(() => serializeValue(reply(200, 'x', { 'X-Split': 'a\r\nSet-Cookie: evil=1' }), undefined, ctx), 500, 'H1W_INVALID_HEADER');
});

test('length and Content-Length must agree with each other and with a whole body', () => {
  assert.is(serializeValue({ status: 200, body: 'abc', length: 3 }, undefined, ctx).byteLength, 3);
  assert.is(serializeValue(reply(200, 'abc', { 'Content-Length': '3' }), undefined, ctx).byteLength, 3);
  throwsHttp(() => serializeValue({ status: 200, body: 'abc', length: 4 }, undefined, ctx), 500, 'H1W_INVALID_LENGTH');
  throwsHttp(() => serializeValue(reply(200, 'é', { 'Content-Length': 1 }), undefined, ctx), 500, 'H1W_INVALID_LENGTH');
  throwsHttp(() => serializeValue({ status: 200, body: 'abc', length: 3, headers: { 'content-length': '4' } }, undefined, ctx), 500, 'H1W_INVALID_LENGTH');
  for (const length of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    throwsHttp(() => serializeValue({ status: 200, body: 'x', length }, undefined, ctx), 500, 'H1W_INVALID_LENGTH');
  }
  // The Content-Length header is not repeated in the block: the server writes its own.
  assert.is(serializeValue(reply(200, 'abc', { 'Content-Length': '3' }), undefined, ctx).headers.text, '');
});

test('304 and HEAD-style results without a body: no Content-Length is required', () => {
  const out = serializeValue({ status: 304, headers: { ETag: '"v1"' } }, undefined, ctx);
  assert.is(out.status, 304);
  assert.is(out.headers.text, 'ETag: "v1"\r\n');
  // RFC 9110 §8.6: a 304, or an answer to HEAD, may carry the length of a representation it does not send.
  assert.is(serializeValue({ status: 304, headers: { 'Content-Length': '1234' } }, undefined, ctx).status, 304);
  const head = serializeValue({ status: 200, headers: { 'Content-Length': '1234' } }, undefined, ctx, true);
  assert.is(head.declaredLength, 1234);
  assert.throws(() => serializeValue({ status: 200, headers: { 'Content-Length': '1234' } }, undefined, ctx, false));
});

test('a stream body: BODY_STREAM, octet-stream, declared length and trailers kept', async () => {
  async function* gen(): AsyncGenerator<Chunk> {
    yield 'ab';
    yield Buffer.from('cd');
  }
  const trailers = { 'X-Checksum': '1' };
  const out = serializeValue({ status: 200, body: gen(), length: 4, trailers }, undefined, ctx);
  assert.is(out.kind, BODY_STREAM);
  assert.is(out.contentType, 'application/octet-stream');
  assert.is(out.declaredLength, 4);
  assert.is(out.trailers, trailers);
  assert.is(out.whole, null);
  assert.is(await drain(out), 'abcd');
  const bare = serializeValue(gen(), undefined, ctx);
  assert.is(bare.kind, BODY_STREAM);
  assert.is(bare.declaredLength, -1);
  assert.is(bare.serializer, 'stream');
  // Content-Length on a stream is its declared length.
  assert.is(serializeValue(reply(200, gen(), { 'content-length': '9' }), undefined, ctx).declaredLength, 9);
});

test('a web ReadableStream is a stream body', async () => {
  const rs = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('web'));
      controller.close();
    },
  });
  const out = serializeValue(rs, undefined, ctx);
  assert.is(out.kind, BODY_STREAM);
  assert.is(await drain(out), 'web');
});

test('an explicit serializer wins over the type of the body', () => {
  const out = serializeValue({ status: 200, body: 'already a string', serializer: json() }, undefined, ctx);
  assert.is(out.whole, '"already a string"');
  assert.is(out.contentType, 'application/json');
  const t = serializeValue({ status: 200, body: { a: 1 }, serializer: text() }, undefined, ctx);
  assert.is(t.whole, '[object Object]');
  assert.is(t.contentType, 'text/plain; charset=utf-8');
});

test('a streaming serializer makes a stream body with its content type', async () => {
  const lines: Serializer = {
    name: 'lines',
    contentType: 'text/x-lines',
    async *stream(value: unknown): AsyncGenerator<Chunk> {
      for (const v of value as unknown[]) yield `${String(v)}\n`;
    },
  };
  const out = serializeValue({ status: 200, body: [1, 2], serializer: lines, trailers: { T: 'v' } }, undefined, ctx);
  assert.is(out.kind, BODY_STREAM);
  assert.is(out.contentType, 'text/x-lines');
  assert.is(out.serializer, 'lines');
  assert.equal(out.trailers, { T: 'v' });
  assert.is(await drain(out), '1\n2\n');
});

test('html`` bodies go through the html serializer', async () => {
  const out = serializeValue(html`<p>${'<b>'}</p>`, undefined, ctx);
  assert.is(out.kind, BODY_STREAM);
  assert.is(out.contentType, 'text/html; charset=utf-8');
  assert.is(await drain(out), '<p>&lt;b&gt;</p>');
});

test('a serializer that throws: 500 H1W_SERIALIZE_FAILED with the cause; an HttpError passes as it is', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const e = throwsHttp(() => serializeValue(cyclic, undefined, ctx), 500, 'H1W_SERIALIZE_FAILED');
  assert.ok(e instanceof SerializeError);
  assert.ok(e.cause instanceof TypeError);
  throwsHttp(() => serializeValue({ n: 10n }, undefined, ctx), 500, 'H1W_SERIALIZE_FAILED');
  const teapot = new HttpError(418);
  const picky: Serializer = { name: 'picky', contentType: 'x/y', serialize: () => { throw teapot; } };
  try {
    serializeValue({ status: 200, body: 1, serializer: picky }, undefined, ctx);
    assert.unreachable();
  } catch (error) {
    assert.is(error, teapot);
  }
});

test('a whole serializer that returns neither a string nor bytes: 500 H1W_SERIALIZE_FAILED, a TypeError as cause', () => {
  for (const output of [42, { a: 1 }, undefined, null, new ArrayBuffer(2)]) {
    const odd: Serializer = { name: 'odd', contentType: 'x/y', serialize: () => output as unknown as Chunk };
    const e = throwsHttp(() => serializeValue({ body: 'anything', serializer: odd }, undefined, ctx), 500, 'H1W_SERIALIZE_FAILED');
    assert.ok(e.cause instanceof TypeError, String(output));
  }
  // Another typed array is sent as its bytes, as a Uint8Array over them (slices are taken in bytes).
  const wide: Serializer = { name: 'wide', contentType: 'x/y', serialize: () => new Uint16Array([0x0201, 0x0403]) as unknown as Chunk };
  const out = serializeValue({ body: 1, serializer: wide }, undefined, ctx);
  assert.ok(out.whole instanceof Uint8Array);
  assert.equal([...(out.whole as Uint8Array)], [1, 2, 3, 4]);
  assert.is(out.byteLength, 4);
});

test('Accept chooses among the server serializers; the first is the default', () => {
  assert.is(serializeValue({ a: 1 }, 'text/plain', both).serializer, 'text');
  assert.is(serializeValue({ a: 1 }, 'application/json', both).serializer, 'json');
  assert.is(serializeValue({ a: 1 }, undefined, both).serializer, 'json');
  assert.is(serializeValue({ a: 1 }, '*/*', both).serializer, 'json');
  assert.is(serializeValue({ a: 1 }, 'image/png', both).serializer, 'json', 'not strict: the default');
  // Strings and bytes are not negotiated.
  assert.is(serializeValue('s', 'application/json', both).serializer, 'text');
});

test('strictAccept: 406 when Accept allows none of the serializers', () => {
  const e = throwsHttp(() => serializeValue({ a: 1 }, 'image/png', strict), 406, 'H1W_NOT_ACCEPTABLE');
  assert.ok(e instanceof NotAcceptableError);
  assert.ok(e.message.includes('application/json'));
  assert.is(serializeValue({ a: 1 }, 'text/plain', strict).serializer, 'text');
});

test('serializeError: the status, the error headers, a JSON body', () => {
  const out = serializeError(new HttpError(405, 'POST is not allowed here', { code: 'H1W_METHOD_NOT_ALLOWED', headers: { Allow: 'GET, HEAD' } }));
  assert.is(out.status, 405);
  assert.is(out.headers.text, 'Allow: GET, HEAD\r\n');
  assert.is(out.contentType, 'application/json');
  assert.equal(JSON.parse(out.whole as string), { error: { status: 405, code: 'H1W_METHOD_NOT_ALLOWED', message: 'POST is not allowed here' } });
  assert.is(out.byteLength, Buffer.byteLength(out.whole as string));
  assert.is(out.kind, BODY_WHOLE);
});

test('serializeError: bad error headers are dropped, the status still goes out', () => {
  const out = serializeError(new HttpError(503, 'x', { headers: { 'Retry-After': 'a\nb' } }));
  assert.is(out.status, 503);
  assert.is(out.headers.text, '');
  assert.is(JSON.parse(out.whole as string).error.message, 'Service Unavailable');
});

test.run();
