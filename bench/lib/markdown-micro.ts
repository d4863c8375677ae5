// latest.md, part 3: the micro-benchmarks (parse, frame, serializers), with the serializer verdicts of
// verdicts.ts.
import type { MicroResult, MicroRow } from '../micro/index.js';
import { para, table } from './markdown.js';
import { bytes, ms, num, pct, ratio } from './stats.js';
import type { MicroFigures, SpeedVerdict } from './verdicts.js';

const orders = (n: number): string => `${num(n)} order${n === 1 ? '' : 's'}`;

function plain(rows: MicroRow[]): string[][] {
  return rows.map((r) => [r.name, `${num(r.rate)} ${r.unit}`,
    r.nsPerOp < 10_000 ? `${num(r.nsPerOp)} ns` : `${ms(r.nsPerOp / 1e6)} ms`, `±${r.rme.toFixed(1)}%`]);
}

/** schemaJson in the first table: wins, loses, or no clear difference. */
function schemaWord(v: SpeedVerdict): string {
  if (v.outcome === 'no clear difference') {
    const noise = `within the ±${(v.noise * 100).toFixed(0)}% noise`;
    return `no clear difference (${v.speed.toFixed(2)}×, ${noise}): **schemaJson does not win here**`;
  }
  if (v.outcome === 'faster') return `schemaJson wins, ${v.speed.toFixed(2)}× as fast`;
  return `**schemaJson loses**: ${(1 / v.speed).toFixed(2)}× slower than JSON.stringify`;
}

/** A serializer against JSON.stringify in the plug-in table. */
function beatWord(name: string, v: SpeedVerdict): string {
  if (v.outcome === 'no clear difference') {
    return para(`no clear difference from JSON.stringify (${v.speed.toFixed(2)}×, within the`,
      `±${(v.noise * 100).toFixed(0)}% noise): **${name} does not beat JSON.stringify**`);
  }
  if (v.outcome === 'faster') return `${name} beats JSON.stringify, ${v.speed.toFixed(2)}× as fast`;
  return `**${name} does not beat JSON.stringify: it is ${(1 / v.speed).toFixed(2)}× slower**`;
}

export function microSection(m: MicroResult, f: MicroFigures): string[] {
  const group = (g: string): MicroRow[] => m.rows.filter((r) => r.group === g);
  const md = ['## Micro-benchmarks (tinybench, one process, one core)', '', para(
    `llhttp ${m.simd ? 'SIMD' : 'plain'} WebAssembly build. Each task ran ${m.timeMs} ms after a warm-up; fast`,
    "operations run in an inner loop so that the timer's own cost stays out. Rates come from the median sample; ±",
    'is the relative margin of error of the mean (95%).',
  ), '', '### Parse: llhttp as WebAssembly through lib/parser.ts', '', para(
    'A typical GET with 8 header fields (345 bytes). The parser does everything the server needs from the head:',
    'spans to strings, trailing-whitespace trim, the RFC 9112 head checks; events are delivered to no-op handlers.',
  ), '', table(['Benchmark', 'Rate', 'Per op', '±'], plain(group('parse'))), '',
  '### Frame: lib/frame.ts buildHead', '', table(['Benchmark', 'Rate', 'Per op', '±'], plain(group('frame'))), '',
  '### Serialize: JSON.stringify vs schemaJson(ORDERS_SCHEMA)', '', para(
    'Each op is what lib/serialize.ts does with a serializer: the string, then its UTF-8 length (which also',
    'flattens a string built by concatenation, a cost the socket write would pay otherwise). The orders are built',
    'once, outside the timing.',
  ), ''];
  const rows = f.serializers.map((s) => [orders(s.orders), bytes(s.generic.bytes ?? Number.NaN),
    `${num(s.generic.rate)} (±${s.generic.rme.toFixed(1)}%)`, `${num(s.schema.rate)} (±${s.schema.rme.toFixed(1)}%)`,
    `**${ratio(s.verdict.speed)}**`, s.build === null ? '' : num(s.build.rate)]);
  md.push(
    table(['Payload', 'Bytes', 'JSON.stringify ops/s', 'schemaJson ops/s', 'schemaJson / JSON.stringify',
      'orders(n) build ops/s (context)'], rows),
    '',
    ...f.serializers.map((s) => `- ${orders(s.orders)}: ${schemaWord(s.verdict)}.`),
    para('- The last column is the demo building its data (what each /orders request does before serializing): at',
      'these sizes building and serializing cost about the same, so a faster serializer moves the end-to-end',
      'figure by less than its own ratio.'),
    ...m.notes.map((note) => `- ${note}`),
  );
  if (m.notes.length === 0) md.push('- Both serializers produce byte-identical output for these payloads.');
  md.push('', ...pluginSection(f));
  return md;
}

