// The serializers h1wire ships (json, text, bytes, schemaJson, html, jsonArray, ndjson) and checkSerializer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytes } from '../../lib/serializers/bytes.js';
import { escapeHtml, html, Html, unsafeHtml } from '../../lib/serializers/html.js';
import { jsonArray } from '../../lib/serializers/json-array.js';
import { json } from '../../lib/serializers/json.js';
import { ndjson } from '../../lib/serializers/ndjson.js';
import { schemaJson } from '../../lib/serializers/schema-json.js';
import { checkSerializer, type Chunk, type Serializer } from '../../lib/serializers/serializer.js';
import { text } from '../../lib/serializers/text.js';
import { rejects } from '../helpers/fixtures.js';

function whole(s: Serializer, value: unknown): Chunk {
  assert.type(s.serialize, 'function');
  return (s.serialize as (v: unknown) => Chunk)(value);
}

async function streamed(s: Serializer, value: unknown): Promise<string[]> {
  assert.type(s.stream, 'function');
  const out: string[] = [];
  for await (const chunk of (s.stream as (v: unknown) => AsyncIterable<Chunk>)(value)) out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
  return out;
}


test('json: JSON.stringify, application/json', () => {
  const s = json();
  assert.is(s.name, 'json');
  assert.is(s.contentType, 'application/json');
  assert.is(whole(s, { a: [1, 'é', null] }), '{"a":[1,"é",null]}');
  assert.is(whole(s, null), 'null');
  assert.is(whole(s, 'str'), '"str"');
  assert.is(whole(s, { d: new Date(0) }), '{"d":"1970-01-01T00:00:00.000Z"}');
});

test('json: values with no JSON throw', () => {
  const s = json();
  for (const v of [undefined, () => 1, Symbol('x')]) assert.throws(() => whole(s, v), TypeError);
  assert.throws(() => whole(s, { n: 1n }), TypeError);
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  assert.throws(() => whole(s, cyclic), TypeError);
});

test('json: replacer and space', () => {
  const s = json({ replacer: (key, value) => (key === 'secret' ? undefined : value), space: 2 });
  assert.is(whole(s, { a: 1, secret: 'x' }), '{\n  "a": 1\n}');
});

test('text: strings as they are, anything else through String()', () => {
  const s = text();
  assert.is(s.name, 'text');
  assert.is(s.contentType, 'text/plain; charset=utf-8');
  assert.is(whole(s, 'héllo'), 'héllo');
  assert.is(whole(s, 42), '42');
  assert.is(whole(s, null), 'null');
  assert.is(whole(s, { toString: () => 'custom' }), 'custom');
  assert.is(text('text/csv').contentType, 'text/csv');
});

