// `npm run bench:hono [-- --rounds N --seconds N --connections N]`: the same Hono app on h1wire (fetchHandler)
// and on node:http (@hono/node-server), plus a native h1wire handler giving the same bytes, each in its own
// process, in the same run, alternating servers round by round. For a JSON route and a route with a path
// param: req/s, server CPU per request, and ratios (medians of per-round ratios). Writes bench/results/hono.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pickLoadGenerator } from '../load/loadgen.js';
import { startServer, type RunningServer, type ServerSpec } from '../load/servers.js';
import { machine } from '../lib/machine.js';
import { installCleanup } from '../lib/procs.js';
import { median, num, pairRatios, ratio } from '../lib/stats.js';

type Impl = 'fetch' | 'fetch-light' | 'node-server' | 'native';
const IMPLS: Impl[] = ['fetch', 'fetch-light', 'node-server', 'native'];
const LABELS: Record<Impl, string> = {
  fetch: 'h1wire + fetchHandler',
  'fetch-light': 'h1wire + fetchHandler (overrideGlobalResponse)',
  'node-server': '@hono/node-server',
  native: 'h1wire native',
};
const ROUTES = [
  { id: 'json', label: '`GET /json` (c.json)', path: '/json' },
  { id: 'param', label: '`GET /users/:id` (path param)', path: '/users/42' },
];

const { values } = parseArgs({ options: { rounds: { type: 'string' }, seconds: { type: 'string' }, connections: { type: 'string' } } });
const rounds = Number(values.rounds ?? 3);
const seconds = Number(values.seconds ?? 5);
const connections = Number(values.connections ?? 50);
installCleanup(60 + rounds * ROUTES.length * IMPLS.length * (seconds + 3) * 2);

const here = fileURLToPath(new URL('./server.js', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const host = machine(root);
const spec = (impl: Impl): ServerSpec<Impl> => ({ id: impl, label: LABELS[impl], argv: () => [here, '--impl', impl, '--port', '0'] });

const loadgen = pickLoadGenerator(undefined);
process.stdout.write(`Hono benchmark: ${rounds} rounds × ${seconds} s, ${connections} connections, ${loadgen.name} ${loadgen.version}\n`);
const servers = {} as Record<Impl, RunningServer<Impl>>;
for (const impl of IMPLS) servers[impl] = await startServer(spec(impl), { path: '/json' }, 3600);

interface Sample {
  rps: number;
  cpuUsPerRequest: number;
}
const samples: Record<string, Record<Impl, Sample[]>> = {};
for (const route of ROUTES) {
  samples[route.id] = { fetch: [], 'fetch-light': [], 'node-server': [], native: [] };
  for (const impl of IMPLS) await loadgen.run({ url: `http://127.0.0.1:${servers[impl].port}${route.path}`, connections, seconds: 1, pipeline: 1, threads: 1 });
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? IMPLS : [...IMPLS].reverse();
    for (const impl of order) {
      const server = servers[impl];
      const cpu0 = server.cpuSeconds();
      const result = await loadgen.run({ url: `http://127.0.0.1:${server.port}${route.path}`, connections, seconds, pipeline: 1, threads: 1 });
      const cpu = server.cpuSeconds() - cpu0;
      if (result.errors > 0) throw new Error(`${impl} ${route.path}: ${result.errors} errors (${result.errorDetail})`);
      const sample = { rps: result.rps, cpuUsPerRequest: (cpu * 1e6) / result.requests };
      (samples[route.id] as Record<Impl, Sample[]>)[impl].push(sample);
      process.stdout.write(`  ${route.path} round ${round + 1} ${LABELS[impl]}: ${num(sample.rps)} req/s, ${sample.cpuUsPerRequest.toFixed(1)} µs CPU/req\n`);
    }
  }
}
for (const impl of IMPLS) await servers[impl].stop();

const lines = [
  '# Hono on h1wire vs node:http',
  '',
  `${new Date().toISOString()} · ${host.cpu} · ${host.cores} cores · ${host.commit} · Node.js ${process.version} · ${loadgen.name} ${loadgen.version} · ${rounds} rounds × ${seconds} s · ${connections} connections`,
  '',
  'fetchHandler: plain; light: with `overrideGlobalResponse` (what @hono/node-server does by default); native: an h1wire router giving the same bytes.',
  '',
  '| route | light / node-server | plain / node-server | plain / native | light / native | req/s: plain · light · node-server · native | CPU µs/req: plain · light · node-server · native |',
  '|---|--:|--:|--:|--:|--:|--:|',
];
for (const route of ROUTES) {
  const s = samples[route.id] as Record<Impl, Sample[]>;
  const rps = (impl: Impl): number[] => s[impl].map((x) => x.rps);
  const cpu = (impl: Impl): number => median(s[impl].map((x) => x.cpuUsPerRequest));
  lines.push(
    `| ${route.label} | **${ratio(median(pairRatios(rps('fetch-light'), rps('node-server'))))}** | ${ratio(median(pairRatios(rps('fetch'), rps('node-server'))))} | ${ratio(median(pairRatios(rps('fetch'), rps('native'))))} | ${ratio(median(pairRatios(rps('fetch-light'), rps('native'))))} | ${IMPLS.map((i) => num(median(rps(i)))).join(' · ')} | ${IMPLS.map((i) => cpu(i).toFixed(1)).join(' · ')} |`,
  );
}
const report = `${lines.join('\n')}\n`;
process.stdout.write(`\n${report}`);
const out = `${root}bench/results/`;
mkdirSync(out, { recursive: true });
writeFileSync(`${out}hono.md`, report);
