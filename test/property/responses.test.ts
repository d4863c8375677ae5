// Property: whatever a handler returns, the response parses cleanly with the strict response parser and is
// framed the way RFC 9112 §6 demands:
//   - HEAD, 1xx, 204 and 304 carry no body bytes; 204/304 carry no Content-Length or Transfer-Encoding;
//     HEAD carries the GET's Content-Length (or Transfer-Encoding: chunked) and nothing after the head;
//   - 205 is sent with Content-Length: 0;
//   - a whole body (string, Buffer, JSON value) has an exact Content-Length;
//   - a stream with a declared length has exactly that Content-Length; one that breaks its length resets the
//     connection and never shows a complete response with bytes it did not promise;
//   - a stream of unknown length is chunked on HTTP/1.1 (with the trailers given) and close-delimited with
//     `Connection: close` on HTTP/1.0;
//   - the Connection header and what the server does next agree: a kept connection answers the next request,
//     a closed one is closed with a FIN and answers nothing more;
//   - the handler's own header fields come out as given, in order.
// Handlers return strings, Buffers, objects, undefined, null, async iterables, Node Readables and web
// ReadableStreams, as plain values or results with statuses, headers, lengths and trailers; requests are GET
// or HEAD, HTTP/1.1 or HTTP/1.0, with or without Connection: close / keep-alive.
//
// A failure prints its seed (in the test's name and fast-check's report) and the exact bytes both ways.
// H1W_PROPERTY_SEED=<seed> runs the same cases again and shrinks to the same counterexample;
// H1W_PROPERTY_RUNS=<n> runs more (or fewer) cases.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { test } from 'uvu';
import type { Request } from '../../lib/request.js';
import { converse } from '../helpers/converse.js';
import { fieldValue, show, token } from '../helpers/requests.js';
import { start, type Running } from '../helpers/server.js';
import { headerOf, headersNamed, type Response } from '../helpers/response-parser.js';

const SEED = Number(process.env.H1W_PROPERTY_SEED ?? 7_041_989);
const RUNS = Number(process.env.H1W_PROPERTY_RUNS ?? 250);

type Kind = 'undefined' | 'null' | 'string' | 'buffer' | 'object' | 'async' | 'readable' | 'web';
type Piece = string | Uint8Array;

interface ResponseSpec {
  wrap: 'plain' | 'result';
  status: number;
  headers: [string, string][];
  headersAsObject: boolean;
  closeHeader: boolean;
  kind: Kind;
  text: string;
  bytes: Uint8Array;
  value: unknown;
  chunks: Piece[];
  /** none: no declared length; exact; short: declares more than it sends; long: declares fewer. */
  length: 'none' | 'exact' | 'short' | 'long';
  lengthVia: 'option' | 'header';
  lengthDelta: number;
  trailers: 'none' | 'object' | 'function' | 'async';
  trailerFields: [string, string][];
  slow: boolean;
}

interface RequestSpec {
  method: 'GET' | 'HEAD';
  version: '1.0' | '1.1';
  connection: 'none' | 'keep-alive' | 'close';
}

const STREAMS: readonly Kind[] = ['async', 'readable', 'web'];

// Names the server writes itself (or refuses from a handler); Date is left to the server.
const MANAGED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date', 'content-type']);
const userName = token(16).filter((n) => !MANAGED.has(n.toLowerCase()));

const pieceArb: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 70_000 }).map((n) => new Uint8Array(n).fill(0x61)) },
);

const statusArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(200, 201, 202, 203, 206, 299) },
  { weight: 2, arbitrary: fc.constantFrom(204, 205, 304) },
  { weight: 3, arbitrary: fc.integer({ min: 300, max: 599 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 199 }) },
);

const responseArb: fc.Arbitrary<ResponseSpec> = fc.record({
  wrap: fc.constantFrom('plain', 'result', 'result'),
  status: statusArb,
  headers: fc.array(fc.tuple(userName, fieldValue.filter((v) => v !== '')), { maxLength: 5 }),
  headersAsObject: fc.boolean(),
  contentType: fc.option(fc.constantFrom('text/html; charset=utf-8', 'application/x-thing', 'image/png'), { nil: undefined }),
  closeHeader: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  kind: fc.constantFrom<Kind>('undefined', 'null', 'string', 'buffer', 'object', 'async', 'readable', 'web'),
  text: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 50 })),
  bytes: fc.uint8Array({ maxLength: 500 }),
  value: fc.jsonValue({ maxDepth: 3 }),
  chunks: fc.array(pieceArb, { maxLength: 6 }),
  length: fc.constantFrom('none', 'none', 'exact', 'short', 'long'),
  lengthVia: fc.constantFrom('option', 'header'),
  lengthDelta: fc.integer({ min: 1, max: 100 }),
  trailers: fc.constantFrom('none', 'none', 'object', 'function', 'async'),
  trailerFields: fc.array(fc.tuple(userName, fieldValue.filter((v) => v !== '')), { minLength: 1, maxLength: 3 }),
  slow: fc.boolean(),
}).map((r) => {
  const headers: [string, string][] = [...r.headers];
  if (r.contentType !== undefined) headers.splice(r.headers.length > 0 ? 1 : 0, 0, ['Content-Type', r.contentType]);
  return { ...r, headers };
});

