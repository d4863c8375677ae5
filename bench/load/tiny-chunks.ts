// `npm run bench:tiny-chunks`: one client streams N one-byte chunks (GET /stream?chunks=N&size=1, read as
// fast as it comes) while a second client sends GET / every 5 ms and times each answer. h1wire's demo and
// the node:http baseline serve the same generator, in alternating rounds of the same run. Reported: the
// stream's duration and the probes' p50/p99/max wait per server (medians over rounds), and the ratios.
// Goal (issue "Hardening II"): probes wait < 10 ms at p99; the stream at least as fast as node:http's.
// Usage: node dist/bench/load/tiny-chunks.js [--chunks N] [--rounds N]
import net from 'node:net';
import { parseArgs } from 'node:util';
import { installCleanup } from '../lib/procs.js';
import { median } from '../lib/stats.js';
import { SERVERS, startServer, type ServerId } from './servers.js';

const { values } = parseArgs({ options: { chunks: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } } });
const CHUNKS = Number(values.chunks);
const ROUNDS = Number(values.rounds);
const PROBE_EVERY_MS = 5;
const STREAM_LIMIT_MS = 120_000;

interface Round {
  streamMs: number;
  p50: number;
  p99: number;
  max: number;
  probes: number;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

async function round(port: number): Promise<Round> {
  const t0 = performance.now();
  let done = false;
  let streamMs = NaN;
  const stream = net.connect(port, '127.0.0.1', () => stream.write(`GET /stream?chunks=${CHUNKS}&size=1 HTTP/1.1\r\nHost: x\r\n\r\n`));
  let tail = '';
  stream.on('data', (d: Buffer) => {
    tail = (tail + d.toString('latin1')).slice(-5);
    if (tail === '0\r\n\r\n') {
      done = true;
      streamMs = performance.now() - t0;
      stream.destroy();
    }
  });
  stream.on('error', () => {});
  await new Promise((r) => setTimeout(r, 100));
  const probe = net.connect(port, '127.0.0.1');
  await new Promise((r) => probe.once('connect', r));
  const waits: number[] = [];
  while (!done && performance.now() - t0 < STREAM_LIMIT_MS) {
    const t = performance.now();
    await new Promise((r) => {
      probe.once('data', r);
      probe.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    waits.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
  probe.destroy();
  stream.destroy();
  waits.sort((a, b) => a - b);
  return { streamMs, p50: quantile(waits, 0.5), p99: quantile(waits, 0.99), max: quantile(waits, 1), probes: waits.length };
}

installCleanup(60 + (ROUNDS * 2 * STREAM_LIMIT_MS) / 1000);
const ids: ServerId[] = ['h1wire', 'node-http'];
const servers = await Promise.all(ids.map((id) => startServer(SERVERS[id], { path: '/' }, 60 + (ROUNDS * 2 * STREAM_LIMIT_MS) / 1000)));
const results: Record<string, Round[]> = { h1wire: [], 'node-http': [] };
try {
  for (const s of servers) await round(s.port); // warm-up
  for (let i = 0; i < ROUNDS; i++) {
    for (const s of servers) {
      const r = await round(s.port);
      (results[s.spec.id] as Round[]).push(r);
      process.stdout.write(`round ${i + 1} ${s.spec.label}: stream ${r.streamMs.toFixed(0)} ms, probes ${r.probes}: p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} max ${r.max.toFixed(2)} ms\n`);
    }
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
const med = (id: string, k: keyof Round): number => median((results[id] as Round[]).map((r) => r[k]));
process.stdout.write(`\n${CHUNKS.toLocaleString('en')} one-byte chunks, medians of ${ROUNDS} rounds\n`);
process.stdout.write(`| server | stream ms | probe p50 ms | probe p99 ms | probe max ms |\n|---|---|---|---|---|\n`);
for (const id of ids) {
  process.stdout.write(`| ${id} | ${med(id, 'streamMs').toFixed(0)} | ${med(id, 'p50').toFixed(2)} | ${med(id, 'p99').toFixed(2)} | ${med(id, 'max').toFixed(2)} |\n`);
}
const speed = med('node-http', 'streamMs') / med('h1wire', 'streamMs');
process.stdout.write(`stream speed h1wire / node:http: ${speed.toFixed(2)}x; h1wire probe p99 ${med('h1wire', 'p99').toFixed(2)} ms (goal < 10 ms)\n`);
