// Mutation fuzzing of the demo over real sockets. Each case is derived from one number (its seed): a seed
// input (a corpus request, or a valid pipeline from helpers/requests.ts pointed at /echo), one to four
// mutations (bit flips, bytes replaced, inserted or deleted, interesting tokens spliced in, slices doubled,
// truncation, another input appended), and a random way of cutting the bytes into writes. The client then
// stops sending, without closing its side, and watches.
//
// What must hold (the oracle), against a reference parse of the same bytes by a strict llhttp in request mode
// (helpers/reference-requests.ts, the parser the server runs; it tells how many requests are complete and which
// are HEAD):
//   - everything the server sent parses with the strict response parser (helpers/response-parser.ts: no
//     garbage, no bytes after a close);
//   - no request is answered twice and no hidden request is answered: final responses ≤ complete requests + 1,
//     and an answer beyond the complete requests is a 4xx/5xx with `Connection: close`;
//   - a 2xx from /echo carries exactly the body the reference read for that request;
//   - a `Connection: close` answer is the last one;
//   - the server closes the connection by itself: at once after a closing answer, and in any case within the
//     longest deadline (headers, request, keep-alive + its 1 s buffer) plus some slack after the last byte sent;
//   - the server process stays alive (checked by the callers).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import fc from 'fast-check';
import { encodePipeline, pipelineArb } from '../helpers/requests.js';
import { parseRequests, type ReferenceRequest } from '../helpers/reference-requests.js';
import { headerOf, parseResponses, type ParseResult } from '../helpers/response-parser.js';
import { prng } from '../helpers/wire.js';

export interface Limits {
  headersTimeout: number;
  requestTimeout: number;
  /** keepAliveTimeout + keepAliveBuffer: how long an idle connection lives. */
  idleTimeout: number;
  /** Time allowed beyond a deadline (sweep period, a busy machine). */
  slackMs: number;
}

/** The demo's flags for these limits (keep-alive buffer: the server's fixed 1 s). */
export function demoArgs(limits: Limits): string[] {
  return [
    '--headers-timeout',
    String(limits.headersTimeout),
    '--request-timeout',
    String(limits.requestTimeout),
    '--keep-alive-timeout',
    String(limits.idleTimeout - 1000),
  ];
}

export const DEFAULT_LIMITS: Limits = { headersTimeout: 400, requestTimeout: 800, idleTimeout: 1200, slackMs: 1500 };

export interface FuzzCase {
  seed: number;
  origin: string;
  mutations: string[];
  bytes: Buffer;
  /** Sizes of the writes. */
  writes: number[];
}

export interface CaseResult {
  fuzzCase: FuzzCase;
  problems: string[];
  requests: number;
  statuses: number[];
  /** ms from the last write to the close, or null when the server never closed. */
  closeMs: number | null;
  received: Buffer;
}

// ---- seed inputs ---------------------------------------------------------------------------------------------

interface CorpusCase {
  id: string;
  request?: string;
  expect: { status?: unknown[] };
}

/** Corpus requests small enough to mutate quickly, except those that wait on a timeout by design. */
export function corpusSeeds(path: string): { name: string; bytes: Buffer }[] {
  const cases = JSON.parse(readFileSync(path, 'utf8')) as CorpusCase[];
  return cases
    .filter((c) => c.request !== undefined && c.request.length <= 4096)
    .map((c) => ({ name: `corpus ${c.id}`, bytes: Buffer.from(c.request as string, 'latin1') }));
}

/** A valid pipeline (1–3 requests), most of them sent to /echo so that bodies come back to be checked. */
function generatedSeed(seed: number): { name: string; bytes: Buffer } {
  const [reqs] = fc.sample(pipelineArb(3, { large: false }), { seed, numRuns: 1 });
  const random = prng(seed ^ 0x5bd1e995);
  const pointed = (reqs ?? []).map((r) => {
    if (random() < 0.25) return r;
    const q = r.target.indexOf('?');
    return { ...r, target: `/echo${q >= 0 && r.target.startsWith('/') ? r.target.slice(q) : ''}` };
  });
  return { name: `generated pipeline (fast-check seed ${seed})`, bytes: encodePipeline(pointed) };
}

