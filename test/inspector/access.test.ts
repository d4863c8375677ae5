// Who may see the inspector: nobody on a server that did not ask for it, loopback clients by default, an
// allow-list otherwise; and what they see: credential values redacted, bodies never.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLoopback, withInspector } from '../../lib/inspector.js';
import type { Request } from '../../lib/request.js';
import type { Result } from '../../lib/result.js';
import { spawnDemo } from '../helpers/child.js';
import { waitFor } from '../helpers/process.js';
import { startDemo } from '../helpers/server.js';
import { SseClient } from './sse-client.js';

function fakeRequest(path: string, remoteAddress: string, method = 'GET'): Request {
  return { path, remoteAddress, method, id: '1.1', signal: new AbortController().signal } as unknown as Request;
}

test('a server that did not ask has no /_wire', async () => {
  const demo = await startDemo();
  try {
    for (const path of ['/_wire', '/_wire/events', '/_wire/wire.js']) assert.is((await fetch(`${demo.url}${path}`)).status, 404, path);
  } finally {
    await demo.close();
  }
});

test('`h1wire demo --inspector` serves the page; without the flag there is none', async () => {
  for (const [flags, status] of [[['--inspector'], 200], [[], 404]] as const) {
    const demo = await spawnDemo([...flags]);
    try {
      assert.is((await fetch(`http://127.0.0.1:${demo.port}/_wire`)).status, status, flags.join(' '));
    } finally {
      await demo.stop();
    }
  }
});

test('loopback addresses are told apart from others', () => {
  for (const a of ['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
  for (const a of ['10.0.0.5', '::ffff:10.0.0.5', '192.168.1.127', '::2', '1127.0.0.1']) assert.not.ok(isLoopback(a), a);
});

test('a client that is not loopback gets 403, unless the allow-list names it; other paths pass through', () => {
  const app = (): string => 'app';
  const closed = withInspector(app, true);
  for (const path of ['/_wire', '/_wire/events', '/_wire/wire.js']) {
    assert.is((closed(fakeRequest(path, '10.0.0.5')) as Result).status, 403, path);
  }
  assert.is(closed(fakeRequest('/_wirex', '10.0.0.5')), 'app');
  assert.is(closed(fakeRequest('/', '10.0.0.5')), 'app');
  const open = withInspector(app, { allow: ['10.0.0.5'] });
  assert.is((open(fakeRequest('/_wire', '10.0.0.5')) as Result).status, 200);
  assert.is((open(fakeRequest('/_wire', '10.0.0.6')) as Result).status, 403);
  assert.is((open(fakeRequest('/_wire', '127.0.0.1', 'POST')) as Result).status, 405);
  assert.is((open(fakeRequest('/_wire/nothing', '127.0.0.1')) as Result).status, 404);
  assert.throws(() => withInspector(app, { allow: 'everyone' as unknown as string[] }), /inspector\.allow/);
  assert.throws(() => withInspector(app, 'yes' as unknown as true), /option inspector must be true or/);
});

test('a loopback client gets the page and its assets', async () => {
  const demo = await startDemo({ inspector: true });
  try {
    const page = await fetch(`${demo.url}/_wire`);
    assert.is(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /teaching and debugging tool/);
    assert.match(await (await fetch(`${demo.url}/_wire/wire.js`)).text(), /new EventSource\('\/_wire\/events'\)/);
    assert.is((await fetch(`${demo.url}/_wire/wire.css`)).status, 200);
  } finally {
    await demo.close();
  }
});

test('credentials are redacted and bodies never sent; redact adds names', async () => {
  const demo = await startDemo({ inspector: { redact: ['X-Api-Key'] } });
  const sse = new SseClient(demo.port);
  try {
    assert.ok(await waitFor(() => sse.events.length >= 1, 2000));
    const headers = { authorization: 'Bearer TOKEN-abc', cookie: 'session=COOKIE-def', 'x-api-key': 'KEY-ghi' };
    await (await fetch(`${demo.url}/echo`, { method: 'POST', headers, body: 'BODY-jkl' })).text();
    assert.ok(await waitFor(() => sse.events.some((e) => e.data.exchanges.some((x) => x.done)), 2000));
    for (const secret of ['TOKEN-abc', 'COOKIE-def', 'KEY-ghi', 'BODY-jkl']) assert.not.ok(sse.raw.includes(secret), secret);
    const head = sse.events.flatMap((e) => e.data.exchanges).find((x) => x.target === '/echo')?.requestHead ?? '';
    assert.match(head, /\r\nauthorization: Bearer \[redacted 9 bytes\]\r\n/);
    assert.match(head, /\r\ncookie: \[redacted 18 bytes\]\r\n/);
    assert.match(head, /\r\nx-api-key: \[redacted 7 bytes\]\r\n/);
  } finally {
    sse.close();
    await demo.close();
  }
});

test.run();
