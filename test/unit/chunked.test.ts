// Chunked transfer coding pieces (RFC 9112 §7.1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHUNK_TAIL, chunkHead, chunkOf, lastChunk } from '../../lib/chunked.js';
import { parseResponses } from '../helpers/response-parser.js';

test('chunk-size is hexadecimal, followed by CRLF', () => {
  assert.is(chunkHead(1), '1\r\n');
  assert.is(chunkHead(10), 'a\r\n');
  assert.is(chunkHead(255), 'ff\r\n');
  assert.is(chunkHead(65536), '10000\r\n');
  assert.is(CHUNK_TAIL, '\r\n');
});

test('a whole chunk: size in bytes, not characters', () => {
  assert.is(chunkOf('hello', 5), '5\r\nhello\r\n');
  const text = 'héllo €';
  assert.is(chunkOf(text, Buffer.byteLength(text)), `a\r\n${text}\r\n`);
});

test('the last chunk carries the trailer section and the final CRLF', () => {
  assert.is(lastChunk(''), '0\r\n\r\n');
  assert.is(lastChunk('Checksum: x\r\nT: y\r\n'), '0\r\nChecksum: x\r\nT: y\r\n\r\n');
});

test('a full chunked body decodes back to its data', () => {
  const parts = ['a', 'bc', 'x'.repeat(300), 'ü'];
  let wire = '';
  for (const p of parts) wire += chunkOf(p, Buffer.byteLength(p));
  wire += lastChunk('');
  // Decoded by the tests' strict response parser (RFC 9112 §7.1.3), behind a head that says chunked.
  const buf = Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${wire}`, 'utf8');
  const parsed = parseResponses(buf, () => false, false);
  assert.is(parsed.error, null);
  assert.is(parsed.responses.length, 1);
  const res = parsed.responses[0];
  assert.is(res?.body.toString('utf8'), parts.join(''));
  assert.equal(res?.trailers, []);
  assert.is(res?.end, buf.length, 'the last chunk and an empty trailer section end it');
});

test.run();
