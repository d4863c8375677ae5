// `npm run bench:builds -- DIR DIR …`: the same demo from several builds of h1wire (each DIR a checkout with
// dist/ built, e.g. a git worktree of an older commit), GET / keep-alive and pipelined ×16, in alternating
// rounds of one run: req/s and the server's CPU time per request, medians, ratios to the first DIR. This is
// the before/after check for a change to the hot path; CPU per request is the figure a busy machine moves least.
// Usage: node dist/bench/load/builds.js [--rounds N] [--seconds N] [--path /orders?rows=5000] [--modes keep-alive,pipelined] DIR [DIR …]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup } from '../lib/procs.js';
import { median } from '../lib/stats.js';
import { pickLoadGenerator } from './loadgen.js';
import { startServer, type ServerSpec } from './servers.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '4' },
    path: { type: 'string', default: '/' },
    modes: { type: 'string', default: 'keep-alive,pipelined' },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const dirs = positionals.length > 0 ? positionals.map((d) => resolve(d)) : [resolve('.')];
const PATH = values.path;
const MODES = [
  { id: 'keep-alive', name: 'keep-alive', pipeline: 1 },
  { id: 'pipelined', name: 'pipelined ×16', pipeline: 16 },
].filter((m) => values.modes.split(',').includes(m.id));

const spec = (dir: string): ServerSpec<string> => ({
  id: dir,
  label: dir,
  argv: () => [`${dir}/dist/lib/cli.js`, 'demo', '--port', '0', '--host', '127.0.0.1'],
});

const budget = 60 + dirs.length * MODES.length * (ROUNDS + 1) * (SECONDS + 2);
installCleanup(budget);
const gen = pickLoadGenerator(undefined);
const servers = await Promise.all(dirs.map((dir) => startServer(spec(dir), { path: PATH }, budget)));
const rps = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
try {
  for (let round = 0; round <= ROUNDS; round++) {
    for (const s of servers) {
      for (const mode of MODES) {
        const before = s.cpuSeconds();
        const r = await gen.run({ url: `http://127.0.0.1:${s.port}${PATH}`, connections: 50, seconds: round === 0 ? 2 : SECONDS, pipeline: mode.pipeline, threads: 1 });
        const nsPerRequest = ((s.cpuSeconds() - before) * 1e9) / r.requests;
        if (round === 0) continue; // warm-up
        const key = `${s.spec.id}\t${mode.name}`;
        rps.set(key, [...(rps.get(key) ?? []), r.rps]);
        cpu.set(key, [...(cpu.get(key) ?? []), nsPerRequest]);
      }
    }
    if (round > 0) process.stdout.write(`round ${round}/${ROUNDS} done\n`);
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
process.stdout.write(`\nGET ${PATH}, ${gen.name} ${gen.version}, 50 connections, ${ROUNDS} rounds × ${SECONDS} s, medians; ratios to the first build\n`);
process.stdout.write('| build | mode | req/s | ratio | server CPU ns/request | ratio |\n|---|---|---|---|---|---|\n');
for (const mode of MODES) {
  const first = `${dirs[0]}\t${mode.name}`;
  for (const dir of dirs) {
    const key = `${dir}\t${mode.name}`;
    const r = median(rps.get(key) ?? []);
    const c = median(cpu.get(key) ?? []);
    const r0 = median(rps.get(first) ?? []);
    const c0 = median(cpu.get(first) ?? []);
    process.stdout.write(`| ${dir} | ${mode.name} | ${r.toFixed(0)} | ${(r / r0).toFixed(2)}× | ${c.toFixed(0)} | ${(c / c0).toFixed(2)}× |\n`);
  }
}
