// Request: what a handler sees of a parsed head. Headers by name, path, query, body, signal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pathOf, Request, type RequestOrigin } from '../../lib/request.js';
import { RequestBody } from '../../lib/request-body.js';
import type { RequestHead } from '../../lib/request-rules.js';
import { requestHead } from '../helpers/fixtures.js';

const origin: RequestOrigin = { id: 7, remoteAddress: () => '192.0.2.1', remotePort: () => 54321, encrypted: () => false, rawSocket: () => null };

function make(target: string, rawHeaders: string[] = ['Host', 'a'], fields: Partial<RequestHead> = {}, body: RequestBody | null = null): Request {
  const head = requestHead(rawHeaders, { target, ...fields });
  return new Request(head, origin, 3, body);
}

test('identity: id is connection.sequence, method, target, version, peer', () => {
  const req = make('/x?y', ['Host', 'a'], { method: 'POST' });
  assert.is(req.id, '7.3');
  assert.is(req.method, 'POST');
  assert.is(req.target, '/x?y');
  assert.is(req.httpVersion, '1.1');
  assert.is(make('/', [], { versionMinor: 0 }).httpVersion, '1.0');
  assert.is(req.remoteAddress, '192.0.2.1');
  assert.is(req.remotePort, 54321);
  assert.equal(req.params, {});
  assert.is(req.timings, null);
});

test('rawHeaders are exactly what arrived', () => {
  const raw = ['Host', 'a', 'X-A', '1', 'x-a', '2'];
  assert.equal(make('/', raw).rawHeaders, raw);
});

test('headers: lower-case names; repeated fields joined with ", " (RFC 9110 §5.3)', () => {
  const req = make('/', ['Host', 'a', 'Accept', 'text/html', 'ACCEPT', 'application/json', 'X-Empty', '', 'x-empty', 'v']);
  assert.equal({ ...req.headers }, { host: 'a', accept: 'text/html, application/json', 'x-empty': ', v' });
  assert.is(req.headers, req.headers, 'built once');
});

test('headers: Cookie fields are joined with "; " (RFC 6265 §5.4)', () => {
  const req = make('/', ['Host', 'a', 'Cookie', 'a=1', 'cookie', 'b=2']);
  assert.is(req.headers.cookie, 'a=1; b=2');
});

test('headers: names that are Object.prototype keys are plain entries', () => {
  const req = make('/', ['Host', 'a', '__proto__', 'x', 'constructor', 'y']);
  assert.is(req.headers['__proto__'], 'x');
  assert.is(req.headers['constructor'], 'y');
  assert.is(req.headers['toString'], undefined);
  assert.is(req.header('toString'), undefined);
});

test('header(name): any case, undefined when absent, repeated fields joined', () => {
  const req = make('/', ['Host', 'a', 'X-Multi', '1', 'x-multi', '2', 'Content-Type', 'text/plain']);
  assert.is(req.header('content-type'), 'text/plain');
  assert.is(req.header('CONTENT-TYPE'), 'text/plain');
  assert.is(req.header('x-multi'), '1, 2');
  assert.is(req.header('missing'), undefined);
  assert.is(req.header('Content-Typ'), undefined);
  assert.is(req.header(''), undefined);
});

test('header(name) agrees with headers, before and after the map is built', () => {
  const raw = ['Host', 'a', 'X-Multi', '1', 'x-multi', '2', 'Accept', '*/*', 'Empty', ''];
  const before = make('/', raw);
  const names = ['host', 'X-MULTI', 'accept', 'empty', 'nope'];
  const early = names.map((n) => before.header(n));
  const map = before.headers;
  assert.equal(early, names.map((n) => map[n.toLowerCase()]));
  assert.equal(names.map((n) => before.header(n)), early);
  // Repeated Cookie fields join with "; " (RFC 6265 §5.4) whether or not the map was built.
  assert.is(make('/', ['Cookie', 'a=1', 'Cookie', 'b=2']).header('cookie'), 'a=1; b=2');
});

test('path: the target without query or fragment', () => {
  const cases: [string, string][] = [
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/a/b?c=d', '/a/b'],
    ['/a?', '/a'],
    ['/a#frag', '/a'],
    ['/a?x#y', '/a'],
    ['/%20space', '/%20space'],
    ['//double', '//double'],
    ['*', '*'],
    ['http://example.com', '/'],
    ['http://example.com/', '/'],
    ['http://example.com?q=1', '/'],
    ['http://example.com#f', '/'],
    ['http://example.com:8080/p/q?r', '/p/q'],
    ['HTTPS://user@host/x', '/x'],
    ['not-a-target', 'not-a-target'],
  ];
  for (const [target, path] of cases) {
    assert.is(pathOf(target), path, target);
    assert.is(make(target).path, path, target);
  }
});

test('search and query: the part after "?" and before "#"', () => {
  const req = make('/s?a=1&b=two%20words&a=3&c=x+y#frag');
  assert.is(req.search, 'a=1&b=two%20words&a=3&c=x+y');
  assert.equal(req.query.getAll('a'), ['1', '3']);
  assert.is(req.query.get('b'), 'two words');
  assert.is(req.query.get('c'), 'x y');
  assert.is(req.query, req.query, 'parsed once');
  assert.is(make('/none').search, '');
  assert.is(make('/none').query.toString(), '');
  assert.is(make('/empty?').search, '');
  assert.is(make('http://h/p?k=v').query.get('k'), 'v');
  assert.is(make('/q?x=1#a?b').search, 'x=1');
});

test('body: an empty, ended body when the request has none', async () => {
  const req = make('/');
  assert.is(req.trailers, null);
  assert.is(req.body.complete, true);
  assert.is(req.body, req.body);
  assert.is(await req.body.text(), '');
});

test('body and trailers come from the RequestBody', async () => {
  const body = new RequestBody(null, 1024);
  const req = make('/', ['Host', 'a'], {}, body);
  assert.is(req.body, body);
  assert.is(req.trailers, null);
  body.push(Buffer.from('data'));
  body.end(['Checksum', 'x']);
  assert.is(await req.body.text(), 'data');
  assert.equal(req.trailers, ['Checksum', 'x']);
});

test('signal: aborted with the reason when the connection goes away', () => {
  const req = make('/');
  const signal = req.signal;
  assert.is(signal, req.signal);
  assert.is(signal.aborted, false);
  const reason = new Error('client left');
  req.abortWith(reason);
  assert.is(signal.aborted, true);
  assert.is(signal.reason, reason);
  req.abortWith(new Error('again')); // only the first reason counts
  assert.is(signal.reason, reason);
});

test('abortWith fails a body that is being read', async () => {
  const body = new RequestBody(null, 1024);
  const req = make('/', ['Host', 'a'], {}, body);
  const reading = req.body.text();
  const reason = new Error('gone');
  req.abortWith(reason);
  try {
    await reading;
    assert.unreachable('the read should fail');
  } catch (error) {
    assert.is(error, reason);
  }
  // A signal first asked for after the client left is already aborted.
  assert.is(req.signal.aborted, true);
});

test.run();
