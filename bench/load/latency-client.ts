// An open-loop latency client, in a process of its own: small requests at a fixed rate over N keep-alive
// connections, each latency recorded exactly (no histogram buckets; a few thousand samples per run).
//
// Open loop: request i is due at t0 + i / rate whatever happened before. It goes out on a free connection
// (one request in flight per connection, no pipelining); when every connection is busy it waits in a queue,
// and its latency still counts from the time it was due. So a server that stalls is charged for every
// request that should have been sent during the stall (no coordinated omission), and a stall longer than
// the connections can absorb shows as queueing, not as missing samples.
//
// The client shares the machine with the server and the load generator: its own event-loop delay (timers
// firing late) is measured and reported, since it adds to every latency it records.
// Usage: node latency-client.js --port P [--path /] [--connections 16] [--rate 400] [--seconds 5] [--grace-ms 3000]
// Prints one JSON line on stdout when done.
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    path: { type: 'string', default: '/' },
    connections: { type: 'string', default: '16' },
    rate: { type: 'string', default: '400' },
    seconds: { type: 'string', default: '5' },
    'grace-ms': { type: 'string', default: '3000' },
  },
});
const port = Number(values.port);
const connections = Number(values.connections);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const graceMs = Number(values['grace-ms']);
const total = Math.round(rate * seconds);
const REQUEST = `GET ${values.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

interface Conn {
  socket: net.Socket;
  buffer: Buffer;
  /** Index of the request in flight, or -1. */
  inFlight: number;
  warm: boolean;
}

const intended = new Float64Array(total); // when each request was due
const sent = new Float64Array(total); // when it went out
const latency = new Float64Array(total).fill(Number.NaN); // answered - due, ms
const free: Conn[] = [];
const backlog: number[] = []; // due requests waiting for a connection
let backlogHead = 0;
let maxBacklog = 0;
let scheduled = 0;
let answered = 0;
let errors = 0;
let firstError = '';
let t0 = 0;
let finished = false;
const loop = monitorEventLoopDelay({ resolution: 1 });

function fail(why: string): void {
  errors++;
  if (firstError === '') firstError = why;
}

/** Parses complete responses off the connection's buffer (Content-Length framing: the small route). */
function onData(conn: Conn, chunk: Buffer): void {
  conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
  for (;;) {
    const end = conn.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = conn.buffer.subarray(0, end).toString('latin1');
    const match = /\r\ncontent-length:\s*([0-9]+)/i.exec(head);
    if (match === null) {
      fail('response without Content-Length');
      conn.socket.destroy();
      return;
    }
    const size = end + 4 + Number(match[1]);
    if (conn.buffer.length < size) return;
    conn.buffer = conn.buffer.subarray(size);
    const now = performance.now();
    if (!head.startsWith('HTTP/1.1 200 ')) fail(`status ${head.slice(0, head.indexOf('\r\n'))}`);
    if (!conn.warm) {
      conn.warm = true;
      free.push(conn);
      if (free.length === connections) start();
      continue;
    }
    const i = conn.inFlight;
    conn.inFlight = -1;
    if (i >= 0) {
      latency[i] = now - (intended[i] as number);
      answered++;
    }
    free.push(conn);
    dispatch();
    if (answered === total) done();
  }
}

function dispatch(): void {
  while (backlogHead < backlog.length && free.length > 0) {
    const conn = free.pop() as Conn;
    const i = backlog[backlogHead++] as number;
    conn.inFlight = i;
    sent[i] = performance.now();
    conn.socket.write(REQUEST);
  }
  if (backlogHead === backlog.length) {
    backlog.length = 0;
    backlogHead = 0;
  }
}

function tick(): void {
  if (finished) return;
  const now = performance.now();
  const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
  while (scheduled < due) {
    intended[scheduled] = t0 + (scheduled * 1000) / rate;
    backlog.push(scheduled);
    scheduled++;
  }
  maxBacklog = Math.max(maxBacklog, backlog.length - backlogHead);
  dispatch();
  if (scheduled < total) setTimeout(tick, Math.max(0, t0 + (scheduled * 1000) / rate - performance.now()));
  else setTimeout(done, graceMs).unref();
}

let cpu0 = process.cpuUsage();
function start(): void {
  cpu0 = process.cpuUsage();
  loop.enable();
  t0 = performance.now() + 5;
  setTimeout(tick, 5);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

function done(): void {
  if (finished) return;
  finished = true;
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const got = latency.filter((v) => !Number.isNaN(v)).sort();
  const delays = new Float64Array(total);
  let n = 0;
  for (let i = 0; i < scheduled; i++) if (sent[i] !== 0) delays[n++] = (sent[i] as number) - (intended[i] as number);
  const sendDelay = delays.subarray(0, n).sort();
  const elapsed = (performance.now() - t0) / 1000;
  let sum = 0;
  for (const v of got) sum += v;
  process.stdout.write(
    `${JSON.stringify({
      due: total,
      answered,
      unanswered: total - answered,
      errors,
      firstError,
      p50: percentile(got, 50),
      p90: percentile(got, 90),
      p99: percentile(got, 99),
      p999: percentile(got, 99.9),
      max: got.length === 0 ? Number.NaN : got[got.length - 1],
      mean: got.length === 0 ? Number.NaN : sum / got.length,
      sendDelayP99: percentile(sendDelay, 99),
      maxBacklog,
      loopDelayP99: loop.percentile(99) / 1e6,
      loopDelayMax: loop.max / 1e6,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      seconds: elapsed,
    })}\n`,
  );
  for (const c of conns) c.socket.destroy();
  setImmediate(() => process.exit(0));
}

// Open the connections; each makes one unmeasured request first (connection set-up stays out of the figures).
const conns: Conn[] = [];
for (let k = 0; k < connections; k++) {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const conn: Conn = { socket, buffer: Buffer.alloc(0), inFlight: -1, warm: false };
  conns.push(conn);
  socket.on('connect', () => socket.write(REQUEST));
  socket.on('data', (chunk: Buffer) => onData(conn, chunk));
  socket.on('error', (error) => fail(error.message));
  socket.on('close', () => {
    if (!finished) fail('connection closed by the server');
  });
}
setTimeout(() => {
  if (t0 === 0) {
    process.stderr.write(`latency-client: only ${free.length} of ${connections} connections ready after 10 s\n`);
    process.exit(1);
  }
}, 10_000).unref();
