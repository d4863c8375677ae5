// The HTTPS baseline for bench/tls.ts: node:https answering GET / with the demo's bytes ({"hello":"world"},
// application/json, keep-alive with the same timeout). Usage: node node-https-server.js --cert F --key F
// Prints `listening on https://127.0.0.1:PORT` as its first stdout line, like `h1wire demo --tls-…`.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { cert: { type: 'string' }, key: { type: 'string' } } });
const BODY = '{"hello":"world"}';
const server = https.createServer({ cert: readFileSync(values.cert as string), key: readFileSync(values.key as string), keepAliveTimeout: 5000 }, (req, res) => {
  if (req.url !== '/') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': BODY.length, 'Keep-Alive': 'timeout=5' }).end(BODY);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on https://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
