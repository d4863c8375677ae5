// reply() and isResult(): what counts as a Result rather than a body.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isResult, reply } from '../../lib/result.js';

test('reply() makes a result with the given status, body and headers', () => {
  const r = reply(201, { id: 1 }, { location: '/items/1' });
  assert.is(r.status, 201);
  assert.equal(r.body, { id: 1 });
  assert.equal(r.headers, { location: '/items/1' });
  assert.ok(isResult(r));
});

test('reply() results stay results even with keys of their own or no body', () => {
  const r = reply(204);
  assert.ok(isResult(r));
  assert.is(r.body, undefined);
  const extended = Object.assign(reply(200, 'x'), { extra: true });
  assert.ok(isResult(extended));
});

test('a plain object of result keys only, with a numeric status or a body, is a result', () => {
  assert.ok(isResult({ status: 200 }));
  assert.ok(isResult({ status: 404, body: 'nope', headers: { a: 'b' } }));
  assert.ok(isResult({ status: 200, body: null, serializer: undefined, length: 3, trailers: {} }));
  // status may be left out (it defaults to 200) when there is a body.
  assert.ok(isResult({ body: 'no status', headers: { 'x-a': '1' } }));
  assert.ok(isResult({ status: undefined, body: 1 }));
  // Without status or body it is data that happens to use a result key's name.
  assert.not.ok(isResult({ headers: { 'x-a': '1' } }));
  assert.not.ok(isResult({ length: 3 }));
  const bare = Object.create(null) as Record<string, unknown>;
  bare.status = 302;
  assert.ok(isResult(bare));
});

test('anything else is a body', () => {
  const values: unknown[] = [
    undefined,
    null,
    200,
    'status',
    [200],
    {},
    Object.create(null),
    { status: '200' },
    { status: 'ok', body: 'x' },
    { status: null },
    { id: 1 },
    { status: 200, extra: 1 },
    { body: 'x', Status: 1 },
    new (class { status = 200; })(),
    new Date(),
    new Map([['status', 200]]),
    Buffer.from('x'),
    () => 200,
  ];
  for (const value of values) assert.is(isResult(value), false, String(JSON.stringify(value)));
});

test('inherited keys do not make an object a result', () => {
  const proto = { status: 200 };
  assert.is(isResult(Object.create(proto)), false);
});

test.run();
