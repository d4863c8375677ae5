// Content-Length variants (the CL.CL family of request smuggling), each with a request hidden after the body:
// duplicates, lists, signs, whitespace that is not OWS, hex, decimals, overflow, CL with chunked. Each is
// refused with 400 (413 where the value parses but is too large) and the connection closes, so the hidden
// request is never answered. The forms RFC 9110 §8.6 allows (leading zeros, OWS around the value) are framed
// by their value, with the next request answered in step; a body that looks like a request is only a body.
// Every case is sent whole, one byte per write and split at random boundaries (run-cases.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDemo, type Running } from '../helpers/server.js';
import { AFTER, HELLO_WORLD, runCases, SMUGGLED, type SmugglingCase } from './run-cases.js';

let demo: Running;

test.before(async () => {
  demo = await startDemo({ headersTimeout: 1500, requestTimeout: 1500 });
});

test.after(async () => {
  await demo.close();
});

/** POST /echo with the given header lines, the body "hello", then `rest`. */
function withLength(lines: string, rest = SMUGGLED, version = '1.1'): string {
  return `POST /echo HTTP/${version}\r\nHost: localhost\r\n${lines}\r\n\r\nhello${rest}`;
}

const ECHOED = [{ status: 200, body: 'hello' }, { status: 200, body: HELLO_WORLD }];

const refused: SmugglingCase[] = [
  // Two values.
  { id: 'cl-duplicate-different', request: withLength('Content-Length: 5\r\nContent-Length: 6'), expect: 'refuse', note: 'RFC 9112 §6.3: unrecoverable error' },
  { id: 'cl-duplicate-different-reversed', request: withLength('Content-Length: 50\r\nContent-Length: 5'), expect: 'refuse' },
  {
    id: 'cl-duplicate-same',
    request: withLength('Content-Length: 5\r\nContent-Length: 5'),
    expect: 'refuse',
    note: 'RFC 9110 §8.6 MAY accept identical values; the server refuses (README: identical duplicate Content-Length → 400)',
  },
  { id: 'cl-duplicate-name-case', request: withLength('Content-Length: 5\r\ncontent-length: 5'), expect: 'refuse' },
  { id: 'cl-list-same', request: withLength('Content-Length: 5, 5'), expect: 'refuse', note: 'RFC 9110 §8.6 MAY accept; refused, as duplicates are' },
  { id: 'cl-list-same-no-space', request: withLength('Content-Length: 5,5'), expect: 'refuse' },
  { id: 'cl-list-different', request: withLength('Content-Length: 5, 50'), expect: 'refuse' },
  { id: 'cl-list-empty-element', request: withLength('Content-Length: 5,'), expect: 'refuse' },
  // Not 1*DIGIT.
  { id: 'cl-plus', request: withLength('Content-Length: +5'), expect: 'refuse' },
  { id: 'cl-minus', request: withLength('Content-Length: -5'), expect: 'refuse' },
  { id: 'cl-minus-zero', request: withLength('Content-Length: -0', ''), expect: 'refuse' },
  { id: 'cl-hex', request: withLength('Content-Length: 0x5'), expect: 'refuse' },
  { id: 'cl-hex-digits', request: withLength('Content-Length: 5a'), expect: 'refuse' },
  { id: 'cl-decimal', request: withLength('Content-Length: 5.0'), expect: 'refuse' },
  { id: 'cl-exponent', request: withLength('Content-Length: 5e0'), expect: 'refuse' },
  { id: 'cl-underscore', request: withLength('Content-Length: 0_5'), expect: 'refuse' },
  { id: 'cl-space-inside', request: withLength('Content-Length: 5 5'), expect: 'refuse' },
  { id: 'cl-fullwidth-digit', request: withLength('Content-Length: \xef\xbc\x95'), expect: 'refuse', note: 'U+FF15 in UTF-8' },
  { id: 'cl-superscript-digit', request: withLength('Content-Length: \xb5'), expect: 'refuse' },
  { id: 'cl-empty', request: withLength('Content-Length: '), expect: 'refuse' },
  { id: 'cl-quoted', request: withLength('Content-Length: "5"'), expect: 'refuse' },
  // Bytes that are not OWS, or OWS where none may be.
  { id: 'cl-vtab', request: withLength('Content-Length: \x0b5'), expect: 'refuse' },
  { id: 'cl-formfeed', request: withLength('Content-Length: 5\x0c'), expect: 'refuse' },
  { id: 'cl-nul', request: withLength('Content-Length: 5\x00'), expect: 'refuse' },
  { id: 'cl-bare-cr', request: withLength('Content-Length: 5\rX: y'), expect: 'refuse' },
  { id: 'cl-space-before-colon', request: withLength('Content-Length : 5'), expect: 'refuse', note: 'RFC 9112 §5.1: MUST respond 400' },
  { id: 'cl-obs-fold', request: withLength('Content-Length:\r\n 5'), expect: 'refuse' },
  { id: 'cl-obs-fold-continued', request: withLength('Content-Length: 5\r\n 0'), expect: 'refuse' },
  { id: 'cl-leading-space-line', request: withLength('X-A: b\r\n Content-Length: 5'), expect: 'refuse' },
  // Too large for any counter, or for the server.
  { id: 'cl-overflow-20-digits', request: withLength('Content-Length: 99999999999999999999'), expect: 'refuse', refuseWith: [400, 413] },
  { id: 'cl-overflow-2^64', request: withLength('Content-Length: 18446744073709551616'), expect: 'refuse', refuseWith: [400, 413] },
  { id: 'cl-overflow-2^64+5', request: withLength('Content-Length: 18446744073709551621'), expect: 'refuse', refuseWith: [400, 413], note: 'wraps to 5 in a 64-bit counter' },
  { id: 'cl-above-2^53', request: withLength('Content-Length: 9007199254740993'), expect: 'refuse', refuseWith: [400, 413] },
  { id: 'cl-many-zeros-overflow', request: withLength(`Content-Length: ${'0'.repeat(30)}18446744073709551621`), expect: 'refuse', refuseWith: [400, 413] },
  // With Transfer-Encoding.
  { id: 'cl-with-chunked', request: `POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 'refuse' },
  { id: 'cl-zero-with-chunked', request: `POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`, expect: 'refuse' },
  { id: 'cl-on-get-with-chunked', request: `GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, expect: 'refuse' },
];

