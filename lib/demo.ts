// The demo server `npm start` runs: one route per thing the server does, small enough to read in one go.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerOptions } from './config.js';
import { orderRows, orders, ORDERS_SCHEMA } from './demo-data.js';
import { fetchEcho, fetchHello } from './demo-fetch.js';
import { json } from './serializers/json.js';
import { jsonArray } from './serializers/json-array.js';
import { ndjson } from './serializers/ndjson.js';
import { schemaJson } from './serializers/schema-json.js';
import type { Serializer } from './serializers/serializer.js';
import { HttpError } from './errors.js';
import { MAX_BODY_SIZE } from './limits.js';
import type { Request } from './request.js';
import { reply, type Result } from './result.js';
import { router } from './router.js';
import { wsEchoRoute } from './demo-ws.js';
import { createServer, type Server } from './server.js';

export const MAX_ROWS = 100_000;
/** /echo answers with a Content-Length when the body fits in this; a larger one streams back as it comes. */
export const ECHO_WHOLE_LIMIT = 64 * 1024;
/** /stream's largest chunk (past it → 400). Every chunk is a view of one block made once for the process, so
 * `size` costs no memory per request (it did: a 16 MiB buffer each); 16 MiB keeps large-chunk slicing testable. */
export const MAX_STREAM_CHUNK = 16 * 1024 * 1024;
let streamBlock: Buffer | null = null;

let schemaSerializer: Serializer | null = null;

/** /orders?serializer=…: the same rows through each serializer (the schema one is compiled once, on first use). */
const ORDER_SERIALIZERS: Record<string, () => Serializer> = {
  json: () => JSON_SERIALIZER,
  schema: () => (schemaSerializer ??= schemaJson(ORDERS_SCHEMA, 'orders-schema')),
  array: () => ARRAY_SERIALIZER,
  ndjson: () => NDJSON_SERIALIZER,
};
const JSON_SERIALIZER = json();
const ARRAY_SERIALIZER = jsonArray();
const NDJSON_SERIALIZER = ndjson();

function badRequest(message: string): HttpError {
  return new HttpError(400, message, { code: 'H1W_DEMO_BAD_PARAMETER' });
}

/** An integer query parameter in [min, max], or `fallback` when absent. */
function intParam(req: Request, name: string, fallback: number, min: number, max: number): number {
  const raw = req.query.get(name);
  if (raw === null) return fallback;
  if (!/^[0-9]{1,9}$/.test(raw)) throw badRequest(`${name} must be an integer from ${min} to ${max}`);
  const value = Number(raw);
  if (value < min || value > max) throw badRequest(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

/** Echo: small bodies come back whole (with a length), large ones stream back chunk by chunk. */
async function echo(req: Request): Promise<Result> {
  const type = req.header('content-type');
  const headers = type === undefined ? undefined : { 'Content-Type': type };
  const iterator = req.body[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  for (;;) {
    const step = await iterator.next();
    if (step.done === true) {
      const body = head.length === 1 ? (head[0] as Buffer) : Buffer.concat(head, size);
      return { status: 200, headers: headers ?? { 'Content-Type': 'application/octet-stream' }, body };
    }
    head.push(step.value);
    size += step.value.length;
    if (size >= ECHO_WHOLE_LIMIT) break;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    yield* head;
    for (;;) {
      const step = await iterator.next();
      if (step.done === true) return;
      yield step.value;
    }
  }
  return { status: 200, headers: headers ?? { 'Content-Type': 'application/octet-stream' }, body: rest() };
}

async function* pattern(chunks: number, size: number, delay: number, signal: AbortSignal): AsyncGenerator<Buffer> {
  // One buffer for every request, sent again and again: memory grows neither with the response nor the clients.
  streamBlock ??= Buffer.alloc(MAX_STREAM_CHUNK, 'h1wire streams chunk by chunk. ');
  const block = streamBlock.subarray(0, size);
  for (let i = 0; i < chunks; i++) {
    if (delay > 0) await sleep(delay, undefined, { signal });
    yield block;
  }
}

export function demoHandler(getServer: () => Server | null) {
  return router({
    'GET /': () => ({ hello: 'world' }),
    'GET /orders': (req) => {
      const rows = intParam(req, 'rows', 50, 0, MAX_ROWS);
      const name = req.query.get('serializer') ?? 'json';
      const serializer = ORDER_SERIALIZERS[name];
      if (serializer === undefined) throw badRequest(`serializer must be one of ${Object.keys(ORDER_SERIALIZERS).join(', ')}`);
      // The streaming serializers get the rows as they are made, so that neither building nor serializing
      // 5,000 rows is one block; the whole-body ones get the array, as a query result would arrive.
      const body = name === 'array' || name === 'ndjson' ? orderRows(rows) : orders(rows);
      return { status: 200, body, serializer: serializer() };
    },
    '/echo': echo,
    'GET /stream': (req) => {
      const chunks = intParam(req, 'chunks', 10, 0, 10_000_000);
      const size = intParam(req, 'size', 1024, 1, MAX_STREAM_CHUNK);
      const delay = intParam(req, 'delay', 0, 0, 60_000);
      return { status: 200, headers: { 'Content-Type': 'application/octet-stream' }, body: pattern(chunks, size, delay, req.signal) };
    },
    'GET /status/:code': (req) => {
      const code = req.params.code ?? '';
      if (!/^[2-5][0-9][0-9]$/.test(code)) throw badRequest('status must be from 200 to 599');
      const status = Number(code);
      // A 405 must list what the resource takes (RFC 9110 §15.5.6): this route takes GET, so HEAD and OPTIONS.
      const headers = status === 405 ? { Allow: 'GET, HEAD, OPTIONS' } : undefined;
      return reply(status, status === 204 || status === 304 ? undefined : { status }, headers);
    },
    // LESSON.md, chapter 2: the same failure told two ways. Only the status code tells a client it failed.
    'GET /lesson/error-200': () => reply(200, { ok: false, error: 'the database is unavailable' }),
    'GET /lesson/error-503': () => reply(503, { error: 'the database is unavailable' }, { 'Retry-After': '1' }),
    'GET /slow': async (req) => {
      const ms = intParam(req, 'ms', 100, 0, 60_000);
      await sleep(ms, undefined, { signal: req.signal });
      return { slept: ms };
    },
    'GET /ws': wsEchoRoute(),
    'GET /error': () => {
      throw new Error('the demo handler failed on purpose');
    },
    'GET /fetch/hello': fetchHello,
    'POST /fetch/echo': fetchEcho,
    'GET /whoami': (req) => ({ remoteAddress: req.remoteAddress, remotePort: req.remotePort, ip: req.ip, protocol: req.protocol, host: req.host ?? null, pid: process.pid }),
    'GET /stats': () => {
      const memory = process.memoryUsage();
      return { ...getServer()?.stats(), pid: process.pid, process: { rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, arrayBuffers: memory.arrayBuffers } };
    },
  });
}

/** /echo takes bodies up to this by default (it streams them back, so size costs no memory). */
export const ECHO_MAX_BODY = 1024 * 1024 * 1024;

/** The demo's body limit unless --max-body-size is given: the server default, and 1 GiB for /echo. */
export function demoBodyLimit(req: Request): number {
  return req.path === '/echo' ? ECHO_MAX_BODY : MAX_BODY_SIZE;
}

export function createDemoServer(options: ServerOptions = {}): Server {
  let server: Server | null = null;
  server = createServer(demoHandler(() => server), { maxBodySize: demoBodyLimit, ...options });
  return server;
}
