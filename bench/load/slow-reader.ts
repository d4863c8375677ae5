// The slow-reader scenario (backpressure): one client (slow-client.ts, its own process) reads a large
// `GET /stream` at a fixed rate far below what the server could send, while the runner samples the server's
// RSS from /proc/<pid>/status every few tens of ms. A server that honours backpressure holds about one
// socket buffer's worth of the body at a time; one that writes regardless queues the body in memory.
//
// Servers, each in a fresh process per run (RSS from a clean start):
//   h1wire                         the demo's /stream (an async generator; the write queue pulls the next
//                                  chunk only while the socket takes more);
//   node:http, honours write()     the same generator, `if (!res.write(chunk)) await drain` (a careful user);
//   node:http, ignores write()     the same generator, `res.write(chunk)` regardless (the common mistake),
//                                  with the demo's one shared Buffer: the queue holds references to it;
//   node:http, ignores write(), new Buffer per chunk
//                                  the same mistake with chunks that are new memory each time, as data read
//                                  from a file or a database would be.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pinning, sleep, spawnBounded, stopChild } from '../lib/procs.js';
import { bytes, median, num } from '../lib/stats.js';
import type { Mode, SlowReaderScenario } from './scenarios.js';
import { SERVERS, startServer, type RunningServer, type ServerSpec } from './servers.js';
import type { Log } from './throughput.js';
import { fetchAny, type WireResponse } from './wire.js';

export type SlowServerId = 'h1wire' | 'node-http' | 'node-http-ignore' | 'node-http-ignore-fresh';

export const SLOW_SERVERS: readonly ServerSpec<SlowServerId>[] = [
  { id: 'h1wire', label: 'h1wire', argv: SERVERS.h1wire.argv },
  { id: 'node-http', label: 'node:http, honours write()', argv: (o) => [...SERVERS['node-http'].argv(o), '--stream-writes', 'honour'] },
  { id: 'node-http-ignore', label: 'node:http, ignores write() (one shared Buffer)', argv: (o) => [...SERVERS['node-http'].argv(o), '--stream-writes', 'ignore'] },
  {
    id: 'node-http-ignore-fresh',
    label: 'node:http, ignores write() (new Buffer per chunk)',
    argv: (o) => [...SERVERS['node-http'].argv(o), '--stream-writes', 'ignore', '--stream-chunks', 'fresh'],
  },
];

export interface SlowReaderRun {
  server: SlowServerId;
  round: number;
  ok: boolean;
  why: string;
  bodyBytes: number;
  expectedBytes: number;
  /** First response byte → last, ms, and the body rate the client achieved, bytes/s. */
  readMs: number;
  rate: number;
  rssStart: number;
  rssPeak: number;
  /** ms after the client started when the peak was sampled. */
  peakAtMs: number;
  /** settleMs after the response was read whole. */
  rssEnd: number;
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  /** [ms since the client started, RSS bytes]. */
  samples: [number, number][];
  /** [ms since the first response byte, body bytes read]. */
  progress: [number, number][];
}

export interface SlowReaderOutcome {
  kind: 'slow-reader';
  id: string;
  title: string;
  bodyBytes: number;
  rateBytes: number;
  chunkBytes: number;
  sampleMs: number;
  settleMs: number;
  servers: { id: SlowServerId; label: string }[];
  /** A short /stream from each server against h1wire's: the decoded body and the headers (Date aside). */
  checks: { server: SlowServerId; differences: string[]; notes: string[] }[];
  /** net.ipv4.tcp_rmem / tcp_wmem: the kernel buffers that hold part of the body outside every process. */
  kernel: { tcpRmem: string; tcpWmem: string };
  runs: SlowReaderRun[];
}

const MIB = 1024 * 1024;

function sysctl(name: string): string {
  try {
    return readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().replace(/\s+/g, ' ');
  } catch {
    return 'n/a';
  }
}

/** Header names and values, Date masked, sorted (header order is not compared: it differs harmlessly). */
function headerSet(r: WireResponse): string[] {
  return r.headers.map(([n, v]) => (n.toLowerCase() === 'date' ? 'date: *' : `${n.toLowerCase()}: ${v}`)).sort();
}

async function check(server: RunningServer<SlowServerId>, reference: (WireResponse & { raw: Buffer; chunked: boolean }) | null) {
  const path = '/stream?chunks=3&size=100';
  const r = await fetchAny(server.port, path);
  const differences: string[] = [];
  const notes: string[] = [];
  if (!/^HTTP\/1\.1 200 /.test(r.statusLine)) differences.push(`status "${r.statusLine}"`);
  if (!r.chunked) differences.push('not chunked');
  if (reference !== null) {
    if (!r.body.equals(reference.body)) differences.push(`body ${r.body.length} bytes vs ${reference.body.length} (h1wire)`);
    const a = headerSet(reference).join(' | ');
    const b = headerSet(r).join(' | ');
    if (a !== b) differences.push(`headers [${b}] vs h1wire's [${a}]`);
    else if (r.headers.map(([n]) => n).join() !== reference.headers.map(([n]) => n).join()) notes.push('same headers in another order');
  }
  return { r, differences, notes };
}

/** Loads the streaming path once (lazy initialisation belongs in the baseline, not in the growth). */
async function warm(port: number): Promise<void> {
  for (let i = 0; i < 10; i++) await fetchAny(port, '/');
  for (let i = 0; i < 3; i++) await fetchAny(port, '/stream?chunks=16&size=65536');
}

interface ClientResult {
  event: string;
  why?: string;
  body: number;
  ms: number;
  rate: number;
  cpuSeconds: number;
}

