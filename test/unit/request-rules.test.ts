// checkHead: the RFC 9112 rules on a parsed head (Host, target forms, Transfer-Encoding, Expect), tested on
// heads made by hand, including combinations llhttp would refuse before they reach it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpError } from '../../lib/errors.js';
import { checkHead, type RequestHead } from '../../lib/request-rules.js';
import { requestHead } from '../helpers/fixtures.js';

const head = requestHead;

function fails(h: RequestHead, status: number, code: string): HttpError {
  const error = checkHead(h);
  assert.ok(error instanceof HttpError, `expected ${status} ${code}, got null`);
  assert.is(error.status, status);
  assert.is(error.code, code);
  assert.ok(error.closesConnection, 'a broken head closes the connection');
  return error;
}

function passes(h: RequestHead): RequestHead {
  const error = checkHead(h);
  assert.is(error, null, error === null ? '' : `${error.status} ${error.code}: ${error.message}`);
  return h;
}

test('a minimal HTTP/1.1 head passes and is left as it is', () => {
  const h = passes(head(['Host', 'a']));
  assert.is(h.contentLength, -1);
  assert.is(h.chunked, false);
  assert.is(h.expectContinue, false);
  assert.is(h.unknownExpectation, null);
});

test('versions: only major version 1', () => {
  for (const [major, minor] of [[0, 9], [2, 0], [3, 0]] as const) {
    const e = fails(head(['Host', 'a'], { versionMajor: major, versionMinor: minor }), 505, 'H1W_VERSION_NOT_SUPPORTED');
    assert.ok(e.message.includes(`${major}.${minor}`));
    assert.ok(e.expose, '505 explains itself');
  }
  passes(head([], { versionMinor: 0 }));
});

test('Host: required once in HTTP/1.1, optional in HTTP/1.0, never twice', () => {
  fails(head([]), 400, 'H1W_BAD_HOST');
  fails(head(['Accept', '*/*']), 400, 'H1W_BAD_HOST');
  passes(head([], { versionMinor: 0 }));
  fails(head(['Host', 'a', 'Host', 'a']), 400, 'H1W_BAD_HOST');
  fails(head(['HOST', 'a', 'host', 'b'], { versionMinor: 0 }), 400, 'H1W_BAD_HOST');
  passes(head(['HoSt', 'a']));
});

test('Host: uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2)', () => {
  const valid = [
    'a',
    'example.com',
    'EXAMPLE.com:443',
    'a:',
    '127.0.0.1',
    '127.0.0.1:8080',
    '[::1]',
    '[::1]:80',
    '[2001:db8::7]',
    '[v1.fe80::a+en1]',
    'caf%C3%A9.example',
    "sub-delims!$&'()*+,;=",
    'under_score~tilde',
  ];
  for (const host of valid) passes(head(['Host', host]));
  const invalid = [
    'user@example.com',
    'user:pass@example.com:80',
    '@example.com',
    'example.com/',
    'example.com/path',
    'example.com?q',
    'example.com#f',
    'a b',
    'a\tb',
    'example.com:80a',
    'example.com:-1',
    '[::1',
    '::1]',
    '[::1]x',
    '%',
    '%4',
    '%zz',
    'caf\xe9',
    '"quoted"',
    'a\\b',
  ];
  for (const host of invalid) fails(head(['Host', host]), 400, 'H1W_BAD_HOST');
});

test('targets: origin-form and absolute-form for any method, "*" only for OPTIONS', () => {
  for (const method of ['GET', 'POST', 'OPTIONS', 'DELETE']) {
    passes(head(['Host', 'a'], { method, target: '/a/b?c=d' }));
    passes(head(['Host', 'a'], { method, target: 'http://a/b' }));
    passes(head(['Host', 'a'], { method, target: 'https://a:8443' }));
    passes(head(['Host', 'a'], { method, target: 'coap+tcp://x/y' }));
    passes(head(['Host', 'a'], { method, target: 'HTTP://A.example:80?q' }));
    passes(head(['Host', 'a'], { method, target: 'http://[::1]:8080/p' }));
  }
  passes(head(['Host', 'a'], { method: 'OPTIONS', target: '*' }));
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'TRACE']) {
    fails(head(['Host', 'a'], { method, target: '*' }), 400, 'H1W_BAD_TARGET');
  }
});

test('an empty Host: 400 for origin-form and "*" in HTTP/1.1 (the target would have no host); fine where the target names its own authority, and in HTTP/1.0', () => {
  for (const empty of [['Host', ''], ['host', '']]) {
    const e = fails(head(empty), 400, 'H1W_BAD_HOST');
    assert.ok(e.message.includes('empty Host'), e.message);
    fails(head(empty, { method: 'POST', target: '/a?b' }), 400, 'H1W_BAD_HOST');
    fails(head(empty, { method: 'OPTIONS', target: '*' }), 400, 'H1W_BAD_HOST');
    // absolute-form: the server ignores Host (RFC 9112 §3.2.2); its own authority is checked instead.
    passes(head(empty, { target: 'http://a.example/p' }));
    fails(head(empty, { target: 'http:///p' }), 400, 'H1W_BAD_TARGET');
    // HTTP/1.0 may leave Host out, so it may leave it empty.
    passes(head(empty, { versionMinor: 0 }));
    passes(head(empty, { versionMinor: 0, method: 'OPTIONS', target: '*' }));
  }
  // CONNECT stays a 501 whatever its Host.
  fails(head(['Host', ''], { method: 'CONNECT', target: 'a:443' }), 501, 'H1W_CONNECT_UNSUPPORTED');
});

