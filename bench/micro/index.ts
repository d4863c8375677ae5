// Micro-benchmarks (tinybench), one process, one core: the parse stage (llhttp as WebAssembly through
// lib/parser.ts), the frame stage (lib/frame.ts buildHead) and the serializers: JSON.stringify against
// schemaJson(ORDERS_SCHEMA) at 1, 50 and 5,000 orders, and at 50 and 5,000 orders also jsonArray() (its
// stream consumed whole, setImmediate yields included) and a MessagePack plug-in (msgpackr's pack), with
// the longest single block of the event loop each one makes (the point of jsonArray).
//
// Fast operations run in an inner loop of `inner` per sample, so that the timer's own cost (tens of ns)
// stays out of the figure; rates are per single operation and computed from the median sample
// (1000 / p50 ms × inner), which a stray GC pause or a preemption on a shared machine does not move.
// Usage: node dist/bench/micro/index.js [--quick] [--json] [--time MS]
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { pack, unpack } from 'msgpackr';
import { Bench } from 'tinybench';
import { llhttpBuild, Llhttp, PARSER_TYPE, type LlhttpSink } from '../../native-free/llhttp.js';
import { resolveConfig } from '../../lib/config.js';
import { orders, ORDERS_SCHEMA } from '../../lib/demo-data.js';
import { buildHead, EMPTY_HEADERS, FRAME_LENGTH, headerBlock, connectionLines } from '../../lib/frame.js';
import { PARSE_DONE, RequestParser, type ParserEvents, type RequestHead } from '../../lib/parser.js';
import { jsonArray } from '../../lib/serializers/json-array.js';
import { schemaJson } from '../../lib/serializers/schema-json.js';
import { checkSerializer, type Chunk, type Serializer } from '../../lib/serializers/serializer.js';

/** Order counts for the serializer comparison: one small object (where a compiled serializer should shine),
 * the demo's default page, and a large result set. */
export const SERIALIZER_SIZES = [1, 50, 5000] as const;

/** Order counts for jsonArray and the MessagePack plug-in (and the longest-block measurement). */
export const PLUGIN_SIZES = [50, 5000] as const;

/** A MessagePack serializer as a user would plug it in (msgpackr's default pack: no record extension). */
export const MSGPACK: Serializer = checkSerializer({ name: 'msgpack', contentType: 'application/msgpack', serialize: (v: unknown) => pack(v) });

/** The longest synchronous block of the event loop one serialization makes, per serializer and size. */
export interface BlockRow {
  orders: number;
  serializer: string;
  runs: number;
  /** Median over runs of each run's longest block, and the largest seen, ms. */
  longestMs: number;
  longestMaxMs: number;
  /** Median over runs of the whole serialization (for jsonArray: first slice to last, yields included), ms. */
  totalMs: number;
  /** Pieces per serialization (1 for a whole-body serializer). */
  slices: number;
}

export interface MicroRow {
  group: string;
  name: string;
  /** Operations per second (one op = `unit`). */
  rate: number;
  unit: string;
  nsPerOp: number;
  /** Relative margin of error of the sample mean, %. */
  rme: number;
  samples: number;
  /** Output size, for serializers. */
  bytes?: number;
}

export interface MicroResult {
  node: string;
  simd: boolean;
  timeMs: number;
  rows: MicroRow[];
  blocks: BlockRow[];
  notes: string[];
}

// A typical browser-ish GET: request line and 8 header fields (Host, User-Agent, Accept, Accept-Language,
// Accept-Encoding, Connection, Cookie, Cache-Control): 345 bytes.
export const TYPICAL_GET =
  'GET /orders?rows=50 HTTP/1.1\r\n' +
  'Host: 127.0.0.1:3000\r\n' +
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n' +
  'Accept: application/json, text/plain, */*\r\n' +
  'Accept-Language: en-US,en;q=0.5\r\n' +
  'Accept-Encoding: gzip, deflate, br\r\n' +
  'Connection: keep-alive\r\n' +
  'Cookie: session=0123456789abcdef; theme=dark\r\n' +
  'Cache-Control: no-cache\r\n' +
  '\r\n';

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`micro-benchmark self-check failed: ${message}`);
}

