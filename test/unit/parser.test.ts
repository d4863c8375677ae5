// The parse stage: bytes in, heads / body / ends / errors out. Every valid input is also fed one byte at a
// time and cut at random (fixed seeds), and must produce exactly the same messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_EMPTY_LINES, PARSE_DONE, PARSE_ERROR, PARSE_PAUSED, RequestParser, type RequestHead } from '../../lib/parser.js';
import { bytes, drive, driveWith, essence, LIMITS, seen, SPLITS, type DriveOptions, type Outcome, type SeenHead } from './parse-driver.js';
import { requestHead } from '../helpers/fixtures.js';
import { HANDLED_METHODS } from '../../lib/request-rules.js';

function head(fields: Partial<RequestHead> & { rawHeaders: string[] }): SeenHead {
  const { rawHeaders, ...rest } = fields;
  return seen(requestHead(rawHeaders, rest));
}

/** Drives `input` under every split and checks they all agree; returns the whole-input outcome. */
function everySplit(input: string, options: DriveOptions = {}): Outcome {
  const whole = drive(input, { ...options, split: 'whole' });
  const expected = essence(whole);
  for (const { split, seed } of SPLITS) {
    const got = drive(input, { ...options, split, seed });
    assert.equal(essence(got), expected, `split ${split} seed ${seed} differs from whole`);
  }
  return whole;
}

function expectError(input: string, status: number, code: string, options: DriveOptions = {}): Outcome {
  const out = everySplit(input, options);
  assert.ok(out.error !== null, `expected ${status} ${code}, got no error`);
  assert.is(out.error.status, status);
  assert.is(out.error.code, code);
  assert.ok(out.error.closes, 'a protocol error closes the connection');
  return out;
}

function expectOk(input: string, options: DriveOptions = {}): Outcome {
  const out = everySplit(input, options);
  assert.is(out.error, null, out.error === null ? '' : `unexpected ${out.error.status} ${out.error.code}: ${out.error.message}`);
  return out;
}

const H = 'Host: example.com\r\n';

// ---- valid messages ---------------------------------------------------------------------------------------

test('a GET with no body: one head, no body, an end without trailers', () => {
  const out = expectOk(`GET /index.html?q=1 HTTP/1.1\r\n${H}Accept: */*\r\n\r\n`);
  assert.is(out.messages.length, 1);
  const m = out.messages[0]!;
  assert.equal(m.head, head({ target: '/index.html?q=1', rawHeaders: ['Host', 'example.com', 'Accept', '*/*'] }));
  assert.is(m.body, '');
  assert.is(m.bodyEvents, 0);
  assert.is(m.trailers, null);
  assert.is(out.order, 'HE');
});

test('header names keep their case and order; repeated fields stay separate', () => {
  const out = expectOk(`GET / HTTP/1.1\r\nhost: a\r\nX-One: 1\r\nx-one: 2\r\nCOOKIE: c=1\r\n\r\n`);
  assert.equal(out.messages[0]!.head.rawHeaders, ['host', 'a', 'X-One', '1', 'x-one', '2', 'COOKIE', 'c=1']);
});

test('methods: every one in HANDLED_METHODS is parsed and delivered; CONNECT and PRI never are', () => {
  for (const method of HANDLED_METHODS) assert.is(expectOk(`${method} /x HTTP/1.1\r\n${H}\r\n`).messages[0]!.head.method, method);
  for (const method of ['CONNECT', 'PRI']) assert.ok(drive(`${method} /x HTTP/1.1\r\n${H}\r\n`).error !== null, method);
});

test('methods: every standard method but CONNECT is parsed', () => {
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']) {
    const out = expectOk(`${method} /x HTTP/1.1\r\n${H}\r\n`);
    assert.is(out.messages[0]!.head.method, method);
  }
});

test('field values: leading and trailing whitespace (SP, HTAB) is not part of the value (RFC 9110 §5.5)', () => {
  const out = expectOk(`GET / HTTP/1.1\r\n${H}A: value  \t \r\nB:\t\t  lead\r\nC:  both ends \t\r\nD: in  the \t middle\r\n\r\n`);
  assert.equal(out.messages[0]!.head.rawHeaders.slice(2), ['A', 'value', 'B', 'lead', 'C', 'both ends', 'D', 'in  the \t middle']);
});

test('field values: empty values, with and without whitespace, anywhere in the head', () => {
  const out = expectOk(`GET / HTTP/1.1\r\nEmpty:\r\n${H}Spaces:    \r\nTabs:\t\t\r\nLast:\r\n\r\n`);
  assert.equal(out.messages[0]!.head.rawHeaders, ['Empty', '', 'Host', 'example.com', 'Spaces', '', 'Tabs', '', 'Last', '']);
});

test('field values: obs-text (0x80-0xFF) is kept byte for byte', () => {
  const value = '\x80caf\xe9 \xff\xa0end';
  const out = expectOk(`GET / HTTP/1.1\r\n${H}X-Latin: ${value}\r\n\r\n`);
  const got = out.messages[0]!.head.rawHeaders[3]!;
  assert.equal([...Buffer.from(got, 'latin1')], [...bytes(value)]);
});

test('an empty Host: 400 with an origin-form target in HTTP/1.1 (RFC 9112 §3.2), accepted with absolute-form and in HTTP/1.0', () => {
  for (const host of ['Host:', 'Host: ', 'Host:\t ']) {
    const out = expectError(`GET / HTTP/1.1\r\n${host}\r\n\r\n`, 400, 'H1W_BAD_HOST');
    assert.is(out.messages.length, 0);
    expectError(`OPTIONS * HTTP/1.1\r\n${host}\r\n\r\n`, 400, 'H1W_BAD_HOST');
    assert.equal(expectOk(`GET http://a.example/ HTTP/1.1\r\n${host}\r\n\r\n`).messages[0]!.head.rawHeaders, ['Host', '']);
    assert.equal(expectOk(`GET / HTTP/1.0\r\n${host}\r\n\r\n`).messages[0]!.head.rawHeaders, ['Host', '']);
  }
});

