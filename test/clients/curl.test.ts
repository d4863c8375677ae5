// curl as the client (child_process): GET, HEAD (-I), POST --data-binary to /echo, an upload with -T and
// Expect: 100-continue, and --http1.0. Without /usr/bin/curl the file prints a notice and skips.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalize } from '../helpers/exact.js';
import { startDemo, type Running } from '../helpers/server.js';

const CURL = '/usr/bin/curl';
const available = existsSync(CURL);

let demo: Running;
let dir = '';

interface CurlResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile(CURL, ['--silent', '--show-error', '--max-time', '8', ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1;
      resolve({ code, stdout, stderr: stderr.toString('utf8') });
    });
  });
}

/** Splits `curl -i` output into the head (Dates normalized) and the body. */
function split(out: Buffer): { head: string; body: Buffer } {
  const end = out.indexOf('\r\n\r\n');
  return { head: normalize(`\r\n${out.subarray(0, end + 4).toString('latin1')}`).slice(2), body: out.subarray(end + 4) };
}

if (!available) {
  console.log(`\n  SKIPPED test/clients/curl: ${CURL} not found; install curl to run these tests.\n`);
} else {
  test.before(async () => {
    demo = await startDemo();
    dir = mkdtempSync(join(tmpdir(), 'h1wire-curl-'));
  });

  test.after(async () => {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('curl GET: status, headers and body', async () => {
    const r = await curl(['-i', `${demo.url}/`]);
    assert.is(r.code, 0, r.stderr);
    const { head, body } = split(r.stdout);
    assert.is(
      head,
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n',
    );
    assert.is(body.toString(), '{"hello":"world"}');
  });

  test('curl -I (HEAD): the GET headers, no body, and curl is happy', async () => {
    const r = await curl(['-I', `${demo.url}/orders?rows=2`]);
    assert.is(r.code, 0, r.stderr);
    const get = await curl([`${demo.url}/orders?rows=2`]);
    const { head, body } = split(r.stdout);
    assert.ok(head.startsWith('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n'), head);
    assert.ok(head.includes(`\r\nContent-Length: ${get.stdout.length}\r\n`), head);
    assert.is(body.length, 0);
  });

  test('curl POST --data-binary @file to /echo: the exact bytes and the Content-Type come back', async () => {
    const file = join(dir, 'post.bin');
    const payload = Buffer.concat([Buffer.from('\x00\r\n\xff head '), randomBytes(20_000)]);
    writeFileSync(file, payload);
    const out = join(dir, 'post.out');
    const r = await curl(['--data-binary', `@${file}`, '-H', 'Content-Type: application/x-curl-test', '-D', '-', '-o', out, `${demo.url}/echo`]);
    assert.is(r.code, 0, r.stderr);
    const head = normalize(`\r\n${r.stdout.toString('latin1')}`).slice(2);
    assert.is(
      head,
      `HTTP/1.1 200 OK\r\nContent-Type: application/x-curl-test\r\nContent-Length: ${payload.length}\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n`,
    );
    assert.ok(readFileSync(out).equals(payload), 'echoed byte for byte');
  });

  test('curl -T file with Expect: 100-continue: 100 Continue arrives, then the echo (streamed back)', async () => {
    const file = join(dir, 'upload.bin');
    const payload = randomBytes(150_000); // past the echo's 64 KiB buffer: it comes back chunked
    writeFileSync(file, payload);
    const out = join(dir, 'upload.out');
    const t0 = performance.now();
    const r = await curl(['-v', '-T', file, '-H', 'Expect: 100-continue', '--expect100-timeout', '6', '-o', out, `${demo.url}/echo`]);
    const elapsed = performance.now() - t0;
    assert.is(r.code, 0, r.stderr);
    assert.ok(/^> PUT \/echo HTTP\/1\.1\r?$/m.test(r.stderr), r.stderr);
    assert.ok(/^> Expect: 100-continue\r?$/m.test(r.stderr), r.stderr);
    assert.ok(/^< HTTP\/1\.1 100 Continue\r?$/m.test(r.stderr), 'curl saw 100 Continue');
    assert.ok(/^< HTTP\/1\.1 200 OK\r?$/m.test(r.stderr), r.stderr);
    assert.ok(r.stderr.indexOf('100 Continue') < r.stderr.indexOf('200 OK'), '100 before the final response');
    assert.ok(/^< Transfer-Encoding: chunked\r?$/m.test(r.stderr), r.stderr);
    assert.ok(readFileSync(out).equals(payload), 'echoed byte for byte');
    assert.ok(elapsed < 5000, `curl did not have to wait out its expect timeout (${Math.round(elapsed)} ms)`);
  });

  test('curl --http1.0: Connection: close, a length for whole bodies, close-delimited streams', async () => {
    const r = await curl(['--http1.0', '-i', `${demo.url}/`]);
    assert.is(r.code, 0, r.stderr);
    const { head, body } = split(r.stdout);
    assert.is(head, 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\nDate: <date>\r\nConnection: close\r\n\r\n');
    assert.is(body.toString(), '{"hello":"world"}');
    const s = await curl(['--http1.0', '-i', `${demo.url}/stream?chunks=5&size=100`]);
    assert.is(s.code, 0, s.stderr);
    const streamed = split(s.stdout);
    assert.is(streamed.head, 'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nDate: <date>\r\nConnection: close\r\n\r\n');
    assert.is(streamed.body.length, 500);
  });

  test('curl reuses one connection for several URLs', async () => {
    const accepted = demo.server.stats().accepted;
    const r = await curl([`${demo.url}/`, `${demo.url}/status/201`, `${demo.url}/`]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.toString(), '{"hello":"world"}{"status":201}{"hello":"world"}');
    assert.is(demo.server.stats().accepted - accepted, 1);
  });
}

test.run();