test('targets: a fragment is part of no request-target form (RFC 9112 §3.2), anywhere in it', () => {
  for (const target of ['/#', '/p#f', '/p?q#f', '/p?q=#', '#', '*#', 'http://a/p#f', 'http://a#f', 'http://a/?q#']) {
    const e = fails(head(['Host', 'a'], { method: 'OPTIONS', target }), 400, 'H1W_BAD_TARGET');
    assert.ok(e.message.includes('fragment'), `${target}: ${e.message}`);
  }
  fails(head(['Host', 'a'], { target: '/p#f', versionMinor: 0 }), 400, 'H1W_BAD_TARGET');
});

test('targets: anything else is refused, an absolute-form with userinfo or no host too (RFC 9110 §4.2.4)', () => {
  for (const target of ['a/b', 'example.com:80', '1http://a/', '://a', 'http:/a', '**', '*/', '', 'http:///x', 'http://user@a/', 'http://u:p@a:80/x', 'http://a b/', 'http://a:8x/']) {
    fails(head(['Host', 'a'], { target }), 400, 'H1W_BAD_TARGET');
  }
});

test('CONNECT: 501, whatever its target', () => {
  const e = fails(head(['Host', 'a:443'], { method: 'CONNECT', target: 'a:443' }), 501, 'H1W_CONNECT_UNSUPPORTED');
  assert.ok(e.expose);
  fails(head(['Host', 'a'], { method: 'CONNECT', target: '/' }), 501, 'H1W_CONNECT_UNSUPPORTED');
});

test('Content-Length is read into contentLength', () => {
  assert.is(passes(head(['Host', 'a', 'Content-Length', '42'])).contentLength, 42);
  assert.is(passes(head(['Host', 'a', 'content-length', '0'])).contentLength, 0);
});

test('Transfer-Encoding: chunked, alone and exactly once, in HTTP/1.1', () => {
  assert.is(passes(head(['Host', 'a', 'Transfer-Encoding', 'chunked'])).chunked, true);
  assert.is(passes(head(['Host', 'a', 'transfer-encoding', ' Chunked '])).chunked, true);
  // Empty list elements are ignored (RFC 9110 §5.6.1).
  assert.is(passes(head(['Host', 'a', 'Transfer-Encoding', ', chunked,'])).chunked, true);
  fails(head(['Host', 'a', 'Transfer-Encoding', 'chunked, chunked']), 400, 'H1W_BAD_TRANSFER_ENCODING');
  fails(head(['Host', 'a', 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked']), 400, 'H1W_BAD_TRANSFER_ENCODING');
  fails(head(['Host', 'a', 'Transfer-Encoding', '']), 400, 'H1W_BAD_TRANSFER_ENCODING');
});

test('Transfer-Encoding: any other coding is 501 (RFC 9112 §6.1), across fields too', () => {
  const e = fails(head(['Host', 'a', 'Transfer-Encoding', 'gzip, chunked']), 501, 'H1W_NOT_IMPLEMENTED');
  assert.ok(e.message.includes('gzip'));
  fails(head(['Host', 'a', 'Transfer-Encoding', 'gzip', 'Transfer-Encoding', 'chunked']), 501, 'H1W_NOT_IMPLEMENTED');
  fails(head(['Host', 'a', 'Transfer-Encoding', 'deflate']), 501, 'H1W_NOT_IMPLEMENTED');
});

test('Transfer-Encoding in HTTP/1.0 is faulty framing (RFC 9112 §6.1)', () => {
  const h = head(['Transfer-Encoding', 'chunked'], { versionMinor: 0 });
  fails(h, 400, 'H1W_BAD_TRANSFER_ENCODING');
  assert.is(h.chunked, false);
});

test('Expect: 100-continue in HTTP/1.1, any case and surrounding space', () => {
  for (const value of ['100-continue', '100-Continue', ' 100-CONTINUE ']) {
    const h = passes(head(['Host', 'a', 'Expect', value]));
    assert.is(h.expectContinue, true, value);
    assert.is(h.unknownExpectation, null);
  }
});

test('Expect: anything else is an unknown expectation (→ 417), repeated fields joined', () => {
  const h = passes(head(['Host', 'a', 'Expect', 'something']));
  assert.is(h.expectContinue, false);
  assert.is(h.unknownExpectation, 'something');
  const joined = passes(head(['Host', 'a', 'Expect', '100-continue', 'expect', 'other']));
  assert.is(joined.expectContinue, false);
  assert.is(joined.unknownExpectation, '100-continue, other');
});

test('Expect in HTTP/1.0 is ignored (RFC 9110 §10.1.1)', () => {
  for (const value of ['100-continue', 'other']) {
    const h = passes(head(['Expect', value], { versionMinor: 0 }));
    assert.is(h.expectContinue, false);
    assert.is(h.unknownExpectation, null);
  }
});

test('fields with the same length as the special ones are not mistaken for them', () => {
  const h = passes(head(['Host', 'a', 'Hose', 'x', 'Expert', 'y', 'Content-Lengtx', '5', 'Transfer-Encodinx', 'gzip']));
  assert.is(h.contentLength, -1);
  assert.is(h.chunked, false);
  assert.is(h.unknownExpectation, null);
  assert.is(passes(head(['Hosts', 'b', 'Host', 'a'])).chunked, false);
});

test.run();
