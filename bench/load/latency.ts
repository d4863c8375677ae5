// Small-request latency under big payloads. Issue: "p99 latency of GET / while other connections pull
// /orders?rows=5000, with json() and with jsonArray(), beside node:http doing the same with JSON.stringify.
// Goal: h1wire's p99 for the small requests at most one fifth of node:http's."
//
// One process per server. Per run: the load generator (wrk) loops on the large response over a few
// connections (closed loop: the server is kept busy serializing), and 0.5 s later a separate open-loop
// client (latency-client.ts) sends GET / at a fixed rate over its own connections and records every
// latency from the time each request was due. Cells alternate in every round: h1wire with ?serializer=json,
// h1wire with ?serializer=array, node:http.
//
// Where the CPU goes: the server has one core at best; wrk, the latency client (and any other work on the
// machine) share the other. The latency client's own event-loop delay and CPU are recorded with each run.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pinning, sleep, spawnBounded, stopChild, waitExit } from '../lib/procs.js';
import { ms, num, pct } from '../lib/stats.js';
import type { LoadGenerator, LoadResult } from './loadgen.js';
import type { BigPayloadScenario, Mode } from './scenarios.js';
import { SERVERS, startServer, type LoopSample, type RunningServer, type ServerId } from './servers.js';
import type { Log } from './throughput.js';
import { fetchAny } from './wire.js';

export type CellId = 'h1wire-json' | 'h1wire-array' | 'node-http';

export interface SmallLatency {
  due: number;
  answered: number;
  unanswered: number;
  errors: number;
  firstError: string;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** Due → written, p99, ms: waiting for a free connection, or the client's own timer lateness. */
  sendDelayP99: number;
  maxBacklog: number;
  /** The latency client's own event-loop delay (it adds to what it measures), ms. */
  loopDelayP99: number;
  loopDelayMax: number;
  cpuSeconds: number;
  seconds: number;
}

export interface LatencyRun {
  small: SmallLatency;
  /** The load generator's run on the large response (it starts 0.5 s before and ends 0.5 s after). */
  big: LoadResult;
  serverCpuSeconds: number;
  /** Wall time of the whole run, s. */
  seconds: number;
  /** The server's own event loop and GC pauses while the small requests ran (loop-hook.ts). */
  loop: LoopSample;
}

export interface LatencyCell {
  id: CellId;
  label: string;
  server: ServerId;
  bigPath: string;
  runs: LatencyRun[];
}

export interface LatencyOutcome {
  kind: 'big-payload-latency';
  id: string;
  title: string;
  smallPath: string;
  rows: number;
  rate: number;
  smallConnections: number;
  bigConnections: number;
  seconds: number;
  /** Large-response bodies compared with node:http's (decoded; Date aside). */
  checks: { cell: CellId; bytes: number; differences: string[] }[];
  cells: LatencyCell[];
}

