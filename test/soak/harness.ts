// The soak harness: the demo in its own process, mixed load from this one for a bounded time, the demo's
// memory, descriptors and connections sampled every second, then a drain and a report. Used by `npm run soak`
// (test/soak/run.ts, minutes) and by test/soak/soak.test.ts (seconds, in npm test).
//
// Load (all to 127.0.0.1, every wait bounded):
//   keep-alive    GET /, /orders?rows=N (each serializer, values checked), HEAD, /status/NNN on kept connections
//   churn         connect, one request, close (FIN from either side)
//   abort         vanish at a random stage: mid-head, mid-body, while /slow runs, mid-stream, mid-pipeline,
//                 FIN after the request; by destroy() or by a TCP reset
//   slow-reader   /stream read at about 2 MB/s, every byte counted
//   pipeline      16 requests in one write (mixed routes, HEAD, a small echo), answers checked in order
//   upload        /echo with and without Expect: 100-continue, sized or chunked, bytes compared; now and then
//                 one over --max-body-size (413 and a close)
//   malformed     now and then a request the server must refuse (400/414/431/501/505) and close with a FIN
//
// Every response is read by the strict incremental parser (test/helpers/response-parser.ts, through
// test/helpers/http-conn.ts); anything malformed, truncated, reset, late or wrong that the client did not
// cause itself is an unexpected error.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { orders } from '../../lib/demo-data.js';
import { spawnDemo, type Child } from '../helpers/child.js';
import { HttpConn, HttpConnError, type ExpectOptions, type HttpResponse } from '../helpers/http-conn.js';
import { within } from '../helpers/leaks.js';
import { headerOf } from '../helpers/response-parser.js';
import { prng } from '../helpers/wire.js';

export interface SoakOptions {
  /** How long the measured load runs, ms. */
  durationMs: number;
  /** Load before the start is measured (the demo reaches its working size), ms. */
  warmupMs?: number;
  /** After the drain, how long memory is watched before the end values are taken, ms. */
  settleMs?: number;
  sampleEveryMs?: number;
  seed?: number;
  /** The demo's body limit (bytes); uploads above it expect 413. */
  maxBodySize?: number;
  /** Progress lines (the CLI prints them; the test keeps quiet). */
  log?: (line: string) => void;
  /** Workers per kind of load. */
  workers?: Partial<Record<LoadKind, number>>;
}

export type LoadKind = 'keep-alive' | 'churn' | 'abort' | 'slow-reader' | 'pipeline' | 'upload' | 'malformed';

const DEFAULT_WORKERS: Record<LoadKind, number> = {
  'keep-alive': 4,
  churn: 2,
  abort: 2,
  'slow-reader': 1,
  pipeline: 1,
  upload: 2,
  malformed: 1,
};

export interface Sample {
  /** ms since the measured load began (negative: warm-up). */
  t: number;
  phase: 'warmup' | 'load' | 'drain' | 'settle';
  rss: number;
  heapUsed: number;
  external: number;
  fds: number;
  /** Open connections on the demo, not counting the one that asks. */
  open: number;
}

export interface MemoryFigures {
  start: number;
  peak: number;
  end: number;
}

export interface SoakReport {
  seed: number;
  durationMs: number;
  node: string;
  demoPid: number;
  /** RSS of the fresh demo, before any load. */
  initialRss: number;
  rss: MemoryFigures & {
    /**
     * What RSS may be measured against: the larger of the start and the peak of the first third of the load.
     * A process reaches its working size early (how early depends on the Node version's GC sizing: Node 24
     * settles ~100 MB higher than Node 20, and later); growth beyond that which lasts is growth without bound.
     */
    reference: number;
    /** The peak over the last third of the load. */
    lastThirdPeak: number;
  };
  heap: MemoryFigures;
  /**
   * The heap's floor (the lowest sample: live data after a collection, garbage aside) over the first and the
   * last third of the load (the last with the drain and settle): heap used at any one moment is mostly
   * garbage waiting for a GC, the floor is what stays. A leak raises the floor.
   */
  heapFloor: { first: number; last: number };
  fds: { start: number; peak: number; end: number };
  connections: { peak: number; end: number };
  /** Server-side counters over the measured load (from /stats). */
  server: { requests: number; responses: number; accepted: number; closes: Record<string, number> };
  /** Responses the client read whole and checked, by kind of load. */
  checked: Record<string, number>;
  /** The same, during the warm-up (not part of the measured load). */
  warmupChecked: number;
  /** Things the client did on purpose and their expected outcomes (aborts by stage, 413s, refusals). */
  expected: Record<string, number>;
  /** Everything else that went wrong, by kind (warm-up included). */
  unexpected: Record<string, number>;
  /** The first few unexpected errors, in full. */
  firstUnexpected: string[];
  demo: { diedDuringRun: boolean; exit: string };
  drainMs: number;
  samples: Sample[];
  /** Why the run failed (empty: it passed). */
  failures: string[];
}

export interface Limits {
  /** End RSS (and the last third's peak) may exceed the reference by at most this many bytes... */
  rssMargin: number;
  /** ...or by this fraction of the reference, whichever is larger. */
  rssFraction: number;
  /** The heap floor of the last third may exceed the first third's by at most this. */
  heapMargin: number;
}