test('leading empty lines: up to MAX_EMPTY_LINES are ignored before each request line, one more is 400 (RFC 9112 §2.2)', () => {
  const get = (target: string): string => `GET ${target} HTTP/1.1\r\n${H}\r\n`;
  const most = '\r\n'.repeat(MAX_EMPTY_LINES);
  const tooMany = '\r\n'.repeat(MAX_EMPTY_LINES + 1);
  // After each kind of message end: the start of the connection, a head, a Content-Length body (ending in CR
  // and LF bytes of its own), a chunked body, a chunked body with trailers, an HTTP/1.0 head without fields.
  const before = [
    '',
    get('/a'),
    `POST /a HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\nx\r\n\r`,
    `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n`,
    `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nT: v\r\n\r\n`,
    `GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`,
  ];
  for (const first of before) {
    const n = first === '' ? 0 : 1;
    const ok = expectOk(`${first}${most}${get('/b')}`);
    assert.equal(ok.messages.map((m) => m.head.target).slice(n), ['/b'], JSON.stringify(first));
    // Refused when the request line comes, and before it, as soon as there are too many.
    for (const rest of [get('/b'), 'GE', '']) {
      const out = expectError(`${first}${tooMany}${rest}`, 400, 'H1W_TOO_MANY_EMPTY_LINES');
      assert.is(out.messages.length, n, JSON.stringify(first + rest));
      assert.ok(out.error!.message.includes(`more than ${MAX_EMPTY_LINES} empty lines`), out.error!.message);
    }
  }
  // Any mix of CR and LF is an empty line to llhttp: counted as bytes, two a line.
  expectOk(`${'\n'.repeat(2 * MAX_EMPTY_LINES)}${get('/')}`);
  expectError(`${'\n'.repeat(2 * MAX_EMPTY_LINES + 1)}${get('/')}`, 400, 'H1W_TOO_MANY_EMPTY_LINES');
  expectError(`${'\r'.repeat(2 * MAX_EMPTY_LINES + 1)}${get('/')}`, 400, 'H1W_TOO_MANY_EMPTY_LINES');
  // The count starts again with every message: the most before each of several pipelined requests is fine.
  const three = expectOk(`${most}${get('/1')}${most}${get('/2')}${most}${get('/3')}`);
  assert.equal(three.messages.map((m) => m.head.target), ['/1', '/2', '/3']);
  // A megabyte of them is refused in the first read.
  const flood = drive('\r\n'.repeat(512 * 1024));
  assert.is(flood.error?.code, 'H1W_TOO_MANY_EMPTY_LINES');
  assert.is(flood.errorAt, 512 * 1024 * 2);
});

test('the count of empty lines goes on across a paused execute, and starts afresh on bind()', () => {
  const parser = new RequestParser(LIMITS);
  const input = `GET /a HTTP/1.1\r\n${H}\r\n${'\r\n'.repeat(MAX_EMPTY_LINES)}GET /b HTTP/1.1\r\n${H}\r\n`;
  for (const { split, seed } of SPLITS) {
    // Budget 1: a pause after each message, and the next execute starts where it stopped.
    const out = driveWith(parser, input, { split, seed, budget: 1 });
    assert.is(out.error, null, `${split} ${seed}`);
    assert.equal(out.messages.map((m) => m.head.target), ['/a', '/b']);
    const over = driveWith(parser, input.replace('\r\nGET /b', '\r\n\r\nGET /b'), { split, seed, budget: 1 });
    assert.is(over.error?.code, 'H1W_TOO_MANY_EMPTY_LINES', `${split} ${seed}`);
  }
  // The whole allowance on one binding, then a fresh bind: nothing carries over.
  assert.is(driveWith(parser, '\r\n'.repeat(MAX_EMPTY_LINES), {}).error, null);
  assert.is(driveWith(parser, `${'\r\n'.repeat(MAX_EMPTY_LINES)}GET / HTTP/1.1\r\n${H}\r\n`, {}).error, null);
  parser.free();
});

test('target forms: origin, absolute and asterisk (OPTIONS)', () => {
  assert.is(expectOk(`GET http://example.com/a?b HTTP/1.1\r\n${H}\r\n`).messages[0]!.head.target, 'http://example.com/a?b');
  assert.is(expectOk(`OPTIONS * HTTP/1.1\r\n${H}\r\n`).messages[0]!.head.target, '*');
  assert.is(expectOk(`GET /p%20q/r;s?t=u&v HTTP/1.1\r\n${H}\r\n`).messages[0]!.head.target, '/p%20q/r;s?t=u&v');
});

test('400: a fragment in the target, origin-form or absolute-form (RFC 9112 §3.2)', () => {
  for (const target of ['/p#w', '/p%20q/r;s?t=u&v#w', '/#', 'http://example.com/a#b']) {
    const out = expectError(`GET ${target} HTTP/1.1\r\n${H}\r\n`, 400, 'H1W_BAD_TARGET');
    assert.is(out.messages.length, 0, target);
  }
});

