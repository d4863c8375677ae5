// latest.md, part 2: the slow reader, small-request latency under big payloads, and observation overhead.
// Figures and verdicts come from figures.ts and verdicts.ts.
import type { LatencyOutcome } from '../load/latency.js';
import { BUILD_LABELS, type ObservationOutcome } from '../load/observation.js';
import type { SlowReaderOutcome } from '../load/slow-reader.js';
import type { SlowReaderFigures } from './figures.js';
import { details, para, ratioCell, readWithCare, table } from './markdown.js';
import { bytes, ms, num, pct, ratio } from './stats.js';
import type { LatencyFigures, ObservationFigures, ObservationVariantFigures } from './verdicts.js';

export function slowReaderSection(o: SlowReaderOutcome, f: SlowReaderFigures): string[] {
  const md = [`## ${o.title}`, '', para(
    `One client (bench/load/slow-client.ts, its own process) sends`,
    `\`GET /stream?chunks=${String(Math.round(o.bodyBytes / o.chunkBytes))}&size=${o.chunkBytes}\` —`,
    `${bytes(o.bodyBytes)} in chunks of ${bytes(o.chunkBytes)}, chunked — and reads it at a fixed`,
    `${bytes(o.rateBytes)}/s (it pauses its socket whenever it is ahead of that rate; the kernel buffers fill and the`,
    "server's writes report backpressure). Each server runs in a fresh process, is warmed up (10 × `GET /`, 3 short",
    `streams), and its RSS is read from /proc/<pid>/status every ${o.sampleMs} ms by the runner. *Start* is the median`,
    'of 5 readings just before the request, *peak* the largest reading while the body was read, *end* the reading',
    `${o.settleMs} ms after the last byte (no forced GC: RSS is what the OS charges, garbage included).`,
  ), '', [
    para("- **h1wire**: the demo's `/stream` (an async generator yielding one shared Buffer); the write queue pulls",
      'the next chunk only while the socket takes more.'),
    para('- **node:http, honours write()**: the same generator in bench/load/node-http-server.ts,',
      '`if (!res.write(chunk)) await drain` — what a careful node:http user writes.'),
    para('- **node:http, ignores write() (one shared Buffer)**: the same generator, `res.write(chunk)` whatever it',
      "returns — the common mistake — with the demo's shared Buffer: the queue only holds references to it, so the",
      'mistake costs little memory *here*.'),
    para('- **node:http, ignores write() (new Buffer per chunk)**: the same mistake with chunks that are new memory',
      'each time (as data read from a file or a database is): the whole body ends up queued in the process.'),
  ].join('\n'), ''];
  const rows = f.rows.map((r) => {
    const notes: string[] = [];
    if (r.failures.length > 0) notes.push(`⚠ ${r.failures.join('; ')}`);
    if (r.differences.length > 0) notes.push(`⚠ response differs: ${r.differences.join('; ')}`);
    return [
      r.label,
      `${bytes(r.bodyBytes)} in ${r.readSeconds.toFixed(1)} s (${bytes(r.rate)}/s)`,
      bytes(r.rssStart),
      `${bytes(r.rssPeak)} (at ${r.peakAtSeconds.toFixed(1)} s)`,
      bytes(r.rssEnd),
      `**${bytes(r.peakOverStart)}** (${pct(r.peakOverStartShare)} of the body)`,
      `${r.serverCpuSeconds.toFixed(2)} s`,
      notes.join('; '),
    ];
  });
  const growth = (id: keyof SlowReaderFigures['growth']): string => bytes(f.growth[id] ?? Number.NaN);
  md.push(
    table(['Server', 'Body read (rate achieved)', 'RSS start', 'RSS peak', 'RSS end', 'Peak − start', 'Server CPU',
      'Notes'], rows, [':--', '--:', '--:', '--:', '--:', '--:', '--:', ':--']),
    '',
    para(
      `- h1wire's RSS rose by ${growth('h1wire')} at most while it sent ${bytes(o.bodyBytes)}; node:http honouring`,
      `write() rose by ${growth('node-http')}. Ignoring write() with new Buffers per chunk, node:http rose by`,
      `${growth('node-http-ignore-fresh')}: the body is queued in the process as fast as the generator makes it, and`,
      "the reader's pace no longer bounds the server's memory.",
    ),
    para(
      "- Part of the body is always in flight outside every process: the kernel's socket buffers (here tcp_wmem",
      `"${o.kernel.tcpWmem}", tcp_rmem "${o.kernel.tcpRmem}", min/default/max bytes; loopback autotuning grows them)`,
      'hold up to a few MiB that no RSS figure shows.',
    ),
    para(
      '- RSS over time for every run is in latest.json (`samples`: [ms since the request, bytes]; `progress`: [ms',
      'since the first byte, body bytes read]) and drawn in latest.svg.',
    ),
    '',
  );
  return md;
}

