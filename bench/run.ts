// `npm run bench [-- options]`: the load scenarios (h1wire vs node:http vs a raw-socket ceiling) and the
// micro-benchmarks, with progress on stdout, then bench/results/latest.{md,svg,json} (bench/lib/report.ts).
//
//   --quick              ~2 minutes instead of ~8–10 (shorter rounds, fewer idle connections)
//   --only load|micro    one part only (writes latest-load.* / latest-micro.*)
//   --scenario a,b       only these load scenarios (ids in bench/load/scenarios.ts)
//   --loadgen wrk|autocannon   default: wrk when installed, else autocannon
//   --threads N          load generator threads (default 1: the server gets the other core)
//   --pin                pin servers to CPU 0 and the load generator to CPU 1 (taskset)
//   --rounds N --seconds N --warmup N --idle N   override the mode's settings (rounds, seconds and warm-up
//                        of the throughput scenarios; the slow-reader, latency and observation scenarios
//                        keep theirs, see Mode in bench/load/scenarios.ts)
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { llhttpBuild } from '../native-free/llhttp.js';
import { pickLoadGenerator, type LoadGenerator } from './load/loadgen.js';
import { runBigPayloadLatency } from './load/latency.js';
import { runIdleMemory } from './load/memory.js';
import { runObservation } from './load/observation.js';
import { MODES, SCENARIOS, type Mode, type Scenario } from './load/scenarios.js';
import { runSlowReader, SLOW_SERVERS } from './load/slow-reader.js';
import { runThroughput } from './load/throughput.js';
import { loadAverage, machine } from './lib/machine.js';
import { fdLimits, installCleanup, pinning, spawnBounded, waitExit } from './lib/procs.js';
import { render, type Outcome, type Report } from './lib/report.js';
import type { MicroResult } from './micro/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = `${ROOT}bench/results/`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    scenario: { type: 'string' },
    loadgen: { type: 'string' },
    threads: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    idle: { type: 'string' },
    pin: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help === true) {
  process.stdout.write('usage: npm run bench -- [--quick] [--only load|micro] [--scenario id,id] [--loadgen wrk|autocannon] [--threads N] [--pin] [--rounds N] [--seconds N] [--warmup N] [--idle N]\n');
  process.stdout.write(`scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}\n`);
  process.exit(0);
}

const positive = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes a whole number ≥ 1`);
  return n;
};

const base = MODES[values.quick === true ? 'quick' : 'full'];
const mode: Mode = {
  ...base,
  rounds: positive('rounds', values.rounds, base.rounds),
  seconds: positive('seconds', values.seconds, base.seconds),
  warmupSeconds: positive('warmup', values.warmup, base.warmupSeconds),
  idleConnections: positive('idle', values.idle, base.idleConnections),
};
const only = values.only;
if (only !== undefined && only !== 'load' && only !== 'micro') throw new Error('--only takes load or micro');
const parts = only === undefined ? ['load', 'micro'] : [only];
const wanted = values.scenario?.split(',').map((s) => s.trim());
const scenarios: Scenario[] = parts.includes('load') ? SCENARIOS.filter((s) => wanted === undefined || wanted.includes(s.id)) : [];
if (wanted !== undefined) {
  const unknown = wanted.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.id).join(', ')})`);
}
const threads = positive('threads', values.threads, 1);
if (values.pin === true) {
  pinning.server = '0';
  pinning.client = '1';
}

// Planned length, for the progress line and the hard bound on the whole run.
function plannedFor(s: Scenario): number {
  switch (s.kind) {
    case 'throughput': {
      const warmups = (mode.warmupEveryVariant ? s.variants.length : 1) * s.servers.length;
      return warmups * (mode.warmupSeconds + 0.3) + s.variants.length * s.servers.length * mode.rounds * (mode.seconds + 0.3) + 2;
    }
    case 'idle-memory':
      return mode.memoryRounds * s.servers.length * (4 + mode.idleConnections / 2000);
    case 'slow-reader':
      return mode.slowReader.rounds * SLOW_SERVERS.length * (mode.slowReader.megabytes / mode.slowReader.rateMBps + 2.5 + mode.slowReader.settleMs / 1000);
    case 'big-payload-latency': {
      const b = mode.bigPayload;
      return (b.warmupSeconds > 0 ? 3 * (b.warmupSeconds + 2.5) : 0) + b.rounds * 3 * (b.seconds + 2.5) + 3;
    }
    case 'observation': {
      const o = mode.observation;
      const warmups = (mode.warmupEveryVariant ? s.variants.length : 1) * 4;
      return warmups * (o.warmupSeconds + 0.4) + o.rounds * s.variants.length * 4 * (o.seconds + 0.4) + 4;
    }
  }
}
const plannedSeconds =
  scenarios.reduce((t, s) => t + plannedFor(s), 0) +
  (parts.includes('micro') ? (18 * (mode.microTimeMs * 1.25 + 200) + 4 * mode.microTimeMs) / 1000 + 4 : 0);
