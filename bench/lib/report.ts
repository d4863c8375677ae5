// The report: the figures and verdicts (figures.ts, verdicts.ts) computed once from the raw results, then
// bench/results/latest.md (markdown*.ts) and latest.svg (chart.ts) drawn from them; latest.json keeps the raw
// results and the figures.
import type { LatencyOutcome } from '../load/latency.js';
import type { MemoryOutcome } from '../load/memory.js';
import type { ObservationOutcome } from '../load/observation.js';
import type { Mode } from '../load/scenarios.js';
import type { SlowReaderOutcome } from '../load/slow-reader.js';
import type { ThroughputOutcome } from '../load/throughput.js';
import type { MicroResult } from '../micro/index.js';
import { barChart, composeSvg, rssChart, type SvgPart } from './chart.js';
import { computeFigures, type Figures, type MemoryRow, type SlowReaderFigures } from './figures.js';
import type { Machine } from './machine.js';
import { footer, header, memorySection, throughputSection, when } from './markdown.js';
import { microSection } from './markdown-micro.js';
import { latencySection, observationSection, slowReaderSection } from './markdown-scenarios.js';
import type { LatencyFigures, ObservationFigures } from './verdicts.js';

export type Outcome = ThroughputOutcome | MemoryOutcome | SlowReaderOutcome | LatencyOutcome | ObservationOutcome;

export interface Report {
  mode: Mode;
  parts: string[];
  started: Date;
  finished: Date;
  machine: Machine;
  loadAverage: { start: string; end: string };
  loadgen: { name: string; version: string; threads: number; pinned: boolean } | null;
  simd: boolean | null;
  load: Outcome[];
  micro: MicroResult | null;
  fdLimit: string;
}

export function render(report: Report): { md: string; svg: string | null; figures: Figures } {
  const figures = computeFigures(report.load, report.micro);
  const m = report.machine;
  const loadgen = report.loadgen?.name ?? 'load generator';
  const run = `${when(report)} · ${report.mode.name} run`;
  const md = header(report);
  const parts: SvgPart[] = [];
  if (figures.throughput !== null) {
    md.push(...throughputSection(figures.throughput, loadgen));
    const g = `${report.loadgen?.name ?? ''} ${report.loadgen?.version ?? ''}`;
    parts.push(barChart(figures.throughput, `${m.cpu}, ${m.cores} cores · Node ${m.node} · ${g} · ${run}`));
  }
  const { memory, slowReader, latency, observation } = figures;
  for (const o of report.load) if (o.kind === 'idle-memory') md.push(...memorySection(o, memory[o.id] as MemoryRow[]));
  for (const o of report.load) {
    if (o.kind !== 'slow-reader') continue;
    md.push(...slowReaderSection(o, slowReader[o.id] as SlowReaderFigures));
    parts.push(rssChart(o, `${m.cpu}, ${m.cores} cores · Node ${m.node} · ${run}`));
  }
  for (const o of report.load) {
    if (o.kind === 'big-payload-latency') md.push(...latencySection(o, latency[o.id] as LatencyFigures, loadgen));
  }
  for (const o of report.load) {
    if (o.kind === 'observation') md.push(...observationSection(o, observation[o.id] as ObservationFigures, loadgen));
  }
  if (report.micro !== null && figures.micro !== null) md.push(...microSection(report.micro, figures.micro));
  md.push(...footer());
  return { md: `${md.join('\n')}\n`, svg: parts.length === 0 ? null : composeSvg(parts), figures };
}
