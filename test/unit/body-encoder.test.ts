// The body encoders: exact bytes per framing, the pieces' shape (what the write queue can join into one
// write), the declared length enforced both ways, trailers, and large chunks given out in slices.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bodyEncoder, SMALL_CHUNK, type BodyEncoder, type BodyOutput } from '../../lib/body-encoder.js';
import { StreamAbortedError } from '../../lib/errors.js';
import { FRAME_CHUNKED, FRAME_CLOSE, FRAME_LENGTH, FRAME_NONE } from '../../lib/frame.js';
import type { Chunk } from '../../lib/serializers/serializer.js';
import { parseResponses } from '../helpers/response-parser.js';

interface Piece {
  data: Chunk;
  encoding: BufferEncoding;
  byteLength: number;
}

/** Records what an encoder gives out. */
class Pieces implements BodyOutput {
  list: Piece[] = [];
  push(data: Chunk, encoding: BufferEncoding, byteLength: number): void {
    this.list.push({ data, encoding, byteLength });
  }
  /** The bytes on the wire, checking that each piece's byteLength is its size in its encoding. */
  bytes(): Buffer {
    const parts = this.list.map((p) => (typeof p.data === 'string' ? Buffer.from(p.data, p.encoding) : Buffer.from(p.data)));
    parts.forEach((b, i) => assert.is(b.length, this.list[i]?.byteLength, `piece ${i}: byteLength`));
    return Buffer.concat(parts);
  }
  /** Each piece as [kind, encoding]: 's' for a string, 'b' for bytes. */
  shape(): [string, BufferEncoding][] {
    return this.list.map((p) => [typeof p.data === 'string' ? 's' : 'b', p.encoding]);
  }
}

/** Feeds `chunks` to the encoder (each through data()) and ends it; returns what it gave out. */
function encode(encoder: BodyEncoder, chunks: Chunk[], trailerBlock = ''): Pieces {
  const out = new Pieces();
  for (const chunk of chunks) encoder.data(chunk, typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength, out);
  encoder.end(trailerBlock, out);
  return out;
}

function lengthMismatch(run: () => void, message: RegExp): void {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof StreamAbortedError);
    assert.is(error.code, 'H1W_LENGTH_MISMATCH');
    assert.match(error.message, message);
    return;
  }
  assert.unreachable('expected H1W_LENGTH_MISMATCH');
}

/** Decodes a chunked body with the tests' strict response parser: its data and trailers, nothing left over. */
function decodeChunked(wire: Buffer): { body: Buffer; trailers: [string, string][] } {
  const head = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'latin1');
  const all = Buffer.concat([head, wire]);
  const parsed = parseResponses(all, () => false, false);
  assert.is(parsed.error, null);
  const res = parsed.responses[0];
  assert.is(parsed.responses.length, 1);
  assert.is(res?.end, all.length, 'nothing after the last chunk');
  return { body: res?.body as Buffer, trailers: res?.trailers as [string, string][] };
}

const small = Buffer.from([0x00, 0xff, 0x80, 0x0d, 0x0a]);
const atLimit = Buffer.alloc(SMALL_CHUNK, 0xe9);
const overLimit = Buffer.alloc(SMALL_CHUNK + 1, 0x42);

test('bodyEncoder: one encoder per framing; FRAME_NONE has no body to encode', () => {
  assert.is(bodyEncoder(FRAME_CHUNKED, -1).carriesTrailers, true);
  assert.is(bodyEncoder(FRAME_LENGTH, 3).carriesTrailers, false);
  assert.is(bodyEncoder(FRAME_CLOSE, -1).carriesTrailers, false);
  assert.is(bodyEncoder(FRAME_CHUNKED, -1), bodyEncoder(FRAME_CHUNKED, -1), 'stateless: shared');
  assert.is.not(bodyEncoder(FRAME_LENGTH, 3), bodyEncoder(FRAME_LENGTH, 3), 'counts: one per body');
  assert.throws(() => bodyEncoder(FRAME_NONE, -1), RangeError);
});

// ---- data as is (length and close) --------------------------------------------------------------------

for (const [name, framing] of [
  ['length', FRAME_LENGTH],
  ['close', FRAME_CLOSE],
] as const) {
  test(`${name}: the data as is; ASCII and small bytes as latin1 strings, UTF-8 and larger bytes as they are`, () => {
    const chunks: Chunk[] = ['hello', 'é€', small, atLimit, overLimit];
    const total = chunks.reduce((n, c) => n + (typeof c === 'string' ? Buffer.byteLength(c) : c.byteLength), 0);
    const out = encode(bodyEncoder(framing, total), chunks);
    assert.equal(out.bytes(), Buffer.concat([Buffer.from('helloé€'), small, atLimit, overLimit]));
    assert.equal(out.shape(), [
      ['s', 'latin1'],
      ['s', 'utf8'],
      ['s', 'latin1'],
      ['s', 'latin1'],
      ['b', 'utf8'],
    ]);
    assert.is(out.list[4]?.data, overLimit, 'a large buffer is not copied');
  });

  test(`${name}: a chunk begun and sliced is its slices, nothing more; an empty chunk gives nothing`, () => {
    const data = Buffer.alloc(10, 0x61);
    const encoder = bodyEncoder(framing, 10);
    const out = new Pieces();
    encoder.data('', 0, out);
    encoder.begin(10, out);
    encoder.slice(data.subarray(0, 4), out);
    encoder.slice(data.subarray(4), out);
    encoder.finish(out);
    encoder.end('X-Ignored: 1\r\n', out);
    assert.equal(out.shape(), [
      ['b', 'utf8'],
      ['b', 'utf8'],
    ]);
    assert.is(out.bytes().toString(), 'a'.repeat(10));
  });
}

