// The report: bench/results/latest.md (tables), latest.svg (a hand-made bar chart of the ratios) and
// latest.json (every round's raw figures).
import type { LatencyCell, LatencyOutcome, LatencyRun } from '../load/latency.js';
import type { MemoryOutcome, MemoryRun } from '../load/memory.js';
import { BUILD_LABELS, type ObservationOutcome } from '../load/observation.js';
import type { SlowReaderOutcome, SlowReaderRun } from '../load/slow-reader.js';
import type { Mode } from '../load/scenarios.js';
import { SERVERS, type ServerId } from '../load/servers.js';
import type { RunResult, ThroughputOutcome, VariantOutcome } from '../load/throughput.js';
import { SATURATED } from '../load/loadgen.js';
import { PLUGIN_SIZES, SERIALIZER_SIZES, type BlockRow, type MicroResult, type MicroRow } from '../micro/index.js';
import type { Machine } from './machine.js';
import { bytes, max, median, min, ms, num, pct, ratio } from './stats.js';

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

// ---- slow reader ------------------------------------------------------------------------------------------

function slowReaderSection(o: SlowReaderOutcome): string[] {
  const md: string[] = [];
  md.push(`## ${o.title}`);
  md.push('');
  md.push(
    `One client (bench/load/slow-client.ts, its own process) sends \`GET /stream?chunks=${String(Math.round(o.bodyBytes / o.chunkBytes))}&size=${o.chunkBytes}\` — ${bytes(o.bodyBytes)} in chunks of ${bytes(o.chunkBytes)}, chunked — and reads it at a fixed ${bytes(o.rateBytes)}/s (it pauses its socket whenever it is ahead of that rate; the kernel buffers fill and the server's writes report backpressure). Each server runs in a fresh process, is warmed up (10 × \`GET /\`, 3 short streams), and its RSS is read from /proc/<pid>/status every ${o.sampleMs} ms by the runner. *Start* is the median of 5 readings just before the request, *peak* the largest reading while the body was read, *end* the reading ${o.settleMs} ms after the last byte (no forced GC: RSS is what the OS charges, garbage included).`,
  );
  md.push('');
  md.push(
    '- **h1wire**: the demo\'s `/stream` (an async generator yielding one shared Buffer); the write queue pulls the next chunk only while the socket takes more.\n' +
      '- **node:http, honours write()**: the same generator in bench/load/node-http-server.ts, `if (!res.write(chunk)) await drain` — what a careful node:http user writes.\n' +
      '- **node:http, ignores write() (one shared Buffer)**: the same generator, `res.write(chunk)` whatever it returns — the common mistake — with the demo\'s shared Buffer: the queue only holds references to it, so the mistake costs little memory *here*.\n' +
      '- **node:http, ignores write() (new Buffer per chunk)**: the same mistake with chunks that are new memory each time (as data read from a file or a database is): the whole body ends up queued in the process.',
  );
  md.push('');
  const field = (id: string, f: (r: SlowReaderRun) => number): number => median(o.runs.filter((r) => r.server === id).map(f));
  const rows = o.servers.map(({ id, label }) => {
    const runs = o.runs.filter((r) => r.server === id);
    const notes: string[] = [];
    const failed = runs.filter((r) => !r.ok);
    if (failed.length > 0) notes.push(`⚠ ${failed.map((r) => r.why).join('; ')}`);
    const check = o.checks.find((c) => c.server === id);
    if (check !== undefined && check.differences.length > 0) notes.push(`⚠ response differs: ${check.differences.join('; ')}`);
    const start = field(id, (r) => r.rssStart);
    const peak = field(id, (r) => r.rssPeak);
    return [
      label,
      `${bytes(field(id, (r) => r.bodyBytes))} in ${(field(id, (r) => r.readMs) / 1000).toFixed(1)} s (${bytes(field(id, (r) => r.rate))}/s)`,
      bytes(start),
      `${bytes(peak)} (at ${(field(id, (r) => r.peakAtMs) / 1000).toFixed(1)} s)`,
      bytes(field(id, (r) => r.rssEnd)),
      `**${bytes(peak - start)}** (${pct((peak - start) / o.bodyBytes)} of the body)`,
      `${field(id, (r) => r.serverCpuSeconds).toFixed(2)} s`,
      notes.join('; '),
    ];
  });
  md.push(table(['Server', 'Body read (rate achieved)', 'RSS start', 'RSS peak', 'RSS end', 'Peak − start', 'Server CPU', 'Notes'], rows, [':--', '--:', '--:', '--:', '--:', '--:', '--:', ':--']));
  md.push('');
  const growth = (id: string): number => field(id, (r) => r.rssPeak - r.rssStart);
  const h = growth('h1wire');
  const n = growth('node-http');
  const fresh = growth('node-http-ignore-fresh');
  md.push(
    `- h1wire's RSS rose by ${bytes(h)} at most while it sent ${bytes(o.bodyBytes)}; node:http honouring write() rose by ${bytes(n)}. Ignoring write() with new Buffers per chunk, node:http rose by ${bytes(fresh)}: the body is queued in the process as fast as the generator makes it, and the reader's pace no longer bounds the server's memory.`,
  );
  md.push(
    `- Part of the body is always in flight outside every process: the kernel's socket buffers (here tcp_wmem "${o.kernel.tcpWmem}", tcp_rmem "${o.kernel.tcpRmem}", min/default/max bytes; loopback autotuning grows them) hold up to a few MiB that no RSS figure shows.`,
  );
  md.push('- RSS over time for every run is in latest.json (`samples`: [ms since the request, bytes]; `progress`: [ms since the first byte, body bytes read]) and drawn in latest.svg.');
  md.push('');
  return md;
}