export function latencySection(o: LatencyOutcome, f: LatencyFigures, loadgen: string): string[] {
  const md = [`## ${o.title}`, '', para(
    `Issue: *"p99 latency of GET / while other connections pull /orders?rows=${num(o.rows)}, with json() and with`,
    "jsonArray(), beside node:http doing the same with JSON.stringify. Goal: h1wire's p99 for the small requests at",
    "most one fifth of node:http's.\"*",
  ), '', para(
    `Per run: ${loadgen} loops on the large response over ${o.bigConnections} connections (closed loop, so the server`,
    `is always busy building and serializing ${num(o.rows)} orders, 1.1 MB each), and 0.5 s later a separate client`,
    `(bench/load/latency-client.ts, its own process) sends \`GET ${o.smallPath}\` at a fixed ${num(o.rate)} req/s`,
    `over ${o.smallConnections} other keep-alive connections for ${o.seconds} s (open loop: each request is due at a`,
    'fixed time and its latency counts from then, so a stalled server is charged for every request it delayed — no',
    'coordinated omission; every latency is kept, percentiles are exact). The three cells alternate in every round;',
    `figures are medians across ${o.cells[0]?.runs.length ?? 0} rounds. **Where the client runs:** on the same 2`,
    `cores — the server has one at best; ${loadgen}, the latency client and anything else on the machine share the`,
    "other. The latency client's own event-loop delay (its timers firing late) adds to what it measures and is shown.",
  ), ''];
  const rows: string[][] = [];
  const verdicts: string[] = [];
  const warnings: string[] = [];
  for (const c of f.cells) {
    if (c.vsNode !== null) {
      const upTo = ` (but not in every round: up to ${c.vsNode.max.toFixed(2)}×)`;
      const notEvery = c.vsNode.max > f.goal && c.goalMet === true ? upTo : '';
      verdicts.push(para(`- ${c.label}: p99 ${ms(c.p99)} ms vs node:http's ${ms(f.nodeP99)} ms →`,
        `${ratio(c.vsNode.median)}: goal (≤ ${f.goal}×) **${c.goalMet === true ? 'met' : 'not met'}**${notEvery}.`));
    }
    if (c.unanswered > 0 || c.errors > 0) {
      warnings.push(`${c.label}: ${c.unanswered} small requests unanswered within 3 s of the end, ${c.errors} errors`);
    }
    if (c.flags.queued) {
      warnings.push(para(`${c.label}: up to ${c.maxBacklog} due requests waited for a free connection (the server`,
        `answered fewer than ${o.rate}/s between its blocks): latencies include that queueing`));
    }
    if (c.flags.clientLoopHigh) {
      warnings.push(para(`${c.label}: the latency client's own event-loop delay p99 was ${ms(c.clientLoopP99)} ms,`,
        'not small next to the latencies it measured (its timers fire late when the machine is busy)'));
    }
    if (c.flags.serverWaited) {
      warnings.push(para(`${c.label}: the server used ${pct(c.serverBusy)} of a core although ${o.bigConnections}`,
        'connections kept asking for large responses: it was waiting for a CPU (other work on the machine) part of',
        'the time, and the latencies include that wait'));
    }
    if (c.flags.bigSaturated) warnings.push(`${c.label}: ${loadgen} kept its core busy pulling the large responses`);
    rows.push([
      c.label, ms(c.p50), `**${ms(c.p99)}**`, ms(c.max), c.vsNode === null ? '–' : ratioCell(c.vsNode),
      `${num(c.answered)} / ${num(c.due)}`, num(c.bigRps, 1), pct(c.serverBusy),
      `${ms(c.serverLoopP99)} · ${ms(c.serverLoopMax)}`, `${pct(c.gcShare)} (${ms(c.gcMaxMs)} ms)`,
      `${ms(c.clientLoopP99)} ms · ${pct(c.clientCpu)}`, pct(c.bigClientBusy),
    ]);
  }
  md.push(table(['Server, serializer', 'GET / p50 ms', 'GET / p99 ms', 'GET / max ms', 'p99 / node:http p99',
    'Small answered / due', 'Large responses/s', 'Server CPU', 'Server loop delay p99 · max, ms',
    'Server GC time (longest pause)', 'Latency client: loop delay p99 · CPU', `${loadgen} CPU`], rows,
  [':--', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:']), '', ...verdicts);
  for (const k of f.differences) md.push(`- ⚠ ${k.cell}: response differs: ${k.differences.join('; ')}`);
  if (f.differences.length === 0) {
    md.push(para(`- All three send the same ${bytes(o.checks[0]?.bytes ?? Number.NaN)} body (jsonArray chunked, the`,
      'others with a length); checked before measuring.'));
  }
  if (f.gc !== null) {
    md.push(para(
      `- How the two h1wire cells differ: with json() the demo's handler builds all ${num(o.rows)} orders`,
      '(`orders(rows)`, lib/demo.ts) and JSON.stringify writes them, two synchronous blocks per large response; with',
      'jsonArray() it hands the serializer a generator (`orderRows(rows)`) so rows are made as slices ask for them:',
      'neither building nor serializing is one block, and rows die young. What still holds the loop is the garbage',
      `collector — with jsonArray() the server spent ${pct(f.gc.arrayShare)} of its time in GC`,
      `(${pct(f.gc.arrayMinorShare)} of it in scavenges; longest pause ${ms(f.gc.arrayMaxMs)} ms) against`,
      `${pct(f.gc.jsonShare)} with json() (longest ${ms(f.gc.jsonMaxMs)} ms). node:http builds the array and calls`,
      'JSON.stringify, as a node:http user would.',
    ));
  }
  md.push(
    para('- The large-response rate is context: slicing costs some throughput (more writes, chunked framing, a turn',
      'of the event loop per slice).'),
    para('- *Server loop delay* and *GC time* come from a hook preloaded into both servers for this scenario only',
      '(bench/load/loop-hook.ts: `monitorEventLoopDelay` and a `gc` PerformanceObserver, read while the small',
      "requests ran): they say what held the loop — the server's own work, or the collector. A longest GC pause",
      'close to a p99 means the collector, not the serializer, sets that p99.'),
  );
  if (warnings.length > 0) md.push('', ...readWithCare(warnings).slice(0, -1));
  md.push('', ...details('Every round (GET / p99 ms)', f.cells.map((c) => `- ${c.label}: ${c.perRound.map((r) => {
    const waited = r.backlog > 0 ? `, up to ${r.backlog} waiting for a connection` : '';
    const server = `server GC ${pct(r.gcShare)}, CPU ${pct(r.serverBusy)}`;
    return `${ms(r.p99)} (p50 ${ms(r.p50)}, max ${ms(r.max)}${waited}; ${server})`;
  }).join(', ')}`)));
  return md;
}

function observationVerdict(v: ObservationVariantFigures): string {
  const say = (within: boolean): string => (within ? '**within 3%**' : '**not within 3%**');
  const s = v.spread;
  const rpsSpread = `${pct(s.asBuilt.rps)} · ${pct(s.stripped.rps)}`;
  const cpuSpread = `${pct(s.asBuilt.cpu)} · ${pct(s.stripped.cpu)}`;
  const head = para(`- ${v.label}: as built / stripped = ${ratio(v.rpsRatio.median)} in req/s`,
    `(rounds ${v.rpsRatio.min.toFixed(2)}–${v.rpsRatio.max.toFixed(2)}) and ${ratio(v.cpuRatio.median)} in CPU per`,
    `request (rounds ${v.cpuRatio.min.toFixed(2)}–${v.cpuRatio.max.toFixed(2)}).`);
  switch (v.decidedBy) {
    case 'both': {
      const split = v.within.rps === v.within.cpu ? ''
        : ` (req/s says ${say(v.within.rps)}, CPU per request ${say(v.within.cpu)})`;
      return para(head, `Identical runs stayed within 3% of each other (req/s ${rpsSpread}, CPU/request ${cpuSpread});`,
        `goal (within 3%): **${v.verdict}**${split}.`);
    }
    case 'cpu':
      return para(head, `**req/s is noisier than 3% here** (identical runs spread ${rpsSpread}), so it cannot confirm`,
        'or refute a 3% difference; CPU per request, whose identical runs stayed within 3%',
        `(${cpuSpread}), says ${say(v.within.cpu)}.`);
    case 'rps':
      return para(head, `req/s (identical runs within 3%: ${rpsSpread}) says ${say(v.within.rps)}; CPU per request is`,
        `noisier than 3% here (${cpuSpread}).`);
    case 'none':
      return para(head, '**The noise floor is above 3% for both figures:** identical runs of one build spread by',
        `${rpsSpread} in req/s and ${cpuSpread} in CPU per request (as built · stripped), so this run cannot confirm`,
        `or refute a 3% difference. The medians point to ${v.within.rps ? 'within' : 'more than'} 3% in req/s and`,
        `${v.within.cpu ? 'within' : 'more than'} 3% in CPU per request; a quieter machine or more rounds would`,
        'settle it.');
  }
}

export function observationSection(o: ObservationOutcome, f: ObservationFigures, loadgen: string): string[] {
  const files = Object.entries(o.removed).map(([file, n]) => `${file}: ${n}`).join(', ');
  const bad = o.checks.filter((c) => c.differences.length > 0);
  const found = f.checksFound === null ? '' : `: ${f.checksFound} found`;
  const md = [`## ${o.title}`, '', para(
    'Issue: *"With no hook, no subscriber, no timings asked for, throughput stays within 3% of the same build with',
    'the observation code removed (measure it)."*',
  ), '', para(
    "At bench time the library's TypeScript sources are copied and the observation code compiled out of the copy",
    '(bench/load/strip-transform.ts, by syntax tree and symbol, never by text): each observation check',
    `(\`if (obs.<stage>.on) …\`, \`if (obs.timings()) …\`, wherever it stands${found})`,
    'is folded away as false, then what only it kept: the timing branches (`ex.tStart !== 0`, the Server-Timing',
    'line, the per-request timings), the timestamp fields and the `obs` locals —',
    `${f.removedTotal} edits (${files}; the list is in latest.json).`,
    "The copy is compiled by the repository's tsc with its options, and every file the transform did not touch",
    'must compile to the same bytes as dist/. Each build, as built and stripped, runs the demo',
    '(bench/load/obs-server.ts does what `h1wire demo` does) in its own process.',
    f.sameBytes
      ? para(`Before measuring, all four processes answered ${f.requestsChecked} requests (whole and streamed bodies,`,
        'every serializer, errors, 204) with **the same bytes** (Date aside).')
      : para('**⚠ The copies do not serve the same bytes:**',
        bad.map((c) => `${c.build} ${c.differences.join('; ')}`).join('; '),
        '— the comparison below is not valid.'),
    `Rounds alternate the processes and reverse their order every other round; ${f.rounds} rounds.`,
  ), ''];
  const rows = f.variants.map((v) => {
    const a = v.builds['as-built'];
    const b = v.builds.stripped;
    const s = v.spread;
    return [v.label, num(a?.rps ?? Number.NaN), num(b?.rps ?? Number.NaN), ratioCell(v.rpsRatio),
      `${pct(s.asBuilt.rps)} · ${pct(s.stripped.rps)}`, (a?.cpuUs ?? Number.NaN).toFixed(2),
      (b?.cpuUs ?? Number.NaN).toFixed(2), ratioCell(v.cpuRatio), `${pct(s.asBuilt.cpu)} · ${pct(s.stripped.cpu)}`];
  });
  md.push(table(['Scenario', 'as built req/s', 'stripped req/s', 'as built / stripped (req/s)',
    'round-to-round spread, req/s (as built · stripped)', 'as built µs CPU/req', 'stripped µs CPU/req',
    'as built / stripped (CPU/req)', 'spread, CPU/req'], rows, [':--', '--:', '--:', '--:', '--:', '--:', '--:', '--:',
    '--:']), '', para('Ratios are medians of per-round ratios (lowest–highest round in brackets); the spread is',
    '(highest − lowest) / median over the rounds of one build, i.e. how far identical runs differ on this machine.'),
  '', ...f.variants.map(observationVerdict), '', '### Context: the cost with observation on', '');
  const ctx = f.variants.map((v) => [v.label, ...(['as-built', 'hook', 'trace'] as const).map((id) => {
    const b = v.builds[id];
    if (b === undefined) return 'n/a';
    if (id === 'as-built') return `${num(b.rps)} req/s · ${b.cpuUs.toFixed(2)} µs`;
    return `${num(b.rps)} req/s (${ratio(b.rpsRatio)}) · ${b.cpuUs.toFixed(2)} µs (${ratio(b.cpuRatio)})`;
  })]);
  const fewer = f.hookCallsCoverResponses === false ? ' ⚠ fewer calls than responses' : '';
  const hook = f.hookCallsCoverResponses === null ? '' : para('', `The hook was called ${num(o.hookCalls)} times for`,
    `${num(o.hookResponses)} responses counted by ${loadgen}${fewer}.`);
  md.push(table(['Scenario', 'as built, nothing watching', '+ one hook (onFinish)', '+ trace → /dev/null'], ctx,
    [':--', '--:', '--:', '--:']), '', para(
    "One onFinish hook switches on the finish stage's event and the per-request timings it reports; the trace",
    'formats and writes a line per stage to a stream on /dev/null. Figures: req/s and server CPU per request, each',
    `with its ratio to the as-built copy in the same rounds.${hook}`,
  ));
  const notes = f.variants.filter((v) => v.saturatedRuns > 0).map((v) => para(`${v.label}: ${loadgen} saturated its`,
    `core in ${v.saturatedRuns} of ${v.runs} runs (req/s then measures the client; CPU/request still measures the`,
    'server)'));
  if (notes.length > 0) md.push('', ...readWithCare(notes).slice(0, -1));
  const round = (r: { rps: number; cpuUs: number }): string => `${num(r.rps)} · ${r.cpuUs.toFixed(2)}`;
  md.push('', ...details('Every round (req/s · µs CPU per request)', f.variants.flatMap((v) => o.builds.map((id) =>
    `- ${v.label} — ${BUILD_LABELS[id]}: ${(v.perRound[id] ?? []).map(round).join(', ')}`))));
  return md;
}