// ---- mutations -----------------------------------------------------------------------------------------------

const INTERESTING_BYTES = [0x0d, 0x0a, 0x00, 0x20, 0x09, 0x0b, 0x0c, 0x3a, 0x2c, 0x3b, 0x30, 0x66, 0x2d, 0x2b, 0x22, 0x5c, 0x7f, 0x80, 0xff, 0x2f, 0x3f, 0x23];
const TOKENS = [
  '\r\n',
  '\n',
  '\r',
  '\r\n\r\n',
  ' ',
  '\t',
  'chunked',
  ', chunked',
  'Transfer-Encoding: chunked\r\n',
  'Transfer-Encoding: gzip, chunked\r\n',
  'Content-Length: 5\r\n',
  'Content-Length: 0\r\n',
  'Content-Length: 99999999999\r\n',
  'Connection: close\r\n',
  'Connection: keep-alive\r\n',
  'Expect: 100-continue\r\n',
  'Host: x\r\n',
  '0\r\n\r\n',
  '5\r\nhello\r\n',
  'ffffffff\r\n',
  ';ext="a b"',
  'HTTP/1.0',
  'HTTP/2.0',
  'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
  'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc',
  'x'.repeat(300),
];

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length)] as T;
}

/** A position, biased toward the start of a line (where header names and request lines begin). */
function position(data: Buffer, random: () => number, inclusiveEnd: boolean): number {
  const n = data.length + (inclusiveEnd ? 1 : 0);
  if (n <= 0) return 0;
  if (random() < 0.3) {
    const lines: number[] = [];
    for (let i = data.indexOf(0x0a); i >= 0 && i + 1 < n; i = data.indexOf(0x0a, i + 1)) lines.push(i + 1);
    if (lines.length > 0) return pick(lines, random);
  }
  return Math.floor(random() * n);
}

function mutate(data: Buffer, random: () => number, others: () => Buffer): { data: Buffer; what: string } {
  const kind = Math.floor(random() * 9);
  if (data.length === 0) return { data: Buffer.from(pick(TOKENS, random), 'latin1'), what: 'replaced the empty input with a token' };
  switch (kind) {
    case 0: {
      const at = position(data, random, false);
      const bit = Math.floor(random() * 8);
      const out = Buffer.from(data);
      out[at] = (out[at] as number) ^ (1 << bit);
      return { data: out, what: `flipped bit ${bit} at ${at}` };
    }
    case 1: {
      const at = position(data, random, false);
      const out = Buffer.from(data);
      const byte = random() < 0.5 ? pick(INTERESTING_BYTES, random) : Math.floor(random() * 256);
      out[at] = byte;
      return { data: out, what: `set byte ${at} to 0x${byte.toString(16)}` };
    }
    case 2: {
      const at = position(data, random, true);
      const count = 1 + Math.floor(random() * 3);
      const bytes = Buffer.from(Array.from({ length: count }, () => pick(INTERESTING_BYTES, random)));
      return { data: Buffer.concat([data.subarray(0, at), bytes, data.subarray(at)]), what: `inserted ${bytes.toString('hex')} at ${at}` };
    }
    case 3: {
      const at = position(data, random, true);
      const token = pick(TOKENS, random);
      return { data: Buffer.concat([data.subarray(0, at), Buffer.from(token, 'latin1'), data.subarray(at)]), what: `inserted ${JSON.stringify(token)} at ${at}` };
    }
    case 4: {
      const at = position(data, random, false);
      const count = 1 + Math.floor(random() * (random() < 0.8 ? 3 : 40));
      return { data: Buffer.concat([data.subarray(0, at), data.subarray(at + count)]), what: `deleted ${count} bytes at ${at}` };
    }
    case 5: {
      const from = position(data, random, false);
      const end = Math.min(data.length, from + 1 + Math.floor(random() * 60));
      return { data: Buffer.concat([data.subarray(0, end), data.subarray(from, end), data.subarray(end)]), what: `doubled bytes ${from}–${end}` };
    }
    case 6: {
      const at = Math.floor(random() * data.length);
      return { data: data.subarray(0, at), what: `truncated at ${at}` };
    }
    case 7: {
      const other = others();
      return { data: Buffer.concat([data, other]), what: `appended another input (${other.length} bytes)` };
    }
    default: {
      // A digit of a number changed (lengths, chunk sizes, versions, statuses).
      const digits: number[] = [];
      for (let i = 0; i < data.length; i++) {
        const c = data[i] as number;
        if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)) digits.push(i);
      }
      if (digits.length === 0) return mutate(data, random, others);
      const at = pick(digits, random);
      const out = Buffer.from(data);
      const byte = pick([0x30, 0x31, 0x35, 0x39, 0x61, 0x66, 0x46], random);
      out[at] = byte;
      return { data: out, what: `changed digit at ${at} to ${String.fromCharCode(byte)}` };
    }
  }
}