installCleanup(Math.max(180, plannedSeconds * 2.5));

const t0 = Date.now();
const elapsed = (): string => {
  const s = Math.round((Date.now() - t0) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function runMicroChild(): Promise<MicroResult> {
  const script = fileURLToPath(new URL('./micro/index.js', import.meta.url));
  const child = spawnBounded(process.execPath, [script, '--json', '--time', String(mode.microTimeMs)], { maxSeconds: 600 });
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  let stderr = '';
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.startsWith('  micro  ')) log(line);
    else stderr += `${line}\n`;
  });
  const code = await waitExit(child, 600_000);
  if (code !== 0) throw new Error(`micro-benchmarks failed (exit ${String(code)}):\n${stderr}`);
  return JSON.parse(stdout.trim().split('\n').pop() as string) as MicroResult;
}

async function main(): Promise<void> {
  const started = new Date();
  const info = machine(ROOT);
  const limits = fdLimits();
  let gen: LoadGenerator | null = null;
  if (scenarios.some((s) => s.kind === 'throughput' || s.kind === 'big-payload-latency' || s.kind === 'observation')) gen = pickLoadGenerator(values.loadgen);
  log(`h1wire bench (${mode.name}): ${info.cpu}, ${info.cores} cores, Node ${info.node}, load average ${loadAverage()}`);
  if (gen !== null) {
    log(`load generator: ${gen.name} ${gen.version}, ${threads} thread(s); ${mode.rounds} rounds × ${mode.seconds} s after a ${mode.warmupSeconds} s warm-up${values.pin === true ? '; servers pinned to CPU 0, load generator and clients to CPU 1' : ''}`);
  }
  log(`planned: about ${Math.ceil(plannedSeconds / 60)} min\n`);

  const outcomes: Outcome[] = [];
  let i = 0;
  for (const s of scenarios) {
    i++;
    log(`[load ${i}/${scenarios.length}] ${s.id}: ${s.title}`);
    const t0 = Date.now();
    if (s.kind === 'throughput') outcomes.push(await runThroughput(s, mode, gen as LoadGenerator, threads, log));
    else if (s.kind === 'idle-memory') outcomes.push(await runIdleMemory(s, mode, log));
    else if (s.kind === 'slow-reader') outcomes.push(await runSlowReader(s, mode, log));
    else if (s.kind === 'big-payload-latency') outcomes.push(await runBigPayloadLatency(s, mode, gen as LoadGenerator, log));
    else outcomes.push(await runObservation(s, mode, gen as LoadGenerator, threads, ROOT, log));
    log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s; ${elapsed()} elapsed)\n`);
  }
  let micro: MicroResult | null = null;
  if (parts.includes('micro')) {
    log('[micro] parse, frame, serialize (tinybench)');
    micro = await runMicroChild();
    log(`  (${elapsed()} elapsed)\n`);
  }

  const report: Report = {
    mode,
    parts,
    started,
    finished: new Date(),
    machine: info,
    loadAverage: { start: '', end: loadAverage() },
    loadgen: gen === null ? null : { name: gen.name, version: gen.version, threads, pinned: values.pin === true },
    simd: llhttpBuild().simd,
    load: outcomes,
    micro,
    fdLimit: `${limits.soft} (hard ${limits.hard})`,
  };
  report.loadAverage.start = startLoad;
  const { md, svg, figures } = render(report);
  const name = only === undefined && wanted === undefined ? 'latest' : `latest-${only ?? 'partial'}`;
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}${name}.md`, md);
  if (svg !== null) writeFileSync(`${RESULTS}${name}.svg`, svg);
  // The raw results, and the figures and verdicts the report states (bench/lib/figures.ts, verdicts.ts).
  writeFileSync(`${RESULTS}${name}.json`, `${JSON.stringify({ ...report, figures }, null, 1)}\n`);
  log(md);
  log(`wrote bench/results/${name}.md${svg === null ? '' : `, ${name}.svg`} and ${name}.json`);
}

const startLoad = loadAverage();
await main();
process.exit(0);
