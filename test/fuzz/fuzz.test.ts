// A short, bounded mutation-fuzzing run (fuzzer.ts) against the demo in its own process, as part of npm test:
// a fixed range of case seeds, so every run sends the same bytes. `npm run fuzz -- --time 600` runs longer
// with fresh seeds (run.ts). Replay a failing case with `node dist/test/fuzz/run.js --replay <seed>`.
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnDemo, type Child } from '../helpers/child.js';
import { converse } from '../helpers/converse.js';
import { corpusSeeds, DEFAULT_LIMITS, demoArgs, describeFailure, newTally, record, runMany } from './fuzzer.js';

const FIRST_SEED = Number(process.env.H1W_FUZZ_SEED ?? 1_000_000);
const CASES = Number(process.env.H1W_FUZZ_CASES ?? 320);
const CONCURRENCY = 48;
const corpusPath = fileURLToPath(new URL('../../../test/conformance/cases.json', import.meta.url));

let demo: Child;

test.before(async () => {
  demo = await spawnDemo(demoArgs(DEFAULT_LIMITS));
});

test.after(async () => {
  await demo.stop();
});

test(`${CASES} mutated requests (case seeds ${FIRST_SEED}…${FIRST_SEED + CASES - 1}): refused or answered correctly, never twice, never left open, no crash`, async () => {
  const corpus = corpusSeeds(corpusPath);
  const tally = newTally();
  const started = performance.now();
  await runMany(demo.port, corpus, FIRST_SEED, DEFAULT_LIMITS, CONCURRENCY, (n) => n < CASES, (r) => record(tally, r));
  const seconds = (performance.now() - started) / 1000;
  assert.is(tally.cases, CASES);
  assert.ok(demo.process.exitCode === null && demo.process.signalCode === null, `the demo died (exit ${demo.process.exitCode}, signal ${demo.process.signalCode})`);
  assert.ok(tally.failures.length === 0, `\n${tally.failures.length} of ${CASES} cases failed (${seconds.toFixed(1)} s):\n${tally.failures.slice(0, 5).map(describeFailure).join('\n\n')}`);
  // The run exercised both sides: requests answered and inputs refused.
  assert.ok(tally.requests > CASES / 4, `only ${tally.requests} complete requests in ${CASES} cases`);
  assert.ok([...tally.statuses.keys()].some((s) => s >= 400), 'no refusal at all');
});

test('the demo still answers after the run', async () => {
  const r = await converse(demo.port, [Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', 'latin1')], { responses: 1 });
  assert.is(r.parsed.finals[0]?.status, 200);
  assert.is(r.parsed.finals[0]?.body.toString(), '{"hello":"world"}');
  assert.ok(demo.process.exitCode === null, 'the demo exited');
});

test.run();
