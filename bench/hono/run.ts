// `npm run bench:hono [-- --rounds N --seconds N --connections N]`: the same Hono app on h1wire (fetchHandler,
// its default light Response, and opted out to undici's) and on node:http (@hono/node-server 2.x, its defaults),
// a native h1wire handler giving the same bytes, and a ceiling that parses nothing (ceiling.ts), each in its own
// process, in one run, alternating servers round by round. Keep-alive, no pipelining (what node-server users
// run). For a JSON route and a route with a path param: req/s, server CPU per request, the load generator's CPU
// share, and ratios (medians of per-round ratios). Writes bench/results/hono.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pickLoadGenerator } from '../load/loadgen.js';
import { startServer, type RunningServer, type ServerSpec } from '../load/servers.js';
import { machine } from '../lib/machine.js';
import { installCleanup } from '../lib/procs.js';
import { median, num, pairRatios, pct, ratio } from '../lib/stats.js';

type Impl = 'fetch' | 'fetch-undici' | 'node-server' | 'native' | 'ceiling';
const IMPLS: Impl[] = ['fetch', 'fetch-undici', 'node-server', 'native', 'ceiling'];
const LABELS: Record<Impl, string> = {
  fetch: 'h1wire + fetchHandler (default: light Response)',
  'fetch-undici': 'h1wire + fetchHandler (`overrideGlobalResponse: false`)',
  'node-server': '@hono/node-server on node:http (defaults)',
  native: 'h1wire native handler, same bytes',
  ceiling: 'ceiling: node:net, parses nothing, fixed bytes',
};
const ROUTES = [
  { id: 'json', label: '`GET /json` (c.json)', path: '/json' },
  { id: 'param', label: '`GET /users/:id` (path param)', path: '/users/42' },
];
/** The goal: fetchHandler's req/s at least this many times node-server's on the JSON route. */
const GOAL = 1.5;

const { values } = parseArgs({ options: { rounds: { type: 'string' }, seconds: { type: 'string' }, connections: { type: 'string' } } });
const rounds = Number(values.rounds ?? 3);
const seconds = Number(values.seconds ?? 5);
const connections = Number(values.connections ?? 50);
installCleanup(60 + rounds * ROUTES.length * IMPLS.length * (seconds + 3) * 2);

const script = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const host = machine(root);
const spec = (impl: Impl): ServerSpec<Impl> => ({
  id: impl,
  label: LABELS[impl],
  argv: () => (impl === 'ceiling' ? [script('./ceiling.js'), '--port', '0'] : [script('./server.js'), '--impl', impl, '--port', '0']),
});

const loadBefore = loadavg()[0] as number;
const loadgen = pickLoadGenerator(undefined);
process.stdout.write(`Hono benchmark: ${rounds} rounds × ${seconds} s, ${connections} connections, ${loadgen.name} ${loadgen.version}\n`);
const servers = {} as Record<Impl, RunningServer<Impl>>;
for (const impl of IMPLS) servers[impl] = await startServer(spec(impl), { path: '/json' }, 3600);

// Same bytes or no comparison: status, Content-Type and body of every server, per route.
for (const route of ROUTES) {
  const seen = new Set<string>();
  for (const impl of IMPLS) {
    const res = await fetch(`http://127.0.0.1:${servers[impl].port}${route.path}`);
    seen.add(`${res.status} ${res.headers.get('content-type')} ${await res.text()}`);
  }
  if (seen.size !== 1) throw new Error(`${route.path}: the servers answer differently: ${[...seen].join(' | ')}`);
}

interface Sample {
  rps: number;
  cpuUsPerRequest: number;
  clientBusy: number;
}
const samples: Record<string, Record<Impl, Sample[]>> = {};
for (const route of ROUTES) {
  const byImpl = Object.fromEntries(IMPLS.map((impl) => [impl, [] as Sample[]])) as Record<Impl, Sample[]>;
  samples[route.id] = byImpl;
  for (const impl of IMPLS) await loadgen.run({ url: `http://127.0.0.1:${servers[impl].port}${route.path}`, connections, seconds: 1, pipeline: 1, threads: 1 });
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? IMPLS : [...IMPLS].reverse();
    for (const impl of order) {
      const server = servers[impl];
      const cpu0 = server.cpuSeconds();
      const result = await loadgen.run({ url: `http://127.0.0.1:${server.port}${route.path}`, connections, seconds, pipeline: 1, threads: 1 });
      const cpu = server.cpuSeconds() - cpu0;
      if (result.errors > 0) throw new Error(`${impl} ${route.path}: ${result.errors} errors (${result.errorDetail})`);
      const sample = { rps: result.rps, cpuUsPerRequest: (cpu * 1e6) / result.requests, clientBusy: result.clientBusy };
      byImpl[impl].push(sample);
      process.stdout.write(
        `  ${route.path} round ${round + 1} ${impl}: ${num(sample.rps)} req/s, ${sample.cpuUsPerRequest.toFixed(1)} µs CPU/req, client ${pct(sample.clientBusy)} busy\n`,
      );
    }
  }
}
for (const impl of IMPLS) await servers[impl].stop();
const loadAfter = loadavg()[0] as number;

