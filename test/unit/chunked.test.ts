// Chunked transfer coding pieces (RFC 9112 §7.1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHUNK_TAIL, chunkHead, chunkOf, lastChunk } from '../../lib/chunked.js';

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
  // Decode by the RFC 9112 §7.1.3 algorithm.
  const buf = Buffer.from(wire, 'utf8');
  let at = 0;
  const out: Buffer[] = [];
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    at = eol + 2;
    if (size === 0) break;
    out.push(buf.subarray(at, at + size));
    at += size;
    assert.is(buf.subarray(at, at + 2).toString('latin1'), '\r\n');
    at += 2;
  }
  assert.is(Buffer.concat(out).toString('utf8'), parts.join(''));
  assert.is(buf.subarray(at).toString('latin1'), '\r\n');
});

test.run();