function runLatencyClient(port: number, path: string, connections: number, rate: number, seconds: number): { child: ChildProcess; result: Promise<SmallLatency> } {
  const script = fileURLToPath(new URL('./latency-client.js', import.meta.url));
  const child = spawnBounded(
    process.execPath,
    [script, '--port', String(port), '--path', path, '--connections', String(connections), '--rate', String(rate), '--seconds', String(seconds), '--grace-ms', '3000'],
    { maxSeconds: seconds + 30, ...(pinning.client === undefined ? {} : { cpus: pinning.client }) },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = waitExit(child, (seconds + 35) * 1000).then((code) => {
    const line = stdout.trim().split('\n').pop() ?? '';
    if (code !== 0 || !line.startsWith('{')) throw new Error(`latency client failed (exit ${String(code)}): ${stderr.trim()}`);
    return JSON.parse(line) as SmallLatency;
  });
  return { child, result };
}

function describe(r: LatencyRun): string {
  const s = r.small;
  let trouble = s.unanswered > 0 || s.errors > 0 ? `  ⚠ ${s.unanswered} unanswered, ${s.errors} errors${s.firstError === '' ? '' : ` (${s.firstError})`}` : '';
  if (s.maxBacklog > 0) trouble += `  (up to ${s.maxBacklog} due requests waited for a free connection)`;
  return `GET / p50 ${ms(s.p50).padStart(6)} p99 ${ms(s.p99).padStart(6)} max ${ms(s.max).padStart(6)} ms  (${num(s.answered)} answered)  big ${num(r.big.rps, 1).padStart(5)} resp/s  server CPU ${pct(r.serverCpuSeconds / r.seconds).padStart(4)}, loop delay p99 ${ms(r.loop.delayP99)} ms, GC ${pct(r.loop.gcMs / r.loop.ms)} (max pause ${ms(r.loop.gcMaxMs)} ms)  client loop delay p99 ${ms(s.loopDelayP99)} ms${trouble}`;
}

export async function runBigPayloadLatency(scenario: BigPayloadScenario, mode: Mode, gen: LoadGenerator, log: Log): Promise<LatencyOutcome> {
  const cfg = mode.bigPayload;
  const rows = scenario.rows;
  const cells: LatencyCell[] = [
    { id: 'h1wire-json', label: 'h1wire, json()', server: 'h1wire', bigPath: `/orders?rows=${rows}&serializer=json`, runs: [] },
    { id: 'h1wire-array', label: 'h1wire, jsonArray()', server: 'h1wire', bigPath: `/orders?rows=${rows}&serializer=array`, runs: [] },
    { id: 'node-http', label: 'node:http, JSON.stringify', server: 'node-http', bigPath: `/orders?rows=${rows}`, runs: [] },
  ];
  const perRun = cfg.seconds + 1 + 4;
  const planned = cells.length * (cfg.warmupSeconds + 2 + cfg.rounds * perRun);
  const servers = new Map<ServerId, RunningServer>();
  const live: ChildProcess[] = [];
  try {
    for (const id of ['h1wire', 'node-http'] as const) servers.set(id, await startServer(SERVERS[id], { path: scenario.smallPath, loopHook: true }, planned * 2 + 120));
    const port = (cell: LatencyCell): number => (servers.get(cell.server) as RunningServer).port;

    // Same large body from every cell (decoded: jsonArray sends it chunked), same small response.
    const checks: LatencyOutcome['checks'] = [];
    const bigs = await Promise.all(cells.map((c) => fetchAny(port(c), c.bigPath, 30_000)));
    const reference = bigs[2] as (typeof bigs)[number];
    cells.forEach((c, i) => {
      const r = bigs[i] as (typeof bigs)[number];
      const differences: string[] = [];
      if (!/^HTTP\/1\.1 200 /.test(r.statusLine)) differences.push(`status "${r.statusLine}"`);
      if (!r.body.equals(reference.body)) differences.push(`body ${r.body.length} bytes vs ${reference.body.length} (node:http)`);
      checks.push({ cell: c.id, bytes: r.body.length, differences });
      log(`  check  ${c.label.padEnd(28)} ${c.bigPath}: ${num(r.body.length)} body bytes${r.chunked ? ', chunked' : ''}${differences.length === 0 ? (c.id === 'node-http' ? '' : ', same body as node:http') : `; DIFFERS: ${differences.join('; ')}`}`);
    });
    const smalls = await Promise.all([...servers.values()].map((s) => fetchAny(s.port, scenario.smallPath)));
    if (!(smalls[0] as { body: Buffer }).body.equals((smalls[1] as { body: Buffer }).body)) {
      checks.push({ cell: 'node-http', bytes: (smalls[1] as { body: Buffer }).body.length, differences: [`${scenario.smallPath}: bodies differ`] });
    }

    const runOnce = async (cell: LatencyCell, seconds: number): Promise<LatencyRun> => {
      const server = servers.get(cell.server) as RunningServer;
      const cpu0 = server.cpuSeconds();
      const t0 = performance.now();
      // wrk takes whole seconds: the pullers run `seconds + 1`, the small requests the middle `seconds`.
      const big = gen.run({ url: `http://127.0.0.1:${server.port}${cell.bigPath}`, connections: cfg.bigConnections, seconds: seconds + 1, pipeline: 1, threads: 1 });
      await sleep(500);
      await server.loop(); // starts the server's own count over
      const client = runLatencyClient(server.port, scenario.smallPath, cfg.smallConnections, cfg.rate, seconds);
      live.push(client.child);
      const small = await client.result;
      const loop = await server.loop();
      const bigResult = await big;
      const serverCpuSeconds = server.cpuSeconds() - cpu0;
      const wall = (performance.now() - t0) / 1000;
      if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`${server.spec.label} exited during the run:\n${server.stderr().trim()}`);
      await sleep(200);
      return { small, big: bigResult, serverCpuSeconds, seconds: wall, loop };
    };

    for (const cell of cells) {
      log(`  warm-up  ${cell.label}`);
      if (cfg.warmupSeconds > 0) await runOnce(cell, cfg.warmupSeconds);
      else {
        // Quick: a light warm-up (the JIT sees both paths) instead of a full run.
        for (let i = 0; i < 8; i++) await fetchAny(port(cell), cell.bigPath, 30_000);
        for (let i = 0; i < 50; i++) await fetchAny(port(cell), scenario.smallPath);
      }
    }
    for (let round = 1; round <= cfg.rounds; round++) {
      for (const cell of cells) {
        const r = await runOnce(cell, cfg.seconds);
        cell.runs.push(r);
        log(`  round ${round}/${cfg.rounds}  ${cell.label.padEnd(28)} ${describe(r)}`);
      }
    }
    return {
      kind: 'big-payload-latency',
      id: scenario.id,
      title: scenario.title,
      smallPath: scenario.smallPath,
      rows,
      rate: cfg.rate,
      smallConnections: cfg.smallConnections,
      bigConnections: cfg.bigConnections,
      seconds: cfg.seconds,
      checks,
      cells,
    };
  } finally {
    for (const child of live) await stopChild(child);
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
}
