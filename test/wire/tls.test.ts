// HTTPS as clients meet it: undici and curl with keep-alive, ALPN, req.secure, WebSockets over TLS, a client
// that stalls in its handshake, plain HTTP sent to the TLS port, and shutdown with TLS connections open.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from 'undici';
import WebSocket from 'ws';
import type { Request } from '../../lib/request.js';
import { waitFor } from '../helpers/process.js';
import { start, startDemo } from '../helpers/server.js';
import { testCert } from '../helpers/transport.js';

const SLACK = 400; // scheduler delay on a shared 2-core machine
const CURL = '/usr/bin/curl';
const tlsOptions = (): { tls: tls.TlsOptions } => ({ tls: { key: testCert().key, cert: testCert().cert } });
const whoami = (req: Request): unknown => ({ secure: req.secure, path: req.path });

test('undici over HTTPS: 20 requests on one kept-alive connection, req.secure is true', async () => {
  const s = await start(whoami, tlsOptions());
  const client = new Client(`https://127.0.0.1:${s.port}`, { connect: { rejectUnauthorized: false } });
  try {
    for (let i = 0; i < 20; i++) {
      const res = await client.request({ path: `/n${i}`, method: 'GET' });
      assert.is(res.statusCode, 200);
      assert.equal(await res.body.json(), { secure: true, path: `/n${i}` });
    }
    assert.is(s.server.stats().accepted, 1, 'one connection for all of them');
  } finally {
    await client.close();
    await s.close();
  }
});

test('plain HTTP says req.secure is false', async () => {
  const s = await start(whoami);
  try {
    const res = await fetch(`${s.url}/`);
    assert.equal(await res.json(), { secure: false, path: '/' });
  } finally {
    await s.close();
  }
});

test('ALPN: a client offering h2 and http/1.1 gets http/1.1', async () => {
  const s = await start(whoami, tlsOptions());
  try {
    const socket = tls.connect({ port: s.port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] });
    await new Promise((r) => socket.once('secureConnect', r));
    assert.is(socket.alpnProtocol, 'http/1.1');
    socket.destroy();
  } finally {
    await s.close();
  }
});

if (existsSync(CURL)) {
  test('curl -k: two URLs over one HTTPS connection', async () => {
    const s = await start(whoami, tlsOptions());
    try {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(CURL, ['-sk', `${s.url}/a`, `${s.url}/b`], (error, stdout) => (error === null ? resolve(stdout) : reject(error)));
      });
      assert.is(out, '{"secure":true,"path":"/a"}{"secure":true,"path":"/b"}');
      assert.is(s.server.stats().accepted, 1, 'curl reused the connection');
    } finally {
      await s.close();
    }
  });
} else {
  console.log(`\n  SKIPPED the curl test in test/wire/tls: ${CURL} not found.\n`);
}

test('a client that stalls mid-handshake is closed after tlsHandshakeTimeout, and counted', async () => {
  const s = await start(whoami, { ...tlsOptions(), tlsHandshakeTimeout: 300 });
  try {
    const socket = net.connect(s.port, '127.0.0.1');
    const t0 = performance.now();
    // The start of a ClientHello record (handshake, TLS 1.0 record, 512 bytes announced), then nothing.
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    await new Promise((r) => socket.once('close', r));
    const took = performance.now() - t0;
    assert.ok(took >= 250 && took < 300 + SLACK, `closed after ${took} ms`);
    const stats = s.server.stats();
    assert.is(stats.closes['tls-handshake-timeout'], 1);
    assert.is(stats.accepted, 1, 'accepted over TCP');
    assert.is(stats.open, 0, 'never an HTTP connection');
    assert.is(stats.open, 0);
  } finally {
    await s.close();
  }
});

test('plain HTTP sent to the TLS port is closed, counted, and the server serves on', async () => {
  const s = await start(whoami, tlsOptions());
  try {
    const socket = net.connect(s.port, '127.0.0.1');
    const got: Buffer[] = [];
    socket.on('data', (d) => got.push(d));
    socket.on('error', () => {});
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => socket.once('close', r));
    assert.ok(!Buffer.concat(got).toString('latin1').includes('HTTP/1.1'), 'never answered as HTTP');
    assert.ok(await waitFor(() => s.server.stats().closes['tls-error'] === 1, 1000));
    const client = new Client(s.url, { connect: { rejectUnauthorized: false } });
    const res = await client.request({ path: '/', method: 'GET' });
    assert.equal(await res.body.json(), { secure: true, path: '/' });
    await client.close();
  } finally {
    await s.close();
  }
});

test('wss: the demo /ws echo over TLS, and close() with WebSockets and keep-alive connections open', async () => {
  const s = await startDemo(tlsOptions());
  const ws = new WebSocket(`wss://127.0.0.1:${s.port}/ws`, { rejectUnauthorized: false });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const back = new Promise<Buffer>((r) => ws.once('message', (d: Buffer) => r(d)));
  ws.send(Buffer.from([1, 2, 3]));
  assert.equal([...(await back)], [1, 2, 3]);
  // Two TLS connections idle between requests.
  const clients = [0, 1].map(() => new Client(s.url, { connect: { rejectUnauthorized: false } }));
  for (const c of clients) await (await c.request({ path: '/', method: 'GET' })).body.json();
  assert.is(s.server.stats().byState.idle, 2);
  const wsClosed = new Promise((r) => ws.once('close', r));
  const t0 = performance.now();
  await s.server.close({ timeout: 5000, upgraded: 'destroy' });
  assert.ok(performance.now() - t0 < SLACK, 'idle TLS connections close at once, the WebSocket is not waited for');
  await wsClosed;
  const stats = s.server.stats();
  assert.is(stats.open, 0);
  assert.is(stats.closes['server-closing'], 2);
  assert.is(stats.upgraded, 1);
  for (const c of clients) await c.destroy();
});

test.run();