const requestArb: fc.Arbitrary<RequestSpec> = fc.record({
  method: fc.constantFrom('GET', 'GET', 'HEAD'),
  version: fc.constantFrom('1.1', '1.1', '1.0'),
  connection: fc.constantFrom('none', 'keep-alive', 'close'),
});

function toBytes(p: Piece): Buffer {
  return typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
}

function streamBytes(spec: ResponseSpec): Buffer {
  return Buffer.concat(spec.chunks.map(toBytes));
}

/** The length a spec declares for its stream, or -1. */
function declared(spec: ResponseSpec): number {
  if (spec.wrap === 'plain' || spec.length === 'none') return -1;
  const n = STREAMS.includes(spec.kind) ? streamBytes(spec).length : wholeBytes(spec)?.length ?? 0;
  if (spec.length === 'exact') return n;
  if (spec.length === 'short') return n + spec.lengthDelta;
  return Math.max(0, n - spec.lengthDelta);
}

/** The whole body a non-stream spec produces (null for none), as the default serializers make it. */
function wholeBytes(spec: ResponseSpec): Buffer | null {
  switch (spec.kind) {
    case 'undefined':
      return null;
    case 'null':
      // Returned as a plain value, null is a value (JSON null); as a result's body it means no body.
      return spec.wrap === 'result' ? null : Buffer.from('null');
    case 'string':
      return Buffer.from(spec.text, 'utf8');
    case 'buffer':
      return Buffer.from(spec.bytes);
    case 'object':
      return Buffer.from(JSON.stringify(objectValue(spec)), 'utf8');
    default:
      return null;
  }
}

/** An object body that cannot be mistaken for a result ({ status, body } …). */
function objectValue(spec: ResponseSpec): unknown {
  return { data: spec.value };
}

async function* slowly(pieces: Piece[], slow: boolean): AsyncGenerator<Piece> {
  for (const p of pieces) {
    if (slow) await new Promise((r) => setTimeout(r, 1));
    else await Promise.resolve();
    yield p;
  }
}

function makeBody(spec: ResponseSpec): unknown {
  switch (spec.kind) {
    case 'undefined':
      return undefined;
    case 'null':
      return null;
    case 'string':
      return spec.text;
    case 'buffer':
      return Buffer.from(spec.bytes);
    case 'object':
      return objectValue(spec);
    case 'async':
      return slowly(spec.chunks, spec.slow);
    case 'readable':
      return Readable.from(spec.chunks.map(toBytes).filter((b) => b.length > 0));
    case 'web': {
      let i = 0;
      return new ReadableStream<Piece>({
        async pull(controller) {
          if (spec.slow) await new Promise((r) => setTimeout(r, 1));
          if (i < spec.chunks.length) controller.enqueue(spec.chunks[i++] as Piece);
          else controller.close();
        },
      });
    }
  }
}

function makeResult(spec: ResponseSpec): unknown {
  const body = makeBody(spec);
  if (spec.wrap === 'plain') return body;
  const headers: [string, string][] = [...spec.headers];
  const length = declared(spec);
  if (length >= 0 && spec.lengthVia === 'header') headers.push(['Content-Length', String(length)]);
  if (spec.closeHeader) headers.push(['Connection', 'close']);
  const result: Record<string, unknown> = { status: spec.status, body };
  if (spec.headersAsObject && new Set(headers.map(([n]) => n.toLowerCase())).size === headers.length && headers.every(([n]) => !/^[0-9]+$/.test(n))) {
    result.headers = Object.fromEntries(headers);
  } else {
    result.headers = headers;
  }
  if (length >= 0 && spec.lengthVia === 'option') result.length = length;
  const fields = Object.fromEntries(spec.trailerFields);
  const pairs = spec.trailerFields;
  if (spec.trailers === 'object') result.trailers = pairs;
  else if (spec.trailers === 'function') result.trailers = () => pairs;
  else if (spec.trailers === 'async') result.trailers = async () => fields;
  return result;
}

