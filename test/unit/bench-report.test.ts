// The benchmark's own logic, on small hand-made inputs: the report's figures and verdicts (bench/lib/figures.ts,
// verdicts.ts, report.ts) and the transform that compiles observation out for the observation benchmark
// (bench/load/strip-transform.ts).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { throughputFigures } from '../../bench/lib/figures.js';
import { render, type Report } from '../../bench/lib/report.js';
import { latencyFigures, observationFigures, speedVerdict } from '../../bench/lib/verdicts.js';
import type { LatencyOutcome, LatencyRun } from '../../bench/load/latency.js';
import type { ObservationOutcome } from '../../bench/load/observation.js';
import { stripObservation } from '../../bench/load/strip-transform.js';
import type { RunResult, ThroughputOutcome } from '../../bench/load/throughput.js';
import type { MicroRow } from '../../bench/micro/index.js';

/** One 1-second run at `rps` with `cpuUs` of server CPU per request. */
function run(rps: number, cpuUs = 10, clientBusy = 0.5): RunResult {
  return { requests: rps, seconds: 1, rps, p50Ms: 1, p99Ms: 2, bytes: 0, errors: 0, errorDetail: '',
    clientCpuSeconds: clientBusy, clientBusy, serverCpuSeconds: (cpuUs * rps) / 1e6 };
}

const near = (actual: number, expected: number): void => {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);
};

const figures = suite('bench report: figures and verdicts');

figures('throughput: ratios are medians of per-round ratios, with the lowest and highest round', () => {
  const o: ThroughputOutcome = {
    kind: 'throughput', id: 'keep-alive', title: 'GET /', path: '/', compareVariants: 'Depth',
    servers: ['h1wire', 'node-http'],
    checks: [{ server: 'node-http', bytes: 10, differences: ['x-powered-by'] }],
    variants: [
      { id: 'a', label: 'depth 1', connections: 50, pipeline: 1,
        runs: { h1wire: [run(200), run(300, 10, 0.95), run(120)], 'node-http': [run(100), run(100), run(100)] } },
      { id: 'b', label: 'depth 4', short: 'd4', connections: 50, pipeline: 4,
        runs: { h1wire: [run(800), run(800)], 'node-http': [run(200, 20), run(400, 20)] } },
    ],
  };
  const t = throughputFigures([o]);
  const [one, four] = t.variants;
  assert.equal(one?.h1wireVsNode, { median: 2, min: 1.2, max: 3 });
  assert.is(one?.summary.h1wire?.saturatedRounds, 1);
  assert.is(one?.pipelined, false);
  assert.is(four?.pipelined, true);
  assert.equal(four?.h1wireVsNode, { median: 3, min: 2, max: 4 });
  near(four?.cpuPerRequestVsNode.median ?? 0, 0.5);
  assert.equal(one?.differences, [{ server: 'node-http', differences: ['x-powered-by'] }]);
  assert.equal(t.comparisons[0]?.variants, ['depth 1', 'd4']);
  assert.equal(t.comparisons[0]?.rows[0]?.vsFirst, [1, 4]);
});

function latencyRun(p99: number, serverBusy = 1): LatencyRun {
  const small = { due: 100, answered: 100, unanswered: 0, errors: 0, firstError: '', p50: p99 / 2, p90: p99, p99,
    p999: p99, max: p99, mean: p99 / 2, sendDelayP99: 0, maxBacklog: 0, loopDelayP99: 0.01, loopDelayMax: 0.1,
    cpuSeconds: 0.1, seconds: 5 };
  const loop = { ms: 5000, delayP50: 1, delayP99: 2, delayMax: 3, gcMs: 100, gcMaxMs: 4, gcCount: 9, minorMs: 50 };
  return { small, big: run(50), serverCpuSeconds: 5 * serverBusy, seconds: 5, loop };
}