const lines = [
  '# Hono on h1wire vs node:http',
  '',
  `${new Date().toISOString()} · ${host.cpu} · ${host.cores} cores · ${host.commit} · Node.js ${process.version} · ${loadgen.name} ${loadgen.version} · ${rounds} rounds × ${seconds} s · ${connections} connections, keep-alive, no pipelining`,
  '',
  'One Hono app (`hono` and `@hono/node-server` as pinned in package.json), every server in its own process, servers alternating',
  'round by round; figures are medians over rounds, ratios the median of per-round ratios. "CPU µs/req" is the server',
  "process's user + system CPU time over the requests it answered (kernel socket work included); \"× by CPU\" is",
  "node-server's CPU per request divided by this server's: the throughput ratio if each server had a core to itself.",
  'wrk runs on the same 2 cores: "wrk busy" is its CPU share of the one core it may use.',
  `The machine's 1-minute load average was ${loadBefore.toFixed(1)} at the start and ${loadAfter.toFixed(1)} at the end (${host.cores} cores): above`,
  'about 2, other processes share the cores and req/s swings from round to round; CPU per request moves far less.',
  '',
];
const verdicts: string[] = [];
for (const route of ROUTES) {
  const s = samples[route.id] as Record<Impl, Sample[]>;
  const rps = (impl: Impl): number[] => s[impl].map((x) => x.rps);
  const cpu = (impl: Impl): number => median(s[impl].map((x) => x.cpuUsPerRequest));
  const vsNode = (impl: Impl): number => median(pairRatios(rps(impl), rps('node-server')));
  const cpus = (impl: Impl): number[] => s[impl].map((x) => x.cpuUsPerRequest);
  const vsNodeByCpu = (impl: Impl): number => median(pairRatios(cpus('node-server'), cpus(impl)));
  lines.push(`## ${route.label}`, '', '| server | req/s | × node-server | CPU µs/req | × by CPU | wrk busy |', '|---|--:|--:|--:|--:|--:|');
  for (const impl of IMPLS) {
    lines.push(
      `| ${LABELS[impl]} | ${num(median(rps(impl)))} | ${impl === 'node-server' ? '1.00×' : ratio(vsNode(impl))} | ${cpu(impl).toFixed(1)} | ${ratio(vsNodeByCpu(impl))} | ${pct(median(s[impl].map((x) => x.clientBusy)))} |`,
    );
  }
  const overhead = median(s.fetch.map((x, i) => x.cpuUsPerRequest - (s.native[i] as Sample).cpuUsPerRequest));
  lines.push(
    '',
    `fetchHandler vs native: ${ratio(median(pairRatios(rps('fetch'), rps('native'))))} the req/s, ${overhead >= 0 ? '+' : '−'}${Math.abs(overhead).toFixed(1)} µs CPU per request (median of per-round differences; Hono's own routing and Context included).`,
    '',
  );
  if (route.id === 'json') {
    const met = vsNode('fetch') >= GOAL;
    verdicts.push(
      `Goal ≥ ${GOAL}× node-server on \`GET /json\`: ${met ? 'met' : 'not met'}: fetchHandler ${ratio(vsNode('fetch'))} by req/s, ${ratio(vsNodeByCpu('fetch'))} by CPU per request; ` +
        `the native handler ${ratio(vsNode('native'))} by req/s, ${ratio(vsNodeByCpu('native'))} by CPU; the ceiling ${ratio(vsNode('ceiling'))} by req/s, ${ratio(vsNodeByCpu('ceiling'))} by CPU.`,
    );
  }
}
lines.push(...verdicts, '');
const report = lines.join('\n');
process.stdout.write(`\n${report}`);
const out = `${root}bench/results/`;
mkdirSync(out, { recursive: true });
writeFileSync(`${out}hono.md`, report);
