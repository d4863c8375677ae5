// The Hono benchmark's ceiling: a net server that parses nothing and frames nothing. Each read that ends a
// request ("\r\n\r\n", no pipelining: one request per read) gets one precomputed response, the bytes the native
// h1wire handler sends for that route (Date fixed at start-up). What node:net and the kernel allow on this
// machine, with the load generator on the same cores: no JavaScript server can do better than this.
// Usage: node ceiling.js [--port N]
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });

function response(body: string): Buffer {
  return Buffer.from(
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nDate: ${new Date().toUTCString()}\r\n` +
      'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n' +
      body,
  );
}

const JSON_ROUTE = response('{"hello":"world"}');
const USER_ROUTE = response('{"id":"42"}');
const END = Buffer.from('\r\n\r\n');
const JSON_LINE = Buffer.from('GET /json ');

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk: Buffer) => {
    if (chunk.indexOf(END) < 0) return; // the benchmark's requests are a few dozen bytes: one read each
    socket.write(chunk.subarray(0, JSON_LINE.length).equals(JSON_LINE) ? JSON_ROUTE : USER_ROUTE);
  });
  socket.on('error', () => socket.destroy());
});

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as net.AddressInfo).port}\n`);
});
const stop = (): void => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
