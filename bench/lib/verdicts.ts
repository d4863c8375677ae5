// The figures of the scenarios that end in a verdict: small-request latency under big payloads (goal: p99 at
// most 0.2× node:http's), observation overhead (goal: within 3% of the stripped build, when the run can
// resolve 3%) and the serializer micro-benchmarks (faster, slower, or within the noise of JSON.stringify).
import type { CellId, LatencyOutcome, LatencyRun } from '../load/latency.js';
import { SATURATED } from '../load/loadgen.js';
import type { BuildId, ObservationOutcome } from '../load/observation.js';
import type { RunResult } from '../load/throughput.js';
import { PLUGIN_SIZES, SERIALIZER_SIZES, type BlockRow, type MicroResult, type MicroRow } from '../micro/index.js';
import { max, median, pairRatios, range, spread, type Range } from './stats.js';

export const GOAL_P99_RATIO = 0.2;
export const GOAL_OBSERVATION = 0.03;

export interface LatencyCellFigures {
  id: CellId;
  label: string;
  p50: number;
  p99: number;
  max: number;
  /** p99 / node:http's p99, per round; null for node:http itself. */
  vsNode: Range | null;
  goalMet: boolean | null;
  answered: number;
  due: number;
  unanswered: number;
  errors: number;
  maxBacklog: number;
  bigRps: number;
  serverBusy: number;
  serverLoopP99: number;
  serverLoopMax: number;
  gcShare: number;
  gcMaxMs: number;
  clientLoopP99: number;
  clientCpu: number;
  bigClientBusy: number;
  bigClientBusyMax: number;
  /** Read with care: the latency client's own loop delay is not small next to what it measured; the server
   * had less than 90% of a core (it waited for a CPU); due requests queued for a free connection; the load
   * generator kept its core busy. */
  flags: { clientLoopHigh: boolean; serverWaited: boolean; queued: boolean; bigSaturated: boolean };
  perRound: { p99: number; p50: number; max: number; backlog: number; gcShare: number; serverBusy: number }[];
}

export interface LatencyFigures {
  goal: number;
  cells: LatencyCellFigures[];
  /** node:http's p99, the reference of the ratios. */
  nodeP99: number;
  differences: { cell: CellId; differences: string[] }[];
  /** GC share and longest pause of the two h1wire cells (jsonArray: also the scavenges' share of GC time). */
  gc: { arrayShare: number; arrayMinorShare: number; arrayMaxMs: number; jsonShare: number; jsonMaxMs: number } | null;
}

export interface BuildFigures {
  rps: number;
  cpuUs: number;
  /** Median of per-round ratios to the as-built copy (1 for as-built itself). */
  rpsRatio: number;
  cpuRatio: number;
}

export interface ObservationVariantFigures {
  label: string;
  rpsRatio: Range;
  cpuRatio: Range;
  /** (highest − lowest) / median over the rounds of each build. */
  spread: { asBuilt: { rps: number; cpu: number }; stripped: { rps: number; cpu: number } };
  /** The figure's spread between identical runs stays within the goal, so it can resolve the goal. */
  resolves: { rps: boolean; cpu: boolean };
  within: { rps: boolean; cpu: boolean };
  /** Which figures decide: both, one of them (the other too noisy), or none (the run cannot resolve 3%). */
  decidedBy: 'both' | 'cpu' | 'rps' | 'none';
  verdict: 'met' | 'not met' | 'undecided';
  saturatedRuns: number;
  runs: number;
  builds: Partial<Record<BuildId, BuildFigures>>;
  perRound: Partial<Record<BuildId, { rps: number; cpuUs: number }[]>>;
}

export interface ObservationFigures {
  goal: number;
  /** Observation checks found in the sources (null in results from before it was counted). */
  checksFound: number | null;
  /** Edits that made the stripped copy. */
  removedTotal: number;
  sameBytes: boolean;
  requestsChecked: number;
  rounds: number;
  /** The hook saw at least as many calls as the load generator counted responses (null: not counted). */
  hookCallsCoverResponses: boolean | null;
  variants: ObservationVariantFigures[];
}

export interface SpeedVerdict {
  /** Rate / JSON.stringify's rate. */
  speed: number;
  /** The larger relative margin of error of the two, at least 5%: a difference within it is no difference. */
  noise: number;
  outcome: 'no clear difference' | 'faster' | 'slower';
}

export interface MicroFigures {
  serializers: { orders: number; generic: MicroRow; schema: MicroRow; build: MicroRow | null; verdict: SpeedVerdict }[];
  plugins: {
    orders: number;
    rows: { label: string; row: MicroRow; block: BlockRow | null; vsGeneric: number }[];
    schema: SpeedVerdict | null;
    msgpack: (SpeedVerdict & { bytes: number; jsonBytes: number }) | null;
    jsonArray: { slices: number; rateRatio: number; longestMs: number; jsonLongestMs: number } | null;
  }[];
}

