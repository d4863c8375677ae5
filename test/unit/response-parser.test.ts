// The tests' response parser (test/helpers/response-parser.ts): every framing, any split of the bytes, and
// each strictness rule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { headerOf, headersNamed, parseResponses, ResponseParseError, ResponseParser, type ReadOptions, type Response } from '../helpers/response-parser.js';
import { prng } from '../helpers/wire.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

interface Fed {
  responses: Response[];
  error: ResponseParseError | null;
  partial: boolean;
}

/** Pushes `pieces` one at a time, reading after each, then ends the connection when `closed`. */
function feed(pieces: readonly Buffer[], closed = true, options: (index: number) => ReadOptions = () => ({})): Fed {
  const parser = new ResponseParser();
  const responses: Response[] = [];
  const finals = (): number => responses.filter((r) => r.status >= 200).length;
  const drain = (): void => {
    for (let res = parser.read(options(finals())); res !== null; res = parser.read(options(finals()))) responses.push(res);
  };
  try {
    for (const piece of pieces) {
      parser.push(piece);
      drain();
    }
    if (closed) {
      parser.end();
      drain();
    }
  } catch (error) {
    if (!(error instanceof ResponseParseError)) throw error;
    return { responses, error, partial: false };
  }
  return { responses, error: null, partial: parser.partial };
}

function whole(text: string, closed = true, options?: (index: number) => ReadOptions): Fed {
  return feed([b(text)], closed, options);
}

/** The same bytes cut one byte at a time, and at random boundaries with a few seeds. */
function splits(text: string): { label: string; pieces: Buffer[] }[] {
  const data = b(text);
  const out = [{ label: 'one byte at a time', pieces: [...data].map((_, i) => data.subarray(i, i + 1)) }];
  for (const seed of [1, 7, 42, 2024, 99_991]) {
    const random = prng(seed);
    const pieces: Buffer[] = [];
    for (let at = 0; at < data.length; ) {
      const size = 1 + Math.floor(random() * 12);
      pieces.push(data.subarray(at, at + size));
      at += size;
    }
    out.push({ label: `random split, seed ${seed}`, pieces });
  }
  return out;
}

/** Parses `text` whole and in every split; all must give the same result, which is returned. */
function everySplit(text: string, closed = true, options?: (index: number) => ReadOptions): Fed {
  const expected = whole(text, closed, options);
  for (const { label, pieces } of splits(text)) {
    const got = feed(pieces, closed, options);
    assert.equal(got.responses, expected.responses, label);
    assert.is(got.partial, expected.partial, label);
    assert.is(got.error?.code, expected.error?.code, label);
    assert.is(got.error?.offset, expected.error?.offset, label);
  }
  return expected;
}

const OK = 'HTTP/1.1 200 OK\r\n';
const CHUNKED = `${OK}Transfer-Encoding: chunked\r\n\r\n`;

// ---- framings -------------------------------------------------------------------------------------------

test('Content-Length: status line, version, reason, fields as sent (OWS trimmed), the body', () => {
  const text = `${OK}Content-Type:  text/plain \t\r\nX-Empty:\r\nX-Multi: a\r\nx-multi: b\r\nContent-Length: 5\r\n\r\nhello`;
  const { responses, error, partial } = everySplit(text, false);
  assert.is(error, null);
  assert.not.ok(partial);
  assert.is(responses.length, 1);
  const res = responses[0] as Response;
  assert.is(res.status, 200);
  assert.is(res.reason, 'OK');
  assert.is(res.version, '1.1');
  assert.equal(res.headers, [['Content-Type', 'text/plain'], ['X-Empty', ''], ['X-Multi', 'a'], ['x-multi', 'b'], ['Content-Length', '5']]);
  assert.is(headerOf(res.headers, 'content-type'), 'text/plain');
  assert.is(headerOf(res.headers, 'x-missing'), undefined);
  assert.equal(headersNamed(res.headers, 'X-MULTI'), ['a', 'b']);
  assert.is(res.framing, 'length');
  assert.is(res.body.toString(), 'hello');
  assert.is(res.bodyBytes, 5);
  assert.not.ok(res.closes);
  assert.equal([res.start, res.end], [0, text.length]);
});