test('bytes: Uint8Array, ArrayBuffer and views of exactly their bytes', () => {
  const s = bytes();
  assert.is(s.contentType, 'application/octet-stream');
  assert.is(bytes('image/png').contentType, 'image/png');
  const u8 = new Uint8Array([1, 2, 3]);
  assert.is(whole(s, u8), u8);
  const buf = Buffer.from('abc');
  assert.is(whole(s, buf), buf);
  assert.equal([...(whole(s, new Uint8Array([9, 8]).buffer) as Uint8Array)], [9, 8]);
  // A view into the middle of a larger buffer: only the view's bytes.
  const backing = new ArrayBuffer(8);
  new Uint8Array(backing).set([0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal([...(whole(s, new DataView(backing, 2, 3)) as Uint8Array)], [2, 3, 4]);
  const u16 = new Uint16Array(backing, 4, 2);
  assert.equal([...(whole(s, u16) as Uint8Array)], [4, 5, 6, 7]);
  for (const v of ['string', 1, null, [1, 2], {}]) assert.throws(() => whole(s, v), TypeError);
});

test('schemaJson: output follows the schema', () => {
  const s = schemaJson({
    type: 'object',
    properties: { id: { type: 'integer' }, name: { type: 'string' } },
    required: ['id'],
  });
  assert.is(s.name, 'schema-json');
  assert.is(s.contentType, 'application/json');
  const out = whole(s, { id: 3, name: 'a"b', extra: 'dropped' }) as string;
  assert.equal(JSON.parse(out), { id: 3, name: 'a"b' });
  assert.throws(() => whole(s, { name: 'no id' }));
  assert.is(schemaJson({ type: 'array', items: { type: 'number' } }, 'nums').name, 'nums');
  assert.is(whole(schemaJson({ type: 'array', items: { type: 'number' } }), [1, 2.5]), '[1,2.5]');
});

test('checkSerializer: a name, a printable content type, and serialize() or stream()', () => {
  const ok: Serializer = { name: 'x', contentType: 'a/b; q="1"', serialize: () => '' };
  assert.is(checkSerializer(ok), ok);
  const streaming: Serializer = { name: 'y', contentType: 'a/b', async *stream() {} };
  assert.is(checkSerializer(streaming), streaming);
  const bad: unknown[] = [
    null,
    'json',
    { contentType: 'a/b', serialize: () => '' },
    { name: '', contentType: 'a/b', serialize: () => '' },
    { name: 'x', serialize: () => '' },
    { name: 'x', contentType: '', serialize: () => '' },
    { name: 'x', contentType: 'a/b\r\nX: y', serialize: () => '' },
    { name: 'x', contentType: 'a/b\u20ac', serialize: () => '' },
    { name: 'x', contentType: 'a/b' },
    { name: 'x', contentType: 'a/b', serialize: 'no' },
  ];
  for (const s of bad) assert.throws(() => checkSerializer(s as Serializer), TypeError, JSON.stringify(s));
});

test('html: escapes values, keeps nested fragments, renders arrays, numbers, booleans and nothing', async () => {
  assert.is(escapeHtml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  const inner = html`<i>${'<in>'}</i>`;
  const page = html`<p>${'a & b'}</p>${inner}${[1, ' ', true, null, undefined, false, html`<br>`]}${unsafeHtml('<hr>')}`;
  assert.ok(page instanceof Html);
  const chunks = await streamed(html(), page);
  assert.is(chunks.join(''), '<p>a &amp; b</p><i>&lt;in&gt;</i>1 true<br><hr>');
});

test('html: promises and async iterables are awaited in place, text before them goes out first', async () => {
  async function* rows(): AsyncGenerator<unknown> {
    yield html`<li>${'one'}</li>`;
    yield 'two<';
  }
  const page = html`<ul>${rows()}</ul>${Promise.resolve('done')}`;
  const chunks = await streamed(html(), page);
  assert.is(chunks.join(''), '<ul><li>one</li>two&lt;</ul>done');
  assert.is(chunks[0], '<ul>', 'the head leaves before the slow part');
});

test('html(): the serializer renders any other value as one escaped text', async () => {
  const s = html();
  assert.is(s.name, 'html');
  assert.is(s.contentType, 'text/html; charset=utf-8');
  assert.is((await streamed(s, '<x>')).join(''), '&lt;x&gt;');
  assert.is((await streamed(s, 5)).join(''), '5');
  assert.is((await streamed(s, { toString: () => '"o"' })).join(''), '&quot;o&quot;');
  assert.equal(await streamed(s, null), []);
});

test('jsonArray: the same JSON as JSON.stringify, in slices', async () => {
  const rows = Array.from({ length: 50 }, (_, i) => ({ i, s: 'x'.repeat(i) }));
  const s = jsonArray({ sliceBytes: 100 });
  assert.is(s.contentType, 'application/json');
  const chunks = await streamed(s, rows);
  assert.is(chunks.join(''), JSON.stringify(rows));
  assert.ok(chunks.length > 5, 'sliced');
  assert.equal(await streamed(jsonArray(), []), ['[]']);
  assert.is((await streamed(jsonArray(), [1, undefined, 'a'])).join(''), JSON.stringify([1, undefined, 'a']));
});

test('jsonArray: an async source (rows made as they are asked for) gives the same JSON, in slices', async () => {
  const rows = Array.from({ length: 40 }, (_, i) => ({ i, s: 'y'.repeat(i) }));
  let made = 0;
  async function* source(): AsyncGenerator<unknown> {
    for (const row of rows) {
      await new Promise((r) => setImmediate(r)); // a database driver's turn
      made++;
      yield row;
    }
  }
  const chunks: string[] = [];
  const iterator = (jsonArray({ sliceBytes: 100 }).stream as (v: unknown) => AsyncIterable<Chunk>)(source())[Symbol.asyncIterator]();
  const first = await iterator.next();
  chunks.push(first.value as string);
  assert.ok(made < rows.length, 'the first slice leaves before the source is drained');
  for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) chunks.push(r.value as string);
  assert.is(chunks.join(''), JSON.stringify(rows));
  assert.ok(chunks.length > 5, 'sliced');
  async function* none(): AsyncGenerator<unknown> {}
  assert.equal(await streamed(jsonArray(), none()), ['[]']);
});

test('jsonArray: an item serializer; non-arrays and unserializable items fail', async () => {
  const item = schemaJson({ type: 'object', properties: { id: { type: 'integer' } } });
  assert.is((await streamed(jsonArray({ item }), [{ id: 1, x: 2 }])).join(''), '[{"id":1}]');
  assert.ok((await rejects(streamed(jsonArray(), { not: 'array' }))) instanceof TypeError);
  assert.ok((await rejects(streamed(jsonArray(), [() => 1]))) instanceof TypeError);
});

test('ndjson: one JSON text per line, from arrays, iterables and async iterables', async () => {
  const s = ndjson({ sliceBytes: 10 });
  assert.is(s.contentType, 'application/x-ndjson');
  const items = [{ a: 1 }, 'two', 3, null];
  const chunks = await streamed(s, items);
  assert.is(chunks.join(''), '{"a":1}\n"two"\n3\nnull\n');
  assert.equal(chunks.join('').split('\n').slice(0, -1).map((l) => JSON.parse(l)), items);
  assert.is((await streamed(ndjson(), new Set([1, 2]))).join(''), '1\n2\n');
  async function* gen(): AsyncGenerator<unknown> {
    yield { x: 1 };
    yield [2];
  }
  assert.equal(await streamed(ndjson(), gen()), ['{"x":1}\n', '[2]\n']);
  assert.equal(await streamed(ndjson(), []), []);
});

test('ndjson: non-iterables and unserializable items fail', async () => {
  assert.ok((await rejects(streamed(ndjson(), 42))) instanceof TypeError);
  assert.ok((await rejects(streamed(ndjson(), [undefined]))) instanceof TypeError);
});

test.run();
