// Holds N idle keep-alive connections to a server, each after one complete request/response, in a process
// of its own (so that the runner's memory and file descriptors stay out of the way).
// Usage: node idle-client.js --port P --connections N [--path /] [--concurrency 200]
// Prints JSON lines on stdout: {"event":"ready",...} once all are idle; then reads commands on stdin:
// "status" → {"event":"status","open":n}; "close" (or the end of stdin) → closes everything and exits.
import net from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    connections: { type: 'string', default: '1000' },
    path: { type: 'string', default: '/' },
    concurrency: { type: 'string', default: '200' },
  },
});
const port = Number(values.port);
const total = Number(values.connections);
const concurrency = Number(values.concurrency);
const request = `GET ${values.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

const sockets = new Set<net.Socket>();
let open = 0; // idle after a complete response
let failed = 0;
let closedEarly = 0; // closed by the server while we held them idle
let started = 0;
let inFlight = 0;
let firstError = '';
const t0 = performance.now();

function print(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function one(): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (ok: boolean, why = ''): void => {
      if (done) return;
      done = true;
      if (ok) open++;
      else {
        failed++;
        if (firstError === '') firstError = why;
        socket.destroy();
      }
      resolve();
    };
    socket.on('connect', () => socket.write(request));
    socket.on('error', (error) => finish(false, error.message));
    socket.on('close', () => {
      if (!done) finish(false, 'closed before the response');
      else if (sockets.delete(socket)) {
        open--;
        closedEarly++;
      }
    });
    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      got = Buffer.concat([got, chunk]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const match = /\r\ncontent-length:\s*([0-9]+)/i.exec(got.subarray(0, end).toString('latin1'));
      if (match === null) {
        finish(false, 'no Content-Length');
        return;
      }
      if (got.length >= end + 4 + Number(match[1])) {
        sockets.add(socket);
        got = Buffer.alloc(0);
        finish(true);
      }
    });
  });
}

async function fill(): Promise<void> {
  await new Promise<void>((resolve) => {
    const next = (): void => {
      while (inFlight < concurrency && started < total) {
        started++;
        inFlight++;
        void one().then(() => {
          inFlight--;
          if (started === total && inFlight === 0) resolve();
          else next();
        });
      }
    };
    if (total === 0) resolve();
    else next();
  });
  print({ event: 'ready', open, failed, firstError, ms: Math.round(performance.now() - t0) });
}

function closeAll(): void {
  for (const s of sockets) s.destroy();
  sockets.clear();
  print({ event: 'closed' });
  process.exit(0);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'status') print({ event: 'status', open, closedEarly });
  else if (line.trim() === 'close') closeAll();
});
lines.on('close', closeAll);
void fill();