const specs = new Map<string, ResponseSpec>();
let nextId = 0;
let app: Running;

function handler(req: Request): unknown {
  if (req.path === '/probe') return 'probe';
  const spec = specs.get(req.path);
  if (spec === undefined) return { status: 404 };
  return makeResult(spec);
}

test.before(async () => {
  app = await start(handler);
});

test.after(async () => {
  await app.close();
});

/** The model: what the response must look like. */
interface Expected {
  status: number;
  /** Exact body bytes, or null when only the error code is checked. */
  body: Buffer | null;
  errorCode: string | null;
  /** Content-Length value required, null for none, 'some' for one whatever its value (an error body). */
  contentLength: string | null;
  chunked: boolean;
  contentType: string | null;
  trailers: [string, string][];
  userHeaders: [string, string][];
  closes: boolean;
  /** The stream breaks its declared length: the connection is reset and the response never completes with
   * more than the declared bytes. */
  broken: boolean;
  /** For a broken stream: the bytes it would have sent. */
  streamed: Buffer | null;
}

function model(spec: ResponseSpec, req: RequestSpec): Expected {
  const head = req.method === 'HEAD';
  const http11 = req.version === '1.1';
  let closes = http11 ? req.connection === 'close' : req.connection !== 'keep-alive';
  const base = { errorCode: null, trailers: [] as [string, string][], broken: false, streamed: null };
  const result = spec.wrap === 'result';
  const status = !result ? (spec.kind === 'undefined' ? 204 : 200) : spec.status;
  const userHeaders = result ? spec.headers : [];
  const userType = result ? spec.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? null : null;
  // An error replaces the handler's headers, its Connection: close among them.
  const closesOnError = closes;
  if (result && spec.closeHeader) closes = true;
  if (status < 200) {
    return { ...base, status: 500, body: null, errorCode: head ? null : 'H1W_INVALID_STATUS', contentLength: 'some', chunked: false, contentType: 'application/json', userHeaders: [], closes: closesOnError };
  }
  const stream = STREAMS.includes(spec.kind);
  const length = declared(spec);
  const noBody = status === 204 || status === 304;
  const plainNull = spec.kind === 'null' && !result;
  const defaultType = spec.kind === 'string' ? 'text/plain; charset=utf-8' : spec.kind === 'buffer' || stream ? 'application/octet-stream' : spec.kind === 'object' || plainNull ? 'application/json' : null;
  if (status === 205) {
    return { ...base, status, body: Buffer.alloc(0), contentLength: '0', chunked: false, contentType: userType, userHeaders, closes };
  }
  const contentType = noBody ? userType : userType ?? defaultType;
  if (!stream) {
    const whole = wholeBytes(spec);
    const n = whole === null ? 0 : whole.length;
    if (length >= 0 && length !== n) {
      if (!(whole === null && (noBody || head))) {
        return { ...base, status: 500, body: null, errorCode: head ? null : 'H1W_INVALID_LENGTH', contentLength: 'some', chunked: false, contentType: 'application/json', userHeaders: [], closes: closesOnError };
      }
    }
    if (noBody) return { ...base, status, body: Buffer.alloc(0), contentLength: null, chunked: false, contentType, userHeaders, closes };
    const cl = length >= 0 ? length : n;
    return { ...base, status, body: head ? Buffer.alloc(0) : whole ?? Buffer.alloc(0), contentLength: String(cl), chunked: false, contentType, userHeaders, closes };
  }
  const bytes = streamBytes(spec);
  if (noBody) return { ...base, status, body: Buffer.alloc(0), contentLength: null, chunked: false, contentType, userHeaders, closes };
  if (length >= 0) {
    const broken = !head && length !== bytes.length;
    return { ...base, status, body: head ? Buffer.alloc(0) : bytes, contentLength: String(length), chunked: false, contentType, userHeaders, closes: closes || broken, broken, streamed: bytes };
  }
  if (http11) {
    // An object of trailers has one value per name (and JavaScript's own key order).
    const given = spec.trailers === 'async' ? Object.entries(Object.fromEntries(spec.trailerFields)) : spec.trailerFields;
    const trailers = head || !result || spec.trailers === 'none' ? [] : given;
    return { ...base, status, body: head ? Buffer.alloc(0) : bytes, contentLength: null, chunked: true, contentType, userHeaders, closes, trailers };
  }
  // HTTP/1.0, unknown length: delimited by the close (a HEAD answer has no body to delimit).
  return { ...base, status, body: head ? Buffer.alloc(0) : bytes, contentLength: null, chunked: false, contentType, userHeaders, closes: closes || !head };
}