/** The case a seed stands for: always the same bytes, mutations and writes for the same seed. */
export function makeCase(seed: number, corpus: readonly { name: string; bytes: Buffer }[]): FuzzCase {
  const random = prng(seed);
  const fromCorpus = corpus.length > 0 && random() < 0.5;
  const start = fromCorpus ? pick(corpus, random) : generatedSeed(seed);
  const others = (): Buffer => (corpus.length > 0 && random() < 0.5 ? pick(corpus, random).bytes : generatedSeed((seed * 31 + 7) >>> 0).bytes);
  let data = start.bytes;
  const mutations: string[] = [];
  const count = 1 + Math.floor(random() * random() * 4);
  for (let i = 0; i < count; i++) {
    const m = mutate(data, random, others);
    data = m.data;
    mutations.push(m.what);
  }
  // Writes: whole, one byte each (small inputs), or random cuts.
  const style = random();
  const writes: number[] = [];
  if (style < 0.3 || data.length <= 1) writes.push(data.length);
  else if (style < 0.4 && data.length <= 400) for (let i = 0; i < data.length; i++) writes.push(1);
  else {
    let at = 0;
    while (at < data.length) {
      const size = Math.min(data.length - at, 1 + Math.floor(random() * 96));
      writes.push(size);
      at += size;
    }
  }
  return { seed, origin: start.name, mutations, bytes: data, writes };
}

// ---- running a case ------------------------------------------------------------------------------------------

interface Exchange {
  received: Buffer;
  closed: boolean;
  /** From the last write to the close (ms), or null. */
  closeMs: number | null;
  /** From the last byte received to the close (ms), or null. */
  closeAfterDataMs: number | null;
}

/** Sends the case's bytes in its writes, then listens (without ending our side) until the server closes. */
function exchange(port: number, c: FuzzCase, limits: Limits): Promise<Exchange> {
  const longest = Math.max(limits.headersTimeout, limits.requestTimeout, limits.idleTimeout);
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const received: Buffer[] = [];
    let closed = false;
    let lastWrite = 0;
    let closedAt = 0;
    let lastData = 0;
    let done = false;
    let watchdog: NodeJS.Timeout | null = null;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (watchdog !== null) clearTimeout(watchdog);
      socket.destroy();
      resolve({
        received: Buffer.concat(received),
        closed,
        closeMs: closed && lastWrite > 0 ? Math.max(0, closedAt - lastWrite) : closed ? 0 : null,
        closeAfterDataMs: closed && lastData > 0 ? closedAt - lastData : null,
      });
    };
    const onClosed = (): void => {
      if (closed) return;
      closed = true;
      closedAt = performance.now();
      setTimeout(finish, 5);
    };
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      lastData = performance.now();
    });
    socket.on('end', onClosed);
    socket.on('close', onClosed);
    socket.on('error', onClosed);
    socket.once('connect', async () => {
      let at = 0;
      for (const size of c.writes) {
        if (closed) break;
        const piece = c.bytes.subarray(at, at + size);
        at += size;
        await new Promise<void>((r) => socket.write(piece, () => r()));
        if (c.writes.length > 1) await new Promise((r) => setImmediate(r));
      }
      lastWrite = performance.now();
      if (closed) return;
      // Stop sending but keep our side open: the server must close by itself.
      watchdog = setTimeout(finish, longest + limits.slackMs);
    });
  });
}