export function latencyFigures(o: LatencyOutcome): LatencyFigures {
  const node = o.cells.find((c) => c.id === 'node-http');
  const cells = o.cells.map((c): LatencyCellFigures => {
    const f = (g: (r: LatencyRun) => number): number => median(c.runs.map(g));
    const vsNode = node === undefined || c === node ? null : range(pairRatios(c.runs.map((r) => r.small.p99),
      node.runs.map((r) => r.small.p99)));
    const cell = {
      id: c.id,
      label: c.label,
      p50: f((r) => r.small.p50),
      p99: f((r) => r.small.p99),
      max: f((r) => r.small.max),
      vsNode,
      goalMet: vsNode === null ? null : vsNode.median <= GOAL_P99_RATIO,
      answered: f((r) => r.small.answered),
      due: f((r) => r.small.due),
      unanswered: c.runs.reduce((n, r) => n + r.small.unanswered, 0),
      errors: c.runs.reduce((n, r) => n + r.small.errors, 0),
      maxBacklog: max(c.runs.map((r) => r.small.maxBacklog)),
      bigRps: f((r) => r.big.rps),
      serverBusy: f((r) => r.serverCpuSeconds / r.seconds),
      serverLoopP99: f((r) => r.loop.delayP99),
      serverLoopMax: f((r) => r.loop.delayMax),
      gcShare: f((r) => r.loop.gcMs / r.loop.ms),
      gcMaxMs: f((r) => r.loop.gcMaxMs),
      clientLoopP99: f((r) => r.small.loopDelayP99),
      clientCpu: f((r) => r.small.cpuSeconds / r.small.seconds),
      bigClientBusy: f((r) => r.big.clientBusy),
      bigClientBusyMax: max(c.runs.map((r) => r.big.clientBusy)),
      perRound: c.runs.map((r) => ({
        p99: r.small.p99,
        p50: r.small.p50,
        max: r.small.max,
        backlog: r.small.maxBacklog,
        gcShare: r.loop.gcMs / r.loop.ms,
        serverBusy: r.serverCpuSeconds / r.seconds,
      })),
    };
    const flags = {
      clientLoopHigh: cell.clientLoopP99 > 0.1 * cell.p99 || cell.clientLoopP99 > 0.5 * cell.p50,
      serverWaited: cell.serverBusy < 0.9,
      queued: cell.maxBacklog > o.smallConnections,
      bigSaturated: cell.bigClientBusyMax >= SATURATED,
    };
    return { ...cell, flags };
  });
  const array = o.cells.find((c) => c.id === 'h1wire-array');
  const json = o.cells.find((c) => c.id === 'h1wire-json');
  const g = (runs: readonly LatencyRun[], h: (r: LatencyRun) => number): number => median(runs.map(h));
  const gc = array === undefined || json === undefined || array.runs.length === 0 ? null : {
    arrayShare: g(array.runs, (r) => r.loop.gcMs / r.loop.ms),
    arrayMinorShare: g(array.runs, (r) => r.loop.minorMs / Math.max(1e-9, r.loop.gcMs)),
    arrayMaxMs: g(array.runs, (r) => r.loop.gcMaxMs),
    jsonShare: g(json.runs, (r) => r.loop.gcMs / r.loop.ms),
    jsonMaxMs: g(json.runs, (r) => r.loop.gcMaxMs),
  };
  return {
    goal: GOAL_P99_RATIO,
    cells,
    nodeP99: cells.find((c) => c.id === 'node-http')?.p99 ?? Number.NaN,
    differences: o.checks
      .filter((k) => k.differences.length > 0)
      .map(({ cell, differences }) => ({ cell, differences })),
    gc,
  };
}

export const isSaturated = (r: RunResult): boolean => r.clientBusy >= SATURATED;
const cpuUs = (r: RunResult): number => (r.serverCpuSeconds / r.requests) * 1e6;

