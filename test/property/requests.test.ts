// Property: whatever valid pipeline of requests a client sends, split wherever the bytes happen to be cut,
// the handler sees exactly what was sent, in order. The generated requests (helpers/requests.ts) have
// random methods, targets (origin-form with queries, absolute-form, `*`), header sets with whitespace
// around values, bodies framed by Content-Length or chunked (hex in either case, leading zeros, chunk
// extensions), trailers, Expect: 100-continue, HTTP/1.0 requests with and without keep-alive, and a last
// request that may close.
// The handler answers with what it saw as JSON; the answers are read with the strict response parser.
//
// A failure prints its seed (in the test's name and fast-check's report) and the exact bytes both ways.
// H1W_PROPERTY_SEED=<seed> runs the same cases again and shrinks to the same counterexample;
// H1W_PROPERTY_RUNS=<n> runs more (or fewer) cases.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Request } from '../../lib/request.js';
import { reply } from '../../lib/result.js';
import { converse } from '../helpers/converse.js';
import { cutAt, encodePipeline, expectedSeen, pipelineArb, show, type GenRequest } from '../helpers/requests.js';
import { start, type Running } from '../helpers/server.js';
import { headerOf } from '../helpers/response-parser.js';

const SEED = Number(process.env.H1W_PROPERTY_SEED ?? 20_250_611);
const RUNS = Number(process.env.H1W_PROPERTY_RUNS ?? 120);

let app: Running;

async function echo(req: Request): Promise<unknown> {
  const body = await req.body.bytes();
  return reply(200, {
    method: req.method,
    target: req.target,
    version: req.httpVersion,
    rawHeaders: [...req.rawHeaders],
    body: Buffer.from(body).toString('base64'),
    trailers: [...(req.trailers ?? [])],
  });
}

test.before(async () => {
  app = await start(echo);
});

test.after(async () => {
  await app.close();
});

/** How the bytes are cut into writes: at random fractions, or one byte per write for small inputs. */
const splitArb = fc.record({
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 24 }),
  everyByte: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  pause: fc.constantFrom<'tick' | number>('tick', 'tick', 1),
});

const PROBE = Buffer.from('GET /probe?after HTTP/1.1\r\nHost: probe\r\n\r\n', 'latin1');

async function checkPipeline(reqs: GenRequest[], split: { cuts: number[]; everyByte: boolean; pause: 'tick' | number }): Promise<void> {
  const data = encodePipeline(reqs);
  const last = reqs[reqs.length - 1] as GenRequest;
  // When the connection is kept, a probe after the pipeline shows it is still in step (and answered).
  const wire = last.keepAlive ? Buffer.concat([data, PROBE]) : data;
  const pieces = split.everyByte && wire.length <= 600 ? cutAt(wire, Array.from({ length: wire.length }, (_, i) => i / wire.length)) : cutAt(wire, split.cuts);
  const heads = reqs.map((r) => r.method === 'HEAD');
  const wanted = reqs.length + (last.keepAlive ? 1 : 0);
  const result = await converse(app.port, pieces, { isHead: (i) => heads[i] === true, responses: wanted, untilClose: !last.keepAlive, timeoutMs: 8000 });
  const context = (): string => `\n  request bytes: ${show(data)}\n  cut into ${pieces.length} writes at ${JSON.stringify(pieces.map((p) => p.length))}\n  response bytes: ${show(result.bytes)}`;
  if (result.parsed.error !== null || result.parsed.partial) throw new Error(`responses do not parse (${result.parsed.error ?? 'partial'})${context()}`);
  const finals = result.parsed.finals;
  if (finals.length !== wanted) throw new Error(`${finals.length} responses for ${wanted} requests (closed=${result.closed}, timedOut=${result.timedOut})${context()}`);
  // 100 Continue only to HTTP/1.1 requests that asked for it (at most one each), and no other interim response.
  const interims = result.parsed.responses.filter((r) => r.status < 200);
  const asked = reqs.filter((r) => r.expectContinue && r.version === '1.1').length;
  if (interims.some((r) => r.status !== 100) || interims.length > asked) {
    throw new Error(`interim responses ${JSON.stringify(interims.map((r) => r.status))} for ${asked} requests expecting 100-continue${context()}`);
  }
  for (const [i, req] of reqs.entries()) {
    const res = finals[i];
    if (res === undefined) throw new Error(`no response ${i}${context()}`);
    if (res.status !== 200) throw new Error(`response ${i}: status ${res.status} ${res.body.toString('latin1')}${context()}`);
    const expected = expectedSeen(req);
    const text = JSON.stringify(expected);
    const length = headerOf(res.headers, 'content-length');
    if (length !== String(Buffer.byteLength(text))) throw new Error(`response ${i}: Content-Length ${length}, the GET answer has ${Buffer.byteLength(text)}${context()}`);
    if (req.method === 'HEAD') {
      if (res.body.length !== 0) throw new Error(`response ${i} answers HEAD with a body${context()}`);
    } else {
      let seen: unknown;
      try {
        seen = JSON.parse(res.body.toString('utf8'));
      } catch {
        throw new Error(`response ${i}: body is not JSON${context()}`);
      }
      try {
        assert.equal(seen, expected);
      } catch {
        throw new Error(`request ${i} seen differently\n  expected: ${text}\n  seen:     ${JSON.stringify(seen)}${context()}`);
      }
    }
    const connection = headerOf(res.headers, 'connection');
    const wantConnection = req.keepAlive ? 'keep-alive' : 'close';
    if (connection !== wantConnection) throw new Error(`response ${i}: Connection ${connection}, wanted ${wantConnection}${context()}`);
  }
  if (last.keepAlive) {
    const probe = finals[reqs.length];
    const seen = probe === undefined ? null : (JSON.parse(probe.body.toString('utf8')) as { target: string });
    if (seen?.target !== '/probe?after') throw new Error(`the request after the pipeline was not answered in step: ${JSON.stringify(seen)}${context()}`);
    if (result.closed) throw new Error(`the server closed a connection it should have kept${context()}`);
  } else if (!(result.closed && result.fin && !result.reset)) {
    throw new Error(`the last request asked to close; closed=${result.closed} fin=${result.fin} reset=${result.reset}${context()}`);
  }
}

test(`pipelines of valid requests, split at random boundaries, are seen exactly as sent (seed ${SEED}, ${RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(pipelineArb(5, { head: true }), splitArb, async (reqs, split) => {
      await checkPipeline(reqs, split);
    }),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
});

test(`single requests, one byte per write (seed ${SEED})`, async () => {
  await fc.assert(
    fc.asyncProperty(pipelineArb(1, { large: false }), async (reqs) => {
      await checkPipeline(reqs, { cuts: [], everyByte: true, pause: 'tick' });
    }),
    { seed: SEED, numRuns: Math.ceil(RUNS / 6), includeErrorInReport: true },
  );
});

test.run();