figures('latency: the goal (p99 ≤ 0.2× node:http) per cell, and the read-with-care flags', () => {
  const cell = (id: 'h1wire-json' | 'h1wire-array' | 'node-http', runs: LatencyRun[]): LatencyOutcome['cells'][0] =>
    ({ id, label: id, server: id === 'node-http' ? 'node-http' : 'h1wire', bigPath: '/orders', runs });
  const o: LatencyOutcome = {
    kind: 'big-payload-latency', id: 'lat', title: 'Latency', smallPath: '/', rows: 5000, rate: 100,
    smallConnections: 16, bigConnections: 4, seconds: 5, checks: [],
    cells: [
      cell('h1wire-json', [latencyRun(80), latencyRun(90), latencyRun(85, 0.5)]),
      cell('h1wire-array', [latencyRun(5), latencyRun(30), latencyRun(10)]),
      cell('node-http', [latencyRun(100), latencyRun(100), latencyRun(100)]),
    ],
  };
  const f = latencyFigures(o);
  const [json, array, node] = f.cells;
  assert.is(json?.goalMet, false);
  near(json?.vsNode?.median ?? 0, 0.85);
  assert.is(json?.flags.serverWaited, false, 'the median round had a whole core');
  assert.is(array?.goalMet, true);
  near(array?.vsNode?.max ?? 0, 0.3);
  assert.is(node?.vsNode, null);
  assert.is(node?.goalMet, null);
  assert.is(f.nodeP99, 100);
  near(f.gc?.arrayMinorShare ?? 0, 0.5);
  const md = render(reportOf([o])).md;
  assert.match(md, "- h1wire-json: p99 85.0 ms vs node:http's 100 ms → 0.85×: goal (≤ 0.2×) **not met**.");
  assert.match(md, '0.10×: goal (≤ 0.2×) **met** (but not in every round: up to 0.30×).');
});

function observation(asBuilt: [number, number][], stripped: [number, number][]): ObservationOutcome {
  const runs = (xs: [number, number][]): RunResult[] => xs.map(([rps, us]) => run(rps, us));
  return {
    kind: 'observation', id: 'observation', title: 'Observation overhead', path: '/',
    builds: ['as-built', 'stripped'], observationChecks: 13, removed: { 'lib/connection.ts': 30 }, removedText: [],
    checks: [{ build: 'stripped', path: '/', bytes: 10, differences: [] }], hookCalls: -1, hookResponses: 0,
    variants: [{ id: 'v', label: 'GET /', connections: 50, pipeline: 1,
      runs: { 'as-built': runs(asBuilt), stripped: runs(stripped) } }],
  };
}

figures('observation: within 3% only when identical runs resolve 3%', () => {
  const v = (o: ObservationOutcome) => observationFigures(o).variants[0];
  const met = v(observation([[1000, 10], [1010, 10.1], [1000, 10]], [[1010, 10], [1000, 10], [1010, 10.1]]));
  assert.is(met?.decidedBy, 'both');
  assert.is(met?.verdict, 'met');
  near(met?.spread.asBuilt.rps ?? 0, 0.01);
  const slower = v(observation([[1000, 10], [1000, 10]], [[1100, 9], [1100, 9]]));
  assert.is(slower?.decidedBy, 'both');
  assert.equal(slower?.within, { rps: false, cpu: false });
  assert.is(slower?.verdict, 'not met');
  const cpuOnly = v(observation([[1000, 10], [1200, 10], [1000, 10]], [[1000, 10], [1000, 10], [1200, 10.1]]));
  assert.is(cpuOnly?.decidedBy, 'cpu');
  assert.is(cpuOnly?.verdict, 'met');
  const noisy = v(observation([[1000, 10], [1200, 12]], [[1000, 10], [1200, 12]]));
  assert.is(noisy?.decidedBy, 'none');
  assert.is(noisy?.verdict, 'undecided');
  const md = render(reportOf([observation([[1000, 10], [1000, 10]], [[1100, 9], [1100, 9]])])).md;
  assert.match(md, 'goal (within 3%): **not met**');
  assert.match(md, '(`if (obs.<stage>.on) …`, `if (obs.timings()) …`, wherever it stands: 13 found)');
  assert.not.match(md, 'obs.wants');
});

figures('serializer verdicts: faster, slower, or no clear difference within the noise', () => {
  const row = (rate: number, rme: number): MicroRow =>
    ({ group: 'g', name: 'n', rate, unit: 'ops/s', nsPerOp: 1e9 / rate, rme, samples: 9 });
  assert.equal(speedVerdict(row(104, 1), row(100, 1)), { speed: 1.04, noise: 0.05, outcome: 'no clear difference' });
  assert.is(speedVerdict(row(160, 1), row(100, 1)).outcome, 'faster');
  assert.is(speedVerdict(row(80, 1), row(100, 1)).outcome, 'slower');
  const noisy = speedVerdict(row(80, 30), row(100, 1));
  assert.is(noisy.outcome, 'no clear difference', 'a 30% margin of error swallows 20%');
});

