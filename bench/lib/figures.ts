// The report's figures and verdicts, computed from the raw results once, as data: the Markdown
// (markdown*.ts) and the chart (chart.ts) only format them, and latest.json keeps them beside the raw
// results (`figures`). Throughput, idle memory and the slow reader here; latency, observation and the
// micro-benchmarks in verdicts.ts.
import { SATURATED } from '../load/loadgen.js';
import type { MemoryOutcome, MemoryRun } from '../load/memory.js';
import type { SlowReaderOutcome, SlowReaderRun, SlowServerId } from '../load/slow-reader.js';
import type { ServerId } from '../load/servers.js';
import type { RunResult, ThroughputOutcome } from '../load/throughput.js';
import type { MicroResult } from '../micro/index.js';
import type { Outcome } from './report.js';
import { max, median, min, pairRatios, range, type Range } from './stats.js';
import { latencyFigures, microFigures, observationFigures } from './verdicts.js';
import type { LatencyFigures, MicroFigures, ObservationFigures } from './verdicts.js';

/** One server in one throughput variant: medians across rounds. */
export interface ServerSummary {
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50: number;
  p99: number;
  cpuPerRequestUs: number;
  /** Server CPU time / wall time (1 = one core). */
  serverBusy: number;
  clientBusy: number;
  /** Rounds in which the load generator kept its core busy (the figure measures the client). */
  saturatedRounds: number;
  rounds: number;
  errors: number;
  errorDetail: string;
}

export interface ThroughputVariantFigures {
  label: string;
  pipelined: boolean;
  servers: ServerId[];
  summary: Partial<Record<ServerId, ServerSummary>>;
  /** Median (lowest–highest) of per-round ratios to node:http. */
  h1wireVsNode: Range;
  ceilingVsNode: Range;
  cpuPerRequestVsNode: Range;
  /** Responses that differ from h1wire's (Date aside), from the scenario's check. */
  differences: { server: ServerId; differences: string[] }[];
  /** Requests/s of every round. */
  perRound: Partial<Record<ServerId, number[]>>;
}

/** Requests/s of each variant of one scenario against its first (pipelining depths). */
export interface VariantComparison {
  title: string;
  variants: string[];
  rows: { server: ServerId; rps: number[]; vsFirst: number[] }[];
}

export interface ThroughputFigures {
  variants: ThroughputVariantFigures[];
  comparisons: VariantComparison[];
}

export interface MemoryRow {
  server: ServerId;
  held: number;
  rssBefore: number;
  rssAfter: number;
  rssPerConnection: number;
  rssVsNode: number;
  liveBefore: number;
  liveAfter: number;
  livePerConnection: number;
  liveVsNode: number;
  /** Connections held in every round, when some round held fewer than asked or lost some. */
  shortfall: number[] | null;
  /** Some round had no forced GC (figures include garbage). */
  noGc: boolean;
}

export interface SlowReaderRow {
  server: SlowServerId;
  label: string;
  bodyBytes: number;
  readSeconds: number;
  rate: number;
  rssStart: number;
  rssPeak: number;
  peakAtSeconds: number;
  rssEnd: number;
  /** Median peak − median start, and its share of the body. */
  peakOverStart: number;
  peakOverStartShare: number;
  serverCpuSeconds: number;
  failures: string[];
  differences: string[];
}

export interface SlowReaderFigures {
  rows: SlowReaderRow[];
  /** Median over runs of peak − start, per server. */
  growth: Partial<Record<SlowServerId, number>>;
}

export interface Figures {
  throughput: ThroughputFigures | null;
  memory: Record<string, MemoryRow[]>;
  slowReader: Record<string, SlowReaderFigures>;
  latency: Record<string, LatencyFigures>;
  observation: Record<string, ObservationFigures>;
  micro: MicroFigures | null;
}

export const cpuPerRequestUs = (r: RunResult): number => (r.serverCpuSeconds / r.requests) * 1e6;

export function summarizeRuns(runs: readonly RunResult[]): ServerSummary {
  const rps = runs.map((r) => r.rps);
  return {
    rps: median(rps),
    rpsMin: min(rps),
    rpsMax: max(rps),
    p50: median(runs.map((r) => r.p50Ms)),
    p99: median(runs.map((r) => r.p99Ms)),
    cpuPerRequestUs: median(runs.map(cpuPerRequestUs)),
    serverBusy: median(runs.map((r) => r.serverCpuSeconds / r.seconds)),
    clientBusy: median(runs.map((r) => r.clientBusy)),
    saturatedRounds: runs.filter((r) => r.clientBusy >= SATURATED).length,
    rounds: runs.length,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    errorDetail: [...new Set(runs.map((r) => r.errorDetail).filter((d) => d !== ''))].join('; '),
  };
}