export function observationFigures(o: ObservationOutcome): ObservationFigures {
  const variants = o.variants.map((v): ObservationVariantFigures => {
    const runs = (id: BuildId): RunResult[] => v.runs[id] ?? [];
    const a = runs('as-built');
    const b = runs('stripped');
    const rpsRatio = range(pairRatios(a.map((r) => r.rps), b.map((r) => r.rps)));
    const cpuRatio = range(pairRatios(a.map(cpuUs), b.map(cpuUs)));
    const s = {
      asBuilt: { rps: spread(a.map((r) => r.rps)), cpu: spread(a.map(cpuUs)) },
      stripped: { rps: spread(b.map((r) => r.rps)), cpu: spread(b.map(cpuUs)) },
    };
    const resolves = {
      rps: Math.max(s.asBuilt.rps, s.stripped.rps) <= GOAL_OBSERVATION,
      cpu: Math.max(s.asBuilt.cpu, s.stripped.cpu) <= GOAL_OBSERVATION,
    };
    const within = { rps: rpsRatio.median >= 1 - GOAL_OBSERVATION, cpu: cpuRatio.median <= 1 + GOAL_OBSERVATION };
    const decidedBy = resolves.rps && resolves.cpu ? 'both' : resolves.cpu ? 'cpu' : resolves.rps ? 'rps' : 'none';
    const met = decidedBy === 'both' ? within.rps && within.cpu : decidedBy === 'none' ? null : within[decidedBy];
    const builds: Partial<Record<BuildId, BuildFigures>> = {};
    for (const id of o.builds) {
      builds[id] = {
        rps: median(runs(id).map((r) => r.rps)),
        cpuUs: median(runs(id).map(cpuUs)),
        rpsRatio: median(pairRatios(runs(id).map((r) => r.rps), a.map((r) => r.rps))),
        cpuRatio: median(pairRatios(runs(id).map(cpuUs), a.map(cpuUs))),
      };
    }
    return {
      label: v.label,
      rpsRatio,
      cpuRatio,
      spread: s,
      resolves,
      within,
      decidedBy,
      verdict: met === null ? 'undecided' : met ? 'met' : 'not met',
      saturatedRuns: [...a, ...b].filter(isSaturated).length,
      runs: a.length + b.length,
      builds,
      perRound: Object.fromEntries(o.builds.map((id) => [id, runs(id).map((r) => ({ rps: r.rps, cpuUs: cpuUs(r) }))])),
    };
  });
  return {
    goal: GOAL_OBSERVATION,
    checksFound: o.observationChecks ?? null,
    removedTotal: Object.values(o.removed).reduce((x, y) => x + y, 0),
    sameBytes: o.checks.every((c) => c.differences.length === 0),
    requestsChecked: new Set(o.checks.map((c) => c.path)).size,
    rounds: o.variants[0]?.runs['as-built']?.length ?? 0,
    hookCallsCoverResponses: o.hookCalls < 0 ? null : o.hookCalls >= o.hookResponses,
    variants,
  };
}

export function speedVerdict(row: MicroRow, generic: MicroRow): SpeedVerdict {
  const speed = row.rate / generic.rate;
  const noise = Math.max(0.05, generic.rme / 100, row.rme / 100);
  const outcome = Math.abs(speed - 1) <= noise ? 'no clear difference' : speed > 1 ? 'faster' : 'slower';
  return { speed, noise, outcome };
}

export function microFigures(m: MicroResult): MicroFigures {
  const group = (n: number): MicroRow[] => m.rows.filter((r) => r.group === `serialize ${n}`);
  const find = (n: number, prefix: string): MicroRow | undefined => group(n).find((r) => r.name.startsWith(prefix));
  const block = (n: number, name: string): BlockRow | null =>
    (m.blocks ?? []).find((b) => b.orders === n && b.serializer === name) ?? null;
  const serializers: MicroFigures['serializers'] = [];
  for (const orders of SERIALIZER_SIZES) {
    const generic = find(orders, 'JSON.stringify');
    const schema = find(orders, 'schemaJson');
    if (generic === undefined || schema === undefined) continue;
    const build = find(orders, 'orders(') ?? null;
    serializers.push({ orders, generic, schema, build, verdict: speedVerdict(schema, generic) });
  }
  const plugins: MicroFigures['plugins'] = [];
  for (const orders of PLUGIN_SIZES) {
    const generic = find(orders, 'JSON.stringify');
    if (generic === undefined) continue;
    const entries: [string, string][] = [
      ['JSON.stringify', 'JSON.stringify'],
      ['schemaJson(ORDERS_SCHEMA)', 'schemaJson'],
      ['jsonArray(), all slices', 'jsonArray'],
      ['msgpack plug-in (msgpackr pack)', 'msgpack'],
    ];
    const rows = entries.flatMap(([label, name]) => {
      const row = find(orders, name);
      return row === undefined ? [] : [{ label, row, block: block(orders, name), vsGeneric: row.rate / generic.rate }];
    });
    const schema = find(orders, 'schemaJson');
    const pack = find(orders, 'msgpack');
    const array = find(orders, 'jsonArray');
    const ab = block(orders, 'jsonArray');
    const gb = block(orders, 'JSON.stringify');
    plugins.push({
      orders,
      rows,
      schema: schema === undefined ? null : speedVerdict(schema, generic),
      msgpack: pack === undefined ? null : { ...speedVerdict(pack, generic), bytes: pack.bytes ?? Number.NaN,
        jsonBytes: generic.bytes ?? Number.NaN },
      jsonArray: array === undefined || ab === null || gb === null ? null
        : { slices: ab.slices, rateRatio: array.rate / generic.rate, longestMs: ab.longestMs,
          jsonLongestMs: gb.longestMs },
    });
  }
  return { serializers, plugins };
}
