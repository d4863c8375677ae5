// The ceiling: a net server that parses nothing. It counts request ends ("\r\n\r\n") in what it reads and
// writes one fixed, precomputed response per request end, the same bytes the real servers send for the
// scenario's route (the Date is fixed at start-up). Nothing a real server must do (parse, route, build,
// serialize, frame) is done here, so it bounds what node:net and the kernel allow on this machine.
// Usage: node raw-server.js --path /orders?rows=50 [--port N] [--keep-alive-timeout MS (advertised only)]
import net from 'node:net';
import { parseArgs } from 'node:util';
import { bodyFor, CONTENT_TYPE } from './routes.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    path: { type: 'string', default: '/' },
    'keep-alive-timeout': { type: 'string', default: '5000' },
  },
});

const body = bodyFor(values.path);
if (body === null) {
  process.stderr.write(`raw-server: no precomputed body for ${values.path}\n`);
  process.exit(2);
}
const keepAliveSeconds = Math.floor(Number(values['keep-alive-timeout']) / 1000);
const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\n' +
    `Content-Type: ${CONTENT_TYPE}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `Date: ${new Date().toUTCString()}\r\n` +
    'Connection: keep-alive\r\n' +
    `Keep-Alive: timeout=${keepAliveSeconds}\r\n` +
    '\r\n' +
    body,
  'utf8',
);

// n copies of the response, made once per n (pipelined reads bring several request ends at a time).
const batches: Buffer[] = [RESPONSE];
function responses(n: number): Buffer {
  if (n === 1) return RESPONSE;
  let batch = batches[n - 1];
  if (batch === undefined) {
    batch = Buffer.concat(new Array<Buffer>(n).fill(RESPONSE));
    if (n <= 64) batches[n - 1] = batch;
  }
  return batch;
}

const END = Buffer.from('\r\n\r\n');

/** Advances the "\r\n\r\n" matcher by one byte: state = bytes of the delimiter matched so far. */
function step(state: number, byte: number): number {
  const expected = state % 2 === 0 ? 13 : 10;
  if (byte === expected) return state + 1;
  return byte === 13 ? 1 : 0;
}

const server = net.createServer({ noDelay: true }, (socket) => {
  let state = 0; // a delimiter cut by the end of the previous read
  socket.on('data', (chunk: Buffer) => {
    let n = 0;
    let i = 0;
    while (state > 0 && i < chunk.length) {
      state = step(state, chunk[i++] as number);
      if (state === 4) {
        n++;
        state = 0;
      }
    }
    let at = chunk.indexOf(END, i);
    while (at >= 0) {
      n++;
      i = at + 4;
      at = chunk.indexOf(END, i);
    }
    state = 0;
    for (let k = Math.max(i, chunk.length - 3); k < chunk.length; k++) state = step(state, chunk[k] as number);
    if (n > 0) socket.write(responses(n));
  });
  socket.on('error', () => socket.destroy());
  // No idle timer: the runner closes every connection it opens, and a timer is work the ceiling skips.
});

server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
});
const stop = (): void => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
