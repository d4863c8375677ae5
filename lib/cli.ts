#!/usr/bin/env node
// `h1wire demo [flags]`: starts the demo server. Its first line on stdout is `listening on http://HOST:PORT`.
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';
import { llhttpBuild } from '../native-free/llhttp.js';
import { ACCEPT_GRACE, cluster, describeStop } from './cluster.js';
import type { ServerOptions } from './config.js';
import { createDemoServer } from './demo.js';

const USAGE = `usage: h1wire demo [options]
  --port N                        port (default 3000; 0 picks a free one)
  --host H                        address (default 127.0.0.1)
  --tls-cert FILE --tls-key FILE  serve HTTPS with this certificate and key (PEM); both or neither
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
  --proxy-protocol                every connection starts with a PROXY v1/v2 header (from HAProxy, a load balancer)
  --proxy-header-timeout MS       accept to complete PROXY header (default 5000)
  --trust-proxy LIST|HOPS         believe Forwarded / X-Forwarded-* from these addresses, CIDRs or 'loopback' (commas),
                                  or from this many hops
  --workers N                     N processes on one port (0 = one per core; SIGTERM drains them all)
  --balance reuse-port|round-robin  how workers share the port (default: reuse-port on Linux with Node >= 22.12)
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
  'proxy-header-timeout': 'proxyHeaderTimeout',
};

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function number(flag: string, value: string): number {
  if (!/^[0-9]+$/.test(value)) fail(`--${flag} takes a whole number, got "${value}"`);
  return Number(value);
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    fail(`--${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function announce(host: string, port: number, secure = false): void {
  process.stdout.write(`listening on ${secure ? 'https' : 'http'}://${isIPv6(host) ? `[${host}]` : host}:${port}\n`);
}

async function demo(argv: string[]): Promise<void> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    port: { type: 'string' },
    host: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'server-timing': { type: 'boolean' },
    trace: { type: 'boolean' },
    'trace-credentials': { type: 'boolean' },
    'proxy-protocol': { type: 'boolean' },
    'trust-proxy': { type: 'string' },
    workers: { type: 'string' },
    balance: { type: 'string' },
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
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if ((typeof cert === 'string') !== (typeof key === 'string')) fail('--tls-cert and --tls-key go together');
  if (typeof cert === 'string' && typeof key === 'string') serverOptions.tls = { cert: readPem('tls-cert', cert), key: readPem('tls-key', key) };
  if (values['proxy-protocol'] === true) serverOptions.proxyProtocol = true;
  const trust = values['trust-proxy'];
  if (typeof trust === 'string') serverOptions.trustProxy = /^[0-9]+$/.test(trust) ? Number(trust) : trust;
  if (values.inspector === true) serverOptions.inspector = true;
  const port = typeof values.port === 'string' ? number('port', values.port) : 3000;
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';

  if (typeof values.workers === 'string') {
    const workers = number('workers', values.workers);
    // Workers run this same command: cluster() makes each one's server; only the primary speaks.
    const balance = values.balance ?? 'auto';
    if (balance !== 'auto' && balance !== 'reuse-port' && balance !== 'round-robin') fail(`--balance takes reuse-port or round-robin, got "${String(balance)}"`);
    const running = await cluster(() => createDemoServer(serverOptions), { workers, port, host, balance, onStopped: (report) => process.stderr.write(describeStop(report)) });
    if (running.role === 'primary') {
      announce(running.host, running.port, serverOptions.tls !== undefined);
      process.stderr.write(`h1wire demo: ${running.pids().length} workers (${running.balance}), Node ${process.version}; Ctrl-C stops\n`);
    }
    return;
  }
  const server = createDemoServer(serverOptions);
  const address = await server.listen(port, host);
  announce(address.address, address.port, server.secure);
  process.stderr.write(`h1wire demo: llhttp ${llhttpBuild().simd ? 'SIMD' : 'plain'} WebAssembly, Node ${process.version}; Ctrl-C stops\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1); // a second signal: stop now
    stopping = true;
    process.stderr.write(`${signal}: closing (in-flight requests finish, idle connections close)\n`);
    server.close({ timeout: 5000, acceptGrace: ACCEPT_GRACE }).then(
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
