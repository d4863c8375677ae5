// `npm run bench:layers [-- --set load|hono --rounds N --seconds N --pipeline N]`: where each server's CPU time
// per request goes, by layer, side by side. Each server runs in its own process with --perf-basic-prof (so that
// perf can name V8's JIT code); wrk loads it on one connection set while `perf record` samples the server
// process alone; `perf report` gives each symbol's share of the samples, and the samples' CPU time divided by
// the requests served in the window gives µs per request. Symbols are grouped into layers (layerOf below).
//
// Sets: `load` (GET / of the demo, node:http and the raw ceiling: issue 15's scenario) and `hono` (GET /json of
// the Hono app through fetchHandler and @hono/node-server, the native handler and the Hono ceiling: issue 14's).
// The point is the difference between columns: what a server pays above the ceiling, and in which layer.
// Needs `perf` (Debian: apt-get install linux-perf) and permission to sample (root, or perf_event_paranoid ≤ 1).
// Writes bench/results/layers-<set>.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machine } from '../lib/machine.js';
import { installCleanup, registerTempDir, spawnBounded, waitExit } from '../lib/procs.js';
import { LAYERS, layerOf, parseReport, type Layer } from '../lib/perf-layers.js';
import { median } from '../lib/stats.js';
import { pickLoadGenerator } from './loadgen.js';
import { SERVERS, startServer, type RunningServer, type ServerSpec } from './servers.js';

const { values } = parseArgs({
  options: { symbols: { type: 'string' }, set: { type: 'string' }, rounds: { type: 'string' }, seconds: { type: 'string' }, pipeline: { type: 'string' }, connections: { type: 'string' } },
});
const set = values.set ?? 'load';
const rounds = Number(values.rounds ?? 2);
const seconds = Number(values.seconds ?? 4);
const pipeline = Number(values.pipeline ?? 1);
const connections = Number(values.connections ?? 50);
const topSymbols = Number(values.symbols ?? 0); // --symbols N: also the N symbols that cost each server most above the ceiling
if (set !== 'load' && set !== 'hono') throw new Error('--set takes load or hono');