function requestText(path: string, req: RequestSpec): string {
  let text = `${req.method} ${path} HTTP/${req.version}\r\nHost: localhost\r\n`;
  if (req.connection !== 'none') text += `Connection: ${req.connection}\r\n`;
  return `${text}\r\n`;
}

const PROBE = 'GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n';

/** The header fields a handler set, as they came out: all but what the server writes itself. */
function userFieldsOf(res: Response, expected: Expected): [string, string][] {
  const out: [string, string][] = [];
  let typeSkipped = false;
  for (const [name, value] of res.headers) {
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'date' || lower === 'connection' || lower === 'keep-alive') continue;
    if (lower === 'content-type' && !typeSkipped && !expected.userHeaders.some(([n]) => n.toLowerCase() === 'content-type')) {
      typeSkipped = true; // the server's own Content-Type
      continue;
    }
    out.push([name, value]);
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What is wrong with `res` as the answer `expected` describes (empty when nothing). */
function judge(res: Response, req: RequestSpec, expected: Expected): string[] {
  const problems: string[] = [];
  if (res.version !== '1.1') problems.push(`status line says HTTP/${res.version}`);
  if (res.status !== expected.status) problems.push(`status ${res.status}, wanted ${expected.status}`);
  const lengths = headersNamed(res.headers, 'content-length');
  const te = headersNamed(res.headers, 'transfer-encoding');
  const lengthOk =
    expected.contentLength === null ? lengths.length === 0 : expected.contentLength === 'some' ? lengths.length === 1 : same(lengths, [expected.contentLength]);
  if (!lengthOk) problems.push(`Content-Length ${JSON.stringify(lengths)}, wanted ${expected.contentLength ?? 'none'}`);
  if (expected.chunked ? !same(te, ['chunked']) : te.length !== 0) problems.push(`Transfer-Encoding ${JSON.stringify(te)}, wanted ${expected.chunked ? 'chunked' : 'none'}`);
  const type = headersNamed(res.headers, 'content-type');
  const wantType = expected.contentType === null ? [] : [expected.contentType];
  if (!same(type, wantType)) problems.push(`Content-Type ${JSON.stringify(type)}, wanted ${JSON.stringify(wantType)}`);
  if (req.method === 'HEAD' && res.body.length > 0) problems.push('a body in the answer to HEAD');
  if (expected.body !== null && !res.body.equals(expected.body)) problems.push(`body ${show(res.body, 300)}, wanted ${show(expected.body, 300)}`);
  if (expected.errorCode !== null) {
    const code = (JSON.parse(res.body.toString('utf8')) as { error?: { code?: string } }).error?.code;
    if (code !== expected.errorCode) problems.push(`error code ${code}, wanted ${expected.errorCode}`);
  }
  if (!same(res.trailers, expected.trailers)) problems.push(`trailers ${JSON.stringify(res.trailers)}, wanted ${JSON.stringify(expected.trailers)}`);
  if (expected.errorCode === null && !same(userFieldsOf(res, expected), expected.userHeaders)) {
    problems.push(`handler's fields came out as ${JSON.stringify(userFieldsOf(res, expected))}, wanted ${JSON.stringify(expected.userHeaders)}`);
  }
  const connection = headerOf(res.headers, 'connection');
  if (connection !== (expected.closes ? 'close' : 'keep-alive')) problems.push(`Connection: ${connection}, wanted ${expected.closes ? 'close' : 'keep-alive'}`);
  if (!expected.closes && headerOf(res.headers, 'keep-alive') !== 'timeout=5') problems.push('a kept connection without Keep-Alive: timeout=5');
  if (headerOf(res.headers, 'date') === undefined) problems.push('no Date');
  return problems;
}

/**
 * Sends the requests (one per handler result) on one connection, then a probe when the last one keeps the
 * connection, and checks every answer. Every pair but the last keeps the connection and frames correctly.
 */
async function check(pairs: readonly (readonly [ResponseSpec, RequestSpec])[]): Promise<void> {
  let wire = '';
  const paths: string[] = [];
  const expectations = pairs.map(([spec, req]) => {
    const path = `/r/${nextId++}`;
    specs.set(path, spec);
    paths.push(path);
    wire += requestText(path, req);
    return model(spec, req);
  });
  const last = expectations[expectations.length - 1] as Expected;
  const data = Buffer.from(`${wire}${PROBE}`, 'latin1');
  const result = await converse(app.port, [data], {
    isHead: (i) => pairs[i]?.[1].method === 'HEAD',
    responses: pairs.length + (last.closes ? 0 : 1),
    untilClose: last.closes,
    timeoutMs: 8000,
  });
  for (const path of paths) specs.delete(path);
  const problems: string[] = [];
  const parsed = result.parsed;
  for (const [i, expected] of expectations.entries()) {
    const res = parsed.finals[i];
    const req = (pairs[i] as readonly [ResponseSpec, RequestSpec])[1];
    if (expected.broken) {
      // The stream broke its promised length. The connection ends (a reset, which a client may also see as a
      // plain end), and never with a complete response holding bytes it did not promise (when it sent more
      // than it declared, the declared bytes do make a complete-looking response: that much was promised).
      if (!result.closed) problems.push('a stream that broke its declared length left the connection open');
      if (res !== undefined && !parsed.partial) {
        const length = Number(expected.contentLength);
        if (!(expected.streamed !== null && expected.streamed.length > length && res.body.equals(expected.streamed.subarray(0, length)))) {
          problems.push(`a complete response from a stream that broke its length: ${show(res.body, 200)}`);
        }
      }
      if (parsed.finals.length > i + 1) problems.push('answered the request after a broken response');
      continue;
    }
    if (res === undefined) {
      problems.push(`no response ${i}`);
      break;
    }
    problems.push(...judge(res, req, expected).map((p) => `response ${i}: ${p}`));
  }
  if (!last.broken) {
    if (parsed.error !== null) problems.push(`strict parser: ${parsed.error}`);
    if (parsed.partial) problems.push('a response is incomplete');
    if (parsed.responses.length !== parsed.finals.length) problems.push('an interim response was sent');
    if (last.closes) {
      if (!(result.closed && result.fin && !result.reset)) problems.push(`wanted an orderly close; closed=${result.closed} fin=${result.fin} reset=${result.reset}`);
      if (parsed.finals.length !== pairs.length) problems.push(`${parsed.finals.length} responses to ${pairs.length} requests, the last of which closes`);
    } else {
      const probe = parsed.finals[pairs.length];
      if (probe === undefined || probe.status !== 200 || probe.body.toString() !== 'probe') problems.push('the next request on the kept connection was not answered');
      if (result.closed) problems.push('the server closed a kept connection');
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `${problems.join('\n  ')}\n  requests: ${show(data)}\n  handler results: ${pairs.map(([spec]) => describe(spec)).join('\n    ')}\n  response bytes: ${show(result.bytes, 3000)}\n  closed=${result.closed} fin=${result.fin} reset=${result.reset}`,
    );
  }
}

function describe(spec: ResponseSpec): string {
  return JSON.stringify({ ...spec, bytes: Buffer.from(spec.bytes).toString('base64'), chunks: spec.chunks.map((c) => (typeof c === 'string' ? c : `<${c.length} bytes>`)) });
}

test(`handler results are framed as RFC 9112 demands and parse strictly (seed ${SEED}, ${RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(responseArb, requestArb, async (spec, req) => {
      await check([[spec, req]]);
    }),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
});

/** A pair that keeps the connection and frames correctly (so that another response may follow it). */
const keptPair = fc.tuple(responseArb, requestArb).map(([spec, req]): [ResponseSpec, RequestSpec] => {
  const keptReq: RequestSpec = { ...req, connection: req.version === '1.0' ? 'keep-alive' : req.connection === 'close' ? 'none' : req.connection };
  const keptSpec: ResponseSpec = { ...spec, closeHeader: false, length: spec.length === 'exact' ? 'exact' : 'none' };
  // HTTP/1.0 cannot keep a connection under a stream of unknown length (its end is the close).
  if (keptReq.version === '1.0' && keptReq.method === 'GET' && STREAMS.includes(keptSpec.kind) && (keptSpec.wrap === 'plain' || keptSpec.length === 'none')) {
    keptReq.version = '1.1';
  }
  return [keptSpec, keptReq];
});

test(`pipelined handler results come back in order, each framed correctly (seed ${SEED}, ${Math.ceil(RUNS / 2)} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(keptPair, { maxLength: 4 }), fc.tuple(responseArb, requestArb), async (kept, last) => {
      await check([...kept, last]);
    }),
    { seed: SEED, numRuns: Math.ceil(RUNS / 2), includeErrorInReport: true },
  );
});

test.run();
