// `npm run soak [-- --time SECONDS | --quick] [--seed N] [--json FILE]`: drives mixed load at the demo (in its
// own process) for a bounded time (default 5 minutes; --quick is 30 s), samples its memory, descriptors and
// connections every second, drains, prints a report, and exits 1 if anything grew without bound, was left
// open, died or came back malformed (2 on bad arguments, 3 if the run had to be stopped by its own deadline).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatReport, soak } from './harness.js';

const USAGE = 'usage: npm run soak -- [--time SECONDS | --quick] [--seed N] [--json FILE]';

function main(): Promise<number> | number {
  let values: { time?: string; quick?: boolean; seed?: string; json?: string; help?: boolean };
  try {
    values = parseArgs({
      args: process.argv.slice(2),
      options: { time: { type: 'string' }, quick: { type: 'boolean' }, seed: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let seconds = values.quick === true ? 30 : 300;
  if (values.time !== undefined) {
    if (!/^[0-9]+$/.test(values.time) || Number(values.time) < 1 || Number(values.time) > 86_400) {
      process.stderr.write(`--time takes whole seconds (1 to 86400), got "${values.time}"\n${USAGE}\n`);
      return 2;
    }
    seconds = Number(values.time);
  }
  const seed = values.seed === undefined ? Date.now() % 1_000_000 : Number(values.seed);
  if (!Number.isSafeInteger(seed)) {
    process.stderr.write(`--seed takes an integer\n${USAGE}\n`);
    return 2;
  }
  const durationMs = seconds * 1000;
  // The run bounds itself; this is the backstop if something in it hangs anyway.
  const backstop = setTimeout(() => {
    process.stderr.write('soak: the run overran its own deadline; stopping\n');
    process.exit(3);
  }, durationMs + 180_000);
  backstop.unref();
  // Ctrl-C or a kill: exit through 'exit', where the harness stops the demo it started.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  // Long runs watch memory longer after the drain (V8 gives pages back slowly, if at all).
  const settleMs = seconds >= 120 ? 10_000 : 5000;
  return soak({ durationMs, seed, settleMs, log: (line) => process.stdout.write(`${line}\n`) }).then((report) => {
    clearTimeout(backstop);
    process.stdout.write(`\n${formatReport(report)}\n`);
    if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    return report.failures.length === 0 ? 0 : 1;
  });
}

Promise.resolve(main()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`soak: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