/** jsonArray and a MessagePack plug-in beside JSON.stringify and schemaJson, with the longest event-loop block. */
function pluginSection(f: MicroFigures): string[] {
  const md = ['### Serializers at 50 and 5,000 orders: + jsonArray() and a MessagePack plug-in', '', para(
    'jsonArray() is consumed whole, as the write queue pulls it: every slice (about 16 KiB each), its UTF-8 length,',
    'and the `setImmediate` turn between slices (an async tinybench task, so those turns are in its time). The',
    "MessagePack plug-in is what a user would register: `{ name: 'msgpack', contentType: 'application/msgpack',",
    "serialize: (v) => pack(v) }` with msgpackr's default `pack` (no record extension; its output unpacks to the",
    'same orders — checked). *Longest block* is the longest the event loop is held by one serialization: the whole',
    'call for a whole-body serializer, the longest slice for jsonArray (each slice timed from `next()` to its UTF-8',
    'length, which includes the `setImmediate` turn before it — microseconds on an idle loop — so it is an upper',
    "bound); median over runs of each run's longest block, largest seen in brackets.",
  ), ''];
  const rows = f.plugins.flatMap((p) => p.rows.map((r, i) => [
    `${num(p.orders)} orders`,
    r.label,
    bytes(r.row.bytes ?? Number.NaN),
    `${num(r.row.rate)} (±${r.row.rme.toFixed(1)}%)`,
    i === 0 ? '1.00×' : `**${ratio(r.vsGeneric)}**`,
    r.block === null ? 'n/a' : `${ms(r.block.longestMs)} ms (${ms(r.block.longestMaxMs)})`,
    r.block === null ? '' : `${r.block.slices}`,
  ]));
  const verdicts: string[] = [];
  for (const p of f.plugins) {
    const n = `${num(p.orders)} orders`;
    if (p.schema !== null) verdicts.push(`- ${n}, schemaJson: ${beatWord('schemaJson', p.schema)}.`);
    if (p.msgpack !== null) {
      verdicts.push(para(`- ${n}, msgpack: ${beatWord('msgpack', p.msgpack)}; ${bytes(p.msgpack.bytes)} vs`,
        `${bytes(p.msgpack.jsonBytes)} of JSON (${pct(p.msgpack.bytes / p.msgpack.jsonBytes)}).`));
    }
    const a = p.jsonArray;
    if (a !== null) {
      const one = a.slices === 1;
      const shorter = `${(a.jsonLongestMs / a.longestMs).toFixed(0)}× shorter`;
      const gain = one ? 'one slice: nothing to gain at this size' : shorter;
      verdicts.push(para(`- ${n}, jsonArray: ${a.slices} slice${one ? '' : 's'}; in all ${ratio(a.rateRatio)}`,
        `the rate of JSON.stringify, and its longest block is ${ms(a.longestMs)} ms against JSON.stringify's`,
        `${ms(a.jsonLongestMs)} ms (${gain}).`));
    }
  }
  md.push(
    table(['Payload', 'Serializer', 'Bytes', 'ops/s', 'vs JSON.stringify', 'Longest block, ms (max)', 'Pieces'], rows,
      [':--', ':--', '--:', '--:', '--:', '--:', '--:']),
    '',
    ...verdicts,
    para('- A JSON string still has to become bytes when it is written (latin1 for ASCII: a copy); msgpack hands',
      'over bytes. That copy is not in the JSON rows; at these sizes it is small next to the serialization.'),
    '',
  );
  return md;
}
