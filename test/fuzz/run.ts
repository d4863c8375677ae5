// `npm run fuzz -- --time 600`: mutation fuzzing of the demo (fuzzer.ts) for --time seconds (default 60), from
// --seed (default: from the clock, printed) with --concurrency connections at a time (default 48). Prints
// progress and the rate, every failure with its case seed and exact bytes, and exits non-zero on a failure or
// if the demo died. `--replay SEED` runs that one case and prints what happened.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnDemo } from '../helpers/child.js';
import { corpusSeeds, DEFAULT_LIMITS, demoArgs, describeFailure, makeCase, newTally, record, runCase } from './fuzzer.js';

const { values } = parseArgs({
  options: {
    time: { type: 'string', default: '60' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '48' },
    replay: { type: 'string' },
  },
});

const seconds = Number(values.time);
const concurrency = Number(values.concurrency);
const first = values.seed !== undefined ? Number(values.seed) : (Date.now() * 1000) >>> 0;
if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(concurrency) || concurrency < 1 || !Number.isFinite(first)) {
  process.stderr.write('usage: node dist/test/fuzz/run.js [--time SECONDS] [--seed N] [--concurrency N] [--replay SEED]\n');
  process.exit(2);
}

const corpus = corpusSeeds(fileURLToPath(new URL('../../../test/conformance/cases.json', import.meta.url)));
const demo = await spawnDemo(demoArgs(DEFAULT_LIMITS));
let demoErr = '';
demo.process.stderr?.on('data', (chunk: Buffer) => {
  demoErr = (demoErr + chunk.toString()).slice(-8000);
});
const alive = (): boolean => demo.process.exitCode === null && demo.process.signalCode === null;

if (values.replay !== undefined) {
  const c = makeCase(Number(values.replay) >>> 0, corpus);
  const r = await runCase(demo.port, c, DEFAULT_LIMITS);
  process.stdout.write(`${describeFailure({ ...r, problems: r.problems.length > 0 ? r.problems : ['(none: the case passed)'] })}\n`);
  process.stdout.write(`statuses ${JSON.stringify(r.statuses)}; complete requests ${r.requests}; demo ${alive() ? 'alive' : 'DEAD'}\n`);
  await demo.stop();
  process.exit(r.problems.length > 0 || !alive() ? 1 : 0);
}

process.stdout.write(`fuzzing the demo (pid ${demo.pid}, port ${demo.port}) for ${seconds} s from case seed ${first}, ${concurrency} at a time\n`);
process.stdout.write(`limits: ${JSON.stringify(DEFAULT_LIMITS)}\n`);

const tally = newTally();
const started = performance.now();
const until = started + seconds * 1000;
const inFlight = new Set<number>();
let next = 0;
let died = false;

const progress = setInterval(() => {
  const elapsed = (performance.now() - started) / 1000;
  process.stdout.write(`  ${elapsed.toFixed(0)} s: ${tally.cases} cases, ${(tally.cases / elapsed).toFixed(1)}/s, ${tally.failures.length} failing\n`);
}, 10_000);

async function worker(): Promise<void> {
  while (performance.now() < until && !died) {
    const seed = (first + next++) >>> 0;
    inFlight.add(seed);
    const r = await runCase(demo.port, makeCase(seed, corpus), DEFAULT_LIMITS);
    inFlight.delete(seed);
    record(tally, r);
    if (r.problems.length > 0) process.stdout.write(`\nFAILURE\n${describeFailure(r)}\n\n`);
    if (!alive() && !died) {
      died = true;
      process.stdout.write(`\nTHE DEMO DIED (exit ${demo.process.exitCode}, signal ${demo.process.signalCode}) with cases ${[...inFlight, seed].join(', ')} in flight\n${demoErr}\n`);
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
clearInterval(progress);
const elapsed = (performance.now() - started) / 1000;
const statuses = [...tally.statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ');
process.stdout.write(
  [
    '',
    `${tally.cases} cases in ${elapsed.toFixed(1)} s: ${(tally.cases / elapsed).toFixed(1)} cases/s (seeds ${first}…${(first + next - 1) >>> 0})`,
    `complete requests sent: ${tally.requests}; responses by status: ${statuses}`,
    `slowest close after the last byte sent: ${tally.maxCloseMs.toFixed(0)} ms`,
    `failures: ${tally.failures.length}${died ? '; THE DEMO DIED' : alive() ? '; the demo is alive' : '; THE DEMO DIED'}`,
    '',
  ].join('\n'),
);
const ok = tally.failures.length === 0 && alive() && !died;
await demo.stop();
process.exit(ok ? 0 : 1);