export function throughputFigures(outcomes: readonly ThroughputOutcome[]): ThroughputFigures {
  const variants: ThroughputVariantFigures[] = [];
  const comparisons: VariantComparison[] = [];
  for (const o of outcomes) {
    const differences = o.checks
      .filter((k) => k.differences.length > 0)
      .map(({ server, differences }) => ({ server, differences }));
    for (const v of o.variants) {
      const runs = (id: ServerId): RunResult[] => v.runs[id] ?? [];
      const vsNode = (id: ServerId, f: (r: RunResult) => number = (r) => r.rps): Range =>
        range(pairRatios(runs(id).map(f), runs('node-http').map(f)));
      variants.push({
        label: v.label,
        pipelined: v.pipeline > 1,
        servers: o.servers,
        summary: Object.fromEntries(o.servers.map((id) => [id, summarizeRuns(runs(id))])),
        h1wireVsNode: vsNode('h1wire'),
        ceilingVsNode: vsNode('ceiling'),
        cpuPerRequestVsNode: vsNode('h1wire', (r) => r.serverCpuSeconds / r.requests),
        differences,
        perRound: Object.fromEntries(o.servers.map((id) => [id, runs(id).map((r) => r.rps)])),
      });
    }
    const first = o.variants[0];
    if (o.compareVariants === null || first === undefined || o.variants.length < 2) continue;
    const rows = o.servers.map((server) => {
      const rps = o.variants.map((v) => median((v.runs[server] ?? []).map((r) => r.rps)));
      return { server, rps, vsFirst: rps.map((x) => x / (rps[0] as number)) };
    });
    comparisons.push({ title: o.compareVariants, variants: o.variants.map((v) => v.short ?? v.label), rows });
  }
  return { variants, comparisons };
}

export function memoryRows(o: MemoryOutcome): MemoryRow[] {
  const field = (id: ServerId, f: (r: MemoryRun) => number): number => median((o.runs[id] ?? []).map(f));
  const baseRss = field('node-http', (r) => r.perConnection);
  const baseLive = field('node-http', (r) => r.livePerConnection);
  return o.servers.map((server) => {
    const runs = o.runs[server] ?? [];
    const short = runs.some((r) => r.failed > 0 || r.closedEarly > 0 || r.held < r.requested);
    const rss = field(server, (r) => r.perConnection);
    const live = field(server, (r) => r.livePerConnection);
    return {
      server,
      held: field(server, (r) => r.held),
      rssBefore: field(server, (r) => r.rssBefore),
      rssAfter: field(server, (r) => r.rssAfter),
      rssPerConnection: rss,
      rssVsNode: rss / baseRss,
      liveBefore: field(server, (r) => r.liveBefore),
      liveAfter: field(server, (r) => r.liveAfter),
      livePerConnection: live,
      liveVsNode: live / baseLive,
      shortfall: short ? runs.map((r) => r.held) : null,
      noGc: runs.some((r) => !r.gc),
    };
  });
}

export function slowReaderFigures(o: SlowReaderOutcome): SlowReaderFigures {
  const runsOf = (id: SlowServerId): SlowReaderRun[] => o.runs.filter((r) => r.server === id);
  const field = (id: SlowServerId, f: (r: SlowReaderRun) => number): number => median(runsOf(id).map(f));
  const rows = o.servers.map(({ id, label }): SlowReaderRow => {
    const start = field(id, (r) => r.rssStart);
    const peak = field(id, (r) => r.rssPeak);
    return {
      server: id,
      label,
      bodyBytes: field(id, (r) => r.bodyBytes),
      readSeconds: field(id, (r) => r.readMs) / 1000,
      rate: field(id, (r) => r.rate),
      rssStart: start,
      rssPeak: peak,
      peakAtSeconds: field(id, (r) => r.peakAtMs) / 1000,
      rssEnd: field(id, (r) => r.rssEnd),
      peakOverStart: peak - start,
      peakOverStartShare: (peak - start) / o.bodyBytes,
      serverCpuSeconds: field(id, (r) => r.serverCpuSeconds),
      failures: runsOf(id).filter((r) => !r.ok).map((r) => r.why),
      differences: o.checks.find((c) => c.server === id)?.differences ?? [],
    };
  });
  const growth = Object.fromEntries(o.servers.map(({ id }) => [id, field(id, (r) => r.rssPeak - r.rssStart)]));
  return { rows, growth };
}

/** Everything the report states, from the raw outcomes. */
export function computeFigures(load: readonly Outcome[], micro: MicroResult | null): Figures {
  const throughput = load.filter((o): o is ThroughputOutcome => o.kind === 'throughput');
  const f: Figures = {
    throughput: throughput.length === 0 ? null : throughputFigures(throughput),
    memory: {},
    slowReader: {},
    latency: {},
    observation: {},
    micro: micro === null ? null : microFigures(micro),
  };
  for (const o of load) {
    if (o.kind === 'idle-memory') f.memory[o.id] = memoryRows(o);
    else if (o.kind === 'slow-reader') f.slowReader[o.id] = slowReaderFigures(o);
    else if (o.kind === 'big-payload-latency') f.latency[o.id] = latencyFigures(o);
    else if (o.kind === 'observation') f.observation[o.id] = observationFigures(o);
  }
  return f;
}
