// cluster's decisions that need no process: where reusePort exists, and the restart back-off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_RESTART_DELAY, RESTART_DELAY, restartDelay, reusePortSupported } from '../../lib/cluster.js';

test('reusePort: Linux with Node.js 22.12+ or 23.1+, nowhere else (older Node.js ignores the option)', () => {
  for (const v of ['22.12.0', '22.20.1', '23.1.0', '24.0.0', '25.2.1']) assert.ok(reusePortSupported(v, 'linux'), v);
  for (const v of ['20.20.2', '22.11.0', '23.0.0', '21.7.3']) assert.not.ok(reusePortSupported(v, 'linux'), v);
  for (const p of ['darwin', 'win32', 'freebsd']) assert.not.ok(reusePortSupported('24.0.0', p), p);
});

test('restart back-off doubles per quick death, up to its cap', () => {
  assert.equal([0, 1, 2, 3].map(restartDelay), [RESTART_DELAY, RESTART_DELAY * 2, RESTART_DELAY * 4, RESTART_DELAY * 8]);
  assert.is(restartDelay(40), MAX_RESTART_DELAY);
  assert.is(restartDelay(1e9), MAX_RESTART_DELAY);
});

test.run();
