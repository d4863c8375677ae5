// The router: METHOD /path keys, :params, HEAD via GET, OPTIONS from the table, 404, 405 with Allow, per-route
// serializers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpError } from '../../lib/errors.js';
import { Request } from '../../lib/request.js';
import { reply, type Result } from '../../lib/result.js';
import { HANDLED_METHODS } from '../../lib/request-rules.js';
import { router } from '../../lib/router.js';
import { HeadFields } from '../../lib/head-fields.js';
import { json } from '../../lib/serializers/json.js';
import { text } from '../../lib/serializers/text.js';

const origin = { id: 1, remoteAddress: () => '::1', remotePort: () => 1, secure: () => false, rawSocket: () => null };

function req(method: string, target: string): Request {
  return new Request(
    { method, target, versionMajor: 1, versionMinor: 1, fields: HeadFields.fromRaw(['Host', 'a']), keepAlive: true, contentLength: -1, chunked: false, expectContinue: false, unknownExpectation: null, upgrade: null },
    origin,
    1,
    null,
  );
}

function fails(fn: () => unknown, status: number): HttpError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HttpError);
    assert.is(error.status, status);
    return error;
  }
  assert.unreachable(`expected ${status}`);
  throw new Error('unreachable');
}

const handle = router({
  'GET /': () => 'home',
  'GET /items': () => 'list',
  'POST /items': () => 'created',
  'GET /items/:id': (r) => `item ${r.params.id}`,
  'DELETE /items/:id': (r) => `deleted ${r.params.id}`,
  'GET /a/:x/b/:y': (r) => `${r.params.x}-${r.params.y}`,
  'get /lower': () => 'method names are upper-cased',
  '/any': (r) => `any ${r.method}`,
  'PUT  /spaced ': () => 'trimmed',
});

test('exact paths and methods', () => {
  assert.is(handle(req('GET', '/')), 'home');
  assert.is(handle(req('GET', '/items')), 'list');
  assert.is(handle(req('POST', '/items')), 'created');
  assert.is(handle(req('GET', '/lower')), 'method names are upper-cased');
  assert.is(handle(req('PUT', '/spaced')), 'trimmed');
});

test('the query is not part of the path; absolute-form targets route by their path', () => {
  assert.is(handle(req('GET', '/items?page=2')), 'list');
  assert.is(handle(req('GET', 'http://example.com/items/9?x')), 'item 9');
});

test(':name segments become params', () => {
  const r = req('GET', '/items/42');
  assert.is(handle(r), 'item 42');
  assert.equal(r.params, { id: '42' });
  assert.is(handle(req('GET', '/a/1/b/2')), '1-2');
  assert.is(handle(req('DELETE', '/items/x')), 'deleted x');
});

const EVERY = HANDLED_METHODS.join(', ');

test('a route without a method takes every method but OPTIONS, which lists them all in Allow (RFC 9110 §9.3.7)', () => {
  for (const m of HANDLED_METHODS) if (m !== 'OPTIONS') assert.is(handle(req(m, '/any')), `any ${m}`);
  assert.equal(handle(req('OPTIONS', '/any')), { status: 204, headers: { Allow: EVERY } });
  // A route that names OPTIONS still gets it.
  const own = router({ '/x': () => 'any', 'OPTIONS /x': () => 'mine' });
  assert.is(own(req('OPTIONS', '/x')), 'mine');
  assert.is(own(req('PUT', '/x')), 'any');
  // With parameters too.
  const param = router({ '/p/:id': (r) => `p ${r.params.id}` });
  assert.is(param(req('DELETE', '/p/3')), 'p 3');
  assert.equal(param(req('OPTIONS', '/p/3')), { status: 204, headers: { Allow: EVERY } });
});

test('HANDLED_METHODS are exactly the methods that reach a handler: sorted, with OPTIONS, without CONNECT and PRI', () => {
  assert.equal([...HANDLED_METHODS], [...HANDLED_METHODS].sort());
  for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'QUERY', 'PROPFIND']) assert.ok(HANDLED_METHODS.includes(m), m);
  assert.not.ok(HANDLED_METHODS.includes('CONNECT'));
  assert.not.ok(HANDLED_METHODS.includes('PRI'));
});

test('HEAD is served by the GET route', () => {
  assert.is(handle(req('HEAD', '/items')), 'list');
  const r = req('HEAD', '/items/7');
  assert.is(handle(r), 'item 7');
  assert.equal(r.params, { id: '7' });
});

test('an explicit HEAD route wins over GET', () => {
  const h = router({ 'GET /x': () => 'get', 'HEAD /x': () => 'head' });
  assert.is(h(req('HEAD', '/x')), 'head');
});

