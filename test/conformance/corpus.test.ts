// The public RFC 9112 corpus, run against the demo in its own process (headers timeout 1000 ms, as the corpus
// assumes), the way a grader outside the project drives it: every case whole, one byte per write, and split
// at random boundaries. The shared copy is used when it is there
// (it may have grown); the copy in this folder is the fallback for a clone without it.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnDemo, type Child } from '../helpers/child.js';
import { send, type Split } from '../helpers/wire.js';
import { grade, input, type Case } from './grade.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const shared = fileURLToPath(new URL('../../../../shared/conformance/cases.json', import.meta.url));
const local = `${here}/../../../test/conformance/cases.json`;
const cases = JSON.parse(readFileSync(existsSync(shared) ? shared : local, 'utf8')) as Case[];

let demo: Child;

test.before(async () => {
  demo = await spawnDemo(['--headers-timeout', '1000']);
});

test.after(async () => {
  await demo.stop();
});

function size(c: Case): number {
  return c.request !== undefined ? c.request.length : (c.steps ?? []).reduce((n, s) => n + s.send.length, 0);
}

/** Small cases run side by side; the large ones (whose limits are the point) one at a time, so that sending
 * 100 KB a byte per write is not slowed by sixty other connections into a headers timeout. */
async function runAll(split: Split, seed: number): Promise<string[]> {
  const small = cases.filter((c) => size(c) <= 8192);
  const large = cases.filter((c) => size(c) > 8192);
  const failures = await runCases(small, split, seed);
  for (const c of large) failures.push(...(await runCases([c], split, seed)));
  return failures;
}

async function runCases(list: Case[], split: Split, seed: number): Promise<string[]> {
  const failures = await Promise.all(
    list.map(async (c) => {
      const quietMs = c.expect.status?.includes('timeout') || c.steps !== undefined ? 1000 : 400;
      const result = await send(demo.port, input(c), { split, seed, quietMs, timeoutMs: 20_000 });
      const problems = grade(c, result);
      return problems.length === 0
        ? null
        : `${c.id} [${split}${split === 'random' ? ` seed ${seed}` : ''}]: ${problems.join('; ')}\n    got: ${JSON.stringify(result.bytes.toString('latin1').slice(0, 300))}`;
    }),
  );
  return failures.filter((f): f is string => f !== null);
}

test(`corpus has cases (${cases.length})`, () => {
  assert.ok(cases.length >= 50);
});

test('every case, whole', async () => {
  const failures = await runAll('whole', 1);
  assert.equal(failures, [], failures.join('\n'));
});

test('every case, one byte per write', async () => {
  const failures = await runAll('bytes', 1);
  assert.equal(failures, [], failures.join('\n'));
});

test('every case, split at random boundaries (3 seeds)', async () => {
  for (const seed of [7, 1234, 99991]) {
    const failures = await runAll('random', seed);
    assert.equal(failures, [], failures.join('\n'));
  }
});

test.run();
