// Upgrade hand-off (RFC 9110 §7.8) as clients meet it: the ws client through the demo's /ws echo, a raw
// client whose first frame rides in the upgrade request's packet, declined and refused upgrades answered as
// HTTP, pipelining around an upgrade, churn that must leave nothing behind, and shutdown.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket, { WebSocketServer } from 'ws';
import { HttpError } from '../../lib/errors.js';
import type { Request } from '../../lib/request.js';
import { upgrade } from '../../lib/upgrade.js';
import { openFds, waitFor } from '../helpers/process.js';
import { start, startDemo } from '../helpers/server.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='; // RFC 6455 §1.3's example key and answer
const upgradeHead = (path = '/ws', extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

/** A masked client text frame (RFC 6455 §5.2), short payloads only. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Reads from a raw socket until `done(text so far)` holds; resolves with all bytes. */
function readUntil(socket: net.Socket, done: (text: string) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      if (done(all.toString('latin1'))) {
        socket.off('data', onData);
        resolve(all);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed after ${Buffer.concat(chunks).toString('latin1')}`)));
  });
}

function raw(port: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(socket));
  });
}

function openWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function echoed(ws: WebSocket, count: number): Promise<{ data: Buffer; binary: boolean }[]> {
  return new Promise((resolve) => {
    const got: { data: Buffer; binary: boolean }[] = [];
    const onMessage = (data: Buffer, binary: boolean): void => {
      got.push({ data, binary });
      if (got.length === count) {
        ws.off('message', onMessage);
        resolve(got);
      }
    };
    ws.on('message', onMessage);
  });
}

test('ws client: 1,000 text and binary messages echoed in order, then a 1 MiB frame', async () => {
  const s = await startDemo();
  try {
    const ws = await openWs(`ws://127.0.0.1:${s.port}/ws`);
    const replies = echoed(ws, 1000);
    for (let i = 0; i < 1000; i++) {
      if (i % 2 === 0) ws.send(`message ${i}`);
      else ws.send(Buffer.from([i & 0xff, (i >> 8) & 0xff, 0, 0xff]));
    }
    const got = await replies;
    for (let i = 0; i < 1000; i++) {
      const m = got[i] as { data: Buffer; binary: boolean };
      if (i % 2 === 0) {
        assert.is(m.binary, false);
        assert.is(m.data.toString(), `message ${i}`);
      } else {
        assert.is(m.binary, true);
        assert.equal([...m.data], [i & 0xff, (i >> 8) & 0xff, 0, 0xff]);
      }
    }
    const big = Buffer.alloc(1024 * 1024, 7);
    big[12345] = 1;
    const one = echoed(ws, 1);
    ws.send(big);
    const [back] = await one;
    assert.ok(back?.data.equals(big));
    const stats = s.server.stats();
    assert.is(stats.upgraded, 1);
    assert.is(stats.open, 0, 'an upgraded socket is not an open HTTP connection');
    ws.close();
    await new Promise((r) => ws.once('close', r));
  } finally {
    await s.close();
  }
});

test('a client that closes in the middle of a message leaves nothing open', async () => {
  const s = await startDemo();
  try {
    const fds = openFds();
    const c = await raw(s.port);
    c.write(upgradeHead());
    await readUntil(c, (t) => t.includes('\r\n\r\n'));
    // A frame header announcing 100 bytes, then 3 of them, then gone.
    c.end(Buffer.from([0x82, 0x80 | 100, 1, 2, 3, 4, 9, 9, 9]));
    await new Promise((r) => c.once('close', r));
    assert.ok(await waitFor(() => openFds() <= fds, 2000), 'the server side of the socket is closed');
    assert.is(s.server.stats().upgraded, 1);
  } finally {
    await s.close();
  }
});

test('the upgrade request and a first frame in one write: the frame reaches ws (head)', async () => {
  const s = await startDemo();
  try {
    const c = await raw(s.port);
    c.write(Buffer.concat([Buffer.from(upgradeHead()), textFrame('first')]));
    const all = await readUntil(c, (t) => t.includes('first'));
    const text = all.toString('latin1');
    assert.ok(text.startsWith('HTTP/1.1 101 Switching Protocols\r\n'), text);
    assert.ok(text.includes(`Sec-WebSocket-Accept: ${ACCEPT}`));
    assert.ok(all.subarray(all.length - 7).equals(Buffer.from([0x81, 5, ...Buffer.from('first')])));
    c.destroy();
  } finally {
    await s.close();
  }
});

test('head holds exactly the bytes past the request head, pipelined HTTP included', async () => {
  let got: Buffer | null = null;
  const s = await start((req) =>
    upgrade((socket, head) => {
      got = head;
      socket.end('bye');
    }),
  );
  try {
    const c = await raw(s.port);
    c.write(`GET /a HTTP/1.1\r\nHost: x\r\nUpgrade: custom\r\nConnection: upgrade\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n`);
    const all = await readUntil(c, (t) => t.endsWith('bye'));
    assert.is(all.toString(), 'bye', 'h1wire writes nothing itself, and does not answer the pipelined request');
    assert.is(String(got), 'GET /b HTTP/1.1\r\nHost: x\r\n\r\n');
  } finally {
    await s.close();
  }
});

