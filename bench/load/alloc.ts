// `npm run bench:alloc [-- --pipeline 16] [DIR]`: bytes the demo allocates per request, and where. The demo of
// DIR (default: this checkout; any build with dist/ and lib/demo.ts) serves GET / in this process while the load
// generator (wrk, or autocannon) runs against it from its own; V8's sampling heap profiler records every
// allocation, collected ones included, and the total is divided by the requests answered. Node's own stream and
// socket objects count too: they are part of what a request costs. Sampled (every 256 bytes on average), so
// figures move by a few percent from run to run.
// Usage: node dist/bench/load/alloc.js [--pipeline N] [--seconds N] [--top N] [DIR]
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup } from '../lib/procs.js';
import { pickLoadGenerator } from './loadgen.js';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { pipeline: { type: 'string', default: '1' }, seconds: { type: 'string', default: '4' }, top: { type: 'string', default: '12' } },
});
const dir = resolve(positionals[0] ?? '.');
const pipeline = Number(values.pipeline);
const seconds = Number(values.seconds);
installCleanup(30 + 3 * seconds);

const { createDemoServer } = (await import(pathToFileURL(`${dir}/dist/lib/demo.js`).href)) as {
  createDemoServer: () => { listen(port: number, host: string): Promise<unknown>; net: { address(): unknown }; close(): Promise<void> };
};
const server = createDemoServer();
await server.listen(0, '127.0.0.1');
const port = (server.net.address() as { port: number }).port;
const gen = pickLoadGenerator(undefined);
const load = (s: number): ReturnType<typeof gen.run> =>
  gen.run({ url: `http://127.0.0.1:${port}/`, connections: 50, seconds: s, pipeline, threads: 1 });

await load(2); // warm-up: optimized code, grown arrays, the parser pool filled
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const result = await load(seconds);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
session.disconnect();
await server.close();

const bySite = new Map<string, number>();
const walk = (node: ProfileNode): void => {
  const frame = node.callFrame;
  const site = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`;
  if (node.selfSize > 0) bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child);
};
walk(profile.head);
let total = 0;
for (const bytes of bySite.values()) total += bytes;
const perRequest = (bytes: number): string => (bytes / result.requests).toFixed(0);
process.stdout.write(`${dir}: GET /, 50 connections, pipeline ${pipeline}, ${seconds} s, ${result.requests} requests (${gen.name})\n`);
process.stdout.write(`bytes allocated per request: ${perRequest(total)}\n`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  process.stdout.write(`  ${perRequest(bytes).padStart(6)}  ${site}\n`);
}
