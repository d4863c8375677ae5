#!/usr/bin/env node
// `h1wire demo [flags]`: starts the demo server. Its first line on stdout is `listening on http://HOST:PORT`.
import { parseArgs } from 'node:util';
import { llhttpBuild } from '../native-free/llhttp.js';
import type { ServerOptions } from './config.js';
import { createDemoServer } from './demo.js';

const USAGE = `usage: h1wire demo [options]
  --port N                        port (default 3000; 0 picks a free one)
  --host H                        address (default 127.0.0.1)
  --keep-alive-timeout MS         idle time between requests (default 5000)
  --headers-timeout MS            first byte to end of head (default 10000)
  --request-timeout MS            first byte to end of body (default 30000)
  --write-timeout MS              a blocked write making no progress this long ends the connection (default 30000)
  --max-header-size BYTES         request line + headers (default 16384)
  --max-body-size BYTES           request body (default 1048576)
  --max-requests-per-connection N (default 0 = no limit)
  --max-connections N             (default 0 = no limit)
  --server-timing                 add Server-Timing to responses
  --trace                         print an annotated wire log on stderr (credential values redacted)
  --trace-credentials             the same, with Authorization and Cookie values shown (local use only)
  --inspector                     serve the live wire inspector at /_wire (loopback clients only)`;

const NUMERIC: Record<string, keyof ServerOptions> = {
  'keep-alive-timeout': 'keepAliveTimeout',
  'headers-timeout': 'headersTimeout',
  'request-timeout': 'requestTimeout',
  'write-timeout': 'writeTimeout',
  'max-header-size': 'maxHeaderSize',
  'max-body-size': 'maxBodySize',
  'max-requests-per-connection': 'maxRequestsPerConnection',
  'max-connections': 'maxConnections',
};

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function number(flag: string, value: string): number {
  if (!/^[0-9]+$/.test(value)) fail(`--${flag} takes a whole number, got "${value}"`);
  return Number(value);
}

async function demo(argv: string[]): Promise<void> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    port: { type: 'string' },
    host: { type: 'string' },
    'server-timing': { type: 'boolean' },
    trace: { type: 'boolean' },
    'trace-credentials': { type: 'boolean' },
    inspector: { type: 'boolean' },
    help: { type: 'boolean' },
  };
  for (const flag of Object.keys(NUMERIC)) options[flag] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true }).values;
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const serverOptions: ServerOptions = {};
  for (const [flag, key] of Object.entries(NUMERIC)) {
    const value = values[flag];
    if (typeof value === 'string') (serverOptions as Record<string, number>)[key] = number(flag, value);
  }
  if (values['server-timing'] === true) serverOptions.serverTiming = true;
  if (values['trace-credentials'] === true) serverOptions.trace = { showCredentials: true };
  else if (values.trace === true) serverOptions.trace = true;
  if (values.inspector === true) serverOptions.inspector = true;
  const port = typeof values.port === 'string' ? number('port', values.port) : 3000;
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';

  const server = createDemoServer(serverOptions);
  const address = await server.listen(port, host);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stdout.write(`listening on http://${shown}:${address.port}\n`);
  process.stderr.write(`h1wire demo: llhttp ${llhttpBuild().simd ? 'SIMD' : 'plain'} WebAssembly, Node ${process.version}; Ctrl-C stops\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1); // a second signal: stop now
    stopping = true;
    process.stderr.write(`${signal}: closing (in-flight requests finish, idle connections close)\n`);
    server.close({ timeout: 5000 }).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'demo') {
  demo(rest).catch((error: unknown) => {
    process.stderr.write(`h1wire demo: ${(error as Error).message}\n`);
    process.exit(1);
  });
} else {
  fail(command === undefined ? 'no command given' : `unknown command "${command}"`);
}
