// `npm test`: the whole suite under c8 (coverage ≥ 90% of lines) on the Node.js running npm, then the same
// suite on Node.js 24 (from the npm package node@24, fetched by npx into npm's cache on first use).
// Set H1W_NODE24=0 to skip the second run while iterating locally; CI always runs both.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const NODE24 = 'node@24.21.0';
const root = fileURLToPath(new URL('../..', import.meta.url));
const uvu = ['node_modules/uvu/bin.js', 'dist/test', '\\.test\\.js$'];
const filter = process.argv[2];
if (filter !== undefined) uvu[2] = filter;

function run(label: string, command: string, args: string[]): void {
  process.stdout.write(`\n== ${label}\n`);
  // Exchange state moves are checked in tests (a table lookup each; off in production).
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, H1W_CHECK_STATES: '1' } });
  if (result.status !== 0) {
    process.stdout.write(`\n== ${label}: failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status ?? 1);
  }
}

run(`tests on Node ${process.version}, with coverage`, process.execPath, [
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
  run(`tests on Node 24 (${NODE24})`, npx, ['--yes', '-p', NODE24, 'node', ...uvu]);
}
