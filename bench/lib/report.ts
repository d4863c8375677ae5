// The report: bench/results/latest.md (tables), latest.svg (a hand-made bar chart of the ratios) and
// latest.json (every round's raw figures).
import type { MemoryOutcome, MemoryRun } from '../load/memory.js';
import type { Mode } from '../load/scenarios.js';
import { SERVERS, type ServerId } from '../load/servers.js';
import type { RunResult, ThroughputOutcome, VariantOutcome } from '../load/throughput.js';
import { SATURATED } from '../load/loadgen.js';
import { SERIALIZER_SIZES, type MicroResult, type MicroRow } from '../micro/index.js';
import type { Machine } from './machine.js';
import { bytes, max, median, min, ms, num, pct, ratio } from './stats.js';

export type Outcome = ThroughputOutcome | MemoryOutcome;

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

interface ServerSummary {
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50: number;
  p99: number;
  cpuPerRequestUs: number;
  serverBusy: number;
  clientBusy: number;
  saturatedRounds: number;
  rounds: number;
  errors: number;
  errorDetail: string;
}

interface RatioSummary {
  median: number;
  min: number;
  max: number;
}

function summarizeRuns(runs: readonly RunResult[]): ServerSummary {
  return {
    rps: median(runs.map((r) => r.rps)),
    rpsMin: min(runs.map((r) => r.rps)),
    rpsMax: max(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50Ms)),
    p99: median(runs.map((r) => r.p99Ms)),
    cpuPerRequestUs: median(runs.map((r) => (r.serverCpuSeconds / r.requests) * 1e6)),
    serverBusy: median(runs.map((r) => r.serverCpuSeconds / r.seconds)),
    clientBusy: median(runs.map((r) => r.clientBusy)),
    saturatedRounds: runs.filter((r) => r.clientBusy >= SATURATED).length,
    rounds: runs.length,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    errorDetail: [...new Set(runs.map((r) => r.errorDetail).filter((d) => d !== ''))].join('; '),
  };
}

/** Per-round ratio a/b (the rounds interleave servers, so each ratio compares runs minutes apart at most). */
function roundRatios(v: VariantOutcome, a: ServerId, b: ServerId, field: (r: RunResult) => number = (r) => r.rps): RatioSummary {
  const ra = v.runs[a] ?? [];
  const rb = v.runs[b] ?? [];
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) ratios.push(field(ra[i] as RunResult) / field(rb[i] as RunResult));
  return { median: median(ratios), min: min(ratios), max: max(ratios) };
}

