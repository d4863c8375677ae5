// The frame stage: header validation, the framing decision (RFC 9112 §6.3) and the response head.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidResponseError } from '../../lib/errors.js';
import {
  BODY_STREAM,
  BODY_WHOLE,
  buildHead,
  chooseFraming,
  connectionLines,
  EMPTY_HEADERS,
  FRAME_CHUNKED,
  FRAME_CLOSE,
  FRAME_LENGTH,
  FRAME_NONE,
  headerBlock,
  responseWarning,
  type HeaderBlock,
} from '../../lib/frame.js';
import type { HeaderInput } from '../../lib/result.js';

function invalid(input: unknown): InvalidResponseError {
  try {
    headerBlock(input as HeaderInput);
  } catch (error) {
    assert.ok(error instanceof InvalidResponseError, String(error));
    assert.is(error.status, 500);
    assert.is(error.code, 'H1W_INVALID_HEADER');
    return error;
  }
  assert.unreachable(`accepted ${JSON.stringify(input)}`);
  throw new Error('unreachable');
}

test('chooseFraming: no body at all for 1xx, 204 and 304, whatever the body', () => {
  for (const status of [100, 103, 204, 304]) {
    for (const kind of [BODY_WHOLE, BODY_STREAM] as const) {
      assert.is(chooseFraming(status, kind, 10, true), FRAME_NONE);
      assert.is(chooseFraming(status, kind, -1, false), FRAME_NONE);
    }
  }
});

test('chooseFraming: a whole body or a declared length → Content-Length', () => {
  assert.is(chooseFraming(200, BODY_WHOLE, -1, true), FRAME_LENGTH);
  assert.is(chooseFraming(200, BODY_WHOLE, -1, false), FRAME_LENGTH);
  assert.is(chooseFraming(404, BODY_WHOLE, -1, true), FRAME_LENGTH);
  assert.is(chooseFraming(200, BODY_STREAM, 0, true), FRAME_LENGTH);
  assert.is(chooseFraming(200, BODY_STREAM, 100, false), FRAME_LENGTH);
});

test('chooseFraming: a stream of unknown length → chunked in HTTP/1.1, close-delimited in HTTP/1.0', () => {
  assert.is(chooseFraming(200, BODY_STREAM, -1, true), FRAME_CHUNKED);
  assert.is(chooseFraming(200, BODY_STREAM, -1, false), FRAME_CLOSE);
  assert.is(chooseFraming(500, BODY_STREAM, -1, true), FRAME_CHUNKED);
});

test('headerBlock: nothing in, the shared empty block out', () => {
  assert.is(headerBlock(undefined), EMPTY_HEADERS);
  assert.is(headerBlock(null as unknown as HeaderInput), EMPTY_HEADERS);
  assert.equal(headerBlock({}), { ...EMPTY_HEADERS });
  assert.equal(headerBlock([]), { ...EMPTY_HEADERS });
});

test('headerBlock: an object, in order, arrays as repeated fields, numbers as text, undefined skipped', () => {
  const block = headerBlock({ 'X-A': 'one', 'Set-Cookie': ['a=1', 'b=2'], 'X-N': 42, 'X-Skip': undefined, 'X-Empty': '' });
  assert.is(block.text, 'X-A: one\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-N: 42\r\nX-Empty: \r\n');
  assert.is(block.contentType, false);
  assert.is(block.date, false);
  assert.is(block.close, false);
  assert.is(block.contentLength, -1);
  assert.is(block.latin1, false);
});

test('headerBlock: a list of pairs, duplicates kept in order', () => {
  const block = headerBlock([['Vary', 'Accept'], ['vary', 'Origin'], ['X-N', 0]]);
  assert.is(block.text, 'Vary: Accept\r\nvary: Origin\r\nX-N: 0\r\n');
});

test('headerBlock: Content-Type and Date are noted (the server then sends none of its own)', () => {
  const block = headerBlock({ 'content-TYPE': 'text/csv', DATE: 'Thu, 01 Jan 1970 00:00:00 GMT' });
  assert.ok(block.contentType);
  assert.ok(block.date);
  assert.is(block.text, 'content-TYPE: text/csv\r\nDATE: Thu, 01 Jan 1970 00:00:00 GMT\r\n');
});

