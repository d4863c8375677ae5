// The idle-connection memory scenario: each server in a fresh process per round, started with a preloaded
// hook (gc-hook.ts) that on SIGUSR2 runs a full GC and reports the process's own memory. Memory is read
// before and after a client process opens N keep-alive connections that each made one request and then
// stay idle. Growth / N = bytes per idle connection, as RSS (what the OS charges) and as live JS memory
// (V8 heap used + external memory, which includes ArrayBuffers and WebAssembly memory).
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fdLimits, sleep, spawnBounded, stopChild } from '../lib/procs.js';
import { bytes, median, num } from '../lib/stats.js';
import type { IdleMemoryScenario, Mode } from './scenarios.js';
import { SERVERS, startServer, type MemorySample, type RunningServer, type ServerId } from './servers.js';
import type { Log } from './throughput.js';

export interface MemoryRun {
  requested: number;
  held: number;
  failed: number;
  closedEarly: number;
  rssBefore: number;
  rssAfter: number;
  /** V8 heap used + external (ArrayBuffers, WebAssembly memory), after a full GC. */
  liveBefore: number;
  liveAfter: number;
  /** RSS growth per connection, bytes. */
  perConnection: number;
  /** Live JS memory growth per connection, bytes. */
  livePerConnection: number;
  openMs: number;
  /** The server had --expose-gc (else figures include uncollected garbage). */
  gc: boolean;
}

export interface MemoryOutcome {
  kind: 'idle-memory';
  id: string;
  title: string;
  connections: number;
  note: string;
  servers: ServerId[];
  runs: Partial<Record<ServerId, MemoryRun[]>>;
}

const KEEP_ALIVE_MS = 300_000; // idle connections must outlive the measurement on every server

/** A few keep-alive requests first, so that lazy initialisation is in the baseline, not the growth. */
async function warm(port: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
  for (let i = 0; i < 25; i++) await Promise.all(Array.from({ length: 8 }, one));
  agent.destroy();
}

/** Memory after a full GC in the server, median of three reports (RSS settles once GC has run). */
async function settledMemory(server: RunningServer): Promise<MemorySample> {
  const samples: MemorySample[] = [];
  for (let i = 0; i < 3; i++) {
    samples.push(await server.memory());
    await sleep(150);
  }
  const pick = (f: (m: MemorySample) => number): number => median(samples.map(f));
  return {
    rss: pick((m) => m.rss),
    heapUsed: pick((m) => m.heapUsed),
    external: pick((m) => m.external),
    arrayBuffers: pick((m) => m.arrayBuffers),
    gc: samples.every((m) => m.gc),
  };
}

interface ClientProcess {
  child: ChildProcess;
  next(): Promise<Record<string, unknown>>;
  send(line: string): void;
}

function startClient(port: number, connections: number, path: string, maxSeconds: number): ClientProcess {
  const script = fileURLToPath(new URL('./idle-client.js', import.meta.url));
  const child = spawnBounded(process.execPath, [script, '--port', String(port), '--connections', String(connections), '--path', path], {
    maxSeconds,
    raiseFdLimit: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const queue: Record<string, unknown>[] = [];
  const waiters: ((e: Record<string, unknown>) => void)[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(event);
    else queue.push(event);
  });
  return {
    child,
    next: () =>
      new Promise((resolve, reject) => {
        const queued = queue.shift();
        if (queued !== undefined) {
          resolve(queued);
          return;
        }
        const timer = setTimeout(() => reject(new Error(`idle client: no answer in time\n${stderr}`)), maxSeconds * 1000);
        child.once('exit', () => reject(new Error(`idle client exited\n${stderr}`)));
        waiters.push((e) => {
          clearTimeout(timer);
          resolve(e);
        });
      }),
    send: (line) => {
      child.stdin?.write(`${line}\n`);
    },
  };
}

export async function runIdleMemory(scenario: IdleMemoryScenario, mode: Mode, log: Log): Promise<MemoryOutcome> {
  // Each side needs one descriptor per connection, plus a few; children raise their soft limit to the hard one.
  const limits = fdLimits();
  const cap = Math.max(0, Math.floor(limits.hard) - 200);
  let connections = mode.idleConnections;
  let note = '';
  if (connections > cap) {
    note = `held ${num(cap)} connections, not ${num(connections)}: the open-file limit is ${num(limits.hard)} (raise it with \`ulimit -n\`)`;
    log(`  NOTE ${note}`);
    connections = cap;
  }
  const outcome: MemoryOutcome = {
    kind: 'idle-memory',
    id: scenario.id,
    title: scenario.title,
    connections,
    note,
    servers: [...scenario.servers],
    runs: {},
  };
  for (let round = 1; round <= mode.memoryRounds; round++) {
    for (const id of scenario.servers) {
      const server = await startServer(SERVERS[id], { path: scenario.path, keepAliveTimeout: KEEP_ALIVE_MS, gcHook: true }, 180);
      let client: ClientProcess | null = null;
      try {
        await warm(server.port);
        await sleep(300);
        const before = await settledMemory(server);
        client = startClient(server.port, connections, scenario.path, 120);
        const ready = await client.next();
        await sleep(500);
        const after = await settledMemory(server);
        client.send('status');
        const status = await client.next();
        const held = Number(status.open);
        const live = (m: MemorySample): number => m.heapUsed + m.external;
        const run: MemoryRun = {
          requested: connections,
          held,
          failed: Number(ready.failed),
          closedEarly: Number(status.closedEarly),
          rssBefore: before.rss,
          rssAfter: after.rss,
          liveBefore: live(before),
          liveAfter: live(after),
          perConnection: held > 0 ? (after.rss - before.rss) / held : Number.NaN,
          livePerConnection: held > 0 ? (live(after) - live(before)) / held : Number.NaN,
          openMs: Number(ready.ms),
          gc: before.gc && after.gc,
        };
        (outcome.runs[id] ??= []).push(run);
        const trouble = run.failed > 0 ? `  FAILED ${run.failed} (${String(ready.firstError)})` : '';
        log(
          `  round ${round}/${mode.memoryRounds}  ${SERVERS[id].label.padEnd(12)} ${num(held)} idle connections: RSS ${bytes(run.rssBefore)} → ${bytes(run.rssAfter)} (${num(run.perConnection)} B per connection), live JS memory ${bytes(run.liveBefore)} → ${bytes(run.liveAfter)} (${num(run.livePerConnection)} B per connection)${trouble}`,
        );
        client.send('close');
        await client.next().catch(() => undefined);
      } finally {
        if (client !== null) await stopChild(client.child);
        await server.stop();
      }
    }
  }
  return outcome;
}
