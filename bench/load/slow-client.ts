// A slow reader, in a process of its own: one GET of a large streamed response, read at a fixed rate (the
// socket is paused whenever the bytes read so far are ahead of `rate`; the kernel's buffers then fill and
// the server's writes report backpressure). It decodes the chunked framing as it goes and counts body bytes.
// Usage: node slow-client.js --port P --path /stream?chunks=N&size=B --rate BYTES_PER_SECOND --expect BODY_BYTES
// Prints JSON lines on stdout: {"event":"head",...} on the response head, {"event":"progress",...} every
// --progress-ms, and {"event":"done",...} (or {"event":"failed",...}) at the end; then exits.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    path: { type: 'string', default: '/stream' },
    rate: { type: 'string' },
    expect: { type: 'string', default: '-1' },
    'progress-ms': { type: 'string', default: '250' },
  },
});
const port = Number(values.port);
const rate = Number(values.rate); // bytes per second
const expected = Number(values.expect);
if (!Number.isInteger(port) || !(rate > 0)) {
  process.stderr.write('usage: slow-client --port P --path /stream?… --rate BYTES_PER_S [--expect BODY_BYTES]\n');
  process.exit(2);
}

function print(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const cpu0 = process.cpuUsage();
const tConnect = performance.now();
let t0 = 0; // first response byte
let received = 0; // bytes off the socket (head + framing + body)
let body = 0; // body bytes, decoded
let head: Buffer | null = Buffer.alloc(0); // until the head is complete
let chunked = false;
let length = -1; // Content-Length, when not chunked
let pauses = 0;
let finished = false;

// Chunked decoder state.
const SIZE = 0;
const DATA = 1;
const DATA_CRLF = 2;
const TRAILERS = 3;
let state = SIZE;
let line = '';
let remaining = 0;
let trailerLine = '';

const socket = net.connect({ host: '127.0.0.1', port });
socket.setNoDelay(true);

function finish(ok: boolean, why = ''): void {
  if (finished) return;
  finished = true;
  clearInterval(progress);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const summary = {
    received,
    body,
    expected,
    ms: Math.round(ms),
    rate: ms > 0 ? (body / ms) * 1000 : 0,
    pauses,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    connectMs: Math.round(t0 - tConnect),
  };
  print(ok ? { event: 'done', ...summary } : { event: 'failed', why, ...summary });
  socket.destroy();
  setImmediate(() => process.exit(ok ? 0 : 1));
}

/** Decodes what follows the head; true when the body is complete. */
function decode(data: Buffer): boolean {
  if (!chunked) {
    body += data.length;
    return length >= 0 && body >= length;
  }
  let at = 0;
  while (at < data.length) {
    if (state === SIZE) {
      const eol = data.indexOf(10, at);
      const end = eol < 0 ? data.length : eol + 1;
      line += data.subarray(at, end).toString('latin1');
      at = end;
      if (eol < 0) break;
      const size = Number.parseInt(line, 16);
      if (!Number.isFinite(size) || !/^[0-9a-fA-F]+(;[^\r\n]*)?\r\n$/.test(line)) throw new Error(`bad chunk-size line ${JSON.stringify(line)}`);
      line = '';
      if (size === 0) state = TRAILERS;
      else {
        remaining = size;
        state = DATA;
      }
    } else if (state === DATA) {
      const take = Math.min(remaining, data.length - at);
      body += take;
      remaining -= take;
      at += take;
      if (remaining === 0) {
        state = DATA_CRLF;
        remaining = 2;
      }
    } else if (state === DATA_CRLF) {
      const take = Math.min(remaining, data.length - at);
      at += take;
      remaining -= take;
      if (remaining === 0) state = SIZE;
    } else {
      // Trailer lines, then an empty line.
      const eol = data.indexOf(10, at);
      const end = eol < 0 ? data.length : eol + 1;
      trailerLine += data.subarray(at, end).toString('latin1');
      at = end;
      if (eol < 0) break;
      if (trailerLine === '\r\n') return true;
      trailerLine = '';
    }
  }
  return false;
}

const progress = setInterval(() => {
  if (t0 !== 0) print({ event: 'progress', ms: Math.round(performance.now() - t0), received, body });
}, Number(values['progress-ms']));

socket.on('connect', () => socket.write(`GET ${values.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
socket.on('error', (error) => finish(false, error.message));
socket.on('close', () => finish(false, `closed after ${body} body bytes`));
socket.on('data', (chunk: Buffer) => {
  if (finished) return;
  if (t0 === 0) t0 = performance.now();
  received += chunk.length;
  let rest: Buffer | null = chunk;
  if (head !== null) {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    const text = head.subarray(0, end).toString('latin1');
    if (!/^HTTP\/1\.1 200 /.test(text)) {
      finish(false, `status ${text.split('\r\n')[0]}`);
      return;
    }
    chunked = /\r\ntransfer-encoding:\s*chunked/i.test(text);
    const match = /\r\ncontent-length:\s*([0-9]+)/i.exec(text);
    length = match === null ? -1 : Number(match[1]);
    print({ event: 'head', ms: Math.round(performance.now() - tConnect), chunked, length });
    rest = head.subarray(end + 4);
    head = null;
  }
  let complete: boolean;
  try {
    complete = decode(rest);
  } catch (error) {
    finish(false, (error as Error).message);
    return;
  }
  if (complete) {
    finish(expected < 0 || body === expected, `body ${body} bytes, expected ${expected}`);
    return;
  }
  // Ahead of the rate? Stop reading until the schedule catches up.
  const due = t0 + (received / rate) * 1000;
  const wait = due - performance.now();
  if (wait > 1) {
    pauses++;
    socket.pause();
    setTimeout(() => socket.resume(), wait);
  }
});
