// `npm run bench:workers`: GET / requests per second and CPU per request for `h1wire demo --workers 1` and
// `--workers 2` beside node:http under node:cluster with 1 and 2 workers (load/node-http-server.ts
// --workers N), in the same run, rounds alternating the four servers. Reported: medians over rounds, the
// ratios h1wire / node:http at each worker count (median of per-round ratios, with their range), the
// 2-worker / 1-worker scaling of each, and CPU per request summed over every process of a server (the
// primary and its workers, found as the primary's children in /proc).
//
// What this can show depends on free cores: the load generator runs on the same machine. On 2 cores, two
// workers and wrk compete for the same two cores, so requests/s at 2 workers measures how each server shares
// a saturated machine, not how it scales; CPU per request does not need a free core.
// Usage: node dist/bench/load/workers.js [--seconds N] [--rounds N] [--connections N] [--threads N]
//        [--warmup N] [--balance reuse-port|round-robin] (h1wire's; default: the demo's own choice)
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { childPids, cpuSeconds, installCleanup } from '../lib/procs.js';
import { median, num, pairRatios, range, ratio } from '../lib/stats.js';
import { pickLoadGenerator, SATURATED } from './loadgen.js';
import { SERVERS, startServer, type RunningServer, type ServerSpec } from './servers.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    threads: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '2' },
    balance: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const THREADS = Number(values.threads);
const WARMUP = Number(values.warmup);
const BALANCE = values.balance;
if (BALANCE !== undefined && BALANCE !== 'reuse-port' && BALANCE !== 'round-robin') throw new Error('--balance takes reuse-port or round-robin');

type Id = 'h1wire-1' | 'h1wire-2' | 'node-http-1' | 'node-http-2';
const spec = (id: Id, base: ServerSpec, workers: number, extra: string[]): ServerSpec<Id> => ({
  id,
  label: `${base.label} ×${workers}`,
  argv: (o) => [...base.argv(o), '--workers', String(workers), ...extra],
});
const h1Extra = BALANCE === undefined ? [] : ['--balance', BALANCE];
const SPECS: ServerSpec<Id>[] = [
  spec('h1wire-1', SERVERS.h1wire, 1, h1Extra),
  spec('node-http-1', SERVERS['node-http'], 1, []),
  spec('h1wire-2', SERVERS.h1wire, 2, h1Extra),
  spec('node-http-2', SERVERS['node-http'], 2, []),
];

interface Round {
  rps: number;
  requests: number;
  /** CPU seconds of the primary and of its workers over the measured window. */
  primaryCpu: number;
  workersCpu: number;
  errors: number;
  clientBusy: number;
}

/** The primary and its workers (its children), and their CPU time now. */
function cpuOf(server: RunningServer<Id>): { primary: number; workers: number; count: number } {
  const workers = childPids(server.pid);
  return { primary: cpuSeconds(server.pid), workers: workers.reduce((sum, pid) => sum + cpuSeconds(pid), 0), count: workers.length };
}

const loadgen = pickLoadGenerator(undefined);
const cores = availableParallelism();
const perRun = SECONDS + 2;
const bound = 60 + SPECS.length * (WARMUP + 2 + ROUNDS * perRun) + 30;
installCleanup(bound);

const servers: RunningServer<Id>[] = [];
for (const s of SPECS) servers.push(await startServer(s, { path: '/' }, bound));
const results = Object.fromEntries(SPECS.map((s) => [s.id, [] as Round[]])) as Record<Id, Round[]>;
const load = (server: RunningServer<Id>, seconds: number) =>
  loadgen.run({ url: `http://127.0.0.1:${server.port}/`, connections: CONNECTIONS, seconds, pipeline: 1, threads: THREADS });