test('Content-Length: 0, and a reason phrase that is empty or has spaces, HTAB and obs-text', () => {
  const text = `HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 Not \tF\xf6und\r\nContent-Length: 00\r\n\r\n`;
  const { responses, error } = everySplit(text, false);
  assert.is(error, null);
  assert.equal(responses.map((r) => [r.reason, r.body.length, r.framing]), [['', 0, 'length'], ['Not \tF\xf6und', 0, 'length']]);
});

test('chunked: sizes in any case with leading zeros, extensions, empty data, trailers', () => {
  const body = '5;name\r\nhello\r\n0A ; a=b;c="q \\" ;"\r\n0123456789\r\n00\r\nX-Sum: abc \r\nx-other:1\r\n\r\n';
  const text = `${OK}Transfer-Encoding: Chunked\r\n\r\n${body}${OK}Content-Length: 1\r\n\r\nz`;
  const { responses, error, partial } = everySplit(text, false);
  assert.is(error, null);
  assert.not.ok(partial);
  const [first, second] = responses as [Response, Response];
  assert.is(first.framing, 'chunked');
  assert.is(first.body.toString(), 'hello0123456789');
  assert.is(first.bodyBytes, 15);
  assert.equal(first.trailers, [['X-Sum', 'abc'], ['x-other', '1']]);
  assert.is(first.end, text.indexOf('HTTP/1.1', 1));
  assert.is(second.start, first.end);
  assert.is(second.body.toString(), 'z');
});

test('close-delimited: complete only when the connection ends; Connection: close or HTTP/1.0', () => {
  for (const head of [`${OK}Connection: keep-alive, Close\r\n`, 'HTTP/1.0 200 OK\r\n', 'HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: x\r\n']) {
    const text = `${head}\r\nall of this\r\nuntil the end`;
    const open = everySplit(text, false);
    assert.is(open.responses.length, 0, head);
    assert.ok(open.partial, 'a body still arriving');
    const closed = everySplit(text, true);
    assert.is(closed.responses.length, 1);
    const res = closed.responses[0] as Response;
    assert.is(res.framing, 'close');
    assert.ok(res.closes);
    assert.is(res.body.toString(), 'all of this\r\nuntil the end');
    assert.is(res.end, text.length);
  }
  const empty = whole('HTTP/1.0 200 OK\r\n\r\n');
  assert.equal(empty.responses.map((r) => [r.framing, r.body.length]), [['close', 0]]);
});

test('no body: HEAD (whatever the head says), 1xx, 204, 304 (which may state a length)', () => {
  const text = [
    `${OK}Content-Length: 1234\r\n\r\n`,
    `${CHUNKED}`,
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n',
    'HTTP/1.1 204 No Content\r\n\r\n',
    'HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n',
    `${OK}Content-Length: 2\r\n\r\nok`,
  ].join('');
  const heads = (i: number): ReadOptions => ({ head: i < 2 });
  const { responses, error, partial } = everySplit(text, false, heads);
  assert.is(error, null);
  assert.not.ok(partial);
  assert.equal(responses.map((r) => [r.status, r.framing, r.body.toString()]), [
    [200, 'none', ''],
    [200, 'none', ''],
    [100, 'none', ''],
    [103, 'none', ''],
    [204, 'none', ''],
    [304, 'none', ''],
    [200, 'length', 'ok'],
  ]);
  assert.equal(responses[3]?.headers, [['Link', '</a>']]);
});

test('closes: Connection tokens and the version decide; an interim response never closes', () => {
  const cases: [string, boolean][] = [
    [`${OK}Content-Length: 0\r\n`, false],
    [`${OK}Connection: keep-alive\r\nContent-Length: 0\r\n`, false],
    [`${OK}Connection: closed\r\nContent-Length: 0\r\n`, false],
    [`${OK}Connection: upgrade, close\r\nContent-Length: 0\r\n`, true],
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n', true],
    ['HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n', false],
  ];
  for (const [head, closes] of cases) assert.is(whole(`${head}\r\n`).responses[0]?.closes, closes, head);
  const interim = whole('HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n', false);
  assert.is(interim.responses[0]?.closes, false);
});

test('body options: keepBody false counts without keeping; onBody sees every byte, in order, as it arrives', () => {
  const text = `${CHUNKED}3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n${OK}Content-Length: 3\r\n\r\nxyz`;
  for (const { label, pieces } of [{ label: 'whole', pieces: [b(text)] }, ...splits(text)]) {
    const seen: string[] = [];
    const onBody = (chunk: Buffer): void => void seen.push(chunk.toString('latin1'));
    const { responses } = feed(pieces, false, (i) => ({ keepBody: i !== 0, onBody }));
    assert.equal(responses.map((r) => [r.body.toString(), r.bodyBytes]), [['', 7], ['xyz', 3]], label);
    assert.is(seen.join(''), 'abcdefgxyz', label);
  }
});

