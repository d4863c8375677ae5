// The baseline: node:http with the demo's routes and serializer (JSON.stringify), the same response bytes
// as h1wire's demo (Content-Type, Content-Length, Date, Connection: keep-alive, Keep-Alive: timeout=N) and
// the same per-request work: the query is parsed and the orders are built and stringified on every request.
//
// `GET /stream?chunks=N&size=B&delay=MS` mirrors the demo's route (lib/demo.ts): one block of `size` bytes
// (the same pattern), sent `chunks` times, chunked, through an async generator. How the handler writes is
// chosen at start-up, for the slow-reader scenario:
//   --stream-writes honour   (default) `if (!res.write(chunk)) await drain`: what a careful node:http user
//                            writes, and what h1wire's write queue does for every stream;
//   --stream-writes ignore   `res.write(chunk)` whatever it returns: the common mistake;
//   --stream-chunks shared   (default) the same Buffer every time, like the demo;
//   --stream-chunks fresh    a new Buffer per chunk (as data read from a file or a database would be).
// `--workers N` (N ≥ 1) runs the server in N node:cluster workers on one port, node:cluster's default way
// (round-robin on Linux: the primary accepts and hands each connection to a worker), as `h1wire demo
// --workers N` does with its own cluster; the primary prints the line once every worker listens.
// Usage: node node-http-server.js [--port N] [--keep-alive-timeout MS] [--stream-writes honour|ignore] [--stream-chunks shared|fresh] [--workers N]
// Prints `listening on http://127.0.0.1:PORT` as its first stdout line, like `h1wire demo`.
import cluster from 'node:cluster';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { orders } from '../../lib/demo-data.js';
import { CONTENT_TYPE, rowsParam } from './routes.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'keep-alive-timeout': { type: 'string', default: '5000' },
    'stream-writes': { type: 'string', default: 'honour' },
    'stream-chunks': { type: 'string', default: 'shared' },
    workers: { type: 'string', default: '0' },
  },
});
const WORKERS = Number(values.workers);
const HONOUR = values['stream-writes'] === 'honour';
const FRESH = values['stream-chunks'] === 'fresh';
if (!['honour', 'ignore'].includes(values['stream-writes'] as string) || !['shared', 'fresh'].includes(values['stream-chunks'] as string) || !Number.isInteger(WORKERS) || WORKERS < 0) {
  process.stderr.write('node-http-server: --stream-writes honour|ignore, --stream-chunks shared|fresh, --workers N\n');
  process.exit(2);
}

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function error(res: http.ServerResponse, status: number, message: string): void {
  send(res, status, JSON.stringify({ error: { status, message } }));
}

/** An integer query parameter in [min, max] as lib/demo.ts reads it: the fallback when absent, null when invalid. */
function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number | null {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^[0-9]{1,9}$/.test(raw)) return null;
  const value = Number(raw);
  return value < min || value > max ? null : value;
}

async function* pattern(chunks: number, size: number, delay: number, signal: AbortSignal): AsyncGenerator<Buffer> {
  const block = Buffer.alloc(size, 'h1wire streams chunk by chunk. '); // the demo's pattern
  for (let i = 0; i < chunks; i++) {
    if (delay > 0) await sleep(delay, undefined, { signal });
    yield FRESH ? Buffer.from(block) : block;
  }
}

/** Waits for 'drain', or for the response to close (a client gone while we wait). */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function stream(res: http.ServerResponse, query: URLSearchParams): Promise<void> {
  const chunks = intParam(query, 'chunks', 10, 0, 10_000_000);
  const size = intParam(query, 'size', 1024, 1, 16 * 1024 * 1024);
  const delay = intParam(query, 'delay', 0, 0, 60_000);
  if (chunks === null || size === null || delay === null) {
    error(res, 400, 'chunks, size and delay must be integers in range');
    return;
  }
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
  try {
    for await (const chunk of pattern(chunks, size, delay, abort.signal)) {
      if (res.destroyed) return;
      const ok = res.write(chunk);
      if (!ok && HONOUR) await drained(res);
    }
    res.end();
  } catch {
    res.destroy();
  }
}

const server = http.createServer({ noDelay: true }, (req, res) => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    error(res, 405, `${req.method ?? ''} is not allowed here`);
    return;
  }
  if (path === '/') {
    send(res, 200, JSON.stringify({ hello: 'world' }));
  } else if (path === '/orders') {
    const rows = rowsParam(new URLSearchParams(q < 0 ? '' : url.slice(q + 1)).get('rows'));
    if (rows === null) error(res, 400, 'rows must be an integer from 0 to 100000');
    else send(res, 200, JSON.stringify(orders(rows)));
  } else if (path === '/stream' && req.method === 'GET') {
    void stream(res, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
  } else {
    error(res, 404, `no route for ${path}`);
  }
});
// Same idle time as the h1wire demo (node:http's default is 5 s too; set explicitly for the memory runs).
server.keepAliveTimeout = Number(values['keep-alive-timeout']);

if (WORKERS > 0 && cluster.isPrimary) {
  // The primary serves nothing: it forks, waits for every worker to listen, and fails if one dies.
  let listening = 0;
  let stopping = false;
  cluster.on('listening', (_worker, address) => {
    if (++listening === WORKERS) process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    process.stderr.write(`node-http-server: worker ${worker.process.pid} exited (${signal ?? code})\n`);
    process.exit(1);
  });
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  const stop = (): void => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 1000).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  server.listen(Number(values.port), '127.0.0.1', () => {
    const address = server.address() as { port: number };
    if (cluster.isPrimary) process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
