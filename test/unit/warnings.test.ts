// warnOnce: one process warning per code, with its type and code, however often it is asked for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { warnOnce } from '../../lib/warnings.js';

test('a code is warned about once per process, with the H1wireWarning type and its code', async () => {
  const seen: { name: string; code: string | undefined; message: string }[] = [];
  const listen = (w: Error & { code?: string }): void => {
    seen.push({ name: w.name, code: w.code, message: w.message });
  };
  process.on('warning', listen);
  try {
    for (let i = 0; i < 3; i++) warnOnce('H1W_TEST_ONLY_CODE');
    warnOnce('H1W_TEST_OTHER_CODE');
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    assert.equal(
      seen.filter((w) => w.code?.startsWith('H1W_TEST_')),
      [
        { name: 'H1wireWarning', code: 'H1W_TEST_ONLY_CODE', message: 'H1W_TEST_ONLY_CODE' },
        { name: 'H1wireWarning', code: 'H1W_TEST_OTHER_CODE', message: 'H1W_TEST_OTHER_CODE' },
      ],
    );
  } finally {
    process.off('warning', listen);
  }
});

test.run();
