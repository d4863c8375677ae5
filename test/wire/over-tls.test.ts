// The same wire and fault tests over TLS: keep-alive, pipelining, exact framing, 100 Continue, deadlines and
// graceful shutdown must behave on a TLSSocket as on TCP. Each file runs unchanged in a child with H1W_TLS=1
// (test/helpers/transport.ts: the servers get a test certificate, the clients dial with tls.connect).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const FILES = ['wire/connection', 'wire/framing', 'wire/continue', 'faults/shutdown', 'faults/deadlines'];

for (const file of FILES) {
  test(`${file} over TLS`, () => {
    const result = spawnSync(process.execPath, ['node_modules/uvu/bin.js', 'dist/test', `^${file}\\.test\\.js$`], {
      cwd: root,
      env: { ...process.env, H1W_TLS: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    assert.is(result.status, 0, output);
    assert.ok(/Passed:\s+\S*[1-9]/.test(output), `no test ran:\n${output}`);
  });
}

test.run();