test('HTTP/1.0: no Host needed, not kept alive unless asked', () => {
  const plain = expectOk('GET / HTTP/1.0\r\n\r\n');
  assert.equal(plain.messages[0]!.head, head({ versionMinor: 0, keepAlive: false, rawHeaders: [] }));
  const kept = expectOk('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  assert.is(kept.messages[0]!.head.keepAlive, true);
});

test('HTTP/1.1 is kept alive unless Connection: close', () => {
  assert.is(expectOk(`GET / HTTP/1.1\r\n${H}\r\n`).messages[0]!.head.keepAlive, true);
  assert.is(expectOk(`GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`).messages[0]!.head.keepAlive, false);
  assert.is(expectOk(`GET / HTTP/1.1\r\n${H}Connection: Keep-Alive, CLOSE\r\n\r\n`).messages[0]!.head.keepAlive, false);
});

test('Content-Length body: delivered exactly, the next request starts right after it', () => {
  const body = 'hello\r\nworld\x00\xff';
  const out = expectOk(`POST /up HTTP/1.1\r\n${H}Content-Length: ${body.length}\r\n\r\n${body}GET /next HTTP/1.1\r\n${H}\r\n`);
  assert.is(out.messages.length, 2);
  assert.is(out.messages[0]!.head.contentLength, body.length);
  assert.is(out.messages[0]!.head.chunked, false);
  assert.is(out.messages[0]!.body, body);
  assert.is(out.messages[0]!.trailers, null);
  assert.is(out.messages[1]!.head.target, '/next');
  assert.is(out.order.replace(/B+/g, 'B'), 'HBEHE');
});

test('Content-Length: 0 means no body', () => {
  const out = expectOk(`POST / HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`);
  assert.is(out.messages[0]!.head.contentLength, 0);
  assert.is(out.messages[0]!.bodyEvents, 0);
  assert.is(out.order, 'HE');
});

test('a request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 §6.3)', () => {
  const out = expectOk(`POST / HTTP/1.1\r\n${H}\r\nGET /second HTTP/1.1\r\n${H}\r\n`);
  assert.equal(out.messages.map((m) => [m.head.target, m.body]), [['/', ''], ['/second', '']]);
});

test('chunked body: data joined, extensions dropped, trailers trimmed and kept in order', () => {
  const input =
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n` +
    '5;name=value;flag\r\nhello\r\n' +
    '1\r\n \r\n' +
    'A\r\n0123456789\r\n' +
    '0\r\n' +
    'Checksum: abc  \r\nX-Empty:\r\nX-Obs: \xe9t\xe9\t\r\n\r\n';
  const out = expectOk(input);
  const m = out.messages[0]!;
  assert.is(m.head.chunked, true);
  assert.is(m.head.contentLength, -1);
  assert.is(m.body, 'hello 0123456789');
  assert.equal(m.trailers, ['Checksum', 'abc', 'X-Empty', '', 'X-Obs', '\xe9t\xe9']);
});

test('chunked body without trailers ends with null trailers; chunk sizes are hex, any case', () => {
  const out = expectOk(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1a\r\n${'x'.repeat(26)}\r\n1A\r\n${'y'.repeat(26)}\r\n0\r\n\r\n`);
  assert.is(out.messages[0]!.body, 'x'.repeat(26) + 'y'.repeat(26));
  assert.is(out.messages[0]!.trailers, null);
});