const accepted: SmugglingCase[] = [
  { id: 'cl-plain', request: withLength('Content-Length: 5', AFTER), expect: 'accept', answers: ECHOED },
  { id: 'cl-leading-zeros', request: withLength('Content-Length: 005', AFTER), expect: 'accept', answers: ECHOED, note: 'Content-Length = 1*DIGIT: leading zeros are digits (RFC 9110 §8.6)' },
  { id: 'cl-many-leading-zeros', request: withLength(`Content-Length: ${'0'.repeat(40)}5`, AFTER), expect: 'accept', answers: ECHOED, note: 'still 5, not an overflow' },
  { id: 'cl-zero', request: `POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n${AFTER}`, expect: 'accept', answers: [{ status: 200, body: '' }, { status: 200, body: HELLO_WORLD }] },
  { id: 'cl-zeros-only', request: `POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 000\r\n\r\n${AFTER}`, expect: 'accept', answers: [{ status: 200, body: '' }, { status: 200, body: HELLO_WORLD }] },
  { id: 'cl-spaces-around', request: withLength('Content-Length:    5   ', AFTER), expect: 'accept', answers: ECHOED, note: 'OWS around a field value is not part of it (RFC 9110 §5.5)' },
  { id: 'cl-no-space', request: withLength('Content-Length:5', AFTER), expect: 'accept', answers: ECHOED },
  { id: 'cl-tab-before', request: withLength('Content-Length:\t5', AFTER), expect: 'accept', answers: ECHOED, note: 'HTAB is OWS' },
  { id: 'cl-name-case', request: withLength('cOnTeNt-LeNgTh: 5', AFTER), expect: 'accept', answers: ECHOED },
  {
    id: 'cl-on-get-body-looks-like-a-request',
    // A GET may have a body (RFC 9110 §9.3.1); its bytes are body, never a request, and the next one is answered.
    request: `GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}${AFTER}`,
    expect: 'accept',
    answers: [{ status: 200, body: HELLO_WORLD }, { status: 200, body: HELLO_WORLD }],
  },
  {
    id: 'cl-on-head-body-looks-like-a-request',
    request: `HEAD / HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}GET /status/201 HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    expect: 'accept',
    answers: [{ status: 200, body: '' }, { status: 201 }],
    heads: [0],
  },
  {
    id: 'cl-echo-body-looks-like-a-request',
    request: `POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}${AFTER}`,
    expect: 'accept',
    answers: [{ status: 200, body: SMUGGLED }, { status: 200, body: HELLO_WORLD }],
  },
  {
    id: 'cl-http10-then-hidden',
    // HTTP/1.0 without keep-alive: answered, then the connection closes; what followed is never answered.
    request: withLength('Content-Length: 5', SMUGGLED, '1.0'),
    expect: 'accept',
    answers: [{ status: 200, body: 'hello' }],
    closes: true,
  },
  // More body than the length: what follows is the next request, and here it is garbage.
  { id: 'cl-short-of-body', request: withLength('Content-Length: 3', 'XYZ'), expect: 'accept', answers: [{ status: 200, body: 'hel' }, { status: 400 }], closes: true },
  { id: 'cl-http10-keepalive', request: withLength('Connection: keep-alive\r\nContent-Length: 5', AFTER, '1.0'), expect: 'accept', answers: ECHOED },
];

// RFC 9110 §5.5 makes trailing HTAB OWS, but llhttp does not skip it after a Content-Length value (and does
// after other values): refused here, which is on the safe side. Either way, the same for every cut.
const either: SmugglingCase[] = [
  { id: 'cl-tab-after', request: withLength('Content-Length: 5\t', AFTER), expect: 'either', answers: ECHOED },
  { id: 'cl-tabs-around', request: withLength('Content-Length:\t5\t', AFTER), expect: 'either', answers: ECHOED },
];

test(`malformed or repeated Content-Length is refused, the hidden request never answered (${refused.length} cases × 5 splits)`, async () => {
  const failures = await runCases(demo.port, refused);
  assert.ok(failures.length === 0, `\n${failures.join('\n')}`);
});

test(`Content-Length forms RFC 9110 accepts are framed by their value (${accepted.length} cases × 5 splits)`, async () => {
  const failures = await runCases(demo.port, accepted);
  assert.ok(failures.length === 0, `\n${failures.join('\n')}`);
});

test(`Content-Length with trailing HTAB: refused or framed by its value, whatever the cut (${either.length} cases × 5 splits)`, async () => {
  const failures = await runCases(demo.port, either);
  assert.ok(failures.length === 0, `\n${failures.join('\n')}`);
});

test.run();