// ---- small-request latency under big payloads -------------------------------------------------------------

const GOAL_P99_RATIO = 0.2;

function latencySection(o: LatencyOutcome, loadgen: string): string[] {
  const md: string[] = [];
  md.push(`## ${o.title}`);
  md.push('');
  md.push(
    `Issue: *"p99 latency of GET / while other connections pull /orders?rows=${num(o.rows)}, with json() and with jsonArray(), beside node:http doing the same with JSON.stringify. Goal: h1wire's p99 for the small requests at most one fifth of node:http's."*`,
  );
  md.push('');
  md.push(
    `Per run: ${loadgen} loops on the large response over ${o.bigConnections} connections (closed loop, so the server is always busy building and serializing ${num(o.rows)} orders, 1.1 MB each), and 0.5 s later a separate client (bench/load/latency-client.ts, its own process) sends \`GET ${o.smallPath}\` at a fixed ${num(o.rate)} req/s over ${o.smallConnections} other keep-alive connections for ${o.seconds} s (open loop: each request is due at a fixed time and its latency counts from then, so a stalled server is charged for every request it delayed — no coordinated omission; every latency is kept, percentiles are exact). The three cells alternate in every round; figures are medians across ${o.cells[0]?.runs.length ?? 0} rounds. **Where the client runs:** on the same 2 cores — the server has one at best; ${loadgen}, the latency client and anything else on the machine share the other. The latency client's own event-loop delay (its timers firing late) adds to what it measures and is shown.`,
  );
  md.push('');
  const node = o.cells.find((c) => c.id === 'node-http');
  const rows: string[][] = [];
  const verdicts: string[] = [];
  const warnings: string[] = [];
  for (const c of o.cells) {
    const f = (g: (r: LatencyRun) => number): number => median(c.runs.map(g));
    let ratioText = '–';
    if (node !== undefined && c !== node) {
      const ratios = c.runs.map((r, i) => r.small.p99 / ((node.runs[i] as LatencyRun | undefined)?.small.p99 ?? Number.NaN));
      const rm = median(ratios);
      ratioText = Number.isFinite(rm) ? `**${ratio(rm)}** (${min(ratios).toFixed(2)}–${max(ratios).toFixed(2)})` : 'n/a';
      const met = rm <= GOAL_P99_RATIO;
      verdicts.push(
        `- ${c.label}: p99 ${ms(f((r) => r.small.p99))} ms vs node:http's ${ms(median(node.runs.map((r) => r.small.p99)))} ms → ${ratio(rm)}: goal (≤ ${GOAL_P99_RATIO}×) **${met ? 'met' : 'not met'}**${max(ratios) > GOAL_P99_RATIO && met ? ` (but not in every round: up to ${max(ratios).toFixed(2)}×)` : ''}.`,
      );
    }
    const unanswered = c.runs.reduce((n, r) => n + r.small.unanswered, 0);
    const errors = c.runs.reduce((n, r) => n + r.small.errors, 0);
    if (unanswered > 0 || errors > 0) warnings.push(`${c.label}: ${unanswered} small requests unanswered within 3 s of the end, ${errors} errors`);
    const backlog = max(c.runs.map((r) => r.small.maxBacklog));
    if (backlog > o.smallConnections) warnings.push(`${c.label}: up to ${backlog} due requests waited for a free connection (the server answered fewer than ${o.rate}/s between its blocks): latencies include that queueing`);
    const loop = f((r) => r.small.loopDelayP99);
    if (loop > 0.1 * f((r) => r.small.p99) || loop > 0.5 * f((r) => r.small.p50)) {
      warnings.push(`${c.label}: the latency client's own event-loop delay p99 was ${ms(loop)} ms, not small next to the latencies it measured (its timers fire late when the machine is busy)`);
    }
    const serverBusy = f((r) => r.serverCpuSeconds / r.seconds);
    if (serverBusy < 0.9) {
      warnings.push(
        `${c.label}: the server used ${pct(serverBusy)} of a core although ${o.bigConnections} connections kept asking for large responses: it was waiting for a CPU (other work on the machine) part of the time, and the latencies include that wait`,
      );
    }
    const bigBusy = max(c.runs.map((r) => r.big.clientBusy));
    if (bigBusy >= SATURATED) warnings.push(`${c.label}: ${loadgen} kept its core busy pulling the large responses`);
    rows.push([
      c.label,
      ms(f((r) => r.small.p50)),
      `**${ms(f((r) => r.small.p99))}**`,
      ms(f((r) => r.small.max)),
      ratioText,
      `${num(f((r) => r.small.answered))} / ${num(f((r) => r.small.due))}`,
      num(f((r) => r.big.rps), 1),
      pct(f((r) => r.serverCpuSeconds / r.seconds)),
      `${ms(f((r) => r.loop.delayP99))} · ${ms(f((r) => r.loop.delayMax))}`,
      `${pct(f((r) => r.loop.gcMs / r.loop.ms))} (${ms(f((r) => r.loop.gcMaxMs))} ms)`,
      `${ms(loop)} ms · ${pct(f((r) => r.small.cpuSeconds / r.small.seconds))}`,
      pct(f((r) => r.big.clientBusy)),
    ]);
  }
  md.push(
    table(
      ['Server, serializer', 'GET / p50 ms', 'GET / p99 ms', 'GET / max ms', 'p99 / node:http p99', 'Small answered / due', 'Large responses/s', 'Server CPU', 'Server loop delay p99 · max, ms', 'Server GC time (longest pause)', 'Latency client: loop delay p99 · CPU', `${loadgen} CPU`],
      rows,
      [':--', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:'],
    ),
  );
  md.push('');
  md.push(...verdicts);
  for (const k of o.checks.filter((k) => k.differences.length > 0)) md.push(`- ⚠ ${k.cell}: response differs: ${k.differences.join('; ')}`);
  if (o.checks.every((k) => k.differences.length === 0)) md.push(`- All three send the same ${bytes(o.checks[0]?.bytes ?? Number.NaN)} body (jsonArray chunked, the others with a length); checked before measuring.`);
  const arrayCell = o.cells.find((c) => c.id === 'h1wire-array');
  const jsonCell = o.cells.find((c) => c.id === 'h1wire-json');
  if (arrayCell !== undefined && jsonCell !== undefined && arrayCell.runs.length > 0) {
    const g = (c: LatencyCell, h: (r: LatencyRun) => number): number => median(c.runs.map(h));
    md.push(
      `- How the two h1wire cells differ: with json() the demo's handler builds all ${num(o.rows)} orders (\`orders(rows)\`, lib/demo.ts) and JSON.stringify writes them, two synchronous blocks per large response; with jsonArray() it hands the serializer a generator (\`orderRows(rows)\`) so rows are made as slices ask for them: neither building nor serializing is one block, and rows die young. What still holds the loop is the garbage collector — with jsonArray() the server spent ${pct(g(arrayCell, (r) => r.loop.gcMs / r.loop.ms))} of its time in GC (${pct(g(arrayCell, (r) => r.loop.minorMs / Math.max(1e-9, r.loop.gcMs)))} of it in scavenges; longest pause ${ms(g(arrayCell, (r) => r.loop.gcMaxMs))} ms) against ${pct(g(jsonCell, (r) => r.loop.gcMs / r.loop.ms))} with json() (longest ${ms(g(jsonCell, (r) => r.loop.gcMaxMs))} ms). node:http builds the array and calls JSON.stringify, as a node:http user would.`,
    );
  }
  md.push('- The large-response rate is context: slicing costs some throughput (more writes, chunked framing, a turn of the event loop per slice).');
  md.push(
    "- *Server loop delay* and *GC time* come from a hook preloaded into both servers for this scenario only (bench/load/loop-hook.ts: `monitorEventLoopDelay` and a `gc` PerformanceObserver, read while the small requests ran): they say what held the loop — the server's own work, or the collector. A longest GC pause close to a p99 means the collector, not the serializer, sets that p99.",
  );
  if (warnings.length > 0) {
    md.push('');
    md.push('**Read with care:**');
    md.push('');
    for (const w of warnings) md.push(`- ${w}`);
  }
  md.push('');
  md.push('<details><summary>Every round (GET / p99 ms)</summary>');
  md.push('');
  for (const c of o.cells) {
    md.push(
      `- ${c.label}: ${c.runs.map((r) => `${ms(r.small.p99)} (p50 ${ms(r.small.p50)}, max ${ms(r.small.max)}${r.small.maxBacklog > 0 ? `, up to ${r.small.maxBacklog} waiting for a connection` : ''}; server GC ${pct(r.loop.gcMs / r.loop.ms)}, CPU ${pct(r.serverCpuSeconds / r.seconds)})`).join(', ')}`,
    );
  }
  md.push('');
  md.push('</details>');
  md.push('');
  return md;
}

// ---- observation overhead ---------------------------------------------------------------------------------

const GOAL_OBSERVATION = 0.03;

/** (max − min) / median of a set of runs' figures: the spread between identical runs. */
function spread(values: number[]): number {
  return (max(values) - min(values)) / median(values);
}

function observationSection(o: ObservationOutcome, loadgen: string): string[] {
  const md: string[] = [];
  md.push(`## ${o.title}`);
  md.push('');
  md.push('Issue: *"With no hook, no subscriber, no timings asked for, throughput stays within 3% of the same build with the observation code removed (measure it)."*');
  md.push('');
  const removedTotal = Object.values(o.removed).reduce((a, b) => a + b, 0);
  const badChecks = o.checks.filter((c) => c.differences.length > 0);
  md.push(
    `At bench time, dist/lib and dist/native-free are copied twice into a temporary directory; in one copy ${removedTotal} statements and declarations are removed (${Object.entries(o.removed).map(([f, n]) => `${f}: ${n}`).join(', ')}): every \`if (obs.wants(CHANNELS.…)) obs.emit(…)\`, the timing branches (\`if (obs.timings())\`, \`if (ex.tStart !== 0)\`, the Server-Timing line, the per-request timings), the timestamp fields and the \`obs\` locals — each an exact, counted match (the list is in latest.json), nothing else touched. Each copy runs the demo (bench/load/obs-server.ts does what \`h1wire demo\` does) in its own process. ${badChecks.length === 0 ? `Before measuring, all four processes answered ${new Set(o.checks.map((c) => c.path)).size} requests (whole and streamed bodies, every serializer, errors, 204) with **the same bytes** (Date aside).` : `**⚠ The copies do not serve the same bytes:** ${badChecks.map((c) => `${c.build} ${c.differences.join('; ')}`).join('; ')} — the comparison below is not valid.`} Rounds alternate the processes and reverse their order every other round; ${o.variants[0]?.runs['as-built']?.length ?? 0} rounds.`,
  );
  md.push('');
  const rows: string[][] = [];
  const verdicts: string[] = [];
  const notes: string[] = [];
  for (const v of o.variants) {
    const a = v.runs['as-built'] ?? [];
    const b = v.runs.stripped ?? [];
    const rpsRatios = a.map((r, i) => r.rps / ((b[i] as RunResult | undefined)?.rps ?? Number.NaN));
    const cpu = (r: RunResult): number => (r.serverCpuSeconds / r.requests) * 1e6;
    const cpuRatios = a.map((r, i) => cpu(r) / (b[i] === undefined ? Number.NaN : cpu(b[i] as RunResult)));
    const rr = median(rpsRatios);
    const cr = median(cpuRatios);
    const spreadA = spread(a.map((r) => r.rps));
    const spreadB = spread(b.map((r) => r.rps));
    const cpuSpreadA = spread(a.map(cpu));
    const cpuSpreadB = spread(b.map(cpu));
    const saturated = [...a, ...b].filter((r) => r.clientBusy >= SATURATED).length;
    if (saturated > 0) notes.push(`${v.label}: ${loadgen} saturated its core in ${saturated} of ${a.length + b.length} runs (req/s then measures the client; CPU/request still measures the server)`);
    rows.push([
      v.label,
      num(median(a.map((r) => r.rps))),
      num(median(b.map((r) => r.rps))),
      `**${ratio(rr)}** (${min(rpsRatios).toFixed(2)}–${max(rpsRatios).toFixed(2)})`,
      `${pct(spreadA)} · ${pct(spreadB)}`,
      median(a.map(cpu)).toFixed(2),
      median(b.map(cpu)).toFixed(2),
      `**${ratio(cr)}** (${min(cpuRatios).toFixed(2)}–${max(cpuRatios).toFixed(2)})`,
      `${pct(cpuSpreadA)} · ${pct(cpuSpreadB)}`,
    ]);
    const rpsResolves = Math.max(spreadA, spreadB) <= GOAL_OBSERVATION;
    const cpuResolves = Math.max(cpuSpreadA, cpuSpreadB) <= GOAL_OBSERVATION;
    const rpsWithin = rr >= 1 - GOAL_OBSERVATION;
    const cpuWithin = cr <= 1 + GOAL_OBSERVATION;
    const say = (within: boolean): string => (within ? '**within 3%**' : '**not within 3%**');
    let line = `- ${v.label}: as built / stripped = ${ratio(rr)} in req/s (rounds ${min(rpsRatios).toFixed(2)}–${max(rpsRatios).toFixed(2)}) and ${ratio(cr)} in CPU per request (rounds ${min(cpuRatios).toFixed(2)}–${max(cpuRatios).toFixed(2)}). `;
    if (rpsResolves && cpuResolves) {
      line += `Identical runs stayed within 3% of each other (req/s ${pct(spreadA)} · ${pct(spreadB)}, CPU/request ${pct(cpuSpreadA)} · ${pct(cpuSpreadB)}); goal (within 3%): **${rpsWithin && cpuWithin ? 'met' : 'not met'}**${rpsWithin !== cpuWithin ? ` (req/s says ${say(rpsWithin)}, CPU per request ${say(cpuWithin)})` : ''}.`;
    } else if (cpuResolves) {
      line += `**req/s is noisier than 3% here** (identical runs spread ${pct(spreadA)} · ${pct(spreadB)}), so it cannot confirm or refute a 3% difference; CPU per request, whose identical runs stayed within 3% (${pct(cpuSpreadA)} · ${pct(cpuSpreadB)}), says ${say(cpuWithin)}.`;
    } else if (rpsResolves) {
      line += `req/s (identical runs within 3%: ${pct(spreadA)} · ${pct(spreadB)}) says ${say(rpsWithin)}; CPU per request is noisier than 3% here (${pct(cpuSpreadA)} · ${pct(cpuSpreadB)}).`;
    } else {
      line += `**The noise floor is above 3% for both figures:** identical runs of one build spread by ${pct(spreadA)} · ${pct(spreadB)} in req/s and ${pct(cpuSpreadA)} · ${pct(cpuSpreadB)} in CPU per request (as built · stripped), so this run cannot confirm or refute a 3% difference. The medians point to ${rpsWithin ? 'within' : 'more than'} 3% in req/s and ${cpuWithin ? 'within' : 'more than'} 3% in CPU per request; a quieter machine or more rounds would settle it.`;
    }
    verdicts.push(line);
  }
  md.push(
    table(
      ['Scenario', 'as built req/s', 'stripped req/s', 'as built / stripped (req/s)', 'round-to-round spread, req/s (as built · stripped)', 'as built µs CPU/req', 'stripped µs CPU/req', 'as built / stripped (CPU/req)', 'spread, CPU/req'],
      rows,
      [':--', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:'],
    ),
  );
  md.push('');
  md.push('Ratios are medians of per-round ratios (lowest–highest round in brackets); the spread is (highest − lowest) / median over the rounds of one build, i.e. how far identical runs differ on this machine.');
  md.push('');
  md.push(...verdicts);
  md.push('');
  md.push('### Context: the cost with observation on');
  md.push('');
  const ctx: string[][] = [];
  for (const v of o.variants) {
    const base = v.runs['as-built'] ?? [];
    const cpu = (r: RunResult): number => (r.serverCpuSeconds / r.requests) * 1e6;
    const cell = (id: 'as-built' | 'hook' | 'trace'): string => {
      const runs = v.runs[id] ?? [];
      const rps = median(runs.map((r) => r.rps));
      const us = median(runs.map(cpu));
      if (id === 'as-built') return `${num(rps)} req/s · ${us.toFixed(2)} µs`;
      const rr = median(runs.map((r, i) => r.rps / ((base[i] as RunResult | undefined)?.rps ?? Number.NaN)));
      const cr = median(runs.map((r, i) => cpu(r) / (base[i] === undefined ? Number.NaN : cpu(base[i] as RunResult))));
      return `${num(rps)} req/s (${ratio(rr)}) · ${us.toFixed(2)} µs (${ratio(cr)})`;
    };
    ctx.push([v.label, cell('as-built'), cell('hook'), cell('trace')]);
  }
  md.push(table(['Scenario', 'as built, nothing watching', '+ one hook (onFinish)', '+ trace → /dev/null'], ctx, [':--', '--:', '--:', '--:']));
  md.push('');
  md.push(
    `One onFinish hook switches on the finish stage's event and the per-request timings it reports; the trace formats and writes a line per stage to a stream on /dev/null. Figures: req/s and server CPU per request, each with its ratio to the as-built copy in the same rounds.${o.hookCalls >= 0 ? ` The hook was called ${num(o.hookCalls)} times for ${num(o.hookResponses)} responses counted by ${loadgen}${o.hookCalls >= o.hookResponses ? '' : ' ⚠ fewer calls than responses'}.` : ''}`,
  );
  if (notes.length > 0) {
    md.push('');
    md.push('**Read with care:**');
    md.push('');
    for (const n of notes) md.push(`- ${n}`);
  }
  md.push('');
  md.push('<details><summary>Every round (req/s · µs CPU per request)</summary>');
  md.push('');
  for (const v of o.variants) {
    for (const id of o.builds) {
      md.push(`- ${v.label} — ${BUILD_LABELS[id]}: ${(v.runs[id] ?? []).map((r) => `${num(r.rps)} · ${((r.serverCpuSeconds / r.requests) * 1e6).toFixed(2)}`).join(', ')}`);
    }
  }
  md.push('');
  md.push('</details>');
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
  md.push(...pluginSection(m));
  return md;
}

/** jsonArray and a MessagePack plug-in beside JSON.stringify and schemaJson, with the longest event-loop block. */
function pluginSection(m: MicroResult): string[] {
  const md: string[] = [];
  md.push('### Serializers at 50 and 5,000 orders: + jsonArray() and a MessagePack plug-in');
  md.push('');
  md.push(
    "jsonArray() is consumed whole, as the write queue pulls it: every slice (about 16 KiB each), its UTF-8 length, and the `setImmediate` turn between slices (an async tinybench task, so those turns are in its time). The MessagePack plug-in is what a user would register: `{ name: 'msgpack', contentType: 'application/msgpack', serialize: (v) => pack(v) }` with msgpackr's default `pack` (no record extension; its output unpacks to the same orders — checked). *Longest block* is the longest the event loop is held by one serialization: the whole call for a whole-body serializer, the longest slice for jsonArray (each slice timed from `next()` to its UTF-8 length, which includes the `setImmediate` turn before it — microseconds on an idle loop — so it is an upper bound); median over runs of each run's longest block, largest seen in brackets.",
  );
  md.push('');
  const rows: string[][] = [];
  const verdicts: string[] = [];
  const noiseOf = (a: MicroRow, b: MicroRow): number => Math.max(0.05, a.rme / 100, b.rme / 100);
  const word = (name: string, speed: number, noise: number): string =>
    Math.abs(speed - 1) <= noise
      ? `no clear difference from JSON.stringify (${speed.toFixed(2)}×, within the ±${(noise * 100).toFixed(0)}% noise): **${name} does not beat JSON.stringify**`
      : speed > 1
        ? `${name} beats JSON.stringify, ${speed.toFixed(2)}× as fast`
        : `**${name} does not beat JSON.stringify: it is ${(1 / speed).toFixed(2)}× slower**`;
  for (const n of PLUGIN_SIZES) {
    const g = m.rows.filter((r) => r.group === `serialize ${n}`);
    const find = (prefix: string): MicroRow | undefined => g.find((r) => r.name.startsWith(prefix));
    const block = (name: string): BlockRow | undefined => (m.blocks ?? []).find((b) => b.orders === n && b.serializer === name);
    const generic = find('JSON.stringify');
    if (generic === undefined) continue;
    const entries: [string, MicroRow | undefined, string][] = [
      ['JSON.stringify', generic, 'JSON.stringify'],
      ['schemaJson(ORDERS_SCHEMA)', find('schemaJson'), 'schemaJson'],
      ['jsonArray(), all slices', find('jsonArray'), 'jsonArray'],
      ['msgpack plug-in (msgpackr pack)', find('msgpack'), 'msgpack'],
    ];
    for (const [label, row, blockName] of entries) {
      if (row === undefined) continue;
      const b = block(blockName);
      rows.push([
        `${num(n)} orders`,
        label,
        bytes(row.bytes ?? Number.NaN),
        `${num(row.rate)} (±${row.rme.toFixed(1)}%)`,
        row === generic ? '1.00×' : `**${ratio(row.rate / generic.rate)}**`,
        b === undefined ? 'n/a' : `${ms(b.longestMs)} ms (${ms(b.longestMaxMs)})`,
        b === undefined ? '' : `${b.slices}`,
      ]);
    }
    const schema = find('schemaJson');
    const pack = find('msgpack');
    const array = find('jsonArray');
    if (schema !== undefined) verdicts.push(`- ${num(n)} orders, schemaJson: ${word('schemaJson', schema.rate / generic.rate, noiseOf(schema, generic))}.`);
    if (pack !== undefined) {
      verdicts.push(
        `- ${num(n)} orders, msgpack: ${word('msgpack', pack.rate / generic.rate, noiseOf(pack, generic))}; ${bytes(pack.bytes ?? Number.NaN)} vs ${bytes(generic.bytes ?? Number.NaN)} of JSON (${pct((pack.bytes ?? Number.NaN) / (generic.bytes ?? Number.NaN))}).`,
      );
    }
    const ab = block('jsonArray');
    const gb = block('JSON.stringify');
    if (array !== undefined && ab !== undefined && gb !== undefined) {
      verdicts.push(
        `- ${num(n)} orders, jsonArray: ${ab.slices} slice${ab.slices === 1 ? '' : 's'}; in all ${ratio(array.rate / generic.rate)} the rate of JSON.stringify, and its longest block is ${ms(ab.longestMs)} ms against JSON.stringify's ${ms(gb.longestMs)} ms (${ab.slices === 1 ? 'one slice: nothing to gain at this size' : `${(gb.longestMs / ab.longestMs).toFixed(0)}× shorter`}).`,
      );
    }
  }
  md.push(table(['Payload', 'Serializer', 'Bytes', 'ops/s', 'vs JSON.stringify', 'Longest block, ms (max)', 'Pieces'], rows, [':--', ':--', '--:', '--:', '--:', '--:', '--:']));
  md.push('');
  md.push(...verdicts);
  md.push(
    '- A JSON string still has to become bytes when it is written (latin1 for ASCII: a copy); msgpack hands over bytes. That copy is not in the JSON rows; at these sizes it is small next to the serialization.',
  );
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
function barChart(rows: RatioRow[], subtitle: string): SvgPart {
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
  return { width, height, body: out };
}


/** A piece of the SVG: drawn from (0, 0), stacked by composeSvg. */
interface SvgPart {
  width: number;
  height: number;
  body: string[];
}

function composeSvg(parts: SvgPart[]): string {
  const width = Math.max(...parts.map((p) => p.width));
  const height = parts.reduce((h, p) => h + p.height, 0);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="13">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  let y = 0;
  for (const p of parts) {
    out.push(`<g transform="translate(0 ${y})">`, ...p.body, '</g>');
    y += p.height;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The bar chart of throughput ratios, alone. */
export function chartSvg(rows: RatioRow[], subtitle: string): string {
  return composeSvg([barChart(rows, subtitle)]);
}

const RSS_COLOURS: Record<string, string> = {
  h1wire: '#2563eb',
  'node-http': '#16a34a',
  'node-http-ignore': '#9ca3af',
  'node-http-ignore-fresh': '#dc2626',
};

/** RSS over time in the slow-reader scenario (first round of each server), one line per server. */
function rssChart(o: SlowReaderOutcome, subtitle: string): SvgPart {
  const left = 80;
  const chartW = 500;
  const top = 84;
  const chartH = 260;
  const width = 930;
  const runs = o.servers.map((s) => o.runs.find((r) => r.server === s.id)).filter((r): r is SlowReaderRun => r !== undefined && r.samples.length > 0);
  const height = top + chartH + 56;
  const out: string[] = [];
  const mib = 1024 * 1024;
  const tMax = Math.max(1, ...runs.flatMap((r) => r.samples.map(([t]) => t))) / 1000;
  const yMaxRaw = Math.max(1, ...runs.map((r) => r.rssPeak)) / mib;
  const step = yMaxRaw > 400 ? 100 : yMaxRaw > 200 ? 50 : yMaxRaw > 80 ? 20 : 10;
  const yMax = Math.ceil(yMaxRaw / step) * step;
  const tStep = tMax > 20 ? 5 : tMax > 8 ? 2 : tMax > 3 ? 1 : 0.5;
  const x = (t: number): number => left + (t / 1000 / tMax) * chartW;
  const y = (b: number): number => top + chartH - (b / mib / yMax) * chartH;
  out.push(`<text x="20" y="26" font-size="17" font-weight="600" fill="#111">Slow reader: server RSS while one client reads ${escapeXml(bytes(o.bodyBytes))} at ${escapeXml(bytes(o.rateBytes))}/s</text>`);
  out.push(`<text x="20" y="46" fill="#555">${escapeXml(subtitle)}</text>`);
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    out.push(`<line x1="${left}" y1="${y(v * mib).toFixed(1)}" x2="${left + chartW}" y2="${y(v * mib).toFixed(1)}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${left - 8}" y="${(y(v * mib) + 4).toFixed(1)}" text-anchor="end" fill="#555">${v} MiB</text>`);
  }
  for (let t = 0; t <= tMax + 1e-9; t += tStep) {
    out.push(`<text x="${x(t * 1000).toFixed(1)}" y="${top + chartH + 18}" text-anchor="middle" fill="#555">${t} s</text>`);
  }
  out.push(`<line x1="${left}" y1="${top + chartH}" x2="${left + chartW}" y2="${top + chartH}" stroke="#111"/>`);
  runs.forEach((r, i) => {
    const colour = RSS_COLOURS[r.server] ?? '#111';
    const points = r.samples.map(([t, b]) => `${x(t).toFixed(1)},${y(b).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const label = o.servers.find((s) => s.id === r.server)?.label ?? r.server;
    const ly = top + 8 + i * 22;
    out.push(`<rect x="${left + chartW + 12}" y="${ly}" width="12" height="12" fill="${colour}"/>`);
    out.push(`<text x="${left + chartW + 30}" y="${ly + 10}" fill="#111" font-size="11">${escapeXml(label.replace('node:http, ', 'node:http: '))}</text>`);
  });
  out.push(`<text x="20" y="${height - 12}" fill="#777" font-size="11">RSS from /proc/&lt;pid&gt;/status every ${o.sampleMs} ms, from the request (0 s) to ${o.settleMs} ms after the last byte. Series in latest.json.</text>`);
  return { width, height, body: out };
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
      `- **Load generator:** ${report.loadgen.name} ${report.loadgen.version}, ${report.loadgen.threads} thread(s), on the same machine${report.loadgen.pinned ? ' (servers pinned to CPU 0, load generator to CPU 1)' : ' (no CPU pinning)'}; throughput scenarios: ${report.mode.rounds} rounds × ${report.mode.seconds} s per server and scenario after a ${report.mode.warmupSeconds} s warm-up (the other scenarios state their own); open-file limit ${report.fdLimit}`,
    );
  }
  md.push(`- **Load average** (1/5/15 min) at start: ${report.loadAverage.start}; at end: ${report.loadAverage.end}. On a shared machine, other work competes with both the servers and the load generator.`);
  if (report.mode.name === 'quick') md.push('- **Quick run:** short rounds; the numbers are indicative only. Use `npm run bench` for figures to quote.');
  md.push('');
  md.push('Servers, each in its own process: **h1wire** (`node dist/lib/cli.js demo`), **node:http** (bench/load/node-http-server.ts: the same routes, JSON.stringify, the same response bytes, keep-alive on) and a **raw-socket ceiling** (bench/load/raw-server.ts: counts `\\r\\n\\r\\n` and writes one precomputed response per request, no parsing, no routing, no serializing — what node:net and the kernel allow here). Before measuring, one response from each is compared with h1wire\'s (status, headers, body; Date aside).');
  md.push('');
  const parts: SvgPart[] = [];
  const loadgen = report.loadgen?.name ?? 'load generator';
  const subtitle = `${m.cpu}, ${m.cores} cores · Node ${m.node} · ${report.loadgen?.name ?? ''} ${report.loadgen?.version ?? ''} · ${when} · ${report.mode.name} run`;
  const throughput = report.load.filter((o): o is ThroughputOutcome => o.kind === 'throughput');
  if (throughput.length > 0) {
    const section = throughputSection(throughput, loadgen);
    md.push(...section.md);
    parts.push(barChart(section.chart, subtitle));
  }
  for (const o of report.load) if (o.kind === 'idle-memory') md.push(...memorySection(o));
  for (const o of report.load) {
    if (o.kind !== 'slow-reader') continue;
    md.push(...slowReaderSection(o));
    parts.push(rssChart(o, `${m.cpu}, ${m.cores} cores · Node ${m.node} · ${when} · ${report.mode.name} run`));
  }
  for (const o of report.load) if (o.kind === 'big-payload-latency') md.push(...latencySection(o, loadgen));
  for (const o of report.load) if (o.kind === 'observation') md.push(...observationSection(o, loadgen));
  if (report.micro !== null) md.push(...microSection(report.micro));
  const svg = parts.length === 0 ? null : composeSvg(parts);
  md.push('## How to read this');
  md.push('');
  md.push('- The load generator runs on the same 2-core machine as the server: the server has one core to itself at best. When the generator kept its own core busy (≥ 90% of its thread\'s time), the figure measures the client and is flagged.');
  md.push('- The ceiling answers without parsing; the gap between it and a real server is the cost of being an HTTP server in JavaScript. The ceiling is often client-bound itself, so its figure is a lower bound of what the socket path allows.');
  md.push('- The slow-reader, latency-under-big-payloads and observation sections describe their own servers and clients; each compares responses before it measures.');
  md.push('- Raw figures for every round are in latest.json next to this file.');
  md.push('');
  return { md: `${md.join('\n')}\n`, svg };
}
