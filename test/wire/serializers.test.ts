// Serializers as a client meets them: every serializer of the demo's /orders gives the same value; Accept
// picks among several (q-values honoured), strict negotiation answers 406; a MessagePack plug-in is a few
// lines; serializer failures are a 500 with a stable code before any byte is written; a streaming serializer
// that fails midway resets the connection (never a body that looks complete); html`` streams, escaped.
import { pack, unpack } from 'msgpackr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { json } from '../../lib/serializers/json.js';
import { jsonArray } from '../../lib/serializers/json-array.js';
import { html } from '../../lib/serializers/html.js';
import { schemaJson } from '../../lib/serializers/schema-json.js';
import type { Serializer } from '../../lib/serializers/serializer.js';
import { Conversation, talk } from '../helpers/exact.js';
import { parseResponses } from '../helpers/response-parser.js';
import { start, startDemo } from '../helpers/server.js';

const msgpack: Serializer = { name: 'msgpack', contentType: 'application/msgpack', serialize: (value) => pack(value) };

test('the same orders through every serializer parse to the same value', async () => {
  const demo = await startDemo();
  try {
    for (const rows of [0, 1, 50, 3000]) {
      const bodies = new Map<string, unknown>();
      for (const serializer of ['json', 'schema', 'array', 'ndjson']) {
        const res = await fetch(`${demo.url}/orders?rows=${rows}&serializer=${serializer}`);
        assert.is(res.status, 200);
        const text = await res.text();
        const value = serializer === 'ndjson' ? text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) : JSON.parse(text);
        bodies.set(serializer, value);
        assert.is(res.headers.get('content-type'), serializer === 'ndjson' ? 'application/x-ndjson' : 'application/json');
        // Whole serializers know their length; streaming ones are chunked.
        assert.is(res.headers.get('transfer-encoding'), serializer === 'array' || serializer === 'ndjson' ? 'chunked' : null);
      }
      const reference = bodies.get('json');
      assert.is((reference as unknown[]).length, rows);
      for (const [name, value] of bodies) assert.equal(value, reference, `${name} at ${rows} rows`);
    }
    const bad = await fetch(`${demo.url}/orders?serializer=xml`);
    assert.is(bad.status, 400);
  } finally {
    await demo.close();
  }
});

test('Accept picks among several serializers, q-values honoured; no match falls back to the first', async () => {
  const server = await start(() => ({ n: 1, list: [1, 2] }), { serializers: [json(), msgpack] });
  try {
    const ask = async (accept: string | undefined): Promise<Response> =>
      fetch(`${server.url}/`, { headers: accept === undefined ? {} : { accept } });
    let res = await ask('application/msgpack');
    assert.is(res.headers.get('content-type'), 'application/msgpack');
    assert.equal(unpack(Buffer.from(await res.arrayBuffer())), { n: 1, list: [1, 2] });
    res = await ask('application/json;q=0.5, application/msgpack;q=0.9');
    assert.is(res.headers.get('content-type'), 'application/msgpack');
    res = await ask('application/msgpack;q=0.1, application/*;q=0.8');
    assert.is(res.headers.get('content-type'), 'application/json'); // application/* matches json at 0.8
    res = await ask('application/msgpack;q=0, */*');
    assert.is(res.headers.get('content-type'), 'application/json');
    res = await ask(undefined);
    assert.is(res.headers.get('content-type'), 'application/json');
    res = await ask('text/html');
    assert.is(res.status, 200);
    assert.equal(await res.json(), { n: 1, list: [1, 2] });
  } finally {
    await server.close();
  }
});

test('strictAccept: nothing acceptable is a 406 with a JSON error, and the connection lives on', async () => {
  const server = await start(() => ({ ok: true }), { serializers: [json(), msgpack], strictAccept: true });
  try {
    const result = await talk(server.port, 'GET / HTTP/1.1\r\nHost: h\r\nAccept: text/html\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n', { responses: 2 });
    assert.equal(result.responses.map((r) => r.status), [406, 200]);
    assert.match(result.text, /"code":"H1W_NOT_ACCEPTABLE"/);
    assert.not.ok(result.closed);
  } finally {
    await server.close();
  }
});

test('serializer failures are a 500 with H1W_SERIALIZE_FAILED, before any byte; the connection lives on', async () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const strict = schemaJson({ type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] });
  const failing: Serializer = { name: 'boom', contentType: 'application/x-boom', serialize: () => { throw new Error('no'); } };
  const server = await start((req) => {
    switch (req.path) {
      case '/circular': return circular;
      case '/bigint': return { n: 10n };
      case '/schema': return { body: { name: 'no id' }, serializer: strict };
      case '/custom': return { body: 1, serializer: failing };
      default: return { ok: true };
    }
  });
  try {
    for (const path of ['/circular', '/bigint', '/schema', '/custom']) {
      const result = await talk(server.port, `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n`, { responses: 2 });
      assert.equal(result.responses.map((r) => r.status), [500, 200], path);
      assert.match(result.text, /^HTTP\/1\.1 500 Internal Server Error\r\nContent-Type: application\/json\r\n/);
      assert.match(result.text, /"code":"H1W_SERIALIZE_FAILED"/, path);
      assert.not.match(result.text, /no id|10n|boom/, 'internal details stay out of 5xx bodies');
    }
  } finally {
    await server.close();
  }
});

test('a streaming serializer that fails midway resets the connection; the body never looks complete', async () => {
  const items = Array.from({ length: 4000 }, (_, i) => (i === 3500 ? { bad: 1n } : { i, pad: 'x'.repeat(20) }));
  const server = await start(() => ({ body: items, serializer: jsonArray({ sliceBytes: 4096 }) }));
  try {
    const result = await talk(server.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', { untilClose: true });
    assert.match(result.text, /^HTTP\/1\.1 200 OK\r\n[^]*Transfer-Encoding: chunked\r\n/);
    assert.ok(result.closed);
    assert.not.ok(result.text.endsWith('0\r\n\r\n'), 'the chunked body must not be terminated');
  } finally {
    await server.close();
  }
});

test('html`` streams: the head leaves before the slow part, values are escaped, fragments are not', async () => {
  let release: () => void = () => {};
  const slow = new Promise<string>((resolve) => (release = () => resolve('<done & dusted>')));
  const server = await start(() => html`<h1>${'Tom & "Jerry"'}</h1>${html`<p>${[1, 2].map((n) => html`<i>${n}</i>`)}</p>`}<footer>${slow}</footer>`);
  const conversation = await Conversation.open(server.port);
  try {
    await conversation.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    // Everything before the slow value arrives while it is still pending.
    const early = await conversation.until((t) => t.includes('</p>'), 2000, 'the fast part');
    assert.match(early, /Content-Type: text\/html; charset=utf-8\r\n/);
    assert.not.match(early, /footer>&lt;done/);
    release();
    await conversation.until((t) => t.endsWith('0\r\n\r\n'), 2000, 'the end');
    const parsed = parseResponses(conversation.bytes(), () => false, false);
    assert.is(parsed.error, null);
    const body = parsed.finals[0]?.body.toString('latin1');
    assert.is(body, '<h1>Tom &amp; &quot;Jerry&quot;</h1><p><i>1</i><i>2</i></p><footer>&lt;done &amp; dusted&gt;</footer>');
  } finally {
    conversation.destroy();
    await server.close();
  }
});

test.run();