test('headerBlock: Allow is noted and sent; responseWarning flags a 405 without it (RFC 9110 §15.5.6)', () => {
  const block = headerBlock({ allow: 'GET, HEAD' });
  assert.ok(block.allow);
  assert.is(block.text, 'allow: GET, HEAD\r\n');
  assert.is(headerBlock({ 'X-Allow': 'GET' }).allow, false);
  assert.is(EMPTY_HEADERS.allow, false);
  assert.is(responseWarning(405, EMPTY_HEADERS), 'H1W_405_WITHOUT_ALLOW');
  assert.is(responseWarning(405, headerBlock([['X-Allow', 'GET']])), 'H1W_405_WITHOUT_ALLOW');
  assert.is(responseWarning(405, block), null);
  assert.is(responseWarning(405, headerBlock({ Allow: '' })), null, 'an empty Allow says "no methods": allowed');
  for (const status of [200, 400, 404, 501]) assert.is(responseWarning(status, EMPTY_HEADERS), null);
});

test('headerBlock: Content-Length is taken as the declared length, not repeated', () => {
  const block = headerBlock({ 'Content-Length': '123' });
  assert.is(block.contentLength, 123);
  assert.is(block.text, '');
  assert.is(headerBlock({ 'content-length': 0 }).contentLength, 0);
  assert.is(headerBlock([['Content-Length', '5'], ['content-length', 5]]).contentLength, 5, 'the same value twice is one length');
  invalid([['Content-Length', '5'], ['Content-Length', '6']]);
  for (const bad of ['-1', '1.5', ' 5', '5 ', 'abc', '', '0x10', '1234567890123456', '1e3']) invalid({ 'Content-Length': bad });
  invalid({ 'Content-Length': -1 });
});

test('headerBlock: Transfer-Encoding is the server\'s business', () => {
  invalid({ 'Transfer-Encoding': 'chunked' });
  invalid([['transfer-encoding', 'gzip']]);
});

test('headerBlock: Connection: close is noted; keep-alive is the default; anything else is refused', () => {
  const close = headerBlock({ Connection: 'close' });
  assert.ok(close.close);
  assert.is(close.text, '', 'the server writes Connection itself');
  assert.ok(headerBlock({ connection: 'Keep-Alive, CLOSE' }).close);
  const kept = headerBlock({ Connection: 'keep-alive' });
  assert.is(kept.close, false);
  assert.is(kept.text, '');
  assert.is(headerBlock({ Connection: '' }).text, '');
  invalid({ Connection: 'upgrade' });
  invalid({ Connection: 'keep-alive, X-Private' });
});

test('headerBlock: a Keep-Alive header is dropped (the server advertises its own)', () => {
  assert.is(headerBlock({ 'Keep-Alive': 'timeout=99', 'X-A': 'b' }).text, 'X-A: b\r\n');
});

test('headerBlock: names must be tokens (RFC 9110 §5.1)', () => {
  const good = "!#$%&'*+-.^_`|~09AZaz";
  assert.is(headerBlock({ [good]: 'v' }).text, `${good}: v\r\n`);
  for (const name of ['', 'Bad Name', 'Colon:', 'Tab\t', 'New\nLine', 'CR\r', 'Quote"', '(paren)', 'Über', 'a/b', 'a@b', 'a=b', '{}']) {
    invalid({ [name]: 'v' });
  }
  invalid([[42, 'v']]);
});

test('headerBlock: values may hold VCHAR, SP, HTAB and obs-text; CR, LF, NUL and controls are refused', () => {
  assert.is(headerBlock({ A: ' lead and\ttab ~!' }).text, 'A:  lead and\ttab ~!\r\n');
  for (const value of ['a\r\nInjected: 1', 'a\nb', 'a\rb', 'a\x00b', 'a\x01b', 'a\x1fb', 'a\x7fb', 'snow\u2603man', 'emoji\u{1F600}']) {
    invalid({ A: value });
  }
  invalid([['A', 'x\r\n']]);
  invalid({ 'Set-Cookie': ['ok', 'bad\n'] });
});

test('headerBlock: obs-text marks the block latin1 (the head must go out byte for byte)', () => {
  const block = headerBlock({ A: 'ascii', B: 'caf\xe9' });
  assert.ok(block.latin1);
  assert.is(block.text, 'A: ascii\r\nB: caf\xe9\r\n');
  assert.is(headerBlock({ A: 'ascii' }).latin1, false);
});

test('headerBlock: values that are neither strings nor numbers are refused', () => {
  for (const value of [true, null, {}, () => 1, 1n, Symbol('s')]) invalid({ A: value });
  invalid({ A: [['nested']] });
});