const ERROR_STATUSES = new Set([400, 408, 413, 414, 417, 431, 501, 505]);

/** Bare path of an origin-form target, as the demo's router sees it ("/a//b/?q" → "/a/b"). */
function pathOf(target: string): string | null {
  if (!target.startsWith('/')) return null;
  const end = target.search(/[?#]/);
  const path = end < 0 ? target : target.slice(0, end);
  return `/${path.split('/').filter((s) => s !== '').join('/')}`;
}

/**
 * Parses what the server sent. The answer to the input after the complete requests answers a HEAD request
 * when that input starts with the HEAD method token, even if the rest of it is malformed (no Host, a bad
 * version, an unknown coding): an answer to HEAD never carries a body (RFC 9110 §9.3.2), refusals included.
 */
function parse(received: Buffer, refs: readonly ReferenceRequest[], next: string | null, closed: boolean): ParseResult {
  const heads = [...refs.map((r) => r.method === 'HEAD'), next === 'HEAD'];
  const parsed = parseResponses(received, (i) => heads[i] === true, closed);
  if (next !== 'HEAD' || (parsed.error === null && !parsed.partial)) return parsed;
  // The server knows a malformed request's method only once its target began; before that (HEAD followed by
  // an invalid target) its refusal carries a body. Either framing is consistent; the other checks still hold.
  return parseResponses(received, (i) => i < refs.length && heads[i] === true, closed);
}

/** The method token of the input after the complete requests (empty lines skipped), or null. */
function nextMethod(bytes: Buffer, leftover: number): string | null {
  const rest = bytes.subarray(bytes.length - leftover).toString('latin1').replace(/^[\r\n]+/, '');
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) /.exec(rest);
  return match === null ? null : (match[1] as string);
}

export async function runCase(port: number, c: FuzzCase, limits: Limits): Promise<CaseResult> {
  const reference = parseRequests(c.bytes);
  const refs = reference.complete;
  const ex = await exchange(port, c, limits);
  const problems: string[] = [];
  const parsed = parse(ex.received, refs, reference.pending?.method ?? nextMethod(c.bytes, reference.leftover), ex.closed);
  const finals = parsed.finals;
  if (parsed.error !== null) problems.push(`the response bytes do not parse: ${parsed.error}`);
  if (parsed.partial) problems.push('a response was cut short');
  if (finals.length > refs.length + 1) {
    problems.push(`${finals.length} final responses for ${refs.length} complete requests (+1 for a refusal): a request was answered twice, or a hidden one was`);
  }
  const extra = finals[refs.length];
  if (extra !== undefined) {
    // The answer after the complete requests is a refusal of what follows them; or, for a request that waits
    // for 100 Continue and whose handler answered without reading the body, that answer, at once, closing the
    // connection (RFC 9110 §10.1.1; the README's one exception to "no answer before the request is read").
    const pending = reference.pending;
    const waited = pending !== null && pending.versionMinor >= 1 && /^\s*100-continue\s*$/i.test(headerOf(pending.headers, 'expect') ?? '');
    if (!ERROR_STATUSES.has(extra.status) && !waited) problems.push(`the answer to the incomplete or malformed input is ${extra.status}, not a 4xx/5xx refusal`);
    if (headerOf(extra.headers, 'connection') !== 'close') problems.push(`the answer to the incomplete or malformed input (${extra.status}) does not say Connection: close`);
  }
  for (const [i, res] of finals.entries()) {
    const closing = headerOf(res.headers, 'connection') === 'close';
    if (closing && i !== finals.length - 1) problems.push(`response ${i} says Connection: close and more responses follow it`);
    const ref = refs[i];
    if (ref === undefined || res.status !== 200 || ref.method === 'HEAD') continue;
    if (pathOf(ref.target) === '/echo' && !res.body.equals(ref.body)) {
      problems.push(`/echo answered ${JSON.stringify(res.body.toString('latin1').slice(0, 200))} to the body ${JSON.stringify(ref.body.toString('latin1').slice(0, 200))} (request ${i})`);
    }
  }
  const longest = Math.max(limits.headersTimeout, limits.requestTimeout, limits.idleTimeout);
  const last = finals[finals.length - 1];
  if (!ex.closed) {
    problems.push(`the connection was still open ${longest + limits.slackMs} ms after the last byte sent (deadline ${longest} ms + ${limits.slackMs} ms slack)`);
  } else if (ex.closeAfterDataMs !== null && last !== undefined && headerOf(last.headers, 'connection') === 'close' && ex.closeAfterDataMs > limits.slackMs) {
    problems.push(`the close came ${ex.closeAfterDataMs.toFixed(0)} ms after a Connection: close answer`);
  }
  return {
    fuzzCase: c,
    problems,
    requests: refs.length,
    statuses: parsed.responses.map((r) => r.status),
    closeMs: ex.closeMs,
    received: ex.received,
  };
}

/** A failure, in full: how to replay it, and the exact bytes each way. */
export function describeFailure(r: CaseResult): string {
  const c = r.fuzzCase;
  return [
    `case seed ${c.seed} (replay: node dist/test/fuzz/run.js --replay ${c.seed})`,
    `  from: ${c.origin}; mutations: ${c.mutations.join('; ')}`,
    `  problems:\n    - ${r.problems.join('\n    - ')}`,
    `  sent (${c.bytes.length} bytes in ${c.writes.length} writes ${JSON.stringify(c.writes.slice(0, 40))}${c.writes.length > 40 ? '…' : ''}):`,
    `    ${JSON.stringify(c.bytes.toString('latin1'))}`,
    `    base64 ${c.bytes.toString('base64')}`,
    `  received (${r.received.length} bytes, closed after ${r.closeMs === null ? 'never' : `${r.closeMs.toFixed(0)} ms`}):`,
    `    ${JSON.stringify(r.received.toString('latin1').slice(0, 4000))}`,
  ].join('\n');
}

export interface Tally {
  cases: number;
  failures: CaseResult[];
  statuses: Map<number, number>;
  requests: number;
  maxCloseMs: number;
}

export function newTally(): Tally {
  return { cases: 0, failures: [], statuses: new Map(), requests: 0, maxCloseMs: 0 };
}

export function record(t: Tally, r: CaseResult): void {
  t.cases++;
  t.requests += r.requests;
  for (const s of r.statuses) t.statuses.set(s, (t.statuses.get(s) ?? 0) + 1);
  if (r.closeMs !== null) t.maxCloseMs = Math.max(t.maxCloseMs, r.closeMs);
  if (r.problems.length > 0) t.failures.push(r);
}

/** Runs cases `first`, `first + 1`, … with `concurrency` connections at a time, until `more()` says stop. */
export async function runMany(
  port: number,
  corpus: readonly { name: string; bytes: Buffer }[],
  first: number,
  limits: Limits,
  concurrency: number,
  more: (started: number) => boolean,
  onResult: (r: CaseResult) => void,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (more(next)) {
      const seed = (first + next++) >>> 0;
      onResult(await runCase(port, makeCase(seed, corpus), limits));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
