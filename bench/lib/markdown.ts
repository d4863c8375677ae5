// latest.md, part 1: the helpers, the header, throughput and idle memory. Everything here formats figures
// computed in figures.ts; no verdict is made while writing.
import type { MemoryOutcome } from '../load/memory.js';
import { SERVERS, type ServerId } from '../load/servers.js';
import type { MemoryRow, ServerSummary, ThroughputFigures } from './figures.js';
import type { Report } from './report.js';
import { bytes, ms, num, pct, ratio, type Range } from './stats.js';

/** A paragraph written as several source lines: one line of Markdown. */
export const para = (...parts: string[]): string => parts.join(' ');

export function table(head: string[], rows: string[][], align?: string[]): string {
  const sep = align ?? head.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [`| ${head.join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** `**1.23×** (1.10–1.30)`: the median ratio and the lowest and highest round. */
export function ratioCell(r: Range, bold = true): string {
  if (!Number.isFinite(r.median)) return 'n/a';
  const m = bold ? `**${ratio(r.median)}**` : ratio(r.median);
  return `${m} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
}

export function readWithCare(warnings: string[]): string[] {
  return warnings.length === 0 ? [] : ['**Read with care:**', '', ...warnings.map((w) => `- ${w}`), ''];
}

export function details(summary: string, lines: string[]): string[] {
  return [`<details><summary>${summary}</summary>`, '', ...lines, '', '</details>', ''];
}

export function header(report: Report): string[] {
  const m = report.machine;
  const minutes = ((report.finished.getTime() - report.started.getTime()) / 60000).toFixed(1);
  const g = report.loadgen;
  const mode = report.mode;
  const md = [
    `# h1wire benchmarks (${mode.name}${report.parts.length < 2 ? `, ${report.parts.join(', ')} only` : ''})`,
    '',
    `- **Date:** ${when(report)} (took ${minutes} min)`,
    `- **Machine:** ${m.cpu}, ${m.cores} cores, ${m.memory}; ${m.os}`,
    `- **Node:** ${m.node}${report.simd === null ? '' : `; llhttp ${report.simd ? 'SIMD' : 'plain'} WebAssembly`}`,
    `- **Commit:** ${m.commit}`,
  ];
  if (g !== null) {
    md.push(para(
      `- **Load generator:** ${g.name} ${g.version}, ${g.threads} thread(s), on the same machine`,
      `${g.pinned ? '(servers pinned to CPU 0, load generator to CPU 1)' : '(no CPU pinning)'}; throughput scenarios:`,
      `${mode.rounds} rounds × ${mode.seconds} s per server and scenario after a ${mode.warmupSeconds} s warm-up`,
      `(the other scenarios state their own); open-file limit ${report.fdLimit}`,
    ));
  }
  md.push(para(
    `- **Load average** (1/5/15 min) at start: ${report.loadAverage.start}; at end: ${report.loadAverage.end}.`,
    'On a shared machine, other work competes with both the servers and the load generator.',
  ));
  if (mode.name === 'quick') {
    md.push('- **Quick run:** short rounds; the numbers are indicative only. Use `npm run bench` for figures to ' +
      'quote.');
  }
  md.push('', para(
    'Servers, each in its own process: **h1wire** (`node dist/lib/cli.js demo`), **node:http**',
    '(bench/load/node-http-server.ts: the same routes, JSON.stringify, the same response bytes, keep-alive on) and a',
    '**raw-socket ceiling** (bench/load/raw-server.ts: counts `\\r\\n\\r\\n` and writes one precomputed response per',
    'request, no parsing, no routing, no serializing — what node:net and the kernel allow here). Before measuring,',
    "one response from each is compared with h1wire's (status, headers, body; Date aside).",
  ), '');
  return md;
}

export function when(report: Report): string {
  return report.started.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function footer(): string[] {
  return [
    '## How to read this',
    '',
    para(
      '- The load generator runs on the same 2-core machine as the server: the server has one core to itself at',
      "best. When the generator kept its own core busy (≥ 90% of its thread's time), the figure measures the client",
      'and is flagged.',
    ),
    para(
      '- The ceiling answers without parsing; the gap between it and a real server is the cost of being an HTTP',
      'server in JavaScript. The ceiling is often client-bound itself, so its figure is a lower bound of what the',
      'socket path allows.',
    ),
    para(
      '- The slow-reader, latency-under-big-payloads and observation sections describe their own servers and',
      'clients; each compares responses before it measures.',
    ),
    '- Raw figures for every round are in latest.json next to this file.',
    '',
  ];
}

const SERVER_COLUMNS = '(h1wire · node · ceiling)';
const COLUMNS: ServerId[] = ['h1wire', 'node-http', 'ceiling'];

export function throughputSection(t: ThroughputFigures, loadgen: string): string[] {
  const main: string[][] = [];
  const cpu: string[][] = [];
  const rounds: string[] = [];
  const warnings: string[] = [];
  for (const v of t.variants) {
    const notes: string[] = [];
    for (const id of v.servers) {
      const x = v.summary[id] as ServerSummary;
      if (x.saturatedRounds > 0) {
        const rounds = `${x.saturatedRounds}/${x.rounds} rounds`;
        notes.push(`${SERVERS[id].label}: ${loadgen} saturated its core in ${rounds} (client-bound)`);
      }
      if (x.errors > 0) notes.push(`${SERVERS[id].label}: ${x.errors} errors (${x.errorDetail})`);
    }
    for (const k of v.differences) {
      notes.push(`${SERVERS[k.server].label} response differs: ${k.differences.join('; ')}`);
    }
    warnings.push(...notes.map((n) => `${v.label}: ${n}`));
    const each = (f: (x: ServerSummary) => string): string[] =>
      COLUMNS.map((id) => (v.summary[id] === undefined ? '–' : f(v.summary[id])));
    main.push([
      v.label,
      ...each((x) => num(x.rps)),
      ratioCell(v.h1wireVsNode),
      ratioCell(v.ceilingVsNode),
      v.pipelined ? 'n/a ¹' : each((x) => ms(x.p50)).join(' · '),
      v.pipelined ? 'n/a ¹' : each((x) => ms(x.p99)).join(' · '),
      notes.length === 0 ? '' : '⚠ see below',
    ]);
    cpu.push([
      v.label,
      ...each((x) => `${x.cpuPerRequestUs.toFixed(1)} (${pct(x.serverBusy)})`),
      ratioCell(v.cpuPerRequestVsNode, false),
      v.servers.map((id) => pct((v.summary[id] as ServerSummary).clientBusy)).join(' · '),
    ]);
    const perRound = v.servers.map((id) => {
      return `${SERVERS[id].label}: ${(v.perRound[id] ?? []).map((x) => num(x)).join(', ')}`;
    });
    rounds.push(`- ${v.label} — ${perRound.join(' — ')}`);
  }
  const wrk = loadgen === 'wrk';
  const md = [
    '## Throughput and latency',
    '',
    para(
      'Medians across rounds. Ratios are the median of per-round ratios (each round runs the servers back to back),',
      'with the lowest and highest round in brackets: a wide bracket means a noisy machine. p50/p99 are the load',
      "generator's latencies, medians across rounds (closed loop: each connection waits for its answer before the",
      'next request, so under saturation they mostly measure queueing).',
    ),
    '',
    table(
      ['Scenario', 'h1wire req/s', 'node:http req/s', 'ceiling req/s', 'h1wire / node:http', 'ceiling / node:http',
        `p50 ms ${SERVER_COLUMNS}`, `p99 ms ${SERVER_COLUMNS}`, 'Notes'],
      main,
      [':--', '--:', '--:', '--:', '--:', '--:', '--:', '--:', ':--'],
    ),
    '',
    para(
      '¹ No latency for pipelined runs:',
      wrk
        ? para('wrk records one latency per pipelined batch, and its coordinated-omission correction then assumes one',
          'request per interval, which makes its percentiles meaningless (it can even report a p99 of 0).')
        : 'per-request latency is not comparable across pipelining depths.',
      'Latencies without pipelining are',
      wrk ? "wrk's, with its coordinated-omission correction."
        : "autocannon's, in whole milliseconds (0 means under 1 ms).",
    ),
    '',
    ...readWithCare(warnings),
    '### Server CPU per request',
    '',
    para(
      'Server CPU time (user + system, all threads, from /proc) divided by the requests served, median across rounds,',
      "in µs; the server's CPU use in brackets (100% = one core). Less sensitive to a noisy neighbour than",
      'requests/s. Lower is better.',
    ),
    '',
    table(['Scenario', 'h1wire µs/req', 'node:http µs/req', 'ceiling µs/req', 'h1wire / node:http',
      `${loadgen} CPU ${SERVER_COLUMNS}`], cpu, [':--', '--:', '--:', '--:', '--:', '--:']),
    '',
  ];
  for (const c of t.comparisons) {
    const rows = c.rows.map((r) => [SERVERS[r.server].label,
      ...r.rps.map((rps, i) => (i === 0 ? num(rps) : `${num(rps)} (${ratio(r.vsFirst[i] as number)})`))]);
    md.push(`### ${c.title}`, '', table(['Server', ...c.variants.map((v) => `${v} req/s`)], rows), '');
  }
  md.push(...details('Every round (req/s)', rounds));
  return md;
}

export function memorySection(o: MemoryOutcome, rows: MemoryRow[]): string[] {
  const md = [`## ${o.title}`, '', para(
    `${num(o.connections)} keep-alive connections, each after one \`GET /\`, held idle by a separate client process;`,
    'each server in a fresh process per round (medians across rounds). Memory is read inside each server process',
    'after a full GC (a preloaded hook, bench/load/gc-hook.ts, answers SIGUSR2 with `gc()` and',
    '`process.memoryUsage()`), before (after a warm-up) and after the connections are opened. *Live JS* is V8 heap',
    "used + external memory (Buffers, ArrayBuffers, WebAssembly memory); *RSS* is what the OS charges the process.",
    "Kernel socket buffers are in neither. **RSS is the figure to compare across servers:** node:http's parser state",
    "is native (C++, malloc) and shows in RSS only, while h1wire's parser (WebAssembly memory and typed arrays) shows",
    "in both; live JS says where a server's own JavaScript memory goes.",
  )];
  if (o.note !== '') md.push('', `**Note:** ${o.note}`);
  const cells = rows.map((r) => {
    const trouble: string[] = [];
    if (r.shortfall !== null) {
      trouble.push(`⚠ held ${r.shortfall.map((x) => num(x)).join('/')} of ${num(o.connections)}`);
    }
    if (r.noGc) trouble.push('⚠ no forced GC (figures include garbage)');
    return [
      SERVERS[r.server].label,
      num(r.held),
      `${bytes(r.rssBefore)} → ${bytes(r.rssAfter)}`,
      `**${num(r.rssPerConnection)} B** (${ratio(r.rssVsNode)})`,
      `${bytes(r.liveBefore)} → ${bytes(r.liveAfter)}`,
      `${num(r.livePerConnection)} B (${ratio(r.liveVsNode)})`,
      trouble.join('; '),
    ];
  });
  md.push('', table(['Server', 'Connections held', 'RSS before → after', 'RSS per connection (vs node:http)',
    'Live JS before → after', 'Live JS per connection (vs node:http)', 'Notes'], cells,
  [':--', '--:', '--:', '--:', '--:', '--:', ':--']), '');
  return md;
}
