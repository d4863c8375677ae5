// The public RFC 9112 corpus, run against the demo (headers timeout 1000 ms, as the corpus assumes): every
// case whole, one byte per write, and split at random boundaries. The shared copy is used when it is there
// (it may have grown); the copy in this folder is the fallback for a clone without it.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDemo, type Running } from '../helpers/server.js';
import { send, type Split } from '../helpers/wire.js';
import { grade, input, type Case } from './grade.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const shared = fileURLToPath(new URL('../../../../shared/conformance/cases.json', import.meta.url));
const local = `${here}/../../../test/conformance/cases.json`;
const cases = JSON.parse(readFileSync(existsSync(shared) ? shared : local, 'utf8')) as Case[];

let demo: Running;

test.before(async () => {
  demo = await startDemo({ headersTimeout: 1000 });
});

test.after(async () => {
  await demo.close();
});

async function runAll(split: Split, seed: number): Promise<string[]> {
  const failures = await Promise.all(
    cases.map(async (c) => {
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
