// Rules about what a response may be, and the bugs that broke them once: a handler cannot send an interim
// (1xx) status or one outside 100–599 as its answer, a 205 carries no content, `continue: 'immediately'`
// sends 100 Continue at once, a failed close-delimited stream ends with a reset (never a FIN that would make
// a truncated body look whole), a response that closes the connection still reads its own request body, and a
// 405 without Allow is sent but warned about.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Conversation, DATE, KEEP, expectExact, talk } from '../helpers/exact.js';
import { parseResponses } from '../helpers/response-parser.js';
import { waitFor } from '../helpers/process.js';
import { startDemo, start } from '../helpers/server.js';

test('an interim or out-of-range status from a handler is a 500, never sent as the answer', async () => {
  const server = await start((req) => ({ status: Number(req.path.slice(1)), body: 'x' }));
  try {
    for (const status of [100, 103, 199, 600, 700, 99]) {
      const result = await talk(server.port, `GET /${status} HTTP/1.1\r\nHost: h\r\n\r\nGET /200 HTTP/1.1\r\nHost: h\r\n\r\n`, { responses: 2 });
      const statuses = result.responses.map((r) => r.status);
      assert.equal(statuses, [500, 200], `status ${status} gave ${statuses.join(', ')}`);
      assert.match(result.text, /"code":"H1W_INVALID_STATUS"/);
    }
  } finally {
    await server.close();
  }
});

test('205 Reset Content is sent with no content and a length of 0 (RFC 9110 §15.3.6)', async () => {
  const demo = await startDemo();
  try {
    await expectExact(demo.port, 'GET /status/205 HTTP/1.1\r\nHost: h\r\n\r\n', `HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\nDate: ${DATE}\r\n${KEEP}\r\n`, { closes: false });
  } finally {
    await demo.close();
  }
});

test("continue: 'immediately' sends 100 Continue as soon as the head is read", async () => {
  const server = await start(async (req) => `got ${await req.body.text()}`, { continue: 'immediately' });
  const talk100 = await Conversation.open(server.port);
  try {
    await talk100.write('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n');
    assert.is(await talk100.until((text) => text.includes('\r\n\r\n'), 2000, '100 Continue'), 'HTTP/1.1 100 Continue\r\n\r\n');
    await talk100.write('ok');
    const text = await talk100.until((t) => t.includes('got ok'), 2000, 'the answer');
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  } finally {
    talk100.destroy();
    await server.close();
  }
});

test('a stream that fails on a close-delimited (HTTP/1.0) response ends with a reset, not a FIN', async () => {
  const server = await start(() => ({
    body: (async function* () {
      yield 'part1,';
      await new Promise((r) => setTimeout(r, 20));
      yield 'part2,';
      throw new Error('the source broke');
    })(),
  }));
  try {
    const result = await talk(server.port, 'GET / HTTP/1.0\r\n\r\n', { untilClose: true });
    assert.match(result.text, /\r\n\r\npart1,part2,$/);
    assert.ok(result.reset, 'the truncation must be visible as a reset');
    assert.not.ok(result.fin && !result.reset);
  } finally {
    await server.close();
  }
});

test('a response that closes the connection still reads the rest of its own request body (streaming echo)', async () => {
  const demo = await startDemo();
  try {
    const body = 'a'.repeat(100_000);
    const text = await new Promise<string>((resolve) => {
      const socket = net.connect(demo.port, '127.0.0.1');
      let seen = '';
      socket.on('data', (c) => (seen += c.toString('latin1')));
      socket.on('close', () => resolve(seen));
      socket.write(`PUT /echo HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 70_000)}`);
      setTimeout(() => socket.write(body.slice(70_000)), 200);
    });
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*Transfer-Encoding: chunked\r\n[^]*Connection: close\r\n/);
    assert.ok(text.endsWith('0\r\n\r\n'), 'the chunked body is terminated');
    const parsed = parseResponses(Buffer.from(text, 'latin1'));
    assert.is(parsed.error, null);
    assert.is(parsed.finals[0]?.body.toString('latin1'), body);
  } finally {
    await demo.close();
  }
});

test('an answer to HEAD may state a Content-Length without carrying the body', async () => {
  const server = await start(() => ({ status: 200, headers: { 'Content-Length': '1234', 'Content-Type': 'text/plain' } }));
  try {
    const result = await talk(server.port, 'HEAD / HTTP/1.1\r\nHost: h\r\n\r\n', { heads: [0] });
    assert.is(result.normalized, `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1234\r\nDate: ${DATE}\r\n${KEEP}\r\n`);
  } finally {
    await server.close();
  }
});

// In a process of its own: the warning is once per process, and this is what its user sees on stderr.
const WARNING_SERVER = `
  import { createServer, HttpError } from ${JSON.stringify(new URL('../../lib/index.js', import.meta.url).href)};
  const server = createServer((req) => {
    if (req.path === '/allow') return { status: 405, headers: { Allow: 'GET, HEAD' }, body: 'no' };
    if (req.path === '/throw') throw new HttpError(405, 'not here');
    return { status: 405, body: 'no' };
  });
  const address = await server.listen(0);
  process.stdout.write(address.port + '\\n');
`;

test('a 405 without Allow, returned or thrown, is sent as it is, with one process warning (H1W_405_WITHOUT_ALLOW)', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', WARNING_SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    assert.ok(await waitFor(() => stdout.includes('\n'), 10_000), `no port; stderr: ${stderr}`);
    const port = Number(stdout.trim());
    const withAllow = await talk(port, 'GET /allow HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.match(withAllow.text, /^HTTP\/1\.1 405 Method Not Allowed\r\n[^]*\r\nAllow: GET, HEAD\r\n/);
    await new Promise((r) => setTimeout(r, 100));
    assert.not.ok(stderr.includes('H1W_405_WITHOUT_ALLOW'), `no warning for a 405 with Allow: ${stderr}`);
    const without = await talk(port, 'GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /throw HTTP/1.1\r\nHost: h\r\n\r\n', { responses: 3 });
    assert.equal(without.responses.map((r) => r.status), [405, 405, 405]);
    assert.not.match(without.text, /\r\nAllow:/);
    assert.ok(await waitFor(() => stderr.includes('H1W_405_WITHOUT_ALLOW'), 3000), stderr);
    await new Promise((r) => setTimeout(r, 100));
    const warnings = stderr.match(/\[H1W_405_WITHOUT_ALLOW\] H1wireWarning: a handler answered 405 without an Allow header/g) ?? [];
    assert.is(warnings.length, 1, stderr);
  } finally {
    child.kill('SIGKILL');
  }
});

test.run();