test('length: a chunk past the declared length throws before any of it is given out', () => {
  const encoder = bodyEncoder(FRAME_LENGTH, 10);
  const out = new Pieces();
  encoder.data('12345', 5, out);
  encoder.data('6789', 4, out);
  lengthMismatch(() => encoder.data('AB', 2, out), /longer than its declared 10 bytes/);
  assert.is(out.bytes().toString(), '123456789');
  // Through begin() too: the whole chunk is counted before its first slice.
  const sliced = bodyEncoder(FRAME_LENGTH, 10);
  sliced.data('123', 3, out);
  lengthMismatch(() => sliced.begin(8, out), /longer than its declared 10 bytes/);
});

test('length: a body that ends short throws at end(); exactly the declared length ends with nothing', () => {
  lengthMismatch(() => encode(bodyEncoder(FRAME_LENGTH, 10), ['123']), /ended after 3 of its declared 10 bytes/);
  lengthMismatch(() => encode(bodyEncoder(FRAME_LENGTH, 1), []), /ended after 0 of its declared 1 bytes/);
  assert.is(encode(bodyEncoder(FRAME_LENGTH, 0), []).list.length, 0);
  const sliced = bodyEncoder(FRAME_LENGTH, 6);
  const out = new Pieces();
  sliced.begin(6, out);
  sliced.slice(Buffer.from('abcdef'), out);
  sliced.finish(out);
  sliced.end('', out);
  assert.is(out.bytes().toString(), 'abcdef');
});

// ---- chunked --------------------------------------------------------------------------------------------

test('chunked: a string chunk is one string: size in hex bytes, data, CRLF; UTF-8 data keeps its encoding', () => {
  const encoder = bodyEncoder(FRAME_CHUNKED, -1);
  const out = new Pieces();
  encoder.data('hello', 5, out);
  encoder.data('é€', 5, out);
  encoder.data('x'.repeat(300), 300, out);
  assert.equal(out.list, [
    { data: '5\r\nhello\r\n', encoding: 'latin1', byteLength: 10 },
    { data: '5\r\né€\r\n', encoding: 'utf8', byteLength: 10 },
    { data: `12c\r\n${'x'.repeat(300)}\r\n`, encoding: 'latin1', byteLength: 307 },
  ]);
  out.bytes();
});

test('chunked: small bytes become one latin1 string with their framing; larger bytes go as they are, between line and CRLF', () => {
  const out = encode(bodyEncoder(FRAME_CHUNKED, -1), [small, atLimit, overLimit]);
  assert.equal(out.shape(), [
    ['s', 'latin1'],
    ['s', 'latin1'],
    ['s', 'latin1'],
    ['b', 'utf8'],
    ['s', 'latin1'],
    ['s', 'latin1'],
  ]);
  assert.equal(out.list[0], { data: '5\r\n\x00\xff\x80\r\n\r\n', encoding: 'latin1', byteLength: 10 });
  assert.is(out.list[2]?.data, '401\r\n');
  assert.is(out.list[3]?.data, overLimit);
  assert.is(out.list[4]?.data, '\r\n');
  assert.is(out.list[5]?.data, '0\r\n\r\n');
  assert.equal(decodeChunked(out.bytes()).body, Buffer.concat([small, atLimit, overLimit]));
});

test('chunked: an empty chunk gives nothing (a zero-size chunk would end the body)', () => {
  const out = encode(bodyEncoder(FRAME_CHUNKED, -1), ['', new Uint8Array(0), 'a']);
  assert.is(out.bytes().toString(), '1\r\na\r\n0\r\n\r\n');
});

test('chunked: end() gives the last chunk, the trailer lines and the final CRLF, byte for byte', () => {
  const encoder = bodyEncoder(FRAME_CHUNKED, -1);
  assert.equal(encode(encoder, []).list, [{ data: '0\r\n\r\n', encoding: 'latin1', byteLength: 5 }]);
  const out = encode(encoder, ['data'], 'X-Checksum: abc\r\nX-Name: caf\xe9\r\n');
  assert.is(out.bytes().toString('latin1'), '4\r\ndata\r\n0\r\nX-Checksum: abc\r\nX-Name: caf\xe9\r\n\r\n');
  const decoded = decodeChunked(out.bytes());
  assert.is(decoded.body.toString(), 'data');
  assert.equal(decoded.trailers, [
    ['X-Checksum', 'abc'],
    ['X-Name', 'caf\xe9'],
  ]);
});

test('chunked: a large chunk in slices is one chunk on the wire (one size line), its slices untouched', () => {
  const data = Buffer.alloc(0x10000 + 5, 0x5a);
  const encoder = bodyEncoder(FRAME_CHUNKED, -1);
  const out = new Pieces();
  encoder.begin(data.length, out);
  const slices: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += 16384) slices.push(data.subarray(at, at + 16384));
  for (const slice of slices) encoder.slice(slice, out);
  encoder.finish(out);
  encoder.end('', out);
  assert.is(out.list[0]?.data, '10005\r\n');
  assert.equal(out.list.slice(1, -2).map((p) => p.data), slices);
  assert.equal(out.list.slice(-2).map((p) => p.data), ['\r\n', '0\r\n\r\n']);
  assert.equal(decodeChunked(out.bytes()).body, data);
});

test.run();
