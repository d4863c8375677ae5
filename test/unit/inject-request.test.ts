// The bytes inject() sends for an object request or a raw string, and how it reads responses back: pure rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseResponses } from '../../lib/inject-parse.js';
import { encodeTarget, InjectInputError, latin1Bytes, requestBytes } from '../../lib/inject-request.js';

function text(bytes: Buffer): string {
  return bytes.toString('latin1');
}

function refused(run: () => unknown, what: RegExp): void {
  try {
    run();
  } catch (error) {
    assert.instance(error, InjectInputError);
    assert.is((error as InjectInputError).code, 'H1W_INJECT_BAD_INPUT');
    assert.match((error as Error).message, what);
    return;
  }
  assert.unreachable('expected InjectInputError');
}

test('defaults: GET /, Host: localhost first, no body and no Content-Length', () => {
  assert.is(text(requestBytes({})), 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
});

test('headers: arrays become repeated lines, tuples keep order and case, a Host in any case is kept', () => {
  assert.is(text(requestBytes({ headers: { 'x-a': ['1', '2'], HOST: 'h.test' } })), 'GET / HTTP/1.1\r\nx-a: 1\r\nx-a: 2\r\nHOST: h.test\r\n\r\n');
  assert.is(text(requestBytes({ headers: [['Cookie', 'a=1'], ['cookie', 'b=2']] })), 'GET / HTTP/1.1\r\nHost: localhost\r\nCookie: a=1\r\ncookie: b=2\r\n\r\n');
});

test('headers from any iterable of pairs (a Map, fetch Headers) are sent, not dropped', () => {
  assert.is(text(requestBytes({ headers: new Map([['x-a', '1']]) })), 'GET / HTTP/1.1\r\nHost: localhost\r\nx-a: 1\r\n\r\n');
  assert.is(text(requestBytes({ headers: new Headers({ 'X-B': '2' }) })), 'GET / HTTP/1.1\r\nHost: localhost\r\nx-b: 2\r\n\r\n');
});

test('a body or url of another type is refused, not guessed at', () => {
  refused(() => requestBytes({ method: 'POST', body: { a: 1 } as never }), /body must be a string or a Uint8Array, got object/);
  refused(() => requestBytes({ url: 5 as never }), /url must be a string/);
});

test('a body gets its Content-Length (0 for an empty one); a string body is UTF-8', () => {
  assert.is(text(requestBytes({ method: 'POST', body: '' })), 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n');
  const utf8 = requestBytes({ method: 'POST', body: 'é' });
  assert.ok(utf8.subarray(-2).equals(Buffer.from([0xc3, 0xa9])));
  assert.match(text(utf8), /Content-Length: 2\r\n/);
  assert.is(text(requestBytes({ method: 'PUT', body: new Uint8Array([0, 255]) })).slice(-6), '\r\n\r\n\x00\xff');
});

test('a given Content-Length is sent as given, even when it is not the body length', () => {
  assert.is(text(requestBytes({ method: 'POST', headers: { 'content-length': '2' }, body: 'hello' })), 'POST / HTTP/1.1\r\nHost: localhost\r\ncontent-length: 2\r\n\r\nhello');
});

test('Transfer-Encoding ending in chunked: the body goes as one chunk and the last chunk; none or empty: the last chunk', () => {
  const chunked = { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } };
  assert.is(text(requestBytes({ ...chunked, body: 'hello' })), 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
  assert.is(text(requestBytes({ ...chunked, body: '' })).slice(-5), '0\r\n\r\n');
  assert.is(text(requestBytes(chunked)), 'POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  assert.is(text(requestBytes({ method: 'POST', headers: { 'transfer-encoding': 'gzip, chunked' }, body: 'ab' })).slice(-12), '2\r\nab\r\n0\r\n\r\n');
  // Not chunked last: the body is sent raw, and the server judges that as on a socket.
  assert.is(text(requestBytes({ method: 'POST', headers: { 'transfer-encoding': 'gzip' }, body: 'ab' })).slice(-6), '\r\n\r\nab');
});

test('the url: sent as given, but characters a request line cannot hold are percent-encoded as UTF-8', () => {
  assert.is(encodeTarget('/a?b=1&c=%20'), '/a?b=1&c=%20');
  assert.is(encodeTarget('items/1'), 'items/1');
  assert.is(encodeTarget('/a b'), '/a%20b');
  assert.is(encodeTarget('/café?q=€'), '/caf%C3%A9?q=%E2%82%AC');
  assert.is(encodeTarget('/😀'), '/%F0%9F%98%80');
  assert.is(encodeTarget('/\r\nX: 1'), '/%0D%0AX:%201');
  refused(() => encodeTarget('/\ud800'), /lone surrogate/);
  refused(() => requestBytes({ url: '' }), /url is empty/);
});

test('what would break the message is refused before anything is sent: method, header names and values', () => {
  assert.is(text(requestBytes({ method: 'get' })).slice(0, 6), 'get / ');
  refused(() => requestBytes({ method: 'GET /x HTTP/1.1\r\n' }), /invalid method/);
  refused(() => requestBytes({ method: '' }), /invalid method/);
  refused(() => requestBytes({ headers: { 'x a': '1' } }), /invalid header name/);
  refused(() => requestBytes({ headers: { 'x-a': 'a\r\nX-Evil: 1' } }), /x-a/);
  refused(() => requestBytes({ headers: [['x-a', 'a\0']] }), /x-a/);
  refused(() => requestBytes({ headers: { 'x-a': '€' } }), /latin1/);
  assert.match(text(requestBytes({ headers: { 'x-a': 'caf\xe9' } })), /x-a: caf\xe9\r\n/);
});

test('raw strings are one byte per character; a character past U+00FF is refused, not cut to its low byte', () => {
  assert.ok(latin1Bytes('a\xff').equals(Buffer.from([0x61, 0xff])));
  refused(() => latin1Bytes('GET /€ HTTP/1.1\r\n\r\n'), /at 5/);
});

test('responses read back: a 101 ends the HTTP; a body cut by the close is kept and marked incomplete', () => {
  const upgraded = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nHTTP/1.1 200 OK\r\n\r\n', 'latin1');
  const [switched, ...rest] = parseResponses(upgraded, ['GET'], false);
  assert.is(switched!.status, 101);
  assert.is(text(switched!.raw), 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n');
  assert.is(rest.length, 0);
  const cutChunked = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n3\r\nab', 'latin1');
  assert.is(parseResponses(cutChunked, ['GET'], false).length, 0); // more may come
  const [partial] = parseResponses(cutChunked, ['GET'], true);
  assert.is(partial!.complete, false);
  assert.is(partial!.body.toString(), 'part');
  assert.ok(partial!.raw.equals(cutChunked));
  const cutLength = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc', 'latin1');
  const [short] = parseResponses(cutLength, ['GET'], true);
  assert.is(short!.complete, false);
  assert.is(short!.body.toString(), 'abc');
  const whole = parseResponses(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx', 'latin1'), ['GET'], true);
  assert.is(whole[0]!.complete, true);
});

test.run();