process.stdout.write(
  `GET /, ${loadgen.name} ${loadgen.version} -c ${CONNECTIONS} -t ${THREADS}, ${ROUNDS} rounds × ${SECONDS} s, servers alternating; ` +
    `${cores} cores, Node ${process.version}; h1wire balance: ${BALANCE ?? 'the demo default'}, node:cluster: its default (round-robin on Linux)\n`,
);
try {
  for (const server of servers) {
    const workers = childPids(server.pid).length;
    const want = Number(server.spec.id.slice(-1));
    if (workers !== want) throw new Error(`${server.spec.label}: ${workers} worker processes found under pid ${server.pid}, expected ${want}`);
    if (WARMUP > 0) await load(server, WARMUP);
  }
  for (let i = 0; i < ROUNDS; i++) {
    for (const server of servers) {
      const before = cpuOf(server);
      const r = await load(server, SECONDS);
      const after = cpuOf(server);
      if (after.count !== before.count) throw new Error(`${server.spec.label}: the worker count changed during the round`);
      const round: Round = {
        rps: r.rps,
        requests: r.requests,
        primaryCpu: after.primary - before.primary,
        workersCpu: after.workers - before.workers,
        errors: r.errors,
        clientBusy: r.clientBusy,
      };
      results[server.spec.id].push(round);
      const us = ((round.primaryCpu + round.workersCpu) / round.requests) * 1e6;
      process.stdout.write(
        `round ${i + 1} ${server.spec.label.padEnd(13)} ${num(r.rps).padStart(7)} req/s  CPU ${us.toFixed(1)} µs/req ` +
          `(primary ${round.primaryCpu.toFixed(2)} s, workers ${round.workersCpu.toFixed(2)} s)  ${loadgen.name} busy ${Math.round(r.clientBusy * 100)}%` +
          `${r.errors > 0 ? `  ERRORS ${r.errors} ${r.errorDetail}` : ''}\n`,
      );
    }
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}

const rps = (id: Id): number[] => results[id].map((r) => r.rps);
const cpuPerReq = (id: Id): number[] => results[id].map((r) => ((r.primaryCpu + r.workersCpu) / r.requests) * 1e6);
const primaryShare = (id: Id): number => median(results[id].map((r) => r.primaryCpu / (r.primaryCpu + r.workersCpu)));
const span = (values: number[]): string => {
  const r = range(values);
  return `${ratio(r.median)} (${ratio(r.min)}–${ratio(r.max)})`;
};

process.stdout.write(`\nmedians of ${ROUNDS} rounds\n| server | req/s | CPU µs/req (primary + workers) | primary's share of CPU |\n|---|---|---|---|\n`);
for (const s of SPECS) {
  process.stdout.write(`| ${s.label} | ${num(median(rps(s.id)))} | ${median(cpuPerReq(s.id)).toFixed(1)} | ${(primaryShare(s.id) * 100).toFixed(1)}% |\n`);
}
process.stdout.write(`\nh1wire / node:http, median of per-round ratios (range):\n`);
for (const n of [1, 2] as const) {
  const h = `h1wire-${n}` as Id;
  const b = `node-http-${n}` as Id;
  // CPU per request: node:http's over h1wire's, so that above 1× means h1wire spends less per request.
  process.stdout.write(`  ${n} worker${n === 1 ? ' ' : 's'}: req/s ${span(pairRatios(rps(h), rps(b)))}, CPU per request node:http / h1wire ${span(pairRatios(cpuPerReq(b), cpuPerReq(h)))}\n`);
}
process.stdout.write(`2 workers / 1 worker, req/s: h1wire ${span(pairRatios(rps('h1wire-2'), rps('h1wire-1')))}, node:http ${span(pairRatios(rps('node-http-2'), rps('node-http-1')))}\n`);
const errors = SPECS.reduce((sum, s) => sum + results[s.id].reduce((n, r) => n + r.errors, 0), 0);
if (errors > 0) process.stdout.write(`${errors} errors (socket errors, timeouts, non-2xx): see the rounds above\n`);
const busy = median(SPECS.flatMap((s) => results[s.id].map((r) => r.clientBusy)));

// What this machine can show. The load generator is on the same cores as the servers.
const spare = cores - 2 - THREADS;
process.stdout.write(
  `\nWhat this run can show (${cores} cores, ${loadgen.name} with ${THREADS} thread${THREADS === 1 ? '' : 's'} on the same machine, median busy ${Math.round(busy * 100)}%):\n` +
    (spare < 0
      ? `- req/s at 2 workers is NOT a scaling figure here: two workers plus ${loadgen.name} need ${2 + THREADS} cores and there are ${cores}, so the\n` +
        `  workers take CPU from the load generator and from each other (and the node:cluster / round-robin primary takes its share);\n` +
        `  a 2-worker figure near or below the 1-worker one means no free core, not that the cluster does not scale.\n`
      : `- ${spare} core(s) to spare beyond two workers and ${loadgen.name}: the 2-worker req/s may show scaling, if nothing else runs.\n`) +
    `- CPU per request (every process of the server, primary included) does not depend on a free core: it is what a request\n` +
    `  costs, and the figure to compare across servers and worker counts here. It can still rise when processes contend for\n` +
    `  cores (cache, scheduling), so a 2-worker figure above the 1-worker one is partly the crowding. The primary's share is\n` +
    `  small here because wrk keeps its ${CONNECTIONS} connections alive: a round-robin primary handles each new connection once.\n` +
    (busy >= SATURATED ? `- ${loadgen.name} kept its core busy (≥ ${Math.round(SATURATED * 100)}%): req/s is bounded by the client as much as by the servers.\n` : '') +
    `- Measuring scaling needs a load generator with cores of its own (another machine, or more cores than workers + generator).\n`,
);
