// Content negotiation (RFC 9110 §12.5.1): the serializer whose media type Accept ranks highest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { negotiate } from '../../lib/serializers/negotiate.js';
import type { Serializer } from '../../lib/serializers/serializer.js';

const s = (name: string, contentType: string): Serializer => ({ name, contentType, serialize: () => '' });
const JSON_S = s('json', 'application/json');
const TEXT_S = s('text', 'text/plain; charset=utf-8');
const HTML_S = s('html', 'text/html');
const all = [JSON_S, TEXT_S, HTML_S];

const pick = (accept: string | undefined, candidates = all, strict = false): string | null =>
  negotiate(accept, candidates, strict)?.name ?? null;

test('no Accept, an empty one or only blanks: the default', () => {
  assert.is(pick(undefined), 'json');
  assert.is(pick(''), 'json');
  assert.is(pick('   '), 'json');
  assert.is(pick(undefined, [TEXT_S, JSON_S]), 'text');
});

test('an exact media type', () => {
  assert.is(pick('text/html'), 'html');
  assert.is(pick('text/plain'), 'text');
  assert.is(pick('application/json'), 'json');
});

test('media types are case-insensitive; parameters of the content type do not matter', () => {
  assert.is(pick('TEXT/PLAIN'), 'text');
  assert.is(pick('Application/JSON'), 'json');
  assert.is(pick(' text/plain ; charset=utf-8 '), 'text');
});

test('q-values rank: higher wins', () => {
  assert.is(pick('application/json;q=0.5, text/html;q=0.8'), 'html');
  assert.is(pick('application/json;q=0.9, text/html;q=0.8, text/plain;q=0.85'), 'json');
  assert.is(pick('application/json; q=0.2, text/plain ; Q=0.3'), 'text');
});

test('ties go to the server order', () => {
  assert.is(pick('text/html, application/json'), 'json');
  assert.is(pick('text/*'), 'text');
  assert.is(pick('*/*'), 'json');
});

test('the most specific matching range decides a type\'s q (RFC 9110 §12.5.1)', () => {
  // text/plain is refused by its own range although text/* allows it.
  assert.is(pick('text/*;q=0.9, text/plain;q=0'), 'html');
  assert.is(pick('application/json;q=0, */*;q=0.1'), 'text');
  assert.is(pick('*/*;q=0.1, text/html'), 'html');
  assert.is(pick('*/*;q=1, text/*;q=0.2'), 'json');
});

test('q=0 means not acceptable', () => {
  assert.is(pick('application/json;q=0'), 'json', 'not strict: the default');
  assert.is(pick('application/json;q=0', all, true), null);
  assert.is(pick('*/*;q=0', all, true), null);
});

test('nothing acceptable: null when strict, else the default', () => {
  assert.is(pick('image/png', all, true), null);
  assert.is(pick('image/png', all, false), 'json');
  assert.is(pick('image/*, audio/ogg', [TEXT_S, HTML_S], false), 'text');
});

test('q outside [0, 1] is clamped; an unreadable q counts as 0', () => {
  assert.is(pick('text/html;q=5, application/json;q=0.9'), 'html');
  assert.is(pick('text/html;q=-1, application/json;q=0.1'), 'json');
  assert.is(pick('text/html;q=abc', all, true), null);
  assert.is(pick('text/html;q=abc, text/plain;q=0.01'), 'text');
});

test('malformed ranges are skipped; if none is left, the default', () => {
  assert.is(pick('garbage, text/html'), 'html');
  assert.is(pick('/, text/, /html, text/plain'), 'text');
  assert.is(pick('nonsense', all, true), 'json');
  assert.is(pick(',,,', all, true), 'json');
  assert.is(pick('text/html;notq, text/plain;q=0.5'), 'html', 'a parameter other than q changes nothing');
});

test('no candidates: null', () => {
  assert.is(negotiate('text/html', [], true), null);
  assert.is(negotiate(undefined, [], false), null);
});

test.run();
