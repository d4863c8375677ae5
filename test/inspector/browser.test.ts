// The inspector in a real browser: headless Chromium opens /_wire while raw clients make keep-alive, pipelined,
// chunked and slow-reading requests; the page must show their rows, states, stages, framings and byte counts.
// A screenshot goes to artifacts/inspector.png (gitignored).
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHANNELS } from '../../lib/stages.js';
import { waitFor } from '../helpers/process.js';
import { startDemo, type Running } from '../helpers/server.js';
import { launchChromium } from './chromium.js';

const ARTIFACTS = fileURLToPath(new URL('../../../artifacts/', import.meta.url));
let demo: Running;
let browser: Browser;
let page: Page;
const sockets: net.Socket[] = [];
/** Each socket's local port, kept for after it has closed. */
const ports = new Map<net.Socket, number>();

test.before(async () => {
  demo = await startDemo({ inspector: true });
});

// In a test, not in test.before: uvu reports a failing hook as 0 of N passed and exits 0.
test('headless Chromium opens /_wire and the page goes live', async () => {
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${demo.url}/_wire`);
  await page.locator('#status', { hasText: 'live' }).waitFor({ timeout: 5000 });
  assert.is(await page.title(), 'h1wire — wire inspector');
});
test.after(async () => {
  for (const socket of sockets) socket.destroy();
  await browser?.close();
  await demo?.close();
  // The page's event stream ends with the browser; its feed lets go of the channels soon after.
  await waitFor(() => Object.values(CHANNELS).every((channel) => !channel.hasSubscribers), 2000);
});

/** A raw client socket, connected; its row on the page is found by its local port. */
async function connect(): Promise<net.Socket> {
  const socket = net.connect(demo.port, '127.0.0.1');
  sockets.push(socket);
  await new Promise((resolve) => socket.once('connect', resolve));
  ports.set(socket, socket.localPort as number);
  return socket;
}

function row(socket: net.Socket): ReturnType<Page['locator']> {
  return page.locator('#connections tr', { has: page.locator('td.remote', { hasText: new RegExp(`:${ports.get(socket)}$`) }) });
}

/** Fails after `ms` instead of hanging the suite. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const closed = (socket: net.Socket): Promise<unknown> => within(5000, 'close', new Promise((resolve) => socket.once('close', resolve)));

/** Resolves with the bytes received (latin1) once they match `pattern`. */
async function received(socket: net.Socket, pattern: RegExp): Promise<string> {
  let text = '';
  return within(3000, `a response matching ${pattern}`, new Promise<string>((resolve) => {
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (pattern.test(text)) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
  }));
}

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

test('keep-alive: one row, three requests, idle, and each exchange as a waterfall with its heads', async () => {
  const socket = await connect();
  let response = '';
  for (let i = 1; i <= 3; i++) {
    socket.write(GET(`/?n=${i}`, 'Authorization: Bearer s3cret-token\r\n'));
    response = await received(socket, /\r\n\r\n\{"hello":"world"\}$/);
  }
  const responseBytes = response.indexOf('\r\n\r\n') + 4;
  const tr = row(socket);
  await tr.locator('td.requests', { hasText: /^3$/ }).waitFor({ timeout: 3000 });
  await tr.locator('td.state', { hasText: /^idle$/ }).waitFor({ timeout: 3000 });
  const id = await tr.locator('td.id').textContent();
  const box = page.locator(`.exchange[data-id="${id}.3"]`);
  await box.locator('.line', { hasText: /GET \/\?n=3 → 200 Content-Length 17 body bytes/ }).waitFor({ timeout: 3000 });
  assert.equal(await box.locator('.stage-name').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage'))), [
    'parse', 'handle', 'serialize', 'frame', 'write', 'finish',
  ]);
  const requestBytes = Buffer.byteLength(GET('/?n=3', 'Authorization: Bearer [redacted 12 bytes]\r\n'));
  assert.equal(await box.locator('.bytes').allTextContents(), [`request head: ${requestBytes} bytes`, `response head: ${responseBytes} bytes`]);
  const heads = await box.locator('pre.head').allTextContents();
  assert.match(heads[0] ?? '', /^GET \/\?n=3 HTTP\/1\.1\\r\\n\nHost: x\\r\\n\nAuthorization: Bearer \[redacted 12 bytes\]\\r\\n\n\\r\\n\n$/);
  assert.match(heads[1] ?? '', /^HTTP\/1\.1 200 OK\\r\\n\nContent-Type: application\/json\\r\\n\nContent-Length: 17\\r\\n\n/);
  assert.not.match(await page.content(), /s3cret/);
});

test('pipelined requests: answered in order on one row; a chunked stream is named chunked', async () => {
  const socket = await connect();
  socket.resume();
  socket.write(GET('/orders?rows=1') + GET('/stream?chunks=3&size=10') + GET('/', 'Connection: close\r\n'));
  await closed(socket);
  const tr = row(socket);
  await tr.locator('td.requests', { hasText: /^3$/ }).waitFor({ timeout: 3000 });
  await tr.locator('td.reason', { hasText: 'client-asked' }).waitFor({ timeout: 3000 });
  const id = await tr.locator('td.id').textContent();
  await page.locator(`.exchange[data-id="${id}.2"] .framing`, { hasText: /^chunked$/ }).waitFor({ timeout: 3000 });
  assert.match((await page.locator(`.exchange[data-id="${id}.2"] .line`).textContent()) ?? '', /→ 200 chunked 30 body bytes/);
  assert.is(await page.locator(`.exchange[data-id="${id}.1"] .framing`).textContent(), 'Content-Length');
});

test('a slow reader: its connection shows writing while it does not read, then a backpressure entry', async () => {
  const socket = await connect();
  socket.pause();
  socket.write(GET('/stream?chunks=256&size=65536', 'Connection: close\r\n'));
  const tr = row(socket);
  await tr.locator('td.state', { hasText: /^writing$/ }).waitFor({ timeout: 3000 });
  const id = await tr.locator('td.id').textContent();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.is(await tr.locator('td.state').textContent(), 'writing', 'still writing: the reader has not read');
  await page.screenshot({ path: `${ARTIFACTS}inspector-slow-reader.png`, fullPage: false });
  socket.resume();
  await closed(socket);
  await page.locator(`#backpressure li[data-conn="${id}"]`).first().waitFor({ timeout: 3000 });
  assert.match((await page.locator(`#backpressure li[data-conn="${id}"]`).last().textContent()) ?? '', /write blocked \d+× \([\d.]+ ms in all\), then drain/);
  await page.locator(`.exchange[data-id="${id}.1"] .line`, { hasText: '16777216 body bytes' }).waitFor({ timeout: 3000 });
  await page.screenshot({ path: `${ARTIFACTS}inspector.png`, fullPage: false });
});

mkdirSync(ARTIFACTS, { recursive: true });
test.run();