test('headerBlock: input that is neither an object nor a list of pairs is refused', () => {
  invalid('X-A: b');
  invalid(42);
  invalid([['only-name']]);
  invalid([['a', 'b', 'c']]);
  invalid(['X-A', 'b']);
});

test('connectionLines: keep-alive advertises whole seconds, when there is at least one', () => {
  assert.equal(connectionLines(5), { keepAlive: 'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n', close: 'Connection: close\r\n' });
  assert.is(connectionLines(0).keepAlive, 'Connection: keep-alive\r\n');
});

const DATE = /^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

function lines(head: string): string[] {
  assert.ok(head.endsWith('\r\n\r\n'), 'the head ends with an empty line');
  return head.slice(0, -4).split('\r\n');
}

test('buildHead: status line, content type, headers, length, date, extra, connection, empty line', () => {
  const block = headerBlock({ 'X-A': 'b' });
  const head = buildHead(200, block, 'text/plain', FRAME_LENGTH, 5, 'Connection: keep-alive\r\n', 'Server-Timing: x\r\n');
  const l = lines(head);
  assert.is(l[0], 'HTTP/1.1 200 OK');
  assert.is(l[1], 'Content-Type: text/plain');
  assert.is(l[2], 'X-A: b');
  assert.is(l[3], 'Content-Length: 5');
  assert.match(l[4]!, DATE);
  assert.is(l[5], 'Server-Timing: x');
  assert.is(l[6], 'Connection: keep-alive');
  assert.is(l.length, 7);
});

test('buildHead: chunked framing sends Transfer-Encoding and no Content-Length', () => {
  const l = lines(buildHead(200, EMPTY_HEADERS, 'application/octet-stream', FRAME_CHUNKED, -1, 'Connection: keep-alive\r\n'));
  assert.ok(l.includes('Transfer-Encoding: chunked'));
  assert.not.ok(l.some((x) => x.toLowerCase().startsWith('content-length')));
});

test('buildHead: close-delimited framing sends neither length nor coding', () => {
  const l = lines(buildHead(200, EMPTY_HEADERS, 'application/octet-stream', FRAME_CLOSE, -1, 'Connection: close\r\n'));
  assert.not.ok(l.some((x) => /^(content-length|transfer-encoding):/i.test(x)));
  assert.is(l[l.length - 1], 'Connection: close');
});

test('buildHead: no framing (204, 304): no Content-Type, no Content-Length, no Transfer-Encoding', () => {
  for (const status of [204, 304]) {
    const l = lines(buildHead(status, EMPTY_HEADERS, 'application/json', FRAME_NONE, 0, 'Connection: keep-alive\r\n'));
    assert.is(l[0], `HTTP/1.1 ${status} ${status === 204 ? 'No Content' : 'Not Modified'}`);
    assert.not.ok(l.some((x) => /^(content-type|content-length|transfer-encoding):/i.test(x)), l.join('|'));
  }
});

test('buildHead: the user\'s Content-Type and Date replace the server\'s', () => {
  const block = headerBlock({ 'Content-Type': 'text/csv', Date: 'Thu, 01 Jan 1970 00:00:00 GMT' });
  const l = lines(buildHead(200, block, 'application/json', FRAME_LENGTH, 0, 'Connection: close\r\n'));
  assert.equal(l.filter((x) => /^content-type:/i.test(x)), ['Content-Type: text/csv']);
  assert.equal(l.filter((x) => /^date:/i.test(x)), ['Date: Thu, 01 Jan 1970 00:00:00 GMT']);
  assert.ok(l.includes('Content-Length: 0'));
});

test('buildHead: no content type when there is none to send', () => {
  const l = lines(buildHead(200, EMPTY_HEADERS, null, FRAME_LENGTH, 0, 'Connection: close\r\n'));
  assert.not.ok(l.some((x) => /^content-type:/i.test(x)));
});

test('buildHead: every line of the head is a valid field line', () => {
  const block: HeaderBlock = headerBlock([['A', '1'], ['B', 'caf\xe9']]);
  const l = lines(buildHead(418, block, 'x/y', FRAME_LENGTH, 3, connectionLines(5).keepAlive));
  assert.is(l[0], "HTTP/1.1 418 I'm a Teapot");
  for (const line of l.slice(1)) assert.match(line, /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+: [\t\x20-\x7e\x80-\xff]*$/);
});

test.run();
