// The baseline: node:http with the demo's routes and serializer (JSON.stringify), the same response bytes
// as h1wire's demo (Content-Type, Content-Length, Date, Connection: keep-alive, Keep-Alive: timeout=N) and
// the same per-request work: the query is parsed and the orders are built and stringified on every request.
// Usage: node node-http-server.js [--port N] [--keep-alive-timeout MS]
// Prints `listening on http://127.0.0.1:PORT` as its first stdout line, like `h1wire demo`.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { orders } from '../../lib/demo-data.js';
import { CONTENT_TYPE, rowsParam } from './routes.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, 'keep-alive-timeout': { type: 'string', default: '5000' } },
});

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function error(res: http.ServerResponse, status: number, message: string): void {
  send(res, status, JSON.stringify({ error: { status, message } }));
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
  } else {
    error(res, 404, `no route for ${path}`);
  }
});
// Same idle time as the h1wire demo (node:http's default is 5 s too; set explicitly for the memory runs).
server.keepAliveTimeout = Number(values['keep-alive-timeout']);

server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
});
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