function reportOf(load: Report['load']): Report {
  const machine = { cpu: 'CPU', cores: 2, memory: '1 GiB', os: 'Linux', node: 'v20', commit: 'abc' };
  const mode = { name: 'quick', rounds: 1, seconds: 1, warmupSeconds: 1, idleConnections: 1 } as Report['mode'];
  return { mode, parts: ['load'], started: new Date(0), finished: new Date(60_000), machine, loadgen: null, simd: null,
    loadAverage: { start: '0', end: '0' }, load, micro: null, fdLimit: '1024' };
}

figures.run();

const strip = suite('bench: observation compiled out (strip-transform)');

const STAGES = `export class StageSwitch {
  constructor(private readonly hooked: boolean) {}
  get on(): boolean {
    return this.hooked;
  }
}
export class Observer {
  readonly accept = new StageSwitch(false);
  readonly finish = new StageSwitch(false);
  timings(): boolean {
    return this.finish.on;
  }
  emit(stage: string, data: object): void {
    if (this.accept.on) void [stage, data];
  }
}
`;

/** A tiny project (tsconfig, lib/stages.ts and `files`) in a temporary directory; stripped, then read back. */
function stripped(files: Record<string, string>): { out: Record<string, string>; log: string[]; checks: number } {
  const dir = mkdtempSync(join(tmpdir(), 'h1wire-strip-test-'));
  try {
    const tsconfig = { compilerOptions: { target: 'es2022', module: 'es2022', moduleResolution: 'bundler', strict: true,
      types: [], noEmit: true }, include: ['lib'] };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    mkdirSync(join(dir, 'lib'));
    for (const [name, text] of Object.entries({ 'stages.ts': STAGES, ...files })) {
      writeFileSync(join(dir, 'lib', name), text);
    }
    const outcome = stripObservation(dir, ['lib']);
    const read = (name: string): string => readFileSync(join(dir, 'lib', name), 'utf8');
    const out = Object.fromEntries(Object.keys(files).map((name) => [name, read(name)]));
    assert.is(read('stages.ts'), STAGES, "the observer's own file is left alone");
    return { out, log: outcome.log, checks: outcome.checks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const EXCHANGE = 'export class Exchange {\n  status = 200;\n  tStart = 0;\n  tEnd = 0;\n}\n';

strip('checks, the timing state only they kept, and what only they read go; nothing else', () => {
  const use = `import type { Exchange } from './exchange.js';
import type { Observer } from './stages.js';

export function handle(o: Observer, ex: Exchange, hooked: boolean): string {
  const watch = o;
  let t = 0;
  if (watch.timings()) {
    ex.tStart = Date.now();
    t = 1;
  }
  if (watch.accept.on) watch.emit('accept', { status: ex.status, end: ex.tEnd });
  if (ex.tStart !== 0) ex.tEnd = Date.now();
  if (t !== 0) ex.status = 201;
  const label = o.finish.on ? 'watched' : 'quiet';
  if (hooked && o.finish.on) o.emit('finish', {});
  else ex.status += 1;
  return label;
}
`;
  const { out, checks, log } = stripped({ 'exchange.ts': EXCHANGE, 'use.ts': use });
  assert.is(checks, 4);
  assert.is(out['exchange.ts'], 'export class Exchange {\n  status = 200;\n}\n');
  assert.is(out['use.ts'], `import type { Exchange } from './exchange.js';
import type { Observer } from './stages.js';

export function handle(o: Observer, ex: Exchange, hooked: boolean): string {
  const label = ('quiet');
  ex.status += 1;
  return label;
}
`);
  assert.ok(log.includes('lib/use.ts: removed if (ex.tStart !== 0) ex.tEnd = Date.now();'), log.join('\n'));
});

strip('fails loudly: nothing to strip, a check used as a value, an unguarded emit', () => {
  const plain = 'export const two = (): number => 2;\n';
  assert.throws(() => stripped({ 'plain.ts': plain }), /nothing to strip/);
  const value = "import type { Observer } from './stages.js';\n" +
    'export const watched = (o: Observer): boolean => o.accept.on;\n';
  assert.throws(() => stripped({ 'value.ts': value }), /not a condition/);
  const emit = `import type { Observer } from './stages.js';
export function f(o: Observer): void {
  if (o.accept.on) o.emit('accept', {});
  o.emit('finish', {});
}
`;
  assert.throws(() => stripped({ 'emit.ts': emit }), /observation code left after stripping: lib\/emit.ts:3 `o.emit`/);
});

strip.run();
