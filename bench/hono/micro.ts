// `node dist/bench/hono/micro.js`: where a fetchHandler request's time goes between h1wire's parse and the write,
// in-process, no socket. One parsed GET (captured once through inject) is handed again and again to each variant;
// each iteration runs the handler, waits for its value only when it is a promise (as handle.ts does), then the
// serialize and frame stages (serializeValue, buildHead) exactly as the responder calls them. Variants alternate
// round by round; the figure is the median CPU time per request, and the ratio to the native handler.
import { Hono } from 'hono';
import { parseArgs } from 'node:util';
import { fetchHandler } from '../../lib/fetch-handler.js';
import { toWebRequest } from '../../lib/fetch-request.js';
import { toResult } from '../../lib/fetch-response.js';
import { LightResponse } from '../../lib/fetch-light-response.js';
import { BODY_WHOLE, buildHead, chooseFraming } from '../../lib/frame.js';
import type { Handler } from '../../lib/handle.js';
import { inject } from '../../lib/inject.js';
import type { Request as H1Request } from '../../lib/request.js';
import { router } from '../../lib/router.js';
import { serializeValue } from '../../lib/serialize.js';
import { json } from '../../lib/serializers/json.js';
import { median } from '../lib/stats.js';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, iterations: { type: 'string' } } });
const ROUNDS = Number(values.rounds ?? 7);
const ITERATIONS = Number(values.iterations ?? 100_000);
const CTX = { serializers: [json()], strictAccept: false };
const KEEP_ALIVE = 'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n';

const UndiciResponse = globalThis.Response;

/** The benchmark's JSON route; `after`: behind a middleware that sets a header once the route ran (as cors'
 * Vary or an X-Response-Time middleware do), which makes Hono rebuild the response from its body stream. */
function honoApp(after = false): Hono {
  const app = new Hono();
  if (after) {
    app.use(async (c, next) => {
      await next();
      c.header('x-after', '1');
    });
  }
  app.get('/json', (c) => c.json({ hello: 'world' }));
  return app;
}

let captured: H1Request | undefined;
await inject((req) => {
  captured = req;
  return '';
}, { url: '/json', headers: { 'user-agent': 'wrk', accept: '*/*' } });
const req = captured as H1Request;

/** handler → (await if a promise) → serialize → frame: the stages between the parse and the write. */
function throughStages(handler: Handler): () => unknown {
  const frame = (value: unknown): string => {
    const res = serializeValue(value, undefined, CTX, false);
    const framing = chooseFraming(res.status, res.kind, res.declaredLength, true);
    const length = res.kind === BODY_WHOLE && res.declaredLength < 0 ? res.byteLength : res.declaredLength;
    return buildHead(res.status, res.headers, res.contentType, framing, length, KEEP_ALIVE, '', res.reason);
  };
  return () => {
    const value = handler(req);
    return value instanceof Promise ? value.then(frame) : frame(value);
  };
}

/** A variant that runs with a given global Response (the light one, or undici's). */
interface Variant {
  name: string;
  run: () => unknown;
  response: typeof Response;
}

const app = honoApp();
const withAfter = honoApp(true);
const Light = LightResponse as unknown as typeof Response;
const VARIANTS: Variant[] = [
  { name: 'native router (plain object)', run: throughStages(router({ 'GET /json': () => ({ hello: 'world' }) })), response: UndiciResponse },
  { name: 'fetchHandler + Hono (light Response)', run: throughStages(fetchHandler(app.fetch)), response: Light },
  { name: 'fetchHandler + Hono (undici Response)', run: throughStages(fetchHandler(app.fetch, { overrideGlobalResponse: false })), response: UndiciResponse },
  { name: 'fetchHandler + Hono, header after (light)', run: throughStages(fetchHandler(withAfter.fetch)), response: Light },
  {
    name: 'fetchHandler + Hono, header after (undici)',
    run: throughStages(fetchHandler(withAfter.fetch, { overrideGlobalResponse: false })),
    response: UndiciResponse,
  },
  { name: '  of which: toWebRequest + url', run: () => toWebRequest(req).url, response: Light },
  { name: '  of which: Hono app.fetch (light)', run: () => app.fetch(toWebRequest(req)), response: Light },
  { name: '  of which: new Response (light)', run: () => new Light('{"hello":"world"}', { headers: { 'Content-Type': 'application/json' } }), response: Light },
  { name: '  of which: new Response (undici)', run: () => new UndiciResponse('{"hello":"world"}', { headers: { 'Content-Type': 'application/json' } }), response: UndiciResponse },
  {
    name: '  of which: toResult (light)',
    run: () => toResult(new Light('{"hello":"world"}', { headers: { 'Content-Type': 'application/json' } }), false),
    response: Light,
  },
];

async function timed(variant: Variant): Promise<number> {
  globalThis.Response = variant.response;
  const start = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) {
    const out = variant.run();
    if (out instanceof Promise) await out;
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / ITERATIONS; // ns per request
}

const samples = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
for (const variant of VARIANTS) await timed(variant); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
  for (const variant of order) samples.get(variant.name)!.push(await timed(variant));
}
globalThis.Response = UndiciResponse;

const native = median(samples.get(VARIANTS[0]!.name)!);
process.stdout.write(`fetchHandler micro: ${ROUNDS} rounds × ${ITERATIONS} requests, Node.js ${process.version}; CPU ns/request, median\n`);
for (const variant of VARIANTS) {
  const ns = median(samples.get(variant.name)!);
  process.stdout.write(`${variant.name.padEnd(42)} ${ns.toFixed(0).padStart(6)} ns   ${(ns / native).toFixed(2)}× native\n`);
}