function ratioCell(r: RatioSummary): string {
  if (!Number.isFinite(r.median)) return 'n/a';
  return `**${ratio(r.median)}** (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
}

function table(head: string[], rows: string[][], align?: string[]): string {
  const sep = align ?? head.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [`| ${head.join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

interface RatioRow {
  label: string;
  h1wire: number;
  ceiling: number;
}

function throughputSection(outcomes: ThroughputOutcome[], loadgen: string): { md: string[]; chart: RatioRow[] } {
  const md: string[] = [];
  const chart: RatioRow[] = [];
  const main: string[][] = [];
  const cpu: string[][] = [];
  const details: string[] = [];
  const warnings: string[] = [];
  for (const o of outcomes) {
    for (const v of o.variants) {
      const s: Partial<Record<ServerId, ServerSummary>> = {};
      for (const id of o.servers) s[id] = summarizeRuns(v.runs[id] ?? []);
      const h = s.h1wire;
      const n = s['node-http'];
      const c = s.ceiling;
      const hOverN = roundRatios(v, 'h1wire', 'node-http');
      const cOverN = roundRatios(v, 'ceiling', 'node-http');
      chart.push({ label: v.label, h1wire: hOverN.median, ceiling: cOverN.median });
      const notes: string[] = [];
      for (const id of o.servers) {
        const x = s[id] as ServerSummary;
        if (x.saturatedRounds > 0) {
          notes.push(`${SERVERS[id].label}: ${loadgen} saturated its core in ${x.saturatedRounds}/${x.rounds} rounds (client-bound)`);
        }
        if (x.errors > 0) notes.push(`${SERVERS[id].label}: ${x.errors} errors (${x.errorDetail})`);
      }
      const check = o.checks.filter((k) => k.differences.length > 0);
      for (const k of check) notes.push(`${SERVERS[k.server].label} response differs: ${k.differences.join('; ')}`);
      if (notes.length > 0) warnings.push(...notes.map((t) => `${v.label}: ${t}`));
      const cell = (x: ServerSummary | undefined, f: (x: ServerSummary) => string): string => (x === undefined ? '–' : f(x));
      main.push([
        v.label,
        cell(h, (x) => num(x.rps)),
        cell(n, (x) => num(x.rps)),
        cell(c, (x) => num(x.rps)),
        ratioCell(hOverN),
        ratioCell(cOverN),
        v.pipeline > 1 ? 'n/a ¹' : `${cell(h, (x) => ms(x.p50))} · ${cell(n, (x) => ms(x.p50))} · ${cell(c, (x) => ms(x.p50))}`,
        v.pipeline > 1 ? 'n/a ¹' : `${cell(h, (x) => ms(x.p99))} · ${cell(n, (x) => ms(x.p99))} · ${cell(c, (x) => ms(x.p99))}`,
        notes.length === 0 ? '' : '⚠ see below',
      ]);
      const cpuRatio = roundRatios(v, 'h1wire', 'node-http', (r) => r.serverCpuSeconds / r.requests);
      cpu.push([
        v.label,
        cell(h, (x) => `${x.cpuPerRequestUs.toFixed(1)} (${pct(x.serverBusy)})`),
        cell(n, (x) => `${x.cpuPerRequestUs.toFixed(1)} (${pct(x.serverBusy)})`),
        cell(c, (x) => `${x.cpuPerRequestUs.toFixed(1)} (${pct(x.serverBusy)})`),
        Number.isFinite(cpuRatio.median) ? `${ratio(cpuRatio.median)} (${cpuRatio.min.toFixed(2)}–${cpuRatio.max.toFixed(2)})` : 'n/a',
        o.servers.map((id) => `${pct((s[id] as ServerSummary).clientBusy)}`).join(' · '),
      ]);
      const perRound = o.servers.map((id) => `${SERVERS[id].label}: ${(v.runs[id] ?? []).map((r) => num(r.rps)).join(', ')}`);
      details.push(`- ${v.label} — ${perRound.join(' — ')}`);
    }
  }
  md.push('## Throughput and latency');
  md.push('');
  md.push(
    'Medians across rounds. Ratios are the median of per-round ratios (each round runs the servers back to back), with the lowest and highest round in brackets: a wide bracket means a noisy machine. p50/p99 are the load generator\'s latencies, medians across rounds (closed loop: each connection waits for its answer before the next request, so under saturation they mostly measure queueing).',
  );
  md.push('');
  md.push(
    table(
      ['Scenario', 'h1wire req/s', 'node:http req/s', 'ceiling req/s', 'h1wire / node:http', 'ceiling / node:http', 'p50 ms (h1wire · node · ceiling)', 'p99 ms (h1wire · node · ceiling)', 'Notes'],
      main,
      [':--', '--:', '--:', '--:', '--:', '--:', '--:', '--:', ':--'],
    ),
  );
  md.push('');
  md.push(
    `¹ No latency for pipelined runs: ${loadgen === 'wrk' ? 'wrk records one latency per pipelined batch, and its coordinated-omission correction then assumes one request per interval, which makes its percentiles meaningless (it can even report a p99 of 0)' : 'per-request latency is not comparable across pipelining depths'}. Latencies without pipelining are ${loadgen === 'wrk' ? "wrk's, with its coordinated-omission correction" : "autocannon's, in whole milliseconds (0 means under 1 ms)"}.`,
  );
  md.push('');
  if (warnings.length > 0) {
    md.push('**Read with care:**');
    md.push('');
    for (const w of warnings) md.push(`- ${w}`);
    md.push('');
  }
  md.push('### Server CPU per request');
  md.push('');
  md.push(
    'Server CPU time (user + system, all threads, from /proc) divided by the requests served, median across rounds, in µs; the server\'s CPU use in brackets (100% = one core). Less sensitive to a noisy neighbour than requests/s. Lower is better.',
  );
  md.push('');
  md.push(
    table(['Scenario', 'h1wire µs/req', 'node:http µs/req', 'ceiling µs/req', 'h1wire / node:http', `${loadgen} CPU (h1wire · node · ceiling)`], cpu, [':--', '--:', '--:', '--:', '--:', '--:']),
  );
  md.push('');
  // Variant comparisons (pipelining depth).
  for (const o of outcomes) {
    if (o.compareVariants === null || o.variants.length < 2) continue;
    const first = o.variants[0] as VariantOutcome;
    md.push(`### ${o.compareVariants}`);
    md.push('');
    const rows = o.servers.map((id) => {
      const base = median((first.runs[id] ?? []).map((r) => r.rps));
      return [
        SERVERS[id].label,
        ...o.variants.map((v) => {
          const rps = median((v.runs[id] ?? []).map((r) => r.rps));
          return v === first ? num(rps) : `${num(rps)} (${ratio(rps / base)})`;
        }),
      ];
    });
    md.push(table(['Server', ...o.variants.map((v) => `${v.short ?? v.label} req/s`)], rows));
    md.push('');
  }
  md.push('<details><summary>Every round (req/s)</summary>');
  md.push('');
  md.push(...details);
  md.push('');
  md.push('</details>');
  md.push('');
  return { md, chart };
}

function memorySection(o: MemoryOutcome): string[] {
  const md: string[] = [];
  md.push(`## ${o.title}`);
  md.push('');
  md.push(
    `${num(o.connections)} keep-alive connections, each after one \`GET /\`, held idle by a separate client process; each server in a fresh process per round (medians across rounds). Memory is read inside each server process after a full GC (a preloaded hook, bench/load/gc-hook.ts, answers SIGUSR2 with \`gc()\` and \`process.memoryUsage()\`), before (after a warm-up) and after the connections are opened. *Live JS* is V8 heap used + external memory (Buffers, ArrayBuffers, WebAssembly memory); *RSS* is what the OS charges the process. Kernel socket buffers are in neither. **RSS is the figure to compare across servers:** node:http's parser state is native (C++, malloc) and shows in RSS only, while h1wire's parser (WebAssembly memory and typed arrays) shows in both; live JS says where a server's own JavaScript memory goes.`,
  );
  if (o.note !== '') md.push('', `**Note:** ${o.note}`);
  md.push('');
  const field = (id: ServerId, f: (r: MemoryRun) => number): number => median((o.runs[id] ?? []).map(f));
  const baseLive = field('node-http', (r) => r.livePerConnection);
  const baseRss = field('node-http', (r) => r.perConnection);
  const rows = o.servers.map((id) => {
    const runs = o.runs[id] ?? [];
    const trouble: string[] = [];
    if (runs.some((r) => r.failed > 0 || r.closedEarly > 0 || r.held < r.requested)) trouble.push(`⚠ held ${runs.map((r) => num(r.held)).join('/')} of ${num(o.connections)}`);
    if (runs.some((r) => !r.gc)) trouble.push('⚠ no forced GC (figures include garbage)');
    const live = field(id, (r) => r.livePerConnection);
    const rss = field(id, (r) => r.perConnection);
    return [
      SERVERS[id].label,
      num(field(id, (r) => r.held)),
      `${bytes(field(id, (r) => r.rssBefore))} → ${bytes(field(id, (r) => r.rssAfter))}`,
      `**${num(rss)} B** (${ratio(rss / baseRss)})`,
      `${bytes(field(id, (r) => r.liveBefore))} → ${bytes(field(id, (r) => r.liveAfter))}`,
      `${num(live)} B (${ratio(live / baseLive)})`,
      trouble.join('; '),
    ];
  });
  md.push(
    table(
      ['Server', 'Connections held', 'RSS before → after', 'RSS per connection (vs node:http)', 'Live JS before → after', 'Live JS per connection (vs node:http)', 'Notes'],
      rows,
      [':--', '--:', '--:', '--:', '--:', '--:', ':--'],
    ),
  );
  md.push('');
  return md;
}

function microSection(m: MicroResult): string[] {
  const md: string[] = [];
  md.push('## Micro-benchmarks (tinybench, one process, one core)');
  md.push('');
  md.push(
    `llhttp ${m.simd ? 'SIMD' : 'plain'} WebAssembly build. Each task ran ${m.timeMs} ms after a warm-up; fast operations run in an inner loop so that the timer's own cost stays out. Rates come from the median sample; ± is the relative margin of error of the mean (95%).`,
  );
  md.push('');
  const group = (g: string): MicroRow[] => m.rows.filter((r) => r.group === g);
  const plain = (rows: MicroRow[]): string[][] =>
    rows.map((r) => [r.name, `${num(r.rate)} ${r.unit}`, r.nsPerOp < 10_000 ? `${num(r.nsPerOp)} ns` : `${ms(r.nsPerOp / 1e6)} ms`, `±${r.rme.toFixed(1)}%`]);
  md.push('### Parse: llhttp as WebAssembly through lib/parser.ts');
  md.push('');
  md.push('A typical GET with 8 header fields (345 bytes). The parser does everything the server needs from the head: spans to strings, trailing-whitespace trim, the RFC 9112 head checks; events are delivered to no-op handlers.');
  md.push('');
  md.push(table(['Benchmark', 'Rate', 'Per op', '±'], plain(group('parse'))));
  md.push('');
  md.push('### Frame: lib/frame.ts buildHead');
  md.push('');
  md.push(table(['Benchmark', 'Rate', 'Per op', '±'], plain(group('frame'))));
  md.push('');
  md.push('### Serialize: JSON.stringify vs schemaJson(ORDERS_SCHEMA)');
  md.push('');
  md.push('Each op is what lib/serialize.ts does with a serializer: the string, then its UTF-8 length (which also flattens a string built by concatenation, a cost the socket write would pay otherwise). The orders are built once, outside the timing.');
  md.push('');
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const n of SERIALIZER_SIZES) {
    const g = group(`serialize ${n}`);
    const generic = g.find((r) => r.name.startsWith('JSON.stringify'));
    const schema = g.find((r) => r.name.startsWith('schemaJson'));
    const build = g.find((r) => r.name.startsWith('orders('));
    if (generic === undefined || schema === undefined) continue;
    const speed = schema.rate / generic.rate;
    // Within the larger of the two margins of error (or 5%), call it a tie.
    const noise = Math.max(0.05, generic.rme / 100, schema.rme / 100);
    rows.push([
      `${num(n)} order${n === 1 ? '' : 's'}`,
      bytes(generic.bytes ?? Number.NaN),
      `${num(generic.rate)} (±${generic.rme.toFixed(1)}%)`,
      `${num(schema.rate)} (±${schema.rme.toFixed(1)}%)`,
      `**${ratio(speed)}**`,
      build === undefined ? '' : num(build.rate),
    ]);
    const word =
      Math.abs(speed - 1) <= noise
        ? `no clear difference (${speed.toFixed(2)}×, within the ±${(noise * 100).toFixed(0)}% noise): **schemaJson does not win here**`
        : speed > 1
          ? `schemaJson wins, ${speed.toFixed(2)}× as fast`
          : `**schemaJson loses**: ${(1 / speed).toFixed(2)}× slower than JSON.stringify`;
    verdicts.push(`- ${num(n)} order${n === 1 ? '' : 's'}: ${word}.`);
  }
  md.push(table(['Payload', 'Bytes', 'JSON.stringify ops/s', 'schemaJson ops/s', 'schemaJson / JSON.stringify', 'orders(n) build ops/s (context)'], rows));
  md.push('');
  md.push(...verdicts);
  md.push('- The last column is the demo building its data (what each /orders request does before serializing): at these sizes building and serializing cost about the same, so a faster serializer moves the end-to-end figure by less than its own ratio.');
  for (const note of m.notes) md.push(`- ${note}`);
  if (m.notes.length === 0) md.push('- Both serializers produce byte-identical output for these payloads.');
  md.push('');
  return md;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/**
 * A horizontal bar chart on a log scale centred on 1× (node:http): per scenario, h1wire / node:http and
 * ceiling / node:http; bars to the right are faster than node:http, bars to the left slower.
 */
export function chartSvg(rows: RatioRow[], subtitle: string): string {
  const labelW = 300;
  const chartW = 540;
  const left = 20 + labelW;
  const rowH = 46;
  const top = 84;
  const height = top + rows.length * rowH + 52;
  const width = left + chartW + 70;
  const values = rows.flatMap((r) => [r.h1wire, r.ceiling]).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 2 ** Math.floor(Math.log2(Math.min(0.5, ...values.map((v) => v / 1.15))));
  const hi = 2 ** Math.ceil(Math.log2(Math.max(2, ...values.map((v) => v * 1.15))));
  const x = (v: number): number => left + ((Math.log2(v) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * chartW;
  const one = x(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="13">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="20" y="26" font-size="17" font-weight="600" fill="#111">Requests/s relative to node:http (log scale; right of 1× = faster than node:http)</text>`);
  out.push(`<text x="20" y="46" fill="#555">${escapeXml(subtitle)}</text>`);
  out.push(`<rect x="${left}" y="60" width="12" height="12" fill="#2563eb"/><text x="${left + 18}" y="71" fill="#111">h1wire / node:http</text>`);
  out.push(`<rect x="${left + 170}" y="60" width="12" height="12" fill="#9ca3af"/><text x="${left + 188}" y="71" fill="#111">raw-socket ceiling / node:http</text>`);
  const bottom = top + rows.length * rowH;
  for (let g = lo; g <= hi * 1.0001; g *= 2) {
    const gx = x(g);
    const strong = Math.abs(g - 1) < 1e-9;
    out.push(`<line x1="${gx.toFixed(1)}" y1="${top - 4}" x2="${gx.toFixed(1)}" y2="${bottom}" stroke="${strong ? '#111' : '#e5e7eb'}" stroke-width="${strong ? 1.5 : 1}"${strong ? ' stroke-dasharray="4 3"' : ''}/>`);
    const label = g >= 1 ? `${g}×` : `${g}×`;
    out.push(`<text x="${gx.toFixed(1)}" y="${bottom + 16}" text-anchor="middle" fill="#555">${label}</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 10}" y="${y + 27}" text-anchor="end" fill="#111">${escapeXml(r.label)}</text>`);
    const bar = (v: number, dy: number, color: string): void => {
      if (!Number.isFinite(v) || v <= 0) {
        out.push(`<text x="${(one + 4).toFixed(1)}" y="${y + dy + 12.5}" fill="#555">n/a</text>`);
        return;
      }
      const end = x(v);
      const from = Math.min(one, end);
      out.push(`<rect x="${from.toFixed(1)}" y="${y + dy}" width="${Math.max(1, Math.abs(end - one)).toFixed(1)}" height="16" fill="${color}"/>`);
      const tx = v >= 1 ? end + 5 : end - 5;
      out.push(`<text x="${tx.toFixed(1)}" y="${y + dy + 12.5}"${v >= 1 ? '' : ' text-anchor="end"'} fill="#111">${v.toFixed(2)}×</text>`);
    };
    bar(r.h1wire, 4, '#2563eb');
    bar(r.ceiling, 22, '#9ca3af');
  });
  out.push(`<text x="20" y="${height - 12}" fill="#777" font-size="11">Median of per-round ratios. See latest.md for the spread of each ratio, latencies, CPU per request and client-saturation flags.</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export function render(report: Report): { md: string; svg: string | null } {
  const m = report.machine;
  const when = report.started.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const minutes = ((report.finished.getTime() - report.started.getTime()) / 60000).toFixed(1);
  const md: string[] = [];
  md.push(`# h1wire benchmarks (${report.mode.name}${report.parts.length < 2 ? `, ${report.parts.join(', ')} only` : ''})`);
  md.push('');
  md.push(`- **Date:** ${when} (took ${minutes} min)`);
  md.push(`- **Machine:** ${m.cpu}, ${m.cores} cores, ${m.memory}; ${m.os}`);
  md.push(`- **Node:** ${m.node}${report.simd === null ? '' : `; llhttp ${report.simd ? 'SIMD' : 'plain'} WebAssembly`}`);
  md.push(`- **Commit:** ${m.commit}`);
  if (report.loadgen !== null) {
    md.push(
      `- **Load generator:** ${report.loadgen.name} ${report.loadgen.version}, ${report.loadgen.threads} thread(s), on the same machine${report.loadgen.pinned ? ' (servers pinned to CPU 0, load generator to CPU 1)' : ' (no CPU pinning)'}; ${report.mode.rounds} rounds × ${report.mode.seconds} s per server and scenario after a ${report.mode.warmupSeconds} s warm-up; open-file limit ${report.fdLimit}`,
    );
  }
  md.push(`- **Load average** (1/5/15 min) at start: ${report.loadAverage.start}; at end: ${report.loadAverage.end}. On a shared machine, other work competes with both the servers and the load generator.`);
  if (report.mode.name === 'quick') md.push('- **Quick run:** short rounds; the numbers are indicative only. Use `npm run bench` for figures to quote.');
  md.push('');
  md.push('Servers, each in its own process: **h1wire** (`node dist/lib/cli.js demo`), **node:http** (bench/load/node-http-server.ts: the same routes, JSON.stringify, the same response bytes, keep-alive on) and a **raw-socket ceiling** (bench/load/raw-server.ts: counts `\\r\\n\\r\\n` and writes one precomputed response per request, no parsing, no routing, no serializing — what node:net and the kernel allow here). Before measuring, one response from each is compared with h1wire\'s (status, headers, body; Date aside).');
  md.push('');
  let svg: string | null = null;
  const throughput = report.load.filter((o): o is ThroughputOutcome => o.kind === 'throughput');
  if (throughput.length > 0) {
    const section = throughputSection(throughput, report.loadgen?.name ?? 'load generator');
    md.push(...section.md);
    svg = chartSvg(section.chart, `${m.cpu}, ${m.cores} cores · Node ${m.node} · ${report.loadgen?.name ?? ''} ${report.loadgen?.version ?? ''} · ${when} · ${report.mode.name} run`);
  }
  for (const o of report.load) if (o.kind === 'idle-memory') md.push(...memorySection(o));
  if (report.micro !== null) md.push(...microSection(report.micro));
  md.push('## How to read this');
  md.push('');
  md.push('- The load generator runs on the same 2-core machine as the server: the server has one core to itself at best. When the generator kept its own core busy (≥ 90% of its thread\'s time), the figure measures the client and is flagged.');
  md.push('- The ceiling answers without parsing; the gap between it and a real server is the cost of being an HTTP server in JavaScript. The ceiling is often client-bound itself, so its figure is a lower bound of what the socket path allows.');
  md.push('- Raw figures for every round are in latest.json next to this file.');
  md.push('');
  return { md: `${md.join('\n')}\n`, svg };
}
