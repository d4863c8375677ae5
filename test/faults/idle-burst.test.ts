// A burst of idle keep-alive connections over real sockets: more of them than stay warm (WARM_IDLE_CONNECTIONS),
// so most give up their parser and parts at once, and the rest soon after. Every one of them is still kept,
// and answers its next requests exactly, pipelined and cut at random byte boundaries; then all close cleanly.
import type net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_SWEEP_PERIOD, PARSER_RETURN_DELAY, WARM_IDLE_CONNECTIONS } from '../../lib/limits.js';
import { normalize, textResponse } from '../helpers/exact.js';
import { sleep, waitFor } from '../helpers/process.js';
import { start, type Running } from '../helpers/server.js';
import { dial } from '../helpers/transport.js';
import { pieces, prng } from '../helpers/wire.js';

const CONNECTIONS = WARM_IDLE_CONNECTIONS * 2 + 50;

let running: Running;

test.before(async () => {
  running = await start((req) => req.path);
});

test.after(async () => {
  await running.close();
});

interface Client {
  socket: net.Socket;
  received: Buffer[];
  closed: boolean;
}

/** A client socket (plain or TLS, as the run says); writes wait for the connection. */
function connect(port: number): Client {
  const socket = dial(port);
  const client: Client = { socket, received: [], closed: false };
  socket.on('data', (chunk: Buffer) => client.received.push(chunk));
  socket.on('close', () => (client.closed = true));
  return client;
}

function text(client: Client): string {
  return normalize(Buffer.concat(client.received).toString('latin1'), 120_000); // the first response waited while the rest connected
}

/** Writes `data` in random pieces (seeded), each in a turn of its own. */
async function sendPieces(client: Client, data: string, seed: number): Promise<void> {
  for (const piece of pieces(Buffer.from(data, 'latin1'), 'random', prng(seed))) {
    client.socket.write(piece);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const GET = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`;

test('a burst of idle connections, most parked at once: each is kept and answers its next pipeline exactly', async () => {
  const clients: Client[] = [];
  for (let i = 0; i < CONNECTIONS; i++) clients.push(connect(running.port));
  await Promise.all(clients.map((c, i) => sendPieces(c, GET(`/first/${i}`), i)));
  assert.ok(await waitFor(() => clients.every((c, i) => text(c) === textResponse(`/first/${i}`)), 20_000), 'every first response');
  assert.ok(await waitFor(() => running.server.stats().byState.idle === CONNECTIONS, 5_000), 'all idle');
  // Past the warm cap they were parked at once; the warm ones too, after PARSER_RETURN_DELAY and a sweep.
  await sleep(PARSER_RETURN_DELAY + MAX_SWEEP_PERIOD + 200);
  assert.is(running.server.stats().byState.idle, CONNECTIONS, 'parked, and still kept');

  const next = (i: number): string => `${GET(`/a/${i}`)}\r\n${GET(`/b/${i}`)}POST /c/${i} HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok`;
  const expected = (i: number): string =>
    textResponse(`/first/${i}`) + textResponse(`/a/${i}`) + textResponse(`/b/${i}`) + textResponse(`/c/${i}`);
  await Promise.all(clients.map((c, i) => sendPieces(c, next(i), 1000 + i)));
  await waitFor(() => clients.every((c, i) => text(c) === expected(i)), 20_000);
  for (const [i, c] of clients.entries()) assert.is(text(c), expected(i), `connection ${i}`);
  assert.ok(await waitFor(() => running.server.stats().byState.idle === CONNECTIONS, 5_000), 'all kept');

  for (const c of clients) c.socket.end();
  assert.ok(await waitFor(() => running.server.stats().open === 0, 10_000), 'all closed');
  // Every descriptor of ours is gone before the next test file counts its own (they share the process).
  assert.ok(await waitFor(() => clients.every((c) => c.closed), 10_000), 'every client socket closed');
  const stats2 = running.server.stats();
  assert.is(stats2.closes['client-closed'], CONNECTIONS);
  assert.is(stats2.requests, 4 * CONNECTIONS);
});

test.run();