export const DEFAULT_LIMITS: Limits = { rssMargin: 48 * 1024 * 1024, rssFraction: 0.5, heapMargin: 24 * 1024 * 1024 };

const MB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function fdsOf(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

interface DemoStats {
  open: number;
  requests: number;
  responses: number;
  accepted: number;
  closes: Record<string, number>;
  process: { rss: number; heapUsed: number; external: number };
}

/** A problem the client did not cause itself. */
class Unexpected extends Error {
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.kind = kind;
  }
}

function check(condition: boolean, kind: string, message: string): asserts condition {
  if (!condition) throw new Unexpected(kind, message);
}

const ORDER_SERIALIZERS = ['json', 'schema', 'array', 'ndjson'] as const;
const ORDER_ROWS = [0, 1, 7, 50, 200, 1000, 2500];
const STATUSES = [200, 201, 204, 304, 400, 404, 418, 500, 503];

/** The malformed requests and the status each must get (then a close with a FIN). */
const MALFORMED: [string, number][] = [
  ['GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['GET / HTTP/1.1\r\n\r\n', 400],
  ['GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n', 400],
  ['GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
  ['POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 501],
  ['GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400],
  ['POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
  ['GARBAGE\r\n\r\n', 400],
  [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  [`GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
  ['GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400],
  ['GET / HTTP/1.1\nHost: x\n\n', 400],
  ['CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n', 501],
  ['GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n', 400], // one good, then a NUL
];

class Load {
  stopping = false;
  readonly checked: Record<string, number> = {};
  readonly expected: Record<string, number> = {};
  readonly unexpected: Record<string, number> = {};
  readonly firstUnexpected: string[] = [];
  private readonly live = new Set<HttpConn>();
  private readonly random: () => number;
  private readonly expectedOrders = new Map<number, string>();
  private readonly port: number;
  private readonly maxBodySize: number;
  private readonly payload: Buffer;

  constructor(port: number, seed: number, maxBodySize: number) {
    this.port = port;
    this.random = prng(seed);
    this.maxBodySize = maxBodySize;
    // Upload bodies are slices of one pseudo-random block (incompressible, no allocation per request).
    this.payload = Buffer.alloc(maxBodySize + 2 * MB);
    const bytes = prng(seed ^ 0x5eed);
    for (let i = 0; i < this.payload.length; i += 4) this.payload.writeUInt32LE(Math.floor(bytes() * 0x100000000), i);
    for (const rows of ORDER_ROWS) this.expectedOrders.set(rows, JSON.stringify(orders(rows)));
  }

  count(map: Record<string, number>, key: string, n = 1): void {
    map[key] = (map[key] ?? 0) + n;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)] as T;
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  async open(): Promise<HttpConn> {
    const conn = await HttpConn.open(this.port, 5000);
    this.live.add(conn);
    conn.socket.once('close', () => this.live.delete(conn));
    return conn;
  }

  get liveConnections(): number {
    return this.live.size;
  }

  /** Closes whatever the workers still hold (after they were given time to finish). */
  destroyAll(): number {
    const n = this.live.size;
    for (const conn of this.live) conn.destroy();
    this.live.clear();
    return n;
  }

  unexpectedError(worker: string, error: unknown): void {
    let kind: string;
    if (error instanceof Unexpected) kind = error.kind;
    else if (error instanceof HttpConnError) kind = error.kind;
    else kind = 'exception';
    this.count(this.unexpected, kind);
    if (this.firstUnexpected.length < 12) this.firstUnexpected.push(`[${worker}] ${kind}: ${(error as Error).message}`);
  }

  async run(kind: LoadKind, index: number): Promise<void> {
    const name = `${kind}#${index}`;
    const op = this.ops[kind];
    while (!this.stopping) {
      try {
        await op();
      } catch (error) {
        if (this.stopping && error instanceof HttpConnError && error.message.includes('destroyed by the client')) break;
        this.unexpectedError(name, error);
        await sleep(20);
      }
    }
  }

  private readonly ops: Record<LoadKind, () => Promise<void>> = {
    'keep-alive': () => this.keepAlive(),
    churn: () => this.churn(),
    abort: () => this.abort(),
    'slow-reader': () => this.slowReader(),
    pipeline: () => this.pipeline(),
    upload: () => this.upload(),
    malformed: () => this.malformed(),
  };

  // ---- checks -----------------------------------------------------------------------------------------

  private checkOrders(res: HttpResponse, rows: number, serializer: string, what: string): void {
    check(res.status === 200, 'status', `${what}: ${res.status}`);
    const text = res.body.toString('utf8');
    let normal: string;
    try {
      normal = serializer === 'ndjson' ? JSON.stringify(text === '' ? [] : text.trimEnd().split('\n').map((line) => JSON.parse(line))) : JSON.stringify(JSON.parse(text));
    } catch (error) {
      throw new Unexpected('body', `${what}: not JSON (${(error as Error).message})`);
    }
    check(normal === this.expectedOrders.get(rows), 'body', `${what}: not the expected ${rows} orders`);
  }

  /** One request of the keep-alive mix: writes it, returns a check to run on its response. */
  private keepAliveRequest(): { bytes: string; options: ExpectOptions; check: (res: HttpResponse) => void } {
    const roll = this.random();
    if (roll < 0.3) {
      return {
        bytes: 'GET / HTTP/1.1\r\nHost: soak\r\n\r\n',
        options: {},
        check: (res) => check(res.status === 200 && res.body.toString() === '{"hello":"world"}', 'body', `GET /: ${res.status} ${res.body.toString().slice(0, 80)}`),
      };
    }
    if (roll < 0.7) {
      const rows = this.pick(ORDER_ROWS);
      const serializer = this.pick(ORDER_SERIALIZERS);
      return {
        bytes: `GET /orders?rows=${rows}&serializer=${serializer} HTTP/1.1\r\nHost: soak\r\n\r\n`,
        options: {},
        check: (res) => this.checkOrders(res, rows, serializer, `/orders?rows=${rows}&serializer=${serializer}`),
      };
    }
    if (roll < 0.8) {
      const rows = this.pick(ORDER_ROWS);
      return {
        bytes: `HEAD /orders?rows=${rows} HTTP/1.1\r\nHost: soak\r\n\r\n`,
        options: { head: true },
        check: (res) => {
          check(res.status === 200 && res.bodyBytes === 0, 'status', `HEAD /orders: ${res.status}, ${res.bodyBytes} body bytes`);
          const expected = Buffer.byteLength(this.expectedOrders.get(rows) as string);
          check(headerOf(res.headers, 'content-length') === String(expected), 'header', `HEAD /orders?rows=${rows}: Content-Length ${headerOf(res.headers, 'content-length')}, GET has ${expected}`);
        },
      };
    }
    const status = this.pick(STATUSES);
    return {
      bytes: `GET /status/${status} HTTP/1.1\r\nHost: soak\r\n\r\n`,
      options: {},
      check: (res) => {
        check(res.status === status, 'status', `/status/${status}: got ${res.status}`);
        const body = status === 204 || status === 304 ? '' : `{"status":${status}}`;
        check(res.body.toString() === body, 'body', `/status/${status}: body ${JSON.stringify(res.body.toString().slice(0, 80))}`);
      },
    };
  }

  // ---- the kinds of load ------------------------------------------------------------------------------

  private async keepAlive(): Promise<void> {
    const conn = await this.open();
    try {
      const requests = this.int(20, 200);
      for (let i = 0; i < requests && !this.stopping; i++) {
        const request = this.keepAliveRequest();
        const pending = conn.expect({ timeoutMs: 15_000, ...request.options });
        await conn.write(request.bytes);
        const res = await pending;
        request.check(res);
        check(!res.closes, 'closed', 'a keep-alive response said Connection: close');
        this.count(this.checked, 'keep-alive');
      }
      check(conn.stray === 0, 'malformed', `${conn.stray} stray bytes`);
    } finally {
      conn.destroy();
    }
  }

  private async churn(): Promise<void> {
    const conn = await this.open();
    try {
      const serverCloses = this.chance(0.5);
      const pending = conn.expect({ timeoutMs: 10_000 });
      await conn.write(`GET /orders?rows=7 HTTP/1.1\r\nHost: soak\r\n${serverCloses ? 'Connection: close\r\n' : ''}\r\n`);
      const res = await pending;
      this.checkOrders(res, 7, 'json', 'churn /orders?rows=7');
      check(res.closes === serverCloses, 'header', `Connection: close ${serverCloses ? 'missing' : 'unasked'}`);
      if (serverCloses) {
        check(await conn.waitClose(5000), 'timeout', 'no close after Connection: close');
        check(!conn.reset, 'reset', 'a reset instead of a FIN after Connection: close');
        check(conn.stray === 0, 'malformed', `${conn.stray} bytes after Connection: close`);
      } else {
        conn.end();
        check(await conn.waitClose(5000), 'timeout', 'the server did not close after our FIN');
      }
      this.count(this.checked, 'churn');
    } finally {
      conn.destroy();
    }
  }

  private vanish(conn: HttpConn, stage: string): void {
    const reset = this.chance(0.5);
    if (reset) conn.resetAndDestroy();
    else conn.destroy();
    this.count(this.expected, `abort ${stage} (${reset ? 'reset' : 'destroy'})`);
  }

  private async abort(): Promise<void> {
    const conn = await this.open();
    try {
      const stage = this.pick(['mid-head', 'mid-body', 'handler', 'mid-stream', 'mid-pipeline', 'fin-after-request'] as const);
      switch (stage) {
        case 'mid-head': {
          const head = 'GET /orders?rows=5 HTTP/1.1\r\nHost: soak\r\nX-Long: ' + 'h'.repeat(200) + '\r\n\r\n';
          await conn.write(head.slice(0, this.int(1, head.length - 2)));
          await sleep(this.int(0, 20));
          break;
        }
        case 'mid-body': {
          const total = 200_000;
          await conn.write(`POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: ${total}\r\n\r\n`);
          await conn.write(this.payload.subarray(0, this.int(0, total - 1)));
          await sleep(this.int(0, 20));
          break;
        }
        case 'handler':
          await conn.write('GET /slow?ms=500 HTTP/1.1\r\nHost: soak\r\n\r\n');
          await sleep(this.int(5, 100));
          break;
        case 'mid-stream': {
          const wanted = this.int(16 * 1024, 2 * MB);
          let seen = 0;
          let reached: () => void = () => {};
          const enough = new Promise<void>((resolve) => (reached = resolve));
          const pending = conn.expect({ keepBody: false, timeoutMs: 10_000, onBody: (chunk) => ((seen += chunk.length) >= wanted ? reached() : undefined) });
          pending.catch(() => {}); // it ends when we vanish
          await conn.write('GET /stream?chunks=1000&size=16384 HTTP/1.1\r\nHost: soak\r\n\r\n');
          await within(enough, 10_000);
          check(seen >= wanted, 'timeout', `/stream sent ${seen} of the ${wanted} bytes awaited`);
          break;
        }
        case 'mid-pipeline': {
          const answers = Array.from({ length: 16 }, () => conn.expect({ timeoutMs: 10_000 }));
          for (const a of answers) a.catch(() => {});
          await conn.write('GET /orders?rows=200 HTTP/1.1\r\nHost: soak\r\n\r\n'.repeat(16));
          const keep = this.int(0, 8);
          for (let i = 0; i < keep; i++) this.checkOrders(await (answers[i] as Promise<HttpResponse>), 200, 'json', 'mid-pipeline');
          break;
        }
        case 'fin-after-request': {
          // A client FIN means it is gone: the request in flight is aborted and the server closes, unanswered.
          const pending = conn.expect({ timeoutMs: 5000 });
          await conn.write('GET /slow?ms=1000 HTTP/1.1\r\nHost: soak\r\n\r\n');
          const sent = performance.now();
          await sleep(this.int(0, 50));
          const late = performance.now() - sent; // this process may be slow to get round to it
          conn.end();
          try {
            const res = await pending;
            // Only if our FIN left after the handler could have answered (a busy test process) is that right.
            if (late < 800) throw new Unexpected('status', `an answer (${res.status}) to a request whose client sent its FIN ${late.toFixed(0)} ms after it`);
            this.count(this.expected, 'abort fin-after-request (answered first: the FIN was late)');
            return;
          } catch (error) {
            if (!(error instanceof HttpConnError) || error.kind !== 'closed') throw error;
          }
          this.count(this.expected, 'abort fin-after-request (server closed)');
          return;
        }
      }
      this.vanish(conn, stage);
    } finally {
      conn.destroy();
    }
  }

  private async slowReader(): Promise<void> {
    const conn = await this.open();
    try {
      const size = 16 * 1024;
      const chunks = this.int(16, 128);
      const rate = 2 * MB; // bytes per second
      const delay = this.chance(0.3) ? this.int(1, 10) : 0;
      let read = 0;
      const started = performance.now();
      const hash = createHash('sha1');
      const pending = conn.expect({
        keepBody: false,
        timeoutMs: 30_000,
        onBody: (chunk) => {
          read += chunk.length;
          hash.update(chunk);
          const due = (read / rate) * 1000 - (performance.now() - started);
          if (due > 5) {
            conn.pause();
            setTimeout(() => conn.resume(), due);
          }
        },
      });
      await conn.write(`GET /stream?chunks=${chunks}&size=${size}&delay=${delay} HTTP/1.1\r\nHost: soak\r\n\r\n`);
      const res = await pending;
      check(res.status === 200 && res.framing === 'chunked', 'status', `/stream: ${res.status} ${res.framing}`);
      check(read === chunks * size, 'body', `/stream: ${read} bytes of ${chunks * size}`);
      const block = Buffer.alloc(size, 'h1wire streams chunk by chunk. ');
      const expected = createHash('sha1');
      for (let i = 0; i < chunks; i++) expected.update(block);
      check(hash.digest('hex') === expected.digest('hex'), 'body', '/stream: the bytes differ');
      this.count(this.checked, 'slow-reader');
    } finally {
      conn.destroy();
    }
  }

  private async pipeline(): Promise<void> {
    const conn = await this.open();
    try {
      const rounds = this.int(1, 10);
      for (let round = 0; round < rounds && !this.stopping; round++) {
        const plan: { bytes: string; options: ExpectOptions; check: (res: HttpResponse) => void }[] = [];
        for (let i = 0; i < 16; i++) {
          const roll = this.random();
          if (roll < 0.15) {
            const ms = this.int(0, 15);
            plan.push({
              bytes: `GET /slow?ms=${ms} HTTP/1.1\r\nHost: soak\r\n\r\n`,
              options: {},
              check: (res) => check(res.status === 200 && res.body.toString() === `{"slept":${ms}}`, 'body', `pipelined /slow: ${res.status} ${res.body.toString()}`),
            });
          } else if (roll < 0.3) {
            const body = this.payload.subarray(this.int(0, 1000), this.int(1001, 3000));
            plan.push({
              bytes: `POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Type: application/x-soak\r\nContent-Length: ${body.length}\r\n\r\n${body.toString('latin1')}`,
              options: {},
              check: (res) => check(res.status === 200 && res.body.equals(body) && headerOf(res.headers, 'content-type') === 'application/x-soak', 'body', `pipelined /echo: ${res.status}, ${res.bodyBytes} bytes of ${body.length}`),
            });
          } else if (roll < 0.4) {
            plan.push({
              bytes: 'HEAD / HTTP/1.1\r\nHost: soak\r\n\r\n',
              options: { head: true },
              check: (res) => check(res.status === 200 && headerOf(res.headers, 'content-length') === '17', 'header', `pipelined HEAD /: ${res.status} ${headerOf(res.headers, 'content-length')}`),
            });
          } else plan.push(this.keepAliveRequest());
        }
        const answers = plan.map((p) => conn.expect({ timeoutMs: 15_000, ...p.options }));
        await conn.write(Buffer.from(plan.map((p) => p.bytes).join(''), 'latin1'));
        for (let i = 0; i < plan.length; i++) {
          const res = await (answers[i] as Promise<HttpResponse>);
          (plan[i] as (typeof plan)[number]).check(res);
          this.count(this.checked, 'pipeline');
        }
      }
    } finally {
      conn.destroy();
    }
  }

  private async upload(): Promise<void> {
    const conn = await this.open();
    try {
      const roll = this.random();
      const over = roll < 0.03;
      let size: number;
      if (over) size = this.maxBodySize + this.int(1, MB);
      else if (roll < 0.15) size = this.int(256 * 1024, this.maxBodySize);
      else size = this.int(0, 128 * 1024);
      const start = this.int(0, 1024);
      const body = this.payload.subarray(start, start + size);
      const expectContinue = this.chance(0.5);
      const chunked = !over && this.chance(0.25);
      const head =
        `POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Type: application/x-soak\r\n` +
        `${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`}\r\n${expectContinue ? 'Expect: 100-continue\r\n' : ''}\r\n`;
      const framed = chunked ? chunkedBody(body, () => this.int(1, 64 * 1024)) : body;
      const label = `/echo ${size} bytes${chunked ? ' chunked' : ''}${expectContinue ? ' with 100-continue' : ''}`;
      let res: HttpResponse;
      if (expectContinue) {
        const first = conn.expect({ interim: true, timeoutMs: 10_000, keepBody: true });
        await conn.write(head);
        const answer = await first;
        if (answer.status >= 200) {
          // A final answer instead of 100 Continue: only right for a body over the limit.
          check(over && answer.status === 413, 'status', `${label}: ${answer.status} instead of 100 Continue`);
          res = answer;
        } else {
          check(answer.status === 100 && !over, 'status', `${label}: ${answer.status} before the body`);
          const final = conn.expect({ timeoutMs: 30_000 });
          await conn.write(framed);
          res = await final;
        }
      } else {
        const final = conn.expect({ timeoutMs: 30_000 });
        await conn.write(head);
        void conn.write(framed);
        res = await final;
      }
      if (over) {
        check(res.status === 413 && res.closes, 'status', `${label}: ${res.status} (closes ${res.closes}) for a body over the limit`);
        check(await conn.waitClose(5000), 'timeout', `${label}: no close after 413`);
        this.count(this.expected, '413 for a body over --max-body-size');
        return;
      }
      check(res.status === 200, 'status', `${label}: ${res.status} ${res.body.toString().slice(0, 100)}`);
      check(res.interim.length === 0, 'status', `${label}: interim responses ${res.interim.join(',')} before the final one`);
      check(headerOf(res.headers, 'content-type') === 'application/x-soak', 'header', `${label}: Content-Type ${headerOf(res.headers, 'content-type')}`);
      check(res.body.equals(body), 'body', `${label}: ${res.bodyBytes} bytes back, ${size} sent${res.bodyBytes === size ? ' (different)' : ''}`);
      this.count(this.checked, 'upload');
    } finally {
      conn.destroy();
    }
  }

  private async malformed(): Promise<void> {
    await sleep(this.int(50, 300));
    if (this.stopping) return;
    const conn = await this.open();
    try {
      const [bytes, status] = this.pick(MALFORMED);
      const leading = bytes.startsWith('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET') ? 1 : 0;
      const answers = Array.from({ length: leading + 1 }, () => conn.expect({ timeoutMs: 10_000 }));
      await conn.write(bytes);
      for (let i = 0; i < leading; i++) check((await (answers[i] as Promise<HttpResponse>)).status === 200, 'status', 'the good request before a bad one');
      const res = await (answers[leading] as Promise<HttpResponse>);
      check(res.status === status, 'status', `malformed ${JSON.stringify(bytes.slice(0, 50))}: ${res.status}, expected ${status}`);
      check(res.closes, 'header', `malformed: ${res.status} without Connection: close`);
      check(await conn.waitClose(5000), 'timeout', 'no close after a refused request');
      check(conn.fin && !conn.reset, 'reset', `a refused request ended with ${conn.reset ? 'a reset' : 'no FIN'}`);
      check(conn.stray === 0, 'malformed', `${conn.stray} bytes after the refusal`);
      this.count(this.expected, `refused ${status}`);
    } finally {
      conn.destroy();
    }
  }
}

function chunkedBody(body: Buffer, size: () => number): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const n = Math.min(size(), body.length - at);
    parts.push(Buffer.from(`${n.toString(16)}\r\n`, 'latin1'), body.subarray(at, at + n), Buffer.from('\r\n', 'latin1'));
    at += n;
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

/** One connection that asks the demo for /stats (reopened if it is lost). */
class StatsProbe {
  private conn: HttpConn | null = null;
  private readonly port: number;

  constructor(port: number) {
    this.port = port;
  }

  async get(): Promise<DemoStats> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.conn ??= await HttpConn.open(this.port, 3000);
        const pending = this.conn.expect({ timeoutMs: 5000 });
        await this.conn.write('GET /stats HTTP/1.1\r\nHost: soak\r\n\r\n');
        const res = await pending;
        if (res.status !== 200) throw new Error(`/stats answered ${res.status}`);
        const stats = JSON.parse(res.body.toString('utf8')) as DemoStats;
        stats.open -= 1; // this connection
        return stats;
      } catch (error) {
        this.conn?.destroy();
        this.conn = null;
        if (attempt >= 2) throw error;
      }
    }
  }

  close(): void {
    this.conn?.destroy();
    this.conn = null;
  }
}

function heapFloor(samples: readonly Sample[]): { first: number; last: number } {
  const load = samples.filter((x) => x.phase === 'load');
  const after = samples.filter((x) => x.phase === 'drain' || x.phase === 'settle');
  if (load.length < 3) return { first: 0, last: 0 };
  const third = Math.floor(load.length / 3);
  const low = (list: readonly Sample[]): number => Math.min(...list.map((x) => x.heapUsed));
  return { first: low(load.slice(0, third)), last: low([...load.slice(load.length - third), ...after]) };
}

/** The RSS reference and the last third's peak (see SoakReport.rss). */
function rssThirds(samples: readonly Sample[], start: number): { reference: number; lastThirdPeak: number } {
  const load = samples.filter((x) => x.phase === 'load');
  const third = Math.max(1, Math.floor(load.length / 3));
  const peak = (list: readonly Sample[]): number => Math.max(0, ...list.map((x) => x.rss));
  return { reference: Math.max(start, peak(load.slice(0, third))), lastThirdPeak: peak(load.slice(load.length - third)) };
}

function figures(samples: readonly Sample[], key: 'rss' | 'heapUsed', start: number, end: number): MemoryFigures {
  let peak = start;
  for (const s of samples) peak = Math.max(peak, s[key]);
  return { start, peak, end };
}

/** Runs the soak and returns its report (with `failures` filled in against `limits`). */
export async function soak(options: SoakOptions, limits: Limits = DEFAULT_LIMITS): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const seed = options.seed ?? 1;
  const sampleEvery = options.sampleEveryMs ?? 1000;
  const warmupMs = options.warmupMs ?? Math.min(10_000, Math.max(1500, options.durationMs / 10));
  const settleMs = options.settleMs ?? 3000;
  const maxBodySize = options.maxBodySize ?? 2 * MB;
  const workers = { ...DEFAULT_WORKERS, ...options.workers };
  const failures: string[] = [];

  const demo: Child = await spawnDemo(['--max-body-size', String(maxBodySize)]);
  // Whatever happens to this process, the demo does not outlive it.
  const killDemo = (): void => {
    demo.process.kill('SIGKILL');
  };
  process.once('exit', killDemo);
  let died = false;
  let exitText = 'running';
  demo.process.once('exit', (code, signal) => {
    exitText = signal !== null ? `killed by ${signal}` : `exit code ${code}`;
    if (!stopped) died = true;
  });
  let stopped = false;
  const samples: Sample[] = [];
  const probe = new StatsProbe(demo.port);
  const initialRss = demo.rss();
  let t0 = performance.now();
  let phase: Sample['phase'] = 'warmup';

  const sample = async (): Promise<Sample> => {
    const stats = await probe.get();
    const s: Sample = {
      t: Math.round(performance.now() - t0),
      phase,
      rss: demo.rss(),
      heapUsed: stats.process.heapUsed,
      external: stats.process.external,
      fds: fdsOf(demo.pid),
      open: stats.open,
    };
    samples.push(s);
    return s;
  };

  /** Samples every `sampleEvery` ms until stopped; a failed sample stops the run (the demo is gone). */
  const sampler = (): { stop(): Promise<void> } => {
    let running = true;
    let timer: NodeJS.Timeout | null = null;
    let wake: () => void = () => {};
    const done = (async () => {
      while (running) {
        try {
          await sample();
        } catch (error) {
          if (running) failures.push(`sampling failed: ${(error as Error).message}`);
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, sampleEvery);
        });
      }
    })();
    return {
      stop: async () => {
        running = false;
        if (timer !== null) clearTimeout(timer);
        wake();
        await done;
      },
    };
  };

  const drive = async (ms: number, seedOffset: number): Promise<Load> => {
    const load = new Load(demo.port, seed + seedOffset, maxBodySize);
    const runs: Promise<void>[] = [];
    for (const [kind, n] of Object.entries(workers) as [LoadKind, number][]) for (let i = 0; i < n; i++) runs.push(load.run(kind, i));
    const until = performance.now() + ms;
    let lastLog = performance.now();
    while (performance.now() < until && !died) {
      await sleep(Math.min(250, Math.max(0, until - performance.now())));
      if (performance.now() - lastLog >= 10_000) {
        lastLog = performance.now();
        const last = samples[samples.length - 1];
        const served = Object.values(load.checked).reduce((a, b) => a + b, 0);
        const bad = Object.values(load.unexpected).reduce((a, b) => a + b, 0);
        log(`  ${phase} ${((performance.now() - t0) / 1000).toFixed(0)} s: ${served} checked, ${bad} unexpected, rss ${mb(last?.rss ?? 0)}, heap ${mb(last?.heapUsed ?? 0)}, fds ${last?.fds}, open ${last?.open}`);
      }
    }
    load.stopping = true;
    // Workers finish what they are doing (every wait in them is bounded); what is still held after that goes.
    if (!(await within(Promise.all(runs), 35_000))) {
      const n = load.destroyAll();
      failures.push(`the load did not stop within 35 s (${n} connections destroyed)`);
      await within(Promise.all(runs), 5000);
    }
    load.destroyAll();
    return load;
  };

  /** Waits until the demo has no connection but the probe's; returns how long it took, or -1. */
  const drain = async (limitMs: number): Promise<number> => {
    const began = performance.now();
    while (performance.now() - began < limitMs) {
      const s = await sample();
      if (s.open === 0) return performance.now() - began;
      await sleep(200);
    }
    return -1;
  };

  let load: Load | null = null;
  let warm: Load | null = null;
  let drainMs = -1;
  let start: Sample | null = null;
  let end: Sample | null = null;
  let before: DemoStats | null = null;
  let after: DemoStats | null = null;
  try {
    // Warm-up: every kind of load, so the demo reaches its working size before the start is measured.
    log(`warm-up ${(warmupMs / 1000).toFixed(1)} s (demo pid ${demo.pid}, port ${demo.port}, seed ${seed})`);
    t0 = performance.now() + warmupMs;
    let s = sampler();
    warm = await drive(warmupMs, 1000);
    await s.stop();
    phase = 'drain';
    if ((await drain(15_000)) < 0) failures.push('connections were still open after the warm-up');
    phase = 'settle';
    await sleep(Math.min(settleMs, 2000));
    start = await sample();
    before = await probe.get();

    log(`load ${(options.durationMs / 1000).toFixed(0)} s`);
    t0 = performance.now();
    phase = 'load';
    s = sampler();
    load = await drive(options.durationMs, 0);
    await s.stop();
    log(`load stopped after ${((performance.now() - t0) / 1000).toFixed(1)} s; draining`);

    phase = 'drain';
    drainMs = await drain(15_000);
    if (drainMs < 0) failures.push('connections were still open 15 s after the load stopped');
    phase = 'settle';
    const settleUntil = performance.now() + settleMs;
    while (performance.now() < settleUntil && !died) {
      await sleep(Math.min(sampleEvery, settleUntil - performance.now()));
      end = await sample();
    }
    end = await sample();
    after = await probe.get();
  } catch (error) {
    failures.push(`the run stopped: ${(error as Error).message}`);
  } finally {
    probe.close();
    load?.destroyAll();
    stopped = true;
    // A graceful stop: SIGTERM, and the demo must exit 0 on its own (server.close); else it is killed.
    if (demo.process.exitCode === null && demo.process.signalCode === null) {
      const exited = new Promise<void>((resolve) => demo.process.once('exit', () => resolve()));
      demo.process.kill('SIGTERM');
      if (!(await within(exited, 8000))) {
        failures.push('the demo did not exit within 8 s of SIGTERM');
        await demo.stop();
      }
    }
    process.off('exit', killDemo);
  }

  const startRss = start?.rss ?? 0;
  const endRss = end?.rss ?? 0;
  const loadSamples = samples.filter((x) => x.phase !== 'warmup');
  const report: SoakReport = {
    seed,
    durationMs: options.durationMs,
    node: process.version,
    demoPid: demo.pid,
    initialRss,
    rss: { ...figures(loadSamples, 'rss', startRss, endRss), ...rssThirds(samples, startRss) },
    heap: figures(loadSamples, 'heapUsed', start?.heapUsed ?? 0, end?.heapUsed ?? 0),
    heapFloor: heapFloor(samples),
    fds: { start: start?.fds ?? -1, peak: Math.max(...loadSamples.map((x) => x.fds), -1), end: end?.fds ?? -1 },
    connections: { peak: Math.max(...loadSamples.map((x) => x.open), 0), end: end?.open ?? -1 },
    server: {
      requests: (after?.requests ?? 0) - (before?.requests ?? 0),
      responses: (after?.responses ?? 0) - (before?.responses ?? 0),
      accepted: (after?.accepted ?? 0) - (before?.accepted ?? 0),
      closes: Object.fromEntries(Object.entries(after?.closes ?? {}).map(([k, v]) => [k, v - (before?.closes[k] ?? 0)])),
    },
    checked: load?.checked ?? {},
    warmupChecked: Object.values(warm?.checked ?? {}).reduce((a, b) => a + b, 0),
    expected: load?.expected ?? {},
    // What goes wrong during the warm-up counts as much as what goes wrong later.
    unexpected: merge(warm?.unexpected ?? {}, load?.unexpected ?? {}),
    firstUnexpected: [...(warm?.firstUnexpected ?? []).map((m) => `(warm-up) ${m}`), ...(load?.firstUnexpected ?? [])].slice(0, 12),
    demo: { diedDuringRun: died, exit: exitText },
    drainMs: Math.round(drainMs),
    samples,
    failures,
  };
  judge(report, limits);
  return report;
}

function merge(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Adds the failures the figures show: growth without bound, leftovers, a dead demo, anything malformed. */
function judge(report: SoakReport, limits: Limits): void {
  const f = report.failures;
  if (report.demo.diedDuringRun) f.push(`the demo died during the run (${report.demo.exit})`);
  if (report.demo.exit !== 'exit code 0') f.push(`the demo did not exit cleanly on SIGTERM (${report.demo.exit})`);
  const unexpected = Object.entries(report.unexpected);
  if (unexpected.length > 0) f.push(`unexpected client-side errors: ${unexpected.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (report.rss.start <= 0 || report.rss.end <= 0) f.push('no RSS figures (the demo was not measured)');
  const reference = report.rss.reference;
  const rssAllowed = Math.max(limits.rssMargin, reference * limits.rssFraction);
  if (report.rss.end - reference > rssAllowed) {
    f.push(`RSS after the drain ${mb(report.rss.end)}, ${mb(report.rss.end - reference)} above its reference ${mb(reference)} (allowed +${mb(rssAllowed)})`);
  }
  if (report.rss.lastThirdPeak - reference > rssAllowed) {
    f.push(`RSS in the last third of the load peaked at ${mb(report.rss.lastThirdPeak)}, ${mb(report.rss.lastThirdPeak - reference)} above its reference ${mb(reference)} (allowed +${mb(rssAllowed)})`);
  }
  if (report.heapFloor.last - report.heapFloor.first > limits.heapMargin) {
    f.push(`the heap floor rose from ${mb(report.heapFloor.first)} to ${mb(report.heapFloor.last)} (allowed +${mb(limits.heapMargin)})`);
  }
  if (report.fds.end !== report.fds.start) f.push(`open descriptors ${report.fds.start} at the start, ${report.fds.end} at the end`);
  if (report.connections.end !== 0) f.push(`${report.connections.end} connections still open at the end`);
  const checked = Object.values(report.checked).reduce((a, b) => a + b, 0);
  if (checked === 0) f.push('no response was checked');
  if (report.server.requests < checked) f.push(`the server counted ${report.server.requests} requests, the client checked ${checked} responses`);
}

export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** The report as text. */
export function formatReport(report: SoakReport): string {
  const lines: string[] = [];
  const sum = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);
  const list = (m: Record<string, number>): string =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `      ${k.padEnd(44)} ${v}`)
      .join('\n') || '      (none)';
  lines.push(`h1wire soak: ${(report.durationMs / 1000).toFixed(0)} s of load, seed ${report.seed}, Node ${report.node}, demo pid ${report.demoPid}`);
  lines.push(`  memory (demo process)          start        peak         end`);
  lines.push(`    RSS                      ${mb(report.rss.start).padStart(10)}  ${mb(report.rss.peak).padStart(10)}  ${mb(report.rss.end).padStart(10)}   (fresh process: ${mb(report.initialRss)}; reference ${mb(report.rss.reference)}, last third's peak ${mb(report.rss.lastThirdPeak)})`);
  lines.push(`    heap used                ${mb(report.heap.start).padStart(10)}  ${mb(report.heap.peak).padStart(10)}  ${mb(report.heap.end).padStart(10)}   (floor: first third ${mb(report.heapFloor.first)}, last third ${mb(report.heapFloor.last)})`);
  lines.push(`  open descriptors             ${String(report.fds.start).padStart(10)}  ${String(report.fds.peak).padStart(10)}  ${String(report.fds.end).padStart(10)}`);
  lines.push(`  connections open             ${''.padStart(10)}  ${String(report.connections.peak).padStart(10)}  ${String(report.connections.end).padStart(10)}   (drained in ${report.drainMs} ms)`);
  lines.push(`  server: ${report.server.requests} requests, ${report.server.responses} responses, ${report.server.accepted} connections`);
  lines.push(`    closes by reason: ${Object.entries(report.server.closes).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`  responses read whole and checked by the client: ${sum(report.checked)} (and ${report.warmupChecked} during the warm-up)`);
  lines.push(list(report.checked));
  lines.push(`  expected outcomes (the client's own doing): ${sum(report.expected)}`);
  lines.push(list(report.expected));
  lines.push(`  unexpected client-side errors: ${sum(report.unexpected)}`);
  lines.push(list(report.unexpected));
  for (const message of report.firstUnexpected) lines.push(`      ! ${message}`);
  lines.push(`  demo: ${report.demo.diedDuringRun ? 'DIED during the run' : 'alive throughout'}; after SIGTERM: ${report.demo.exit}`);
  lines.push(report.failures.length === 0 ? '  verdict: PASS' : `  verdict: FAIL\n${report.failures.map((x) => `    - ${x}`).join('\n')}`);
  return lines.join('\n');
}
