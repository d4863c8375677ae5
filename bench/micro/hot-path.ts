// `npm run bench:hot-path -- OLD NEW`: the request hot path of two builds of h1wire (each DIR a checkout with
// dist/ built), in-process and without the kernel: a connection pool of each build serves GET / to 50 in-memory
// sockets (lib/inject-socket.ts) until N requests are answered, and the process's CPU time per request is read.
// Each run is its own process; runs alternate OLD, NEW, OLD, NEW…, and the figure is the median of the paired
// NEW/OLD ratios with its quartiles. Over the wire (bench:builds) two runs of the same build differ by up to
// ±10 % on this shared machine; here the kernel's socket path, the bulk of a keep-alive request, is left out,
// so a change of a few percent in h1wire's own code shows.
// Usage: node dist/bench/micro/hot-path.js [--rounds N] [--requests N] [--pipelines 1,16] OLD NEW
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from '../lib/stats.js';

const HERE = fileURLToPath(import.meta.url);
const REQUEST = 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n';
const SOCKETS = 50;

interface Loaded {
  pool: { accept(socket: unknown): void };
  Socket: new (address: string, port: number) => { push(data: Buffer): void; write(data: unknown): boolean };
}

/** The child: one build, one pipeline depth; prints CPU ns per request. */
async function child(dir: string, pipeline: number, requests: number): Promise<void> {
  const lib = (file: string): Promise<Record<string, unknown>> => import(pathToFileURL(`${dir}/dist/lib/${file}`).href);
  const { ConnectionPool } = (await lib('pool.js')) as { ConnectionPool: new (...args: unknown[]) => Loaded['pool'] };
  const { resolveConfig } = (await lib('config.js')) as { resolveConfig: (o: object) => unknown };
  const { Observer } = (await lib('stages.js')) as { Observer: new (...args: unknown[]) => unknown };
  // Builds older than inject (issue 14) have no in-memory socket: this build's serves them (it is standalone).
  const { MemorySocket } = (await import('../../lib/inject-socket.js')) as unknown as { MemorySocket: Loaded['Socket'] };
  const pool = new ConnectionPool(resolveConfig({}), new Observer({}, null, false), () => ({ hello: 'world' }));
  const input = Buffer.from(REQUEST.repeat(pipeline), 'latin1');
  let answered = 0;
  let wanted = 0;
  let done: (() => void) | null = null;
  class Client extends MemorySocket {
    override write(): boolean {
      // One write per batch of `pipeline` responses (the queue writes a read's answers together).
      answered += pipeline;
      if (answered >= wanted) done?.();
      else setImmediate(() => this.push(input));
      return true;
    }
  }
  const sockets = Array.from({ length: SOCKETS }, () => new Client('127.0.0.1', 1));
  for (const s of sockets) pool.accept(s);
  const run = (n: number): Promise<void> =>
    new Promise((resolveRun) => {
      answered = 0;
      wanted = n;
      done = resolveRun;
      for (const s of sockets) s.push(input);
    });
  await run(50_000); // warm-up: optimized code, grown arrays
  const before = process.cpuUsage();
  await run(requests);
  const cpu = process.cpuUsage(before);
  process.stdout.write(`${((cpu.user + cpu.system) * 1000) / answered}\n`);
  process.exit(0);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    child: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '12' },
    requests: { type: 'string', default: '160000' },
    pipelines: { type: 'string', default: '1,16' },
  },
});

if (values.child) {
  await child(positionals[0] as string, Number(positionals[1]), Number(values.requests));
} else {
  if (positionals.length !== 2) throw new Error('usage: hot-path.js [--rounds N] [--requests N] [--pipelines 1,16] OLD NEW');
  const [oldDir, newDir] = positionals.map((d) => resolve(d)) as [string, string];
  const measure = (dir: string, pipeline: number): number =>
    Number(execFileSync(process.execPath, [HERE, '--child', '--requests', values.requests, dir, String(pipeline)], { encoding: 'utf8', timeout: 120_000 }).trim());
  process.stdout.write(`in-process hot path, ${SOCKETS} in-memory sockets, ${values.requests} requests per run, ${values.rounds} pairs\n`);
  process.stdout.write('| pipeline | OLD CPU ns/req | NEW CPU ns/req | NEW/OLD (median of pairs) | quartiles |\n|---|---|---|---|---|\n');
  for (const pipeline of values.pipelines.split(',').map(Number)) {
    const olds: number[] = [];
    const news: number[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < Number(values.rounds); i++) {
      const a = measure(oldDir, pipeline);
      const b = measure(newDir, pipeline);
      olds.push(a);
      news.push(b);
      ratios.push(b / a);
    }
    ratios.sort((x, y) => x - y);
    const q = (f: number): string => (ratios[Math.floor(f * (ratios.length - 1))] as number).toFixed(3);
    process.stdout.write(`| ${pipeline} | ${median(olds).toFixed(0)} | ${median(news).toFixed(0)} | ${median(ratios).toFixed(3)} | ${q(0.25)}–${q(0.75)} |\n`);
  }
  process.stdout.write(`OLD = ${oldDir}\nNEW = ${newDir}\n`);
}
