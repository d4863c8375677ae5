// HeadFields: a head's fields as one string plus offsets, strings made only when asked. Tested on heads the
// real parser produced (whole and cut into pieces) and on heads made from strings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HeadFields } from '../../lib/head-fields.js';
import { RequestParser, type RequestHead } from '../../lib/parser.js';
import { LIMITS } from './parse-driver.js';

/** Parses `text` fed in pieces of `step` bytes; returns the one head. */
function parse(text: string, step = text.length): RequestHead {
  const parser = new RequestParser(LIMITS);
  let head: RequestHead | null = null;
  parser.bind({ onHead: (h) => (head = h), onBody: () => undefined, onMessageEnd: () => undefined });
  const bytes = Buffer.from(text, 'latin1');
  for (let at = 0; at < bytes.length; at += step) parser.execute(bytes.subarray(at, at + step), 0, 100);
  assert.ok(head !== null, 'a head');
  return head;
}

const REQUEST = 'GET /a HTTP/1.1\r\nHost: example.com\r\nX-Long-Name: one \t\r\ncookie: a=1\r\nEmpty:\r\nCOOKIE: b=2\r\n\r\n';

test('offsets give every name and value as sent (values trimmed), whole or cut at every byte', () => {
  for (const step of [REQUEST.length, 1, 2, 3, 7]) {
    const fields = parse(REQUEST, step).fields;
    assert.is(fields.count, 5, `step ${step}`);
    assert.equal(fields.raw(), ['Host', 'example.com', 'X-Long-Name', 'one', 'cookie', 'a=1', 'Empty', '', 'COOKIE', 'b=2'], `step ${step}`);
    assert.is(fields.name(1), 'X-Long-Name');
    assert.is(fields.value(1), 'one');
  }
});

test('get: any case, absent → undefined, repeats joined (Cookie with "; ")', () => {
  const fields = parse(REQUEST, 3).fields;
  assert.is(fields.get('HOST'), 'example.com');
  assert.is(fields.get('x-long-name'), 'one');
  assert.is(fields.get('Cookie'), 'a=1; b=2');
  assert.is(fields.get('empty'), '');
  assert.is(fields.get('missing'), undefined);
  assert.is(fields.get('hos'), undefined, 'a prefix is not a match');
  const repeated = HeadFields.fromRaw(['Accept', 'a', 'accept', 'b']);
  assert.is(repeated.get('ACCEPT'), 'a, b');
});

test('nameIs folds A–Z only: "^" and "~" stay different', () => {
  const fields = HeadFields.fromRaw(['X^Y', '1', 'Content-Type', '2']);
  assert.ok(fields.nameIs(0, 'x^y'));
  assert.not.ok(fields.nameIs(0, 'x~y'));
  assert.ok(fields.nameIs(1, 'CONTENT-TYPE'));
  assert.not.ok(fields.nameIs(1, 'content-typ'));
});

test('raw() is made once and kept; fromRaw keeps the strings it was given', () => {
  const fields = parse(REQUEST).fields;
  assert.is(fields.raw(), fields.raw());
  const raw = ['A', '1'];
  assert.is(HeadFields.fromRaw(raw).raw(), raw);
  assert.equal(HeadFields.fromRaw([]).raw(), []);
});

test.run();
