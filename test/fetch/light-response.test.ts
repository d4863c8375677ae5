// The light Response (overrideGlobalResponse) on its own: what stays light, what becomes real, and that it
// answers like undici's Response where an app can tell.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LightResponse, lightParts } from '../../lib/fetch-light-response.js';
import { fetchHandler } from '../../lib/fetch-handler.js';
import { inject } from '../../lib/inject.js';

const Light = LightResponse as unknown as typeof Response;

test('string, bytes and null bodies stay light; status, statusText, headers read without a real Response', () => {
  const res = new Light('hi', { status: 201, statusText: 'Made', headers: { 'x-a': '1' } });
  assert.ok(lightParts(res) !== null);
  assert.is(res.status, 201);
  assert.is(res.ok, true);
  assert.is(res.statusText, 'Made');
  assert.is(res.headers.get('x-a'), '1');
  assert.is(res.headers.get('content-type'), 'text/plain;charset=UTF-8', 'as undici gives a string body');
  assert.ok(lightParts(res) !== null, 'still light after reading headers');
  assert.is(new Light(new Uint8Array([1])).headers.get('content-type'), null);
  assert.is(new Light(null, { status: 404 }).ok, false);
});

test('anything else becomes the real Response; instanceof holds both ways', async () => {
  const blob = new Light(new Blob(['b']));
  assert.is(lightParts(blob), null);
  assert.is(await blob.text(), 'b');
  const light = new Light('read me');
  assert.is(await light.text(), 'read me');
  assert.is(lightParts(light), null, 'reading the body made it real');
  assert.is(light.status, 200);
  assert.is(light.statusText, '');
  assert.is(light.headers.get('content-type'), 'text/plain;charset=UTF-8');
  assert.is(light.bodyUsed, true);
  assert.ok(light instanceof Response);
  assert.ok(new Response('x') instanceof LightResponse);
  assert.ok(Light.json({ a: 1 }) instanceof LightResponse);
  assert.throws(() => new Light('x', { status: 99 }), RangeError);
  const cloned = new Light('twice').clone();
  assert.is(await cloned.text(), 'twice');
});

test('through fetchHandler: the light fields as sent, headers as a live Headers object or a record', async () => {
  const Original = globalThis.Response;
  try {
    const handler = fetchHandler(
      (request) => {
        const url = new URL(request.url);
        if (url.pathname === '/live') {
          const res = new Response('live', { headers: [['x-pair', 'p']] });
          res.headers.append('set-cookie', 'a=1');
          res.headers.append('set-cookie', 'b=2');
          return res;
        }
        return new Response(new Uint8Array([104, 105]), { status: 202, statusText: 'Taken', headers: { 'Transfer-Encoding': 'chunked', 'X-Rec': 'r' } });
      },
      { overrideGlobalResponse: true },
    );
    assert.is(globalThis.Response, LightResponse as unknown);
    const live = await inject(handler, { url: '/live' });
    assert.equal(live.cookies, ['a=1', 'b=2']);
    assert.is(live.headers['x-pair'], 'p');
    assert.is(live.body.toString(), 'live');
    const rec = await inject(handler, { url: '/rec' });
    assert.is(rec.status, 202);
    assert.is(rec.reason, 'Taken');
    assert.is(rec.headers['x-rec'], 'r');
    assert.is(rec.headers['content-type'], undefined);
    assert.is(rec.headers['content-length'], '2');
    assert.is(rec.body.toString(), 'hi');
  } finally {
    globalThis.Response = Original;
  }
});

test.run();
