// The demo as a user starts it: `node dist/lib/cli.js demo --port 0 [flags]` in a child process. Its first
// stdout line says where it listens; flags reach the server; bad flags exit 2; SIGTERM exits 0 after
// in-flight requests finish.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Conversation, DATE, KEEP, talk } from '../helpers/exact.js';
import { Client } from 'undici';
import WebSocket from 'ws';
import { waitFor } from '../helpers/process.js';
import { testCert } from '../helpers/transport.js';

const CLI = fileURLToPath(new URL('../../lib/cli.js', import.meta.url));

interface Demo {
  child: ChildProcess;
  port: number;
  firstLine: string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: ChildProcess[] = [];

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Starts the demo and resolves with its port once the first stdout line is out. */
function spawnDemo(args: string[]): Promise<Demo> {
  const child = spawn(process.execPath, [CLI, 'demo', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = exitOf(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no listening line within 15 s; stderr: ${err}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const firstLine = out.slice(0, nl);
      const m = /^listening on https?:\/\/127\.0\.0\.1:([0-9]+)$/.exec(firstLine);
      if (m === null) reject(new Error(`unexpected first line ${JSON.stringify(firstLine)}`));
      else resolve({ child, port: Number(m[1]), firstLine, stderr: () => err, exited });
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before listening; stderr: ${err}`));
    });
  });
}

/** Runs the CLI to completion (for flags that make it exit at once). */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000); // generous: a loaded machine starts node slowly
  return exitOf(child).then(({ code }) => {
    clearTimeout(timer);
    return { code, stdout, stderr };
  });
}

test.after(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

test('demo --port 0: the first stdout line is the address; GET / answers; SIGTERM exits 0', async () => {
  const demo = await spawnDemo([]);
  const r = await talk(demo.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  assert.is(
    r.normalized,
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\nDate: ${DATE}\r\n${KEEP}\r\n{"hello":"world"}`,
  );
  demo.child.kill('SIGTERM');
  assert.equal(await demo.exited, { code: 0, signal: null });
});

test('SIGTERM: an idle kept connection is closed, an in-flight request finishes with Connection: close, exit 0', async () => {
  const demo = await spawnDemo([]);
  const idle = await Conversation.open(demo.port);
  const busy = await Conversation.open(demo.port);
  try {
    await idle.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    await idle.until((t) => t.endsWith('{"hello":"world"}'));
    await busy.write('GET /slow?ms=400 HTTP/1.1\r\nHost: h\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100)); // the request is in the handler
    demo.child.kill('SIGTERM');
    assert.ok(await idle.waitClose(3000), 'the idle connection is closed');
    const answer = await busy.until((t) => t.endsWith('{"slept":400}'), 3000, 'the in-flight answer');
    assert.ok(answer.startsWith('HTTP/1.1 200 OK\r\n'), answer);
    assert.ok(answer.includes('\r\nConnection: close\r\n'), answer);
    assert.ok(await busy.waitClose(3000), 'then closed');
    assert.equal(await demo.exited, { code: 0, signal: null });
  } finally {
    idle.destroy();
    busy.destroy();
  }
});

test('flags are honoured: keep-alive, headers timeout, body size, requests per connection, Server-Timing', async () => {
  const demo = await spawnDemo([
    '--keep-alive-timeout',
    '2000',
    '--headers-timeout',
    '400',
    '--max-body-size',
    '10',
    '--max-requests-per-connection',
    '2',
    '--server-timing',
  ]);
  try {
    // Keep-Alive advertises 2 s; Server-Timing is added; the second request is the last on the connection.
    const two = await talk(demo.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n', {
      responses: 2,
      untilClose: true,
    });
    assert.is(two.responses.length, 2);
    const timing = /\r\nServer-Timing: handle;dur=[0-9.]+, serialize;dur=[0-9.]+\r\n/;
    const [first, second] = two.normalized.split(/(?=HTTP\/1\.1 )/);
    assert.ok(first?.includes('\r\nConnection: keep-alive\r\nKeep-Alive: timeout=2\r\n'), first);
    assert.ok(second?.includes('\r\nConnection: close\r\n'), second);
    for (const part of [first ?? '', second ?? '']) assert.ok(timing.test(part), part);
    assert.ok(two.fin, 'closed after the second');

    // The body limit: 11 bytes → 413.
    const big = await talk(demo.port, 'POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world', { untilClose: true });
    assert.is(big.responses[0]?.status, 413);

    // The headers timeout: half a head, then silence → 408 well before the default 10 s.
    const t0 = performance.now();
    const slow = await talk(demo.port, 'GET / HTTP/1.1\r\nHost: h\r\n', { untilClose: true, timeoutMs: 4000 });
    const waited = performance.now() - t0;
    assert.is(slow.responses[0]?.status, 408, slow.text);
    assert.ok(waited >= 300 && waited < 3500, `408 after ${waited} ms`);
  } finally {
    demo.child.kill('SIGTERM');
    await demo.exited;
  }
});

test('--max-connections 1 refuses a second connection with 503; --trace logs the wire on stderr', async () => {
  const demo = await spawnDemo(['--max-connections', '1', '--trace']);
  const first = await Conversation.open(demo.port);
  try {
    await first.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    await first.until((t) => t.endsWith('{"hello":"world"}'));
    const second = await talk(demo.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', { untilClose: true });
    assert.is(second.responses[0]?.status, 503, second.text);
    assert.ok(second.text.includes('\r\nConnection: close\r\n'), second.text);
    assert.ok(second.fin);
    // The first connection is unaffected.
    await first.write('GET /status/201 HTTP/1.1\r\nHost: h\r\n\r\n');
    await first.until((t) => t.endsWith('{"status":201}'));
    await first.write('GET /status/202 HTTP/1.1\r\nHost: h\r\nAuthorization: Basic c2VjcmV0\r\n\r\n');
    await first.until((t) => t.endsWith('{"status":202}'));
    const log = demo.stderr();
    assert.ok(/^1\.1 parse +GET \/ HTTP\/1\.1/m.test(log), log);
    assert.ok(/^1\.2 frame +length HTTP\/1\.1 201 Created/m.test(log), log);
    assert.ok(log.includes('Authorization: Basic [redacted 8 bytes]'), log);
    assert.not.ok(log.includes('c2VjcmV0'), log);
  } finally {
    first.destroy();
    demo.child.kill('SIGTERM');
    await demo.exited;
  }
});

test('--write-timeout: a client that stops reading is dropped once the server\'s writes make no progress that long', async () => {
  const demo = await spawnDemo(['--write-timeout', '300', '--trace']);
  const socket = net.connect(demo.port, '127.0.0.1');
  socket.on('error', () => {});
  try {
    await once(socket, 'connect');
    socket.pause(); // never read: the kernel's buffers fill, then the writes stall
    socket.write('GET /stream?chunks=4096&size=1048576 HTTP/1.1\r\nHost: h\r\n\r\n');
    const stalled = await waitFor(() => /^\d+ close +write-stalled/m.test(demo.stderr()), 8000);
    assert.ok(stalled, demo.stderr().slice(-1500));
  } finally {
    socket.destroy();
    demo.child.kill('SIGTERM');
    await demo.exited;
  }
});

test('--trace-credentials: the wire log shows credential values (for local teaching)', async () => {
  const demo = await spawnDemo(['--trace-credentials']);
  try {
    await talk(demo.port, 'GET / HTTP/1.1\r\nHost: h\r\nCookie: sid=visible\r\n\r\n');
    const seen = await waitFor(() => demo.stderr().includes(' frame '), 3000);
    assert.ok(seen, demo.stderr());
    assert.ok(demo.stderr().includes('Cookie: sid=visible'), demo.stderr());
  } finally {
    demo.child.kill('SIGTERM');
    await demo.exited;
  }
});

test('bad flags and commands exit with code 2 and print the usage', async () => {
  const cases = [
    ['demo', '--port', 'abc'],
    ['demo', '--headers-timeout', '-5'],
    ['demo', '--max-body-size', '1.5'],
    ['demo', '--write-timeout', 'soon'],
    ['demo', '--no-such-flag'],
    ['demo', '--port'],
    ['demo', '--tls-cert', '/dev/null'],
    ['demo', '--tls-cert', '/no/such/cert.pem', '--tls-key', '/no/such/key.pem'],
    ['demo', '--workers', 'many'],
    ['demo', '--workers', '2', '--balance', 'random'],
    ['serve'],
    [],
  ];
  const results = await Promise.all(cases.map((args) => runCli(args)));
  results.forEach((r, i) => {
    const label = JSON.stringify(cases[i]);
    assert.is(r.code, 2, `${label}: exit ${r.code}; stderr ${r.stderr}`);
    assert.ok(r.stderr.includes('usage: h1wire demo'), `${label}: ${r.stderr}`);
    assert.not.ok(r.stdout.includes('listening on'), label);
  });
});

test('--tls-cert/--tls-key: https on the first line; GET / and the /ws echo over TLS; SIGTERM exits 0', async () => {
  const { certFile, keyFile } = testCert();
  const demo = await spawnDemo(['--tls-cert', certFile, '--tls-key', keyFile]);
  assert.is(demo.firstLine, `listening on https://127.0.0.1:${demo.port}`);
  const client = new Client(`https://127.0.0.1:${demo.port}`, { connect: { rejectUnauthorized: false } });
  const res = await client.request({ path: '/', method: 'GET' });
  assert.equal(await res.body.json(), { hello: 'world' });
  await client.close();
  const ws = new WebSocket(`wss://127.0.0.1:${demo.port}/ws`, { rejectUnauthorized: false });
  await once(ws, 'open');
  ws.send('over tls');
  const [data, binary] = (await once(ws, 'message')) as [Buffer, boolean];
  assert.is(String(data), 'over tls');
  assert.is(binary, false);
  ws.close();
  await once(ws, 'close');
  demo.child.kill('SIGTERM');
  assert.equal(await demo.exited, { code: 0, signal: null });
});

test('--proxy-protocol, --proxy-header-timeout, --trust-proxy: /whoami names the client the proxy and the header say', async () => {
  const demo = await spawnDemo(['--proxy-protocol', '--proxy-header-timeout', '300', '--trust-proxy', '10.0.0.0/8,127.0.0.1']);
  try {
    const socket = net.connect(demo.port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.write('PROXY TCP4 10.1.2.3 10.0.0.1 4000 80\r\nGET /whoami HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.8\r\nConnection: close\r\n\r\n');
    await once(socket, 'close');
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    assert.equal([body.remoteAddress, body.remotePort, body.ip, body.protocol], ['10.1.2.3', 4000, '203.0.113.8', 'http']);
    // Plain HTTP without the header: closed at the deadline, unanswered.
    const plain = net.connect(demo.port, '127.0.0.1');
    let answered = '';
    plain.on('data', (d: Buffer) => (answered += d.toString()));
    plain.on('error', () => {});
    const t0 = performance.now();
    await once(plain, 'connect');
    await once(plain, 'close');
    assert.is(answered, '');
    assert.ok(performance.now() - t0 >= 250, 'closed at the 300 ms deadline');
  } finally {
    demo.child.kill('SIGTERM');
    await demo.exited;
  }
});

test('--help prints the usage and exits 0', async () => {
  const r = await runCli(['demo', '--help']);
  assert.is(r.code, 0);
  assert.ok(r.stdout.startsWith('usage: h1wire demo'), r.stdout);
  assert.ok(r.stdout.includes('--headers-timeout'));
});

test.run();