function runClient(port: number, path: string, rateBytes: number, expected: number, maxSeconds: number, progress: [number, number][]): { child: ChildProcess; result: Promise<ClientResult> } {
  const script = fileURLToPath(new URL('./slow-client.js', import.meta.url));
  const child = spawnBounded(process.execPath, [script, '--port', String(port), '--path', path, '--rate', String(rateBytes), '--expect', String(expected), '--progress-ms', '250'], {
    maxSeconds,
    ...(pinning.client === undefined ? {} : { cpus: pinning.client }),
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<ClientResult>((resolve, reject) => {
    let last: ClientResult | null = null;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const event = JSON.parse(line) as ClientResult & { ms: number; body: number };
      if (event.event === 'progress') progress.push([event.ms, event.body]);
      else if (event.event === 'done' || event.event === 'failed') last = event;
    });
    child.once('exit', (code) => {
      // Let readline deliver the last line.
      setImmediate(() => {
        if (last !== null) resolve(last);
        else reject(new Error(`slow client exited (${String(code)}) without a result\n${stderr}`));
      });
    });
  });
  return { child, result };
}

export async function runSlowReader(scenario: SlowReaderScenario, mode: Mode, log: Log): Promise<SlowReaderOutcome> {
  const cfg = mode.slowReader;
  const chunks = Math.round((cfg.megabytes * MIB) / scenario.chunkBytes);
  const bodyBytes = chunks * scenario.chunkBytes;
  const rateBytes = cfg.rateMBps * MIB;
  const path = `/stream?chunks=${chunks}&size=${scenario.chunkBytes}`;
  const expectedSeconds = bodyBytes / rateBytes;
  const outcome: SlowReaderOutcome = {
    kind: 'slow-reader',
    id: scenario.id,
    title: scenario.title,
    bodyBytes,
    rateBytes,
    chunkBytes: scenario.chunkBytes,
    sampleMs: cfg.sampleMs,
    settleMs: cfg.settleMs,
    servers: SLOW_SERVERS.map((s) => ({ id: s.id, label: s.label })),
    checks: [],
    kernel: { tcpRmem: sysctl('tcp_rmem'), tcpWmem: sysctl('tcp_wmem') },
    runs: [],
  };
  log(`  ${bytes(bodyBytes)} as ${num(chunks)} chunks of ${bytes(scenario.chunkBytes)}, read at ${bytes(rateBytes)}/s (≈ ${expectedSeconds.toFixed(0)} s per server); RSS sampled every ${cfg.sampleMs} ms`);
  let reference: (WireResponse & { raw: Buffer; chunked: boolean }) | null = null;
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const spec of SLOW_SERVERS) {
      const server = await startServer(spec, { path: '/' }, expectedSeconds * 3 + 90);
      let client: ChildProcess | null = null;
      let sampler: NodeJS.Timeout | null = null;
      try {
        if (round === 1) {
          const c = await check(server, reference);
          if (spec.id === 'h1wire') reference = c.r;
          outcome.checks.push({ server: spec.id, differences: c.differences, notes: c.notes });
          log(`  check  ${spec.label.padEnd(50)} ${c.differences.length === 0 ? (spec.id === 'h1wire' ? 'chunked' : `same body as h1wire, chunked${c.notes.length > 0 ? ` (${c.notes.join('; ')})` : ''}`) : `DIFFERS: ${c.differences.join('; ')}`}`);
        }
        await warm(server.port);
        await sleep(500);
        const baseline: number[] = [];
        for (let i = 0; i < 5; i++) {
          baseline.push(server.rssBytes());
          await sleep(50);
        }
        const samples: [number, number][] = [];
        const progress: [number, number][] = [];
        const cpu0 = server.cpuSeconds();
        const t0 = performance.now();
        sampler = setInterval(() => samples.push([Math.round(performance.now() - t0), server.rssBytes()]), cfg.sampleMs);
        const run = runClient(server.port, path, rateBytes, bodyBytes, expectedSeconds * 3 + 60, progress);
        client = run.child;
        const result = await run.result;
        const readAt = performance.now() - t0;
        await sleep(cfg.settleMs);
        clearInterval(sampler);
        sampler = null;
        const rssEnd = server.rssBytes();
        samples.push([Math.round(performance.now() - t0), rssEnd]);
        const serverCpuSeconds = server.cpuSeconds() - cpu0;
        let peak = 0;
        let peakAt = 0;
        for (const [t, rss] of samples) {
          if (rss > peak) {
            peak = rss;
            peakAt = t;
          }
        }
        const r: SlowReaderRun = {
          server: spec.id,
          round,
          ok: result.event === 'done',
          why: result.why ?? '',
          bodyBytes: result.body,
          expectedBytes: bodyBytes,
          readMs: result.ms,
          rate: result.rate,
          rssStart: median(baseline),
          rssPeak: peak,
          peakAtMs: peakAt,
          rssEnd,
          serverCpuSeconds,
          clientCpuSeconds: result.cpuSeconds,
          samples,
          progress,
        };
        outcome.runs.push(r);
        log(
          `  round ${round}/${cfg.rounds}  ${spec.label.padEnd(50)} ${r.ok ? '' : `FAILED (${r.why}) `}${bytes(r.bodyBytes)} in ${(r.readMs / 1000).toFixed(1)} s (${bytes(r.rate)}/s)  RSS start ${bytes(r.rssStart)}  peak ${bytes(r.rssPeak)}  end ${bytes(r.rssEnd)}  server CPU ${r.serverCpuSeconds.toFixed(2)} s  (read done at ${(readAt / 1000).toFixed(1)} s)`,
        );
      } finally {
        if (sampler !== null) clearInterval(sampler);
        if (client !== null) await stopChild(client);
        await server.stop();
      }
    }
  }
  return outcome;
}