test('404 for an unknown path', () => {
  const e = fails(() => handle(req('GET', '/nope')), 404);
  assert.is(e.code, 'H1W_NOT_FOUND');
  fails(() => handle(req('GET', '/items/1/extra')), 404);
  fails(() => handle(req('GET', '/a/1/b')), 404);
  fails(() => handle(req('GET', '/a/1/c/2')), 404); // right length, a fixed segment differs
});

test('405 with Allow listing the path\'s methods (HEAD with GET, OPTIONS always), sorted (RFC 9110 §15.5.6)', () => {
  const e = fails(() => handle(req('PUT', '/items')), 405);
  assert.is(e.code, 'H1W_METHOD_NOT_ALLOWED');
  assert.equal(e.headers, { Allow: 'GET, HEAD, OPTIONS, POST' });
  assert.is(e.closesConnection, false);
  const e2 = fails(() => handle(req('POST', '/items/3')), 405);
  assert.equal(e2.headers, { Allow: 'DELETE, GET, HEAD, OPTIONS' });
  const onlyPost = router({ 'POST /p': () => 1 });
  assert.equal(fails(() => onlyPost(req('GET', '/p')), 405).headers, { Allow: 'OPTIONS, POST' });
  assert.equal(fails(() => onlyPost(req('HEAD', '/p')), 405).headers, { Allow: 'OPTIONS, POST' });
});

test('OPTIONS: 204 with the path\'s Allow; OPTIONS * with every method the table takes; a route of its own wins', () => {
  assert.equal(handle(req('OPTIONS', '/items')), { status: 204, headers: { Allow: 'GET, HEAD, OPTIONS, POST' } });
  assert.equal(handle(req('OPTIONS', '/items/9')), { status: 204, headers: { Allow: 'DELETE, GET, HEAD, OPTIONS' } });
  assert.equal(handle(req('OPTIONS', '/')), { status: 204, headers: { Allow: 'GET, HEAD, OPTIONS' } });
  fails(() => handle(req('OPTIONS', '/nowhere')), 404);
  // The "any method" route in the table takes every method there is; so the server as a whole does.
  assert.equal(handle(req('OPTIONS', '*')), { status: 204, headers: { Allow: EVERY } });
  const own = router({ 'GET /x': () => 'x', 'OPTIONS /x': () => 'mine', 'GET /:p': () => 'p' });
  assert.is(own(req('OPTIONS', '/x')), 'mine');
  assert.equal(own(req('OPTIONS', '*')), { status: 204, headers: { Allow: 'GET, HEAD, OPTIONS' } });
});

test('a route without parameters wins over one with them, whatever their order; among patterns the first wins', () => {
  const h = router({ 'GET /x/:id': () => 'param', 'GET /x/fixed': () => 'fixed', 'GET /x/:other': () => 'second' });
  assert.is(h(req('GET', '/x/fixed')), 'fixed');
  assert.is(h(req('GET', '/x/7')), 'param');
  assert.is(h(req('GET', '//x//fixed/')), 'fixed'); // empty segments do not count
});

test('a path that does not start with / is refused when the table is made', () => {
  assert.throws(() => router({ 'GET items': () => 1 }), TypeError);
  assert.throws(() => router({ items: () => 1 }), TypeError);
});

test('a route serializer wraps plain values, fills results that name none, and keeps those that do', async () => {
  const t = text();
  const j = json();
  const h = router({
    'GET /plain': [() => ({ a: 1 }), { serializer: t }],
    'GET /result': [() => reply(201, 'x'), { serializer: t }],
    'GET /own': [() => ({ status: 200, body: 1, serializer: j }), { serializer: t }],
    'GET /none': [() => undefined, { serializer: t }],
    'GET /async': [async () => [1, 2], { serializer: t }],
    'GET /bare': [() => 'no serializer', {}],
  });
  const plain = h(req('GET', '/plain')) as Result;
  assert.equal(plain, { status: 200, body: { a: 1 }, serializer: t });
  const result = h(req('GET', '/result')) as Result;
  assert.is(result.status, 201);
  assert.is(result.serializer, t);
  assert.is((h(req('GET', '/own')) as Result).serializer, j);
  assert.equal(h(req('GET', '/none')), { status: 204 });
  const later = h(req('GET', '/async'));
  assert.ok(later instanceof Promise);
  assert.equal(await later, { status: 200, body: [1, 2], serializer: t });
  assert.is(h(req('GET', '/bare')), 'no serializer');
});

test('handler errors pass through the router untouched', () => {
  const boom = new Error('boom');
  const h = router({ 'GET /x': () => { throw boom; } });
  try {
    h(req('GET', '/x'));
    assert.unreachable();
  } catch (error) {
    assert.is(error, boom);
  }
});

test.run();