test('the parser reports what it holds: buffered, offset, partial, and a truncated response at the end', () => {
  const parser = new ResponseParser();
  assert.not.ok(parser.partial);
  parser.push(b(`${OK}Content-Length: 4\r\n\r\nab`));
  assert.is(parser.read(), null);
  assert.ok(parser.partial);
  assert.is(parser.buffered, 0);
  assert.is(parser.offset, OK.length + 23);
  parser.push(b('cdHTTP/1.1 2'));
  assert.is(parser.read()?.body.toString(), 'abcd');
  assert.is(parser.buffered, 10, 'the start of the next response waits');
  assert.is(parser.read(), null);
  assert.ok(parser.partial);
  parser.end();
  assert.is(parser.read(), null, 'a truncated response is never complete');
  assert.ok(parser.partial);
  assert.is(parser.error, null);
});

// ---- strictness ----------------------------------------------------------------------------------------------

/** Each: the bytes, the code, and where the offending byte is (an offset, or a string it begins at). */
const REJECTED: [string, string, string, number | string][] = [
  ['a bare LF ending the status line', 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', 'bare-lf', 15],
  ['a bare LF ending a field line', `${OK}Content-Length: 0\n\r\n`, 'bare-lf', OK.length + 17],
  ['a bare LF ending the head', `${OK}Content-Length: 0\r\n\n`, 'bare-lf', OK.length + 19],
  ['a bare LF in the chunk-size line', `${CHUNKED}5\nhello\r\n0\r\n\r\n`, 'bare-lf', '\nhello'],
  ['a bare LF ending the trailers', `${CHUNKED}0\r\n\n`, 'bare-lf', CHUNKED.length + 3],
  ['a bare CR in a field value', `${OK}X-A: a\rb\r\nContent-Length: 0\r\n\r\n`, 'bare-cr', '\rb'],
  ['a bare CR in the status line', 'HTTP/1.1 200 O\rK\r\n\r\n', 'bare-cr', 14],
  ['obs-fold in the head', `${OK}X-A: a\r\n  b\r\nContent-Length: 0\r\n\r\n`, 'obs-fold', '  b'],
  ['obs-fold (HTAB) in the trailers', `${CHUNKED}0\r\nT: a\r\n\tb\r\n\r\n`, 'obs-fold', '\tb'],
  ['whitespace before the colon', `${OK}Content-Length : 0\r\n\r\n`, 'field', ' : 0'],
  ['a field line without a colon', `${OK}Content-Length 0\r\n\r\n`, 'field', OK.length],
  ['an empty field name', `${OK}: x\r\nContent-Length: 0\r\n\r\n`, 'field', OK.length],
  ['a field name that is not a token', `${OK}X@Y: 1\r\nContent-Length: 0\r\n\r\n`, 'field', OK.length],
  ['a control character in a field value', `${OK}X-A: a\x01b\r\nContent-Length: 0\r\n\r\n`, 'field', '\x01b'],
  ['a NUL in a trailer value', `${CHUNKED}0\r\nT: \x00\r\n\r\n`, 'field', '\x00'],
  ['a bad trailer line', `${CHUNKED}0\r\nnot a field\r\n\r\n`, 'field', 'not a field'],
  ['two equal Content-Length fields', `${OK}Content-Length: 1\r\nContent-Length: 1\r\n\r\nx`, 'content-length', 0],
  ['two different Content-Length fields', `${OK}Content-Length: 1\r\nContent-Length: 2\r\n\r\nxy`, 'content-length', 0],
  ['a Content-Length list', `${OK}Content-Length: 1, 1\r\n\r\nx`, 'content-length', 0],
  ['a signed Content-Length', `${OK}Content-Length: +1\r\n\r\nx`, 'content-length', 0],
  ['an empty Content-Length', `${OK}Content-Length:\r\n\r\n`, 'content-length', 0],
  ['a Content-Length beyond 15 digits', `${OK}Content-Length: 1234567890123456\r\n\r\n`, 'content-length', 0],
  ['Content-Length and Transfer-Encoding', `${OK}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'transfer-encoding', 0],
  ['Content-Length in a 204', 'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n', 'content-length', 0],
  ['Content-Length in a 100', 'HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n', 'content-length', 0],
  ['Transfer-Encoding in a 204', 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n', 'transfer-encoding', 0],
  ['Transfer-Encoding in a 103', 'HTTP/1.1 103 Early Hints\r\nTransfer-Encoding: chunked\r\n\r\n', 'transfer-encoding', 0],
  ['a transfer coding other than chunked', `${OK}Transfer-Encoding: gzip\r\nConnection: close\r\n\r\nxx`, 'transfer-encoding', 0],
  ['chunked under another coding', `${OK}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 'transfer-encoding', 0],
  ['chunked twice', `${OK}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'transfer-encoding', 0],
  ['Transfer-Encoding in HTTP/1.0', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'transfer-encoding', 0],
  ['a chunk size that is not hex', `${CHUNKED}z\r\n`, 'chunk-size', CHUNKED.length],
  ['a chunk size with 0x', `${CHUNKED}0x5\r\nhello\r\n0\r\n\r\n`, 'chunk-size', '0x5'],
  ['a negative chunk size', `${CHUNKED}-1\r\n`, 'chunk-size', '-1'],
  ['whitespace before the chunk size', `${CHUNKED} 5\r\nhello\r\n0\r\n\r\n`, 'chunk-size', ' 5'],
  ['whitespace after the chunk size', `${CHUNKED}5 \r\nhello\r\n0\r\n\r\n`, 'chunk-size', '5 '],
  ['an empty chunk size', `${CHUNKED}\r\n`, 'chunk-size', CHUNKED.length],
  ['a chunk size too large', `${CHUNKED}10000000000000\r\n`, 'chunk-size', '10000'],
  ['an empty chunk extension', `${CHUNKED}5;\r\nhello\r\n0\r\n\r\n`, 'chunk-size', '5;'],
  ['a chunk extension without a name', `${CHUNKED}5;=x\r\nhello\r\n0\r\n\r\n`, 'chunk-size', '5;'],
  ['an unterminated quoted chunk extension', `${CHUNKED}5;a="x\r\nhello\r\n0\r\n\r\n`, 'chunk-size', '5;'],
  ['chunk data longer than its size', `${CHUNKED}5\r\nhello!\r\n0\r\n\r\n`, 'chunk-end', '!'],
  ['chunk data with a CR but no LF after it', `${CHUNKED}5\r\nhello\rX0\r\n\r\n`, 'chunk-end', 'X0'],
  ['a close-delimited body on a kept connection', `${OK}Content-Type: text/plain\r\n\r\nbody`, 'close-delimited', 0],
  ['a close-delimited body with keep-alive in HTTP/1.0', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nbody', 'close-delimited', 0],
  ['junk after a response', `${OK}Content-Length: 0\r\n\r\nxyz`, 'status-line', OK.length + 21],
  ['an empty line before a response', `\r\n${OK}Content-Length: 0\r\n\r\n`, 'status-line', 0],
  ['a lower-case protocol name', 'http/1.1 200 OK\r\n\r\n', 'status-line', 0],
  ['a byte after a Connection: close response', `${OK}Connection: close\r\nContent-Length: 1\r\n\r\nxy`, 'after-close', 'y'],
  ['a second response after an HTTP/1.0 one', `HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n${OK}Content-Length: 0\r\n\r\n`, 'after-close', 38],
  ['no SP after the status code', 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n', 'status-line', 12],
  ['two SP after the version', 'HTTP/1.1  200 OK\r\n\r\n', 'status', 9],
  ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n', 'status', 9],
  ['a four-digit status', 'HTTP/1.1 2000 OK\r\n\r\n', 'status', 9],
  ['a status below 100', 'HTTP/1.1 099 Low\r\n\r\n', 'status', 9],
  ['a status above 599', 'HTTP/1.1 600 High\r\nContent-Length: 0\r\n\r\n', 'status', 9],
  ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n', 'status', 9],
  ['HTTP/2.0', 'HTTP/2.0 200 OK\r\n\r\n', 'version', 5],
  ['HTTP/1.2', 'HTTP/1.2 200 OK\r\n\r\n', 'version', 5],
  ['a version with two digits', 'HTTP/1.10 200 OK\r\n\r\n', 'status-line', 0],
  ['a control character in the reason', 'HTTP/1.1 200 O\x7fK\r\n\r\n', 'status-line', 14],
];

for (const [what, text, code, where] of REJECTED) {
  test(`rejected, whole and in every split: ${what}`, () => {
    const { error, responses } = everySplit(text, true);
    assert.ok(error !== null, `${what}: no error; parsed ${JSON.stringify(responses.map((r) => r.status))}`);
    assert.is(error.code, code, error.message);
    const offset = typeof where === 'number' ? where : text.indexOf(where, OK.length);
    assert.is(error.offset, offset, error.message);
    assert.ok(error.message.includes(`at byte ${offset}`));
  });
}

test('an error is final: every later read throws it again, and it is kept in `error`', () => {
  const parser = new ResponseParser();
  parser.push(b(`${OK}Content-Length: 1\r\nContent-Length: 1\r\n\r\nx`));
  const thrown: unknown[] = [];
  for (let i = 0; i < 2; i++) {
    try {
      parser.read();
    } catch (error) {
      thrown.push(error);
    }
  }
  assert.is(thrown.length, 2);
  assert.ok(thrown[0] instanceof ResponseParseError);
  assert.is(thrown[1], thrown[0]);
  assert.is(parser.error, thrown[0]);
});

test('size limits: the head, the trailer section and a chunk-size line', () => {
  const big = `${OK}X-Big: ${'x'.repeat(200)}\r\nContent-Length: 0\r\n\r\n`;
  const small = new ResponseParser({ maxHead: 128 });
  small.push(b(big));
  assert.throws(() => small.read(), (e: ResponseParseError) => e.code === 'too-large' && e.offset === OK.length);
  const exact = new ResponseParser({ maxHead: big.length });
  exact.push(b(big));
  assert.is(exact.read()?.status, 200, 'a head of exactly the limit');
  const waiting = new ResponseParser({ maxHead: 64 });
  waiting.push(b(`${OK}X-Big: ${'x'.repeat(60)}`));
  assert.throws(() => waiting.read(), (e: ResponseParseError) => e.code === 'too-large', 'before its line ends');
  const trailers = new ResponseParser({ maxHead: 64 });
  trailers.push(b(`${CHUNKED}0\r\nT: ${'t'.repeat(70)}\r\n\r\n`));
  assert.throws(() => trailers.read(), (e: ResponseParseError) => e.code === 'too-large');
  const line = new ResponseParser();
  line.push(b(`${CHUNKED}5;${'a'.repeat(5000)}`));
  assert.throws(() => line.read(), (e: ResponseParseError) => e.code === 'too-large');
});

// ---- parseResponses ------------------------------------------------------------------------------------------

test('parseResponses: finals, HEAD by final index (1xx do not count), partial, rest', () => {
  const text = `HTTP/1.1 100 Continue\r\n\r\n${OK}Content-Length: 9\r\n\r\n${OK}Content-Length: 3\r\n\r\nabc${OK}Content-Length: 4\r\n\r\nab`;
  const parsed = parseResponses(b(text), (i) => i === 0, true);
  assert.is(parsed.error, null);
  assert.equal(parsed.responses.map((r) => r.status), [100, 200, 200]);
  assert.equal(parsed.finals.map((r) => r.body.toString()), ['', 'abc']);
  assert.ok(parsed.partial);
  assert.is(parsed.rest.toString('latin1'), `${OK}Content-Length: 4\r\n\r\nab`);
  const clean = parseResponses(b(`${OK}Content-Length: 0\r\n\r\n`));
  assert.equal([clean.finals.length, clean.partial, clean.rest.length, clean.error], [1, false, 0, null]);
});

test('parseResponses: a close-delimited body needs `closed`; an error keeps the responses before it', () => {
  const text = `${OK}Connection: close\r\n\r\nto the end`;
  const open = parseResponses(b(text), () => false, false);
  assert.equal([open.responses.length, open.partial, open.rest.length], [0, true, text.length]);
  assert.is(parseResponses(b(text)).finals[0]?.body.toString(), 'to the end');
  const bad = parseResponses(b(`${OK}Content-Length: 1\r\n\r\nxHTTP/1.1 200 OK\nbad`));
  assert.is(bad.finals.length, 1);
  assert.not.ok(bad.partial);
  assert.match(bad.error ?? '', /an LF without CR \(bare-lf, at byte \d+\)/);
  assert.is(bad.rest.toString('latin1'), 'HTTP/1.1 200 OK\nbad');
});

test.run();
