// The h1wire demo from a given build directory (the observation-overhead scenario runs the build as shipped
// and a copy with its observation code stripped, side by side). It does what `h1wire demo` (lib/cli.ts)
// does — createDemoServer(options), listen, print the address — with options the CLI does not offer:
//   --hook         one hook set (a no-op onFinish that counts calls): every stage's event is then built
//                  and timings are measured, as for any server with a hook;
//   --trace-null   trace: a write stream to /dev/null (every stage formatted and written).
// Usage: node obs-server.js --build DIR [--hook] [--trace-null]
// On SIGTERM it prints `H1WIRE_BENCH_HOOK_CALLS n` on stderr, then closes.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    build: { type: 'string' },
    hook: { type: 'boolean' },
    'trace-null': { type: 'boolean' },
  },
});
if (values.build === undefined) {
  process.stderr.write('usage: obs-server --build DIR [--hook] [--trace-null]\n');
  process.exit(2);
}

interface DemoServer {
  listen(port: number, host: string): Promise<{ port: number }>;
  close(options: { timeout: number }): Promise<void>;
}
const demo = (await import(pathToFileURL(join(values.build, 'lib', 'demo.js')).href)) as {
  createDemoServer(options: Record<string, unknown>): DemoServer;
};

let hookCalls = 0;
const options: Record<string, unknown> = {};
if (values.hook === true) {
  options.hooks = {
    onFinish: () => {
      hookCalls++;
    },
  };
}
if (values['trace-null'] === true) options.trace = createWriteStream('/dev/null');

const server = demo.createDemoServer(options);
const address = await server.listen(0, '127.0.0.1');
process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) process.exit(1);
  stopping = true;
  process.stderr.write(`H1WIRE_BENCH_HOOK_CALLS ${hookCalls}\n`);
  server.close({ timeout: 1000 }).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