if (spawnSync('perf', ['--version']).status !== 0) {
  process.stderr.write('bench:layers needs perf: apt-get install linux-perf (Debian), then run as root or with perf_event_paranoid ≤ 1\n');
  process.exit(2);
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const honoSpec = (id: string, label: string, argv: string[]): ServerSpec<string> => ({ id, label, argv: () => argv });
const specs: ServerSpec<string>[] =
  set === 'load'
    ? [SERVERS.ceiling, SERVERS.h1wire, SERVERS['node-http']]
    : [
        honoSpec('ceiling', 'Hono ceiling (node:net, fixed bytes)', [here('../hono/ceiling.js'), '--port', '0']),
        honoSpec('native', 'h1wire native handler', [here('../hono/server.js'), '--impl', 'native', '--port', '0']),
        honoSpec('fetch', 'h1wire + fetchHandler (Hono)', [here('../hono/server.js'), '--impl', 'fetch', '--port', '0']),
        honoSpec('node-server', '@hono/node-server (Hono)', [here('../hono/server.js'), '--impl', 'node-server', '--port', '0']),
      ];
const path = set === 'load' ? '/' : '/json';

installCleanup(60 + rounds * specs.length * (seconds + 8));
const dir = mkdtempSync(join(tmpdir(), 'h1wire-layers-'));
registerTempDir(dir);
const loadgen = pickLoadGenerator('wrk');
const servers: RunningServer<string>[] = [];
for (const spec of specs) servers.push(await startServer(spec, { path, nodeFlags: ['--perf-basic-prof'] }, 3600));

// µs per request, per server, per layer, per round.
const perRound = new Map<string, Map<Layer, number[]>>();
// µs per request per symbol (JIT thread ids left out, so that processes compare), summed over rounds.
const bySymbol = new Map<string, Map<string, number>>();
const totals = new Map<string, number[]>();
const rps = new Map<string, number[]>();
process.stdout.write(`layers (${set}): ${rounds} rounds × ${seconds} s, ${connections} connections, pipeline ${pipeline}, ${loadgen.name}\n`);
for (const s of servers) await loadgen.run({ url: `http://127.0.0.1:${s.port}${path}`, connections, seconds: 1, pipeline, threads: 1 }); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const s of servers) {
    const load = loadgen.run({ url: `http://127.0.0.1:${s.port}${path}`, connections, seconds: seconds + 1, pipeline, threads: 1 });
    await new Promise((r) => setTimeout(r, 500));
    const data = join(dir, `${s.spec.id}-${round}.data`);
    const perf = spawnBounded('perf', ['record', '-F', '2999', '-p', String(s.pid), '-o', data, '--', 'sleep', String(seconds)], { maxSeconds: seconds + 20, stdio: ['ignore', 'ignore', 'ignore'] });
    await waitExit(perf, (seconds + 20) * 1000);
    const result = await load;
    const report = spawnSync('perf', ['report', '-i', data, '--no-children', '--sort', 'dso,sym', '-g', 'none', '--stdio'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const { eventNs, rows } = parseReport(report.stdout);
    const requests = result.rps * seconds; // requests served in the sampled window
    const layers = perRound.get(s.spec.id) ?? new Map<Layer, number[]>();
    perRound.set(s.spec.id, layers);
    const sums = new Map<Layer, number>();
    const symbols = bySymbol.get(s.spec.id) ?? new Map<string, number>();
    bySymbol.set(s.spec.id, symbols);
    for (const row of rows) {
      const key = `${row.dso.replace(/ tid [0-9]+$/, '')} ${row.sym}`;
      symbols.set(key, (symbols.get(key) ?? 0) + (row.share * eventNs) / requests / 1000 / rounds);
    }
    for (const row of rows) sums.set(layerOf(row.dso, row.sym), (sums.get(layerOf(row.dso, row.sym)) ?? 0) + row.share);
    for (const layer of LAYERS) {
      const list = layers.get(layer) ?? [];
      list.push((((sums.get(layer) ?? 0) * eventNs) / requests) / 1000);
      layers.set(layer, list);
    }
    totals.set(s.spec.id, [...(totals.get(s.spec.id) ?? []), eventNs / requests / 1000]);
    rps.set(s.spec.id, [...(rps.get(s.spec.id) ?? []), result.rps]);
    process.stdout.write(`  round ${round + 1} ${s.spec.label}: ${Math.round(result.rps)} req/s, ${(eventNs / requests / 1000).toFixed(2)} µs/req sampled\n`);
  }
}
for (const s of servers) await s.stop();

const host = machine(here('../../../'));
const f = (n: number): string => n.toFixed(2);
const ids = specs.map((s) => s.id);
const base = ids[0] as string; // the ceiling
const lines: string[] = [];
lines.push(`# Where a request's server CPU goes, by layer (${set}: GET ${path}${pipeline > 1 ? `, pipelined ×${pipeline}` : ''})`, '');
lines.push(`${rounds} rounds × ${seconds} s of perf sampling per server (wrk, ${connections} connections), medians of rounds, µs of server CPU per request. ${host.cpu}, ${host.cores} cores, Node ${host.node}, commit ${host.commit}.`, '');
lines.push(`| layer | ${specs.map((s) => s.label).join(' | ')} |`, `| :-- | ${ids.map(() => '--:').join(' | ')} |`);
for (const layer of LAYERS) lines.push(`| ${layer} | ${ids.map((id) => f(median(perRound.get(id)?.get(layer) ?? [Number.NaN]))).join(' | ')} |`);
lines.push(`| **total** | ${ids.map((id) => `**${f(median(totals.get(id) ?? []))}**`).join(' | ')} |`);
lines.push(`| above the ceiling | ${ids.map((id) => f(median(totals.get(id) ?? []) - median(totals.get(base) ?? []))).join(' | ')} |`);
lines.push(`| req/s (median) | ${ids.map((id) => String(Math.round(median(rps.get(id) ?? [])))).join(' | ')} |`, '');
lines.push('The kernel row grows with a server\'s own CPU: on two cores shared with the load generator, a slower server finds wrk asleep more often, and waking it (an inter-processor interrupt in this VM) is charged to the server\'s write.');
if (topSymbols > 0) {
  const ceiling = bySymbol.get(base) ?? new Map<string, number>();
  for (const id of ids.slice(1)) {
    const mine = bySymbol.get(id) ?? new Map<string, number>();
    const keys = [...new Set([...mine.keys(), ...ceiling.keys()])];
    const above = keys.map((k) => [k, (mine.get(k) ?? 0) - (ceiling.get(k) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
    lines.push('', `${specs.find((s) => s.id === id)?.label}: the ${topSymbols} symbols that cost most above the ceiling (µs per request, mean of rounds)`, '');
    for (const [k, us] of above.slice(0, topSymbols)) lines.push(`    ${us.toFixed(3)}  ${k.slice(0, 140)}`);
  }
}
const out = lines.join('\n') + '\n';
process.stdout.write(`\n${out}`);
const results = here('../../../bench/results/');
mkdirSync(results, { recursive: true });
writeFileSync(join(results, `layers-${set}${pipeline > 1 ? `-pipelined` : ''}.md`), out);
