// node:http as the client, with a keep-alive Agent: sequential requests share one socket, bodies (sized,
// chunked, empty, binary) come back exactly, HEAD has no body, an error does not cost the connection.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDemo, type Running } from '../helpers/server.js';

let demo: Running;
let agent: http.Agent;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  reused: boolean;
  localPort: number;
}

function request(method: string, path: string, body?: Buffer | Buffer[], headers: Record<string, string | number> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${demo.url}${path}`, { method, agent, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(parts),
          reused: req.reusedSocket,
          localPort: req.socket?.localPort ?? -1,
        }),
      );
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      // Several writes without a Content-Length: node sends the body chunked.
      for (const part of body) req.write(part);
      req.end();
    } else {
      req.end(body);
    }
  });
}

test.before(async () => {
  demo = await startDemo({ maxBodySize: 4 * 1024 * 1024 });
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
});

test.after(async () => {
  agent.destroy();
  await demo.close();
});

test('sequential GETs through a keep-alive Agent reuse one socket', async () => {
  const accepted = demo.server.stats().accepted;
  const replies: Reply[] = [];
  for (let i = 0; i < 6; i++) replies.push(await request('GET', '/'));
  for (const r of replies) {
    assert.is(r.status, 200);
    assert.is(r.body.toString(), '{"hello":"world"}');
    assert.is(r.headers['content-type'], 'application/json');
    assert.is(r.headers['content-length'], '17');
    assert.is(r.headers.connection, 'keep-alive');
    assert.is(r.headers['keep-alive'], 'timeout=5');
  }
  assert.equal(
    replies.map((r) => r.reused),
    [false, true, true, true, true, true],
  );
  assert.is(new Set(replies.map((r) => r.localPort)).size, 1, 'one local port');
  assert.is(demo.server.stats().accepted - accepted, 1, 'one connection accepted');
});

test('POST bodies are echoed exactly on the same socket: sized, chunked, empty, binary, 60 kB', async () => {
  const accepted = demo.server.stats().accepted;
  const cases: { label: string; body: Buffer | Buffer[]; expected: Buffer; type?: string }[] = [
    { label: 'text', body: Buffer.from('hello, wörld'), expected: Buffer.from('hello, wörld'), type: 'text/plain; charset=utf-8' },
    { label: 'empty', body: Buffer.alloc(0), expected: Buffer.alloc(0) },
    { label: 'binary', body: Buffer.from([0, 13, 10, 255, 0]), expected: Buffer.from([0, 13, 10, 255, 0]), type: 'application/x-bin' },
    { label: 'chunked', body: [Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')], expected: Buffer.from('one,two,three'), type: 'text/csv' },
  ];
  const big = randomBytes(60_000);
  cases.push({ label: '60 kB', body: big, expected: big, type: 'application/octet-stream' });
  for (const c of cases) {
    const headers: Record<string, string | number> = {};
    if (c.type !== undefined) headers['Content-Type'] = c.type;
    if (!Array.isArray(c.body)) headers['Content-Length'] = c.body.length;
    const r = await request('POST', '/echo', c.body, headers);
    assert.is(r.status, 200, c.label);
    assert.ok(r.body.equals(c.expected), c.label);
    assert.is(r.headers['content-type'], c.type ?? 'application/octet-stream', c.label);
    assert.is(r.headers['content-length'], String(c.expected.length), c.label);
  }
  assert.is(demo.server.stats().accepted - accepted, 0, 'still the socket from the first test');
});

test('HEAD has the GET headers and no body; an error response keeps the socket', async () => {
  const accepted = demo.server.stats().accepted;
  const head = await request('HEAD', '/orders?rows=4');
  const get = await request('GET', '/orders?rows=4');
  assert.is(head.status, 200);
  assert.is(head.body.length, 0);
  assert.is(head.headers['content-length'], get.headers['content-length']);
  assert.is(Number(get.headers['content-length']), get.body.length);
  const error = await request('GET', '/error');
  assert.is(error.status, 500);
  assert.equal(JSON.parse(error.body.toString()), { error: { status: 500, code: 'H1W_HANDLER_ERROR', message: 'Internal Server Error' } });
  const missing = await request('GET', '/missing');
  assert.is(missing.status, 404);
  const after = await request('GET', '/');
  assert.is(after.status, 200);
  assert.ok(after.reused, 'the socket survived the errors');
  assert.is(demo.server.stats().accepted - accepted, 0);
});

test('a streamed response arrives chunked and whole', async () => {
  const r = await request('GET', '/stream?chunks=20&size=1000');
  assert.is(r.status, 200);
  assert.is(r.headers['transfer-encoding'], 'chunked');
  assert.is(r.body.length, 20_000);
  assert.ok(r.reused);
});

test.run();
