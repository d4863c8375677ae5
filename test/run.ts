// `npm test`: the whole suite under c8 (coverage ≥ 90% of lines) on the Node.js running npm, then the same
// suite on Node.js 24 (from the npm package node@24, fetched by npx into npm's cache on first use).
// Set H1W_NODE24=0 to skip the second run while iterating locally; CI always runs both.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const NODE24 = 'node@24.21.0';
const root = fileURLToPath(new URL('../..', import.meta.url));
const uvu = ['node_modules/uvu/bin.js', 'dist/test', '\\.test\\.js$'];
const filter = process.argv[2];
if (filter !== undefined) uvu[2] = filter;

/** uvu's totals, read from its closing lines (colours stripped). */
function totals(output: string): { total: number; passed: number; skipped: number } | null {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const total = /Total:\s+(\d+)/.exec(plain);
  const passed = /Passed:\s+(\d+)/.exec(plain);
  const skipped = /Skipped:\s+(\d+)/.exec(plain);
  if (total === null || passed === null) return null;
  return { total: Number(total[1]), passed: Number(passed[1]), skipped: skipped === null ? 0 : Number(skipped[1]) };
}

async function run(label: string, command: string, args: string[]): Promise<void> {
  process.stdout.write(`\n== ${label}\n`);
  // Exchange state moves are checked in tests (a table lookup each; off in production).
  const child = spawn(command, args, { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, H1W_CHECK_STATES: '1' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    output += chunk.toString('utf8');
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // uvu exits 0 when a suite's before hook throws, counting its tests as neither passed nor failed: a test that
  // did not run is a failure here.
  const t = totals(output);
  const failed = t === null ? NaN : t.total - t.passed - t.skipped;
  if (t !== null) process.stdout.write(`\ntests: ${t.passed} passed, ${failed} failed, ${t.skipped} skipped\n`);
  if (status !== 0 || t === null || failed !== 0 || t.passed === 0) {
    process.stdout.write(`\n== ${label}: failed (exit ${status}${t === null ? ', no totals' : `, ${failed} not passed`})\n`);
    process.exit(status === 0 || status === null ? 1 : status);
  }
}

await run(`tests on Node ${process.version}, with coverage`, process.execPath, [
  'node_modules/c8/bin/c8.js',
  '--check-coverage',
  '--lines',
  '90',
  '--reporter',
  'text-summary',
  '--reporter',
  'text',
  '--include',
  'dist/lib/**',
  '--include',
  'dist/native-free/**',
  process.execPath,
  ...uvu,
]);

if (process.env.H1W_NODE24 !== '0') {
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  await run(`tests on Node 24 (${NODE24})`, npx, ['--yes', '-p', NODE24, 'node', ...uvu]);
}