test('pipelined requests before an upgrade are answered first, in order', async () => {
  const s = await start(async (req) => {
    if (req.upgrade === null) {
      await new Promise((r) => setTimeout(r, 30)); // slower than the upgrade's handler
      return `answer ${req.path}`;
    }
    return upgrade((socket, head) => socket.end(`switched, head ${head.length}`));
  });
  try {
    const c = await raw(s.port);
    c.write(`GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /u HTTP/1.1\r\nHost: x\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n`);
    const text = (await readUntil(c, (t) => t.includes('switched'))).toString();
    assert.ok(/answer \/1[\s\S]*answer \/2[\s\S]*switched, head 0$/.test(text), text);
  } finally {
    await s.close();
  }
});

test('an upgrade nobody accepts is answered as HTTP and the connection goes on as HTTP', async () => {
  const s = await start((req) => `plain ${req.path} ${req.upgrade}`);
  try {
    const c = await raw(s.port);
    c.write(`GET /a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n`);
    const text = (await readUntil(c, (t) => t.includes('plain /b'))).toString();
    assert.ok(text.includes('plain /a websocket'));
    assert.ok(!text.includes('101'));
    c.destroy();
  } finally {
    await s.close();
  }
});

test('h2c, HTTP/1.0 and requests with a body are never upgradable; upgrade() for them is a 500', async () => {
  const seen: (string | null)[] = [];
  const s = await start((req: Request) => {
    seen.push(req.upgrade);
    return upgrade((socket) => socket.destroy());
  });
  try {
    for (const request of [
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`,
      `GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n`,
      `POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nContent-Length: 5\r\n\r\nhello`,
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n`, // no Connection: upgrade
    ]) {
      const c = await raw(s.port);
      c.write(request);
      const text = (await readUntil(c, (t) => /\r\n\r\n[\s\S]*\}/.test(t))).toString();
      assert.ok(text.startsWith('HTTP/1.1 500 '), text);
      assert.ok(text.includes('H1W_NOT_UPGRADABLE') || text.includes('Internal'), text);
      c.destroy();
    }
    assert.equal(seen, [null, null, null, null]);
    assert.is(s.server.stats().upgraded, 0);
  } finally {
    await s.close();
  }
});

test('upgrade() takes a function, and says so', () => {
  assert.throws(() => upgrade('ws' as never), (e: Error) => e instanceof TypeError && /upgrade\(\) needs a function/.test(e.message));
});

test('the demo /ws: 426 without an upgrade, 501 with a clear message when ws is missing', async () => {
  const s = await startDemo();
  try {
    const res = await fetch(`${s.url}/ws`);
    assert.is(res.status, 426);
    assert.is(res.headers.get('upgrade'), 'websocket');
  } finally {
    await s.close();
  }
  const { wsEchoRoute } = await import('../../lib/demo-ws.js');
  const missing = await start(wsEchoRoute(() => Promise.reject(new Error("Cannot find package 'ws'"))));
  try {
    const c = await raw(missing.port);
    c.write(upgradeHead('/'));
    const text = (await readUntil(c, (t) => /\r\n\r\n[\s\S]*\}/.test(t))).toString();
    assert.ok(text.startsWith('HTTP/1.1 501 '), text);
    assert.ok(text.includes('optional package \\"ws\\"'), text);
    c.destroy();
  } finally {
    await missing.close();
  }
});

test('200 upgrades and closes leave stats and open descriptors where they started', async () => {
  const s = await startDemo();
  try {
    const fds = openFds();
    for (let i = 0; i < 200; i++) {
      const ws = await openWs(`ws://127.0.0.1:${s.port}/ws`);
      const one = echoed(ws, 1);
      ws.send(`n${i}`);
      await one;
      ws.close();
      await new Promise((r) => ws.once('close', r));
    }
    assert.ok(await waitFor(() => openFds() <= fds && s.server.upgraded.size === 0, 3000), `fds ${openFds()} vs ${fds}`);
    const stats = s.server.stats();
    assert.is(stats.upgraded, 200);
    assert.is(stats.open, 0);
    assert.is(Object.values(stats.closes).reduce((a, b) => a + b, 0), 0, 'an upgraded socket is never counted as closed by us');
  } finally {
    await s.close();
  }
});

test('close() does not wait for upgraded sockets; close({ upgraded: "destroy" }) ends them', async () => {
  const wss = new WebSocketServer({ noServer: true });
  const handler = (req: Request): unknown => {
    if (req.upgrade === null) throw new HttpError(426, 'upgrade');
    return upgrade((socket, head) => wss.handleUpgrade(req.node as unknown as IncomingMessage, socket, head, () => {}));
  };
  const s = await start(handler);
  const ws = await openWs(`ws://127.0.0.1:${s.port}/`);
  const t0 = performance.now();
  await s.server.close({ timeout: 5000 });
  assert.ok(performance.now() - t0 < 1000, 'close() resolved without waiting for the WebSocket');
  assert.is(ws.readyState, WebSocket.OPEN, 'the default leaves upgraded sockets to their owner');
  ws.terminate();

  const s2 = await start(handler);
  const ws2 = await openWs(`ws://127.0.0.1:${s2.port}/`);
  const closed = new Promise((r) => ws2.once('close', r));
  await s2.server.close({ timeout: 5000, upgraded: 'destroy' });
  await closed;
  assert.is(s2.server.upgraded.size, 0);
});

test.run();