test('Transfer-Encoding is case-insensitive', () => {
  assert.is(expectOk(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n`).messages[0]!.head.chunked, true);
});

test('Expect: 100-continue is recognised (HTTP/1.1), other expectations are reported', () => {
  const cont = expectOk(`POST / HTTP/1.1\r\n${H}Expect: 100-Continue\r\nContent-Length: 1\r\n\r\nx`);
  assert.is(cont.messages[0]!.head.expectContinue, true);
  assert.is(cont.messages[0]!.head.unknownExpectation, null);
  const other = expectOk(`GET / HTTP/1.1\r\n${H}Expect: something-else\r\n\r\n`);
  assert.is(other.messages[0]!.head.expectContinue, false);
  assert.is(other.messages[0]!.head.unknownExpectation, 'something-else');
});

test('an Upgrade request is parsed as a plain one, and HTTP goes on after it', () => {
  const out = expectOk(`GET /ws HTTP/1.1\r\n${H}Upgrade: websocket\r\nConnection: Upgrade\r\n\r\nGET /after HTTP/1.1\r\n${H}\r\n`);
  assert.equal(out.messages.map((m) => m.head.target), ['/ws', '/after']);
});

test('a pipelined burst of mixed messages comes out the same however it is cut', () => {
  const input =
    `GET /1 HTTP/1.1\r\n${H}\r\n` +
    `POST /2 HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\nhello world` +
    `PUT /3 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nT: 1\r\n\r\n` +
    `\r\nHEAD /4 HTTP/1.1\r\n${H}X-Long: ${'v'.repeat(300)}\r\nX-Obs: \xfe\xfd\r\n\r\n` +
    `DELETE http://example.com/5 HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nxyz`;
  const out = expectOk(input);
  assert.equal(
    out.messages.map((m) => [m.head.method, m.head.target, m.body, m.trailers]),
    [
      ['GET', '/1', '', null],
      ['POST', '/2', 'hello world', null],
      ['PUT', '/3', 'abcdefg', ['T', '1']],
      ['HEAD', '/4', '', null],
      ['DELETE', 'http://example.com/5', 'xyz', null],
    ],
  );
  assert.is(out.messages[3]!.head.rawHeaders[3], 'v'.repeat(300));
  assert.is(out.messages[3]!.head.rawHeaders[5], '\xfe\xfd');
});

test('many random cuts of a long pipelined stream agree', () => {
  let input = '';
  for (let i = 0; i < 20; i++) {
    input += i % 2 === 0
      ? `POST /m${i} HTTP/1.1\r\n${H}X-I: ${i}  \r\nTransfer-Encoding: chunked\r\n\r\n${(i + 1).toString(16)}\r\n${'z'.repeat(i + 1)}\r\n0\r\n\r\n`
      : `GET /m${i} HTTP/1.1\r\n${H}X-I:${i}\r\n\r\n`;
  }
  const whole = drive(input);
  assert.is(whole.error, null);
  assert.is(whole.messages.length, 20);
  whole.messages.forEach((m, i) => {
    assert.is(m.head.target, `/m${i}`);
    assert.is(m.head.rawHeaders[3], String(i));
    assert.is(m.body, i % 2 === 0 ? 'z'.repeat(i + 1) : '');
  });
  for (let seed = 100; seed < 140; seed++) {
    assert.equal(essence(drive(input, { split: 'random', seed })), essence(whole), `seed ${seed}`);
  }
});

test('bodies are delivered as they arrive, before the message ends', () => {
  const parser = new RequestParser(LIMITS);
  const seen: string[] = [];
  parser.bind({
    onHead: (h) => seen.push(`head ${h.target}`),
    onBody: (b) => seen.push(`body ${b.toString('latin1')}`),
    onMessageEnd: () => seen.push('end'),
  });
  assert.is(parser.execute(bytes(`POST /x HTTP/1.1\r\n${H}Content-Length: 6\r\n\r\nabc`), 0, 10), PARSE_DONE);
  assert.equal(seen, ['head /x', 'body abc']);
  assert.is(parser.inMessage, true);
  assert.is(parser.inBody, true);
  assert.is(parser.execute(bytes('def'), 0, 10), PARSE_DONE);
  assert.equal(seen, ['head /x', 'body abc', 'body def', 'end']);
  assert.is(parser.inMessage, false);
  assert.is(parser.inBody, false);
  parser.free();
});

test('inMessage / inBody follow the message', () => {
  const parser = new RequestParser(LIMITS);
  parser.bind({ onHead() {}, onBody() {}, onMessageEnd() {} });
  assert.is(parser.inMessage, false);
  parser.execute(bytes('GET / HT'), 0, 10);
  assert.is(parser.inMessage, true);
  assert.is(parser.inBody, false);
  parser.execute(bytes(`TP/1.1\r\n${H}\r\n`), 0, 10);
  assert.is(parser.inMessage, false);
  parser.free();
});

test('execute starts at `from`', () => {
  const parser = new RequestParser(LIMITS);
  const targets: string[] = [];
  parser.bind({ onHead: (h) => targets.push(h.target), onBody() {}, onMessageEnd() {} });
  const chunk = bytes(`garbage!GET /from HTTP/1.1\r\n${H}\r\n`);
  assert.is(parser.execute(chunk, 8, 10), PARSE_DONE);
  assert.equal(targets, ['/from']);
  parser.free();
});

test('bind() makes a used parser as fresh as a new one, even mid-message', () => {
  const parser = new RequestParser(LIMITS);
  const first = driveWith(parser, `POST /a HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\nonly part of it`);
  assert.is(first.messages.length, 1);
  assert.is(parser.inMessage, true);
  const second = driveWith(parser, `GET /b HTTP/1.1\r\n${H}\r\n`);
  assert.is(second.error, null);
  assert.equal(second.messages.map((m) => [m.head.target, m.trailers]), [['/b', null]]);
  // And after an error.
  const bad = driveWith(parser, 'NOT A REQUEST\r\n\r\n');
  assert.ok(bad.error !== null);
  const again = driveWith(parser, `GET /c HTTP/1.1\r\n${H}\r\n`);
  assert.is(again.error, null);
  assert.is(again.messages[0]!.head.target, '/c');
  parser.free();
});

test('an unbound parser delivers nothing and does not throw', () => {
  const parser = new RequestParser(LIMITS);
  let events = 0;
  parser.bind({ onHead: () => events++, onBody: () => events++, onMessageEnd: () => events++ });
  parser.unbind();
  parser.bind({ onHead: () => events++, onBody: () => events++, onMessageEnd: () => events++ });
  parser.execute(bytes(`GET / HTTP/1.1\r\n${H}\r\n`), 0, 10);
  assert.is(events, 2);
  parser.unbind();
  parser.execute(bytes(`GET / HTTP/1.1\r\n${H}\r\n`), 0, 10);
  assert.is(events, 2);
  parser.free();
  parser.free(); // twice is harmless
});

test('a chunk larger than the 64 KiB input area: offsets stay right across the seam', () => {
  // Put a header value of the second request across byte 65536 of one chunk.
  const first = `POST /1 HTTP/1.1\r\n${H}Content-Length: `;
  const secondPrefix = `GET /2 HTTP/1.1\r\n${H}X-Seam: `;
  const value = 'S'.repeat(100);
  // Choose the body length so that the value starts 40 bytes before the seam.
  let bodyLength = 0;
  for (let n = 60_000; n < 66_000; n++) {
    if (first.length + String(n).length + 4 + n + secondPrefix.length === 65_536 - 40) bodyLength = n;
  }
  assert.ok(bodyLength > 0);
  const third = `GET /3 HTTP/1.1\r\n${H}\r\n`;
  const input = `${first}${bodyLength}\r\n\r\n${'b'.repeat(bodyLength)}${secondPrefix}${value}\r\n\r\n${third}`;
  const out = drive(input, { budget: 2 });
  assert.is(out.error, null);
  assert.equal(out.messages.map((m) => m.head.target), ['/1', '/2', '/3']);
  assert.is(out.messages[0]!.body.length, bodyLength);
  assert.is(out.messages[1]!.head.rawHeaders[3], value);
  // Paused after two messages, at the byte where the third starts.
  assert.equal(out.pauses.slice(0, 1), [input.length - third.length]);
});

// ---- pausing: the pipeline budget and closing messages ----------------------------------------------------

const REQ = (n: number): string => `GET /${n} HTTP/1.1\r\n${H}\r\n`;

test('budget: pauses after N complete messages, at the first byte of the next', () => {
  const input = REQ(1) + REQ(2) + REQ(3) + REQ(4);
  const len = REQ(1).length;
  const parser = new RequestParser(LIMITS);
  const targets: string[] = [];
  parser.bind({ onHead: (h) => targets.push(h.target), onBody() {}, onMessageEnd() {} });
  const chunk = bytes(input);
  assert.is(parser.execute(chunk, 0, 1), PARSE_PAUSED);
  assert.is(parser.offset, len);
  assert.equal(targets, ['/1'], 'nothing past the pause is delivered');
  assert.is(parser.inMessage, false);
  assert.is(parser.execute(chunk, parser.offset, 2), PARSE_PAUSED);
  assert.is(parser.offset, 3 * len);
  assert.equal(targets, ['/1', '/2', '/3']);
  // The last message uses the budget up exactly at the end of the chunk.
  assert.is(parser.execute(chunk, parser.offset, 1), PARSE_PAUSED);
  assert.is(parser.offset, 4 * len);
  assert.equal(targets, ['/1', '/2', '/3', '/4']);
  parser.free();
});

test('budget: a budget larger than the burst parses it all', () => {
  const out = drive(REQ(1) + REQ(2) + REQ(3), { budget: 4 });
  assert.equal(out.pauses, []);
  assert.is(out.messages.length, 3);
});

test('budget: pauses at the right offsets with bodies and chunked messages', () => {
  const a = `POST /a HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\n12345`;
  const b = `POST /b HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\nT: v\r\n\r\n`;
  const c = REQ(3);
  const out = drive(a + b + c + b, { budget: 1 });
  assert.is(out.error, null);
  assert.equal(out.pauses, [a.length, a.length + b.length, a.length + b.length + c.length, a.length + 2 * b.length + c.length]);
  assert.equal(out.messages.map((m) => m.body), ['12345', 'xy', '', 'xy']);
  assert.equal(out.messages[3]!.trailers, ['T', 'v']);
});

test('budget: a message completed across executes still counts against the budget of the one that ends it', () => {
  const parser = new RequestParser(LIMITS);
  const targets: string[] = [];
  parser.bind({ onHead: (h) => targets.push(h.target), onBody() {}, onMessageEnd() {} });
  const r1 = REQ(1);
  assert.is(parser.execute(bytes(r1.slice(0, 10)), 0, 1), PARSE_DONE);
  const rest = bytes(r1.slice(10) + REQ(2));
  assert.is(parser.execute(rest, 0, 1), PARSE_PAUSED);
  assert.is(parser.offset, r1.length - 10);
  assert.equal(targets, ['/1']);
  parser.free();
});

test('Connection: close pauses right after its message, whatever the budget', () => {
  const first = `GET /last HTTP/1.1\r\n${H}Connection: close\r\n\r\n`;
  const out = drive(first + REQ(2), { budget: 100 });
  assert.equal(out.pauses, [first.length]);
  assert.equal(out.messages.map((m) => m.head.target), ['/last']);
});

test('HTTP/1.0 without keep-alive pauses after its message; with keep-alive it goes on', () => {
  const plain = 'GET /a HTTP/1.0\r\n\r\n';
  const out = drive(plain + 'GET /b HTTP/1.0\r\n\r\n', { budget: 100 });
  assert.equal(out.pauses, [plain.length]);
  assert.is(out.messages.length, 1);
  const kept = 'GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n';
  const out2 = drive(kept + plain, { budget: 100 });
  assert.equal(out2.pauses, [kept.length + plain.length]);
  assert.equal(out2.messages.map((m) => m.head.target), ['/a', '/a']);
});

test('a chunked message with Connection: close pauses after its last chunk and trailers', () => {
  const first = `POST / HTTP/1.1\r\n${H}Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nT: x\r\n\r\n`;
  for (const { split, seed } of SPLITS) {
    const out = drive(first + REQ(2), { split, seed });
    assert.is(out.error, null);
    assert.equal(out.pauses, [first.length], `${split} ${seed}`);
    assert.is(out.messages.length, 1);
    assert.equal(out.messages[0]!.trailers, ['T', 'x']);
  }
});

test('connection fields in trailers change nothing: the head decides keep-alive, and the next request is read (RFC 9110 §6.5.1)', () => {
  const chunked = (trailers: string, headExtra = ''): string =>
    `POST /a HTTP/1.1\r\n${H}${headExtra}Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n${trailers}\r\n`;
  for (const trailers of ['Connection: close\r\n', 'connection: Close\r\nX: y\r\n', 'Connection: keep-alive, close\r\n', 'Proxy-Connection: close\r\n', 'Connection: upgrade\r\nUpgrade: h2c\r\n']) {
    // Also with more pipelined behind, and a second trailer message: llhttp is started afresh each time.
    const out = expectOk(chunked(trailers) + REQ(2) + chunked(trailers) + REQ(3));
    assert.equal(out.messages.map((m) => [m.head.target, m.head.keepAlive]), [['/a', true], ['/2', true], ['/a', true], ['/3', true]], trailers);
    assert.ok(out.messages[0]!.trailers!.length >= 2, 'the trailers are still delivered, as they came');
    assert.equal(out.pauses.length, 0);
  }
  // A head that said close is not reopened by a trailer that says keep-alive.
  const closing = chunked('Connection: keep-alive\r\n', 'Connection: close\r\n');
  for (const { split, seed } of SPLITS) {
    const out = drive(closing + REQ(2), { split, seed });
    assert.equal(out.pauses, [closing.length], `${split} ${seed}`);
    assert.equal(out.messages.map((m) => m.head.keepAlive), [false]);
  }
});

test('bytes after a closing message are refused if the owner parses on (H1W_DATA_AFTER_CLOSE)', () => {
  const first = `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`;
  const out = drive(first + REQ(2), { ignoreClose: true });
  assert.equal(out.pauses, [first.length]);
  assert.ok(out.error !== null);
  assert.is(out.error.status, 400);
  assert.is(out.error.code, 'H1W_DATA_AFTER_CLOSE');
  assert.is(out.messages.length, 1);
});

// ---- limits -----------------------------------------------------------------------------------------------

test('414: a target of maxRequestLineSize bytes passes, one more byte is refused', () => {
  const limits = { maxRequestLineSize: 32 };
  const ok = expectOk(`GET /${'a'.repeat(31)} HTTP/1.1\r\n${H}\r\n`, { limits });
  assert.is(ok.messages[0]!.head.target.length, 32);
  const bad = expectError(`GET /${'a'.repeat(32)} HTTP/1.1\r\n${H}\r\n`, 414, 'H1W_URI_TOO_LONG', { limits });
  assert.is(bad.messages.length, 0);
  // Absolute-form counts the whole target.
  expectError(`GET http://example.com/${'a'.repeat(20)} HTTP/1.1\r\n${H}\r\n`, 414, 'H1W_URI_TOO_LONG', { limits });
});

test('414 is found before the rest of the head arrives', () => {
  const out = drive(`GET /${'a'.repeat(40)}`, { limits: { maxRequestLineSize: 32 } });
  assert.ok(out.error !== null);
  assert.is(out.error.status, 414);
});

test('431 by size: a head well under maxHeaderSize passes, one well over is refused', () => {
  const limits = { maxHeaderSize: 256 };
  const small = `GET / HTTP/1.1\r\n${H}X: ${'v'.repeat(150)}\r\n\r\n`;
  assert.ok(small.length < 256);
  expectOk(small, { limits });
  const big = `GET / HTTP/1.1\r\n${H}X: ${'v'.repeat(300)}\r\n\r\n`;
  const out = expectError(big, 431, 'H1W_HEADERS_TOO_LARGE', { limits });
  assert.is(out.messages.length, 0);
  // Many small fields add up too.
  let many = `GET / HTTP/1.1\r\n${H}`;
  for (let i = 0; i < 30; i++) many += `F${i}: ${i}\r\n`;
  expectError(`${many}\r\n`, 431, 'H1W_HEADERS_TOO_LARGE', { limits });
});

test('431 by size is found while the head is still arriving (no end of head needed)', () => {
  const out = drive(`GET / HTTP/1.1\r\n${H}X: ${'v'.repeat(1000)}`, { limits: { maxHeaderSize: 256 }, split: 'random', seed: 5 });
  assert.ok(out.error !== null);
  assert.is(out.error.status, 431);
});

test('431 by size: the verdict does not depend on how the head is cut', () => {
  const limits = { maxHeaderSize: 128 };
  for (let n = 80; n < 120; n++) {
    const input = `GET / HTTP/1.1\r\nHost: a\r\nX: ${'v'.repeat(n)}\r\n\r\n`;
    const verdicts = SPLITS.map(({ split, seed }) => drive(input, { limits, split, seed }).error?.code ?? 'ok');
    assert.equal(verdicts, verdicts.map(() => (input.length <= 128 ? 'ok' : 'H1W_HEADERS_TOO_LARGE')), `head of ${input.length} bytes`);
  }
});

test('431 by size: earlier messages in the same read do not count against the next head', () => {
  const limits = { maxHeaderSize: 128 };
  const first = `POST / HTTP/1.1\r\n${H}Content-Length: 200\r\n\r\n${'x'.repeat(200)}`;
  const out = drive(first + REQ(2), { limits });
  assert.is(out.error, null);
  assert.equal(out.messages.map((m) => m.head.target), ['/', '/2']);
  // The read ends inside the next request's method: its head has barely begun.
  const cut = drive(first + 'GET', { limits });
  assert.is(cut.error, null);
  assert.is(cut.messages.length, 1);
  let burst = '';
  for (let i = 0; i < 50; i++) burst += REQ(i);
  const many = drive(`${burst}GE`, { limits });
  assert.is(many.error, null);
  assert.is(many.messages.length, 50);
});

test('431 by count: maxHeaderCount fields pass, one more is refused', () => {
  const limits = { maxHeaderCount: 4 };
  const four = expectOk(`GET / HTTP/1.1\r\n${H}A-Long-Field-Name: 1\r\nB: 2\r\nC: 3\r\n\r\n`, { limits });
  assert.is(four.messages[0]!.head.rawHeaders.length, 8);
  const out = expectError(`GET / HTTP/1.1\r\n${H}A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n`, 431, 'H1W_HEADERS_TOO_LARGE', { limits });
  assert.is(out.messages.length, 0);
  // Empty fields count too.
  expectError(`GET / HTTP/1.1\r\n${H}A:\r\nB:\r\nC:\r\nD:\r\n\r\n`, 431, 'H1W_HEADERS_TOO_LARGE', { limits });
});

test('431 by count: the count restarts with each message', () => {
  const limits = { maxHeaderCount: 3 };
  const msg = `GET / HTTP/1.1\r\n${H}A: 1\r\nB: 2\r\n\r\n`;
  const out = expectOk(msg + msg + msg, { limits });
  assert.is(out.messages.length, 3);
});

test('431 by count: trailers are fields of the request too', () => {
  let trailers = '';
  for (let i = 0; i < 5; i++) trailers += `T${i}: ${i}\r\n`;
  const out = expectError(
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n${trailers}\r\n`,
    431,
    'H1W_HEADERS_TOO_LARGE',
    { limits: { maxHeaderCount: 4 } },
  );
  assert.not.ok(out.order.includes('E'), 'the message did not end');
});

test('413 by Content-Length: maxBodySize passes, one more is refused before any body byte', () => {
  const limits = { maxBodySize: 10 };
  const ok = expectOk(`POST / HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\n0123456789`, { limits });
  assert.is(ok.messages[0]!.body, '0123456789');
  const out = expectError(`POST / HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\n0123456789a`, 413, 'H1W_BODY_TOO_LARGE', { limits });
  assert.is(out.messages.length, 0, 'the head is refused: no handler sees it');
  // The declared length alone decides: no body byte needs to arrive.
  const early = drive(`POST / HTTP/1.1\r\n${H}Content-Length: 999999\r\n\r\n`, { limits });
  assert.ok(early.error !== null);
  assert.is(early.error.status, 413);
});

test('413 by chunked growth: maxBodySize bytes pass, one more is refused mid-body', () => {
  const limits = { maxBodySize: 10 };
  const ok = expectOk(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n`, { limits });
  assert.is(ok.messages[0]!.body, '0123456789');
  const input = `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n6\r\n56789a\r\n0\r\n\r\n`;
  for (const { split, seed } of SPLITS) {
    const out = drive(input, { limits, split, seed });
    assert.ok(out.error !== null);
    assert.is(out.error.status, 413);
    assert.is(out.error.code, 'H1W_BODY_TOO_LARGE');
    assert.is(out.messages.length, 1, 'the head was delivered');
    assert.not.ok(out.order.includes('E'), 'the message never ends');
    assert.ok(out.messages[0]!.body.length <= 10, 'no byte past the limit is delivered');
  }
});

const CHUNKED_HEAD = `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`;

test('chunk overhead: between two runs of data, maxChunkOverhead bytes pass and one more is refused', () => {
  const limits = { maxChunkOverhead: 64 };
  // Between "a" and "b": CRLF + "1;" + extension + CRLF = 6 + n bytes.
  const at = (n: number): string => `${CHUNKED_HEAD}1\r\na\r\n1;${'e'.repeat(n)}\r\nb\r\n0\r\n\r\n`;
  const ok = expectOk(at(58), { limits });
  assert.is(ok.messages[0]!.body, 'ab');
  const out = expectError(at(59), 413, 'H1W_CHUNK_OVERHEAD_TOO_LARGE', { limits });
  assert.is(out.messages[0]!.body, 'a');
});

test('chunk overhead: trailers count, up to the end of the message', () => {
  const limits = { maxChunkOverhead: 64 };
  // After "a": CRLF "0" CRLF "T: " value CRLF CRLF = 12 + n bytes.
  const at = (n: number): string => `${CHUNKED_HEAD}1\r\na\r\n0\r\nT: ${'v'.repeat(n)}\r\n\r\n`;
  assert.equal(expectOk(at(52), { limits }).messages[0]!.trailers, ['T', 'v'.repeat(52)]);
  const out = expectError(at(53), 413, 'H1W_CHUNK_OVERHEAD_TOO_LARGE', { limits });
  assert.is(out.order, 'HB', 'a refused message does not end');
  // Followed by another request in the same read: still refused, and nothing of the next one is delivered.
  const next = drive(at(53) + REQ(2), { limits });
  assert.ok(next.error !== null);
  assert.is(next.error.code, 'H1W_CHUNK_OVERHEAD_TOO_LARGE');
  assert.is(next.messages.length, 1);
});

test('chunk overhead: a long extension on the first or the last chunk is refused', () => {
  const limits = { maxChunkOverhead: 64 };
  expectOk(`${CHUNKED_HEAD}1;${'e'.repeat(40)}\r\na\r\n0;${'e'.repeat(40)}\r\n\r\n`, { limits });
  expectError(`${CHUNKED_HEAD}1;${'e'.repeat(80)}\r\na\r\n0\r\n\r\n`, 413, 'H1W_CHUNK_OVERHEAD_TOO_LARGE', { limits });
  expectError(`${CHUNKED_HEAD}1\r\na\r\n0;${'e'.repeat(80)}\r\n\r\n`, 413, 'H1W_CHUNK_OVERHEAD_TOO_LARGE', { limits });
  // An endless extension is caught while it streams in.
  const out = drive(`${CHUNKED_HEAD}1;${'e'.repeat(500)}`, { limits, split: 'random', seed: 9 });
  assert.ok(out.error !== null);
  assert.is(out.error.code, 'H1W_CHUNK_OVERHEAD_TOO_LARGE');
});

test('chunk overhead: many small chunks are fine (the limit is per gap, not per body)', () => {
  let body = '';
  for (let i = 0; i < 200; i++) body += '1;k=v\r\nx\r\n';
  const out = expectOk(`${CHUNKED_HEAD}${body}0\r\n\r\n`, { limits: { maxChunkOverhead: 64 } });
  assert.is(out.messages[0]!.body, 'x'.repeat(200));
});

// ---- errors: versions, framing, Host, targets, syntax -----------------------------------------------------

test('505: HTTP major versions other than 1', () => {
  expectError(`GET / HTTP/2.0\r\n${H}\r\n`, 505, 'H1W_VERSION_NOT_SUPPORTED');
  expectError(`GET / HTTP/0.9\r\n${H}\r\n`, 505, 'H1W_VERSION_NOT_SUPPORTED');
  expectError(`GET / HTTP/3.0\r\n${H}\r\n`, 505, 'H1W_VERSION_NOT_SUPPORTED');
  expectError(`GET / HTTP/9.9\r\n${H}\r\n`, 505, 'H1W_VERSION_NOT_SUPPORTED');
});

test('505: a well-formed minor version other than 0 and 1 (HTTP/1.2), which strict llhttp cannot read as 1.1', () => {
  // RFC 9112 §2.3 says HTTP/1.2 SHOULD be processed as HTTP/1.1; without llhttp's lenient flag we refuse the
  // version (505), never the syntax (400): a client from the future learns what the server speaks.
  for (const version of ['HTTP/1.2', 'HTTP/1.9', 'HTTP/0.8']) {
    const out = expectError(`GET / ${version}\r\n${H}\r\n`, 505, 'H1W_VERSION_NOT_SUPPORTED');
    assert.is(out.error?.message, `${version} is not supported`);
  }
  // Also as the second request on a connection (llhttp's version fields then hold the first one's).
  const out = drive(`GET / HTTP/1.1\r\n${H}\r\nGET / HTTP/1.2\r\n${H}\r\n`);
  assert.is(out.messages.length, 1);
  assert.is(out.error?.status, 505);
});

test('505: the HTTP/2 connection preface', () => {
  const out = expectError('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505, 'H1W_VERSION_NOT_SUPPORTED');
  assert.is(out.messages.length, 0);
});

test('400 for a malformed request line in HTTP/1.1 (not 505: the version is supported)', () => {
  // RFC 9110 §15.6.6: 505 is about the major version; these are syntax errors in an HTTP/1.1 request line.
  for (const line of ['GET / http/1.1\r\n', 'GET / HTTP/1.1\r\r\n']) {
    const out = drive(`${line}${H}\r\n`);
    assert.ok(out.error !== null, JSON.stringify(line));
    assert.is(out.error.status, 400, JSON.stringify(line));
  }
  // llhttp reports these as INVALID_VERSION too; a malformed HTTP/1.x request line is a 400, not a 505.
  for (const line of ['GET / HTTP/1.1\n', 'GET / HTTP/1.1 \r\n', 'GET / HTTP/1.1x\r\n', 'GET / HTTP/1.\r\n', 'GET / HTTP/1\r\n', 'GET / HTTP/12.1\r\n', 'GET / HTTP/1.10\r\n'])
    assert.is(drive(`${line}${H}\r\n`).error!.status, 400, JSON.stringify(line));
});

test('501: a transfer coding other than chunked', () => {
  const out = expectError(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501, 'H1W_NOT_IMPLEMENTED');
  assert.is(out.messages.length, 0);
  expectError(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n`, 501, 'H1W_NOT_IMPLEMENTED');
  expectError(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 501, 'H1W_NOT_IMPLEMENTED');
  expectError(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: x-custom ,chunked\r\n\r\n0\r\n\r\n`, 501, 'H1W_NOT_IMPLEMENTED');
});

test('400: Transfer-Encoding whose final coding is not chunked, or chunked twice', () => {
  // RFC 9112 §6.3: a request whose final coding is not chunked cannot be framed → 400 and close.
  for (const te of ['chunked, gzip', 'chunked, chunked']) {
    const out = everySplit(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: ${te}\r\n\r\n0\r\n\r\n`);
    assert.ok(out.error !== null, te);
    assert.is(out.error.status, 400, te);
    assert.ok(out.error.closes);
  }
  const twice = drive(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
  assert.ok(twice.error !== null);
  assert.is(twice.error.status, 400);
});

test('400: Transfer-Encoding with Content-Length (request smuggling, RFC 9112 §6.3)', () => {
  for (const order of [
    'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n',
    'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n',
  ]) {
    const out = everySplit(`POST / HTTP/1.1\r\n${H}${order}\r\n0\r\n\r\n`);
    assert.ok(out.error !== null);
    assert.is(out.error.status, 400);
    assert.is(out.messages.length, 0);
  }
});

test('400: Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)', () => {
  expectError('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'H1W_BAD_TRANSFER_ENCODING');
});

test('400: bad Content-Length values', () => {
  for (const cl of ['abc', '-1', '1 2', '3, 3', '0x10', '']) {
    const out = drive(`POST / HTTP/1.1\r\n${H}Content-Length: ${cl}\r\n\r\nabc`);
    assert.ok(out.error !== null, cl);
    assert.is(out.error.status, 400, cl);
    assert.is(out.messages.length, 0, cl);
  }
  const dup = drive(`POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`);
  assert.ok(dup.error !== null);
  assert.is(dup.error.status, 400);
});

test('400: bad chunk framing, after the head was delivered', () => {
  for (const body of ['zz\r\n', '5\r\nhello0\r\n\r\n', '6\nhello \r\n0\r\n\r\n', '-1\r\n']) {
    const out = drive(`${CHUNKED_HEAD}${body}`);
    assert.ok(out.error !== null, JSON.stringify(body));
    assert.is(out.error.status, 400, JSON.stringify(body));
    assert.is(out.messages.length, 1);
    assert.not.ok(out.order.includes('E'), 'the message never ends');
  }
});

test('400: missing Host in HTTP/1.1 (RFC 9112 §3.2)', () => {
  const out = expectError('GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400, 'H1W_BAD_HOST');
  assert.is(out.messages.length, 0);
});

test('400: more than one Host (RFC 9112 §3.2), in any case', () => {
  expectError('GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', 400, 'H1W_BAD_HOST');
  expectError('GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n', 400, 'H1W_BAD_HOST');
  expectError('GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'H1W_BAD_HOST');
});

test('400: invalid Host values (userinfo, path, spaces, bad port, bad IP literal)', () => {
  for (const host of ['user@example.com', 'user:pw@example.com', 'example.com/path', 'a b', 'example.com:port', '[::1', 'a?b', 'a#b', '%zz']) {
    const out = everySplit(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    assert.ok(out.error !== null, host);
    assert.is(out.error.status, 400, host);
    assert.is(out.error.code, 'H1W_BAD_HOST', host);
  }
});

test('valid Host values: names, ports, IPv4, IPv6 literals, percent-encoding, any name case', () => {
  for (const host of ['example.com', 'example.com:8080', '127.0.0.1:80', '[::1]', '[2001:db8::1]:443', 'a%41b', 'xn--bcher-kva.example', 'a:']) {
    const out = everySplit(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    assert.is(out.error, null, host);
  }
  assert.is(everySplit('GET / HTTP/1.1\r\nhOsT: a\r\n\r\n').error, null);
});

test('400: "*" is a target for OPTIONS only (RFC 9112 §3.2.4)', () => {
  for (const method of ['GET', 'HEAD', 'POST', 'DELETE']) {
    const out = expectError(`${method} * HTTP/1.1\r\n${H}\r\n`, 400, 'H1W_BAD_TARGET');
    assert.is(out.messages.length, 0);
  }
});

test('501: CONNECT (authority-form) is not supported', () => {
  const out = expectError(`CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`, 501, 'H1W_CONNECT_UNSUPPORTED');
  assert.is(out.messages.length, 0);
});

test('400: syntax errors in the head', () => {
  const cases: [string, string][] = [
    ['a space before the colon', `GET / HTTP/1.1\r\n${H}Bad : v\r\n\r\n`],
    ['obs-fold', `GET / HTTP/1.1\r\n${H}X: a\r\n  folded\r\n\r\n`],
    ['a bare LF in a header', `GET / HTTP/1.1\r\n${H}X: a\nY: b\r\n\r\n`],
    ['NUL in a value', `GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`],
    ['CR in a value', `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`],
    ['a field without a colon', `GET / HTTP/1.1\r\n${H}NoColon\r\n\r\n`],
    ['a bad token in a name', `GET / HTTP/1.1\r\n${H}X(y): 1\r\n\r\n`],
    ['an invalid method', `G@T / HTTP/1.1\r\n${H}\r\n`],
    ['a relative target', `GET a/b HTTP/1.1\r\n${H}\r\n`],
    ['a lower-case protocol name', `GET / http/1.1\r\n${H}\r\n`],
    ['garbage', 'this is not http\r\n\r\n'],
  ];
  for (const [name, input] of cases) {
    const out = everySplit(input);
    assert.ok(out.error !== null, name);
    assert.is(out.error.status, 400, name);
    assert.ok(out.error.code.startsWith('H1W_'), name);
    assert.ok(out.error.closes, name);
    assert.is(out.messages.length, 0, name);
  }
});

test('an error after complete messages: those messages are delivered first, the error offset is past them', () => {
  const good = REQ(1);
  const input = good + 'BAD REQUEST LINE\r\n\r\n';
  for (const { split, seed } of SPLITS) {
    const out = drive(input, { split, seed });
    assert.ok(out.error !== null);
    assert.is(out.messages.length, 1);
    assert.is(out.order, 'HE');
    assert.ok(out.errorAt >= good.length && out.errorAt <= input.length, `${split}: ${out.errorAt}`);
  }
});

test('after PARSE_ERROR, `error` and `offset` describe it', () => {
  const parser = new RequestParser(LIMITS);
  parser.bind({ onHead() {}, onBody() {}, onMessageEnd() {} });
  const chunk = bytes(`${REQ(1)}GET * HTTP/1.1\r\n${H}\r\n`);
  assert.is(parser.execute(chunk, 0, 10), PARSE_ERROR);
  assert.ok(parser.error !== null);
  assert.is(parser.error.status, 400);
  assert.ok(parser.offset > REQ(1).length && parser.offset <= chunk.length);
  assert.is(parser.inMessage, false);
  parser.free();
});

test('the limits given are the limits used', () => {
  const parser = new RequestParser({ ...LIMITS, maxBodySize: 7 });
  assert.is(parser.limits.maxBodySize, 7);
  parser.free();
});

test.run();