export async function runMicro(timeMs: number, progress: (line: string) => void): Promise<MicroResult> {
  const rows: MicroRow[] = [];
  const notes: string[] = [];
  const bench = new Bench({ time: timeMs, warmupTime: Math.max(20, timeMs / 4), iterations: 10, warmupIterations: 5 });
  const meta = new Map<string, { group: string; name: string; inner: number; unit: string; bytes?: number }>();
  const add = (group: string, name: string, inner: number, unit: string, fn: () => void | Promise<void>, bytes?: number): void => {
    const key = `${group}: ${name}`;
    meta.set(key, bytes === undefined ? { group, name, inner, unit } : { group, name, inner, unit, bytes });
    bench.add(key, fn);
  };

  // ---- parse ------------------------------------------------------------------------------------------
  const one = Buffer.from(TYPICAL_GET, 'latin1');
  const sixteen = Buffer.from(TYPICAL_GET.repeat(16), 'latin1');
  let heads = 0;
  let ends = 0;
  let lastHead: RequestHead | null = null;
  const events: ParserEvents = {
    onHead: (head) => {
      heads++;
      lastHead = head;
    },
    onBody: () => undefined,
    onMessageEnd: () => {
      ends++;
    },
  };
  const parser = new RequestParser(resolveConfig({}).parserLimits); // the defaults, as the demo runs
  parser.bind(events);
  const NO_BUDGET_LIMIT = 1 << 30; // keep-alive: never pause between messages
  check(parser.execute(one, 0, NO_BUDGET_LIMIT) === PARSE_DONE, 'the typical GET parses');
  const head = lastHead as RequestHead | null;
  check(head !== null && head.fields.raw().length === 16 && head.target === '/orders?rows=50', 'the typical GET has 8 header fields');
  check(parser.execute(sixteen, 0, NO_BUDGET_LIMIT) === PARSE_DONE && heads === 17 && ends === 17, 'the batch holds 16 requests');

  const sink: LlhttpSink = {
    onMessageBegin: () => 0,
    onUrl: () => 0,
    onStatus: () => 0,
    onHeaderField: () => 0,
    onHeaderValue: () => 0,
    onHeadersComplete: () => 0,
    onBody: () => 0,
    onMessageComplete: () => 0,
  };
  const bare = new Llhttp(PARSER_TYPE.REQUEST, sink);

  add('parse', 'llhttp WebAssembly alone (no-op callbacks), 1 request per execute', 64, 'requests/s', () => {
    for (let i = 0; i < 64; i++) bare.execute(one, 0, one.length);
  });
  add('parse', 'RequestParser: 1 request (8 headers) per execute', 64, 'requests/s', () => {
    for (let i = 0; i < 64; i++) parser.execute(one, 0, NO_BUDGET_LIMIT);
  });
  add('parse', 'RequestParser: pipelined batch of 16 per execute', 4 * 16, 'requests/s', () => {
    for (let i = 0; i < 4; i++) parser.execute(sixteen, 0, NO_BUDGET_LIMIT);
  });

  // ---- frame ------------------------------------------------------------------------------------------
  const lines = connectionLines(5);
  const sample = buildHead(200, EMPTY_HEADERS, 'application/json', FRAME_LENGTH, 17, lines.keepAlive);
  check(sample.startsWith('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\nDate: '), 'buildHead output');
  let sink2 = 0;
  // buildHead returns a concatenated string that V8 may keep as a rope until it is written: the first row
  // is the call alone, the second adds the encoding to bytes that the socket write would do anyway.
  add('frame', 'buildHead: 200, JSON, Content-Length, Date, keep-alive (string)', 256, 'heads/s', () => {
    for (let i = 0; i < 256; i++) sink2 += buildHead(200, EMPTY_HEADERS, 'application/json', FRAME_LENGTH, 17 + (i & 7), lines.keepAlive).length;
  });
  add('frame', 'buildHead + encoding the head to bytes (Buffer.from latin1)', 128, 'heads/s', () => {
    for (let i = 0; i < 128; i++) sink2 += Buffer.from(buildHead(200, EMPTY_HEADERS, 'application/json', FRAME_LENGTH, 17 + (i & 7), lines.keepAlive), 'latin1').length;
  });
  const userHeaders = { 'Cache-Control': 'no-store', 'X-Request-Id': '7f3c2a9e-1b4d' };
  add('frame', 'headerBlock (2 user headers, checked) + buildHead + bytes', 128, 'heads/s', () => {
    for (let i = 0; i < 128; i++) sink2 += Buffer.from(buildHead(200, headerBlock(userHeaders), 'application/json', FRAME_LENGTH, 17, lines.keepAlive), 'latin1').length;
  });

  // ---- serialize --------------------------------------------------------------------------------------
  const schema = schemaJson(ORDERS_SCHEMA as unknown as Record<string, unknown>);
  const serialize = schema.serialize as (value: unknown) => string;
  for (const n of SERIALIZER_SIZES) {
    const data = orders(n);
    const generic = JSON.stringify(data);
    const compiled = serialize(data);
    const size = Buffer.byteLength(generic);
    if (generic !== compiled) notes.push(`${n} orders: schemaJson's output differs from JSON.stringify's (${Buffer.byteLength(compiled)} vs ${size} bytes)`);
    const inner = n <= 1 ? 256 : n <= 50 ? 8 : 1;
    let total = 0;
    // As lib/serialize.ts runs a serializer: the string, then its UTF-8 length (Buffer.byteLength), which
    // also flattens a string built by concatenation, a cost the write would pay otherwise.
    add(`serialize ${n}`, `JSON.stringify (${n} orders)`, inner, 'ops/s', () => {
      for (let i = 0; i < inner; i++) total += Buffer.byteLength(JSON.stringify(data));
    }, size);
    add(`serialize ${n}`, `schemaJson(ORDERS_SCHEMA) (${n} orders)`, inner, 'ops/s', () => {
      for (let i = 0; i < inner; i++) total += Buffer.byteLength(serialize(data));
    }, Buffer.byteLength(compiled));
    // Context for the load numbers: the demo builds the orders on every request before serializing them.
    add(`serialize ${n}`, `orders(${n}): building the demo's data (not a serializer)`, inner, 'ops/s', () => {
      for (let i = 0; i < inner; i++) total += orders(n).length;
    });
    if (total < 0) notes.push('unreachable');
  }

  // ---- jsonArray and a MessagePack plug-in --------------------------------------------------------------
  const array = jsonArray();
  const stream = array.stream as (value: unknown) => AsyncIterable<Chunk>;
  const msgpack = MSGPACK.serialize as (value: unknown) => Uint8Array;
  for (const n of PLUGIN_SIZES) {
    const data = orders(n);
    const generic = JSON.stringify(data);
    let sliced = '';
    for await (const slice of stream(data)) sliced += slice as string;
    check(sliced === generic, `jsonArray's slices of ${n} orders join into JSON.stringify's output`);
    const packed = msgpack(data);
    check(isDeepStrictEqual(unpack(packed), data), `msgpack of ${n} orders unpacks to the same orders`);
    const inner = n <= 50 ? 8 : 1;
    let total = 0;
    // The whole stream, as the write queue pulls it: each slice, then its UTF-8 length; the setImmediate
    // yields between slices are part of the time (an async task: tinybench awaits it).
    add(`serialize ${n}`, `jsonArray() stream, all slices (${n} orders)`, inner, 'ops/s', async () => {
      for (let i = 0; i < inner; i++) for await (const slice of stream(data)) total += Buffer.byteLength(slice as string);
    }, Buffer.byteLength(sliced));
    add(`serialize ${n}`, `msgpack plug-in: msgpackr pack() (${n} orders)`, inner, 'ops/s', () => {
      for (let i = 0; i < inner; i++) total += msgpack(data).byteLength;
    }, packed.byteLength);
    if (total < 0) notes.push('unreachable');
  }

  bench.addEventListener('cycle', (event) => {
    const task = (event as unknown as { task?: { name: string } }).task;
    if (task !== undefined) progress(`  micro  ${task.name}`);
  });
  await bench.run();
  if (sink2 < 0) notes.push('unreachable');
  const blocks = await longestBlocks(timeMs, schema, stream, msgpack, progress);

  for (const task of bench.tasks) {
    const m = meta.get(task.name);
    const result = task.result;
    if (m === undefined) continue;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state === 'errored' ? result.error.message : result.state}`);
    const perOpMs = result.latency.p50 / m.inner;
    const row: MicroRow = {
      group: m.group,
      name: m.name,
      rate: 1000 / perOpMs,
      unit: m.unit,
      nsPerOp: perOpMs * 1e6,
      rme: result.latency.rme,
      samples: result.latency.samplesCount,
    };
    if (m.bytes !== undefined) row.bytes = m.bytes;
    rows.push(row);
  }
  return { node: process.version, simd: llhttpBuild().simd, timeMs, rows, blocks, notes };
}

/**
 * The longest block of the event loop per serialization. A whole-body serializer (JSON.stringify,
 * schemaJson, msgpack) blocks for the whole call. jsonArray blocks once per slice: each `next()` of its
 * stream, timed from the call to the slice's UTF-8 length (what the write queue does per slice), includes
 * the setImmediate turn before the slice — on an otherwise idle loop, microseconds — so it is an upper
 * bound of the slice's own block. The median over runs of each run's longest block is reported (a GC pause
 * in one run does not move it), with the largest seen.
 */
async function longestBlocks(
  timeMs: number,
  schema: Serializer,
  stream: (value: unknown) => AsyncIterable<Chunk>,
  msgpack: (value: unknown) => Uint8Array,
  progress: (line: string) => void,
): Promise<BlockRow[]> {
  const rows: BlockRow[] = [];
  const serialize = schema.serialize as (value: unknown) => string;
  const whole: [string, (v: unknown) => number][] = [
    ['JSON.stringify', (v) => Buffer.byteLength(JSON.stringify(v))],
    ['schemaJson', (v) => Buffer.byteLength(serialize(v))],
    ['msgpack', (v) => msgpack(v).byteLength],
  ];
  let sink = 0;
  for (const n of PLUGIN_SIZES) {
    const data = orders(n);
    // About timeMs / 2 per serializer at 5,000 orders (≈ 10–20 ms each), at least 7 runs.
    const runs = n <= 50 ? 200 : Math.max(7, Math.round(timeMs / 2 / 15));
    progress(`  micro  longest block: ${n} orders × ${runs} runs`);
    for (const [name, fn] of whole) {
      for (let i = 0; i < 3; i++) sink += fn(data); // warm
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        sink += fn(data);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const mid = times[times.length >> 1] as number;
      rows.push({ orders: n, serializer: name, runs, longestMs: mid, longestMaxMs: times[times.length - 1] as number, totalMs: mid, slices: 1 });
    }
    const longest: number[] = [];
    const totals: number[] = [];
    let slices = 0;
    for (let i = -3; i < runs; i++) {
      const it = stream(data)[Symbol.asyncIterator]();
      let max = 0;
      let count = 0;
      const t0 = performance.now();
      for (;;) {
        const t = performance.now();
        const step = await it.next();
        if (step.done === true) break;
        sink += Buffer.byteLength(step.value as string);
        const dt = performance.now() - t;
        if (dt > max) max = dt;
        count++;
      }
      if (i < 0) continue; // warm-up
      totals.push(performance.now() - t0);
      longest.push(max);
      slices = count;
    }
    longest.sort((a, b) => a - b);
    totals.sort((a, b) => a - b);
    rows.push({
      orders: n,
      serializer: 'jsonArray',
      runs,
      longestMs: longest[longest.length >> 1] as number,
      longestMaxMs: longest[longest.length - 1] as number,
      totalMs: totals[totals.length >> 1] as number,
      slices,
    });
  }
  if (sink < 0) rows.length = 0;
  return rows;
}

// Run directly: print a table (or JSON for the runner).
const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, time: { type: 'string' } } });
  const time = values.time !== undefined ? Number(values.time) : values.quick === true ? 150 : 1000;
  const result = await runMicro(time, (line) => process.stderr.write(`${line}\n`));
  if (values.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    for (const r of result.rows) {
      process.stdout.write(`${r.group.padEnd(14)} ${r.name.padEnd(72)} ${Math.round(r.rate).toLocaleString('en-US').padStart(13)} ${r.unit}  ±${r.rme.toFixed(1)}%${r.bytes === undefined ? '' : `  ${r.bytes} bytes`}\n`);
    }
    for (const b of result.blocks) {
      process.stdout.write(`longest block ${String(b.orders).padStart(5)} orders  ${b.serializer.padEnd(15)} ${b.longestMs.toFixed(3)} ms (max ${b.longestMaxMs.toFixed(3)}), total ${b.totalMs.toFixed(3)} ms in ${b.slices} piece(s)\n`);
    }
    for (const n of result.notes) process.stdout.write(`note: ${n}\n`);
  }
}
