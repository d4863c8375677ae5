// Load generators behind one interface: wrk (preferred: C, event-driven, pipelining through a small Lua
// script) and autocannon (the fallback when wrk is not installed; Node, so it saturates a core sooner).
// Each run also measures the generator's own CPU time: when it kept its core(s) busy, the figure measures
// the client, not the server, and the report says so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pinning, registerTempDir, spawnBounded, waitExit } from '../lib/procs.js';

export interface LoadSpec {
  /** http://127.0.0.1:PORT/path */
  url: string;
  connections: number;
  /** Whole seconds (wrk takes no fractions). */
  seconds: number;
  /** Requests written back to back per connection before waiting (1 = no pipelining). */
  pipeline: number;
  /** Generator threads (wrk -t; autocannon workers). */
  threads: number;
}

export interface LoadResult {
  requests: number;
  /** The measured window, seconds. */
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  bytes: number;
  /** Socket errors, timeouts and non-2xx/3xx responses. */
  errors: number;
  errorDetail: string;
  /** The generator's CPU time (user + system), seconds, and as a share of the cores it may use. */
  clientCpuSeconds: number;
  clientBusy: number;
}

export interface LoadGenerator {
  readonly name: string;
  readonly version: string;
  run(spec: LoadSpec): Promise<LoadResult>;
}

/** A busy share at or above this means the generator kept its cores busy: the figure is client-bound. */
export const SATURATED = 0.9;

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') throw new Error(`refusing to load ${host}: loopback only`);
}

// `times` after the command prints the CPU time of the shell's waited-for children (the generator).
const WITH_TIMES = '"$@"; rc=$?; times 1>&2; exit $rc';

function childTimes(stderr: string): number {
  const lines = stderr.trim().split('\n').filter((l) => /^[0-9]+m[0-9.]+s [0-9]+m[0-9.]+s$/.test(l.trim()));
  const last = lines[lines.length - 1];
  if (last === undefined) return Number.NaN;
  const [user, sys] = last.trim().split(' ').map((t) => {
    const m = /^([0-9]+)m([0-9.]+)s$/.exec(t) as RegExpExecArray;
    return Number(m[1]) * 60 + Number(m[2]);
  });
  return (user as number) + (sys as number);
}

function collect(command: string, args: string[], maxSeconds: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnBounded('bash', ['-c', WITH_TIMES, 'bash', command, ...args], {
    maxSeconds,
    raiseFdLimit: true,
    ...(pinning.client === undefined ? {} : { cpus: pinning.client }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return waitExit(child, (maxSeconds + 5) * 1000).then((code) => ({ code, stdout, stderr }));
}

const WRK_DONE = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('H1WIRE_BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
`;

// Pipelining: one write carries `depth` copies of the request; wrk counts each response it parses.
const WRK_PIPELINE = `
init = function(args)
  local depth = tonumber(args[1]) or 1
  local r = {}
  for i = 1, depth do r[i] = wrk.format(nil, nil) end
  req = table.concat(r)
end
request = function()
  return req
end
`;

class Wrk implements LoadGenerator {
  readonly name = 'wrk';
  readonly version: string;
  private dir: string | null = null;

  constructor(version: string) {
    this.version = version;
  }

  private script(pipeline: number): string {
    if (this.dir === null) {
      this.dir = mkdtempSync(join(tmpdir(), 'h1wire-bench-'));
      registerTempDir(this.dir);
    }
    // Depth 1 has no request() function, so wrk keeps its static, precomputed request (its fastest path).
    const file = join(this.dir, pipeline > 1 ? 'pipeline.lua' : 'plain.lua');
    writeFileSync(file, (pipeline > 1 ? WRK_PIPELINE : '') + WRK_DONE);
    return file;
  }

  async run(spec: LoadSpec): Promise<LoadResult> {
    assertLoopback(spec.url);
    const threads = Math.min(spec.threads, spec.connections);
    const args = ['-t', String(threads), '-c', String(spec.connections), '-d', `${spec.seconds}s`, '--timeout', '10s', '-s', this.script(spec.pipeline), spec.url];
    if (spec.pipeline > 1) args.push('--', String(spec.pipeline));
    const out = await collect('wrk', args, spec.seconds + 30);
    const line = out.stdout.split('\n').find((l) => l.startsWith('H1WIRE_BENCH '));
    if (line === undefined) throw new Error(`wrk failed (exit ${String(out.code)}): ${out.stderr.trim() || out.stdout.trim()}`);
    const r = JSON.parse(line.slice('H1WIRE_BENCH '.length)) as Record<string, number>;
    const seconds = (r.duration_us as number) / 1e6;
    const cpu = childTimes(out.stderr);
    const errors = (r.connect as number) + (r.read as number) + (r.write as number) + (r.status as number) + (r.timeout as number);
    const detail = ['connect', 'read', 'write', 'status', 'timeout'].filter((k) => (r[k] as number) > 0).map((k) => `${k} ${r[k]}`).join(', ');
    return {
      requests: r.requests as number,
      seconds,
      rps: (r.requests as number) / seconds,
      // Per batch when pipelining, and wrk's percentile() answers 0 when its corrected histogram overflows.
      p50Ms: spec.pipeline > 1 || r.p50_us === 0 ? Number.NaN : (r.p50_us as number) / 1000,
      p99Ms: spec.pipeline > 1 || r.p99_us === 0 ? Number.NaN : (r.p99_us as number) / 1000,
      bytes: r.bytes as number,
      errors,
      errorDetail: detail,
      clientCpuSeconds: cpu,
      clientBusy: cpu / seconds / threads,
    };
  }
}

class Autocannon implements LoadGenerator {
  readonly name = 'autocannon';
  readonly version: string;
  private readonly cli: string;

  constructor(cli: string, version: string) {
    this.cli = cli;
    this.version = version;
  }

  async run(spec: LoadSpec): Promise<LoadResult> {
    assertLoopback(spec.url);
    const args = [this.cli, '-c', String(spec.connections), '-d', String(spec.seconds), '-p', String(spec.pipeline), '-t', '10', '-j'];
    if (spec.threads > 1) args.push('-w', String(spec.threads));
    args.push(spec.url);
    const out = await collect(process.execPath, args, spec.seconds + 30);
    const start = out.stdout.indexOf('{');
    if (start < 0) throw new Error(`autocannon failed (exit ${String(out.code)}): ${out.stderr.trim()}`);
    const r = JSON.parse(out.stdout.slice(start)) as {
      requests: { total: number };
      latency: { p50: number; p99: number };
      throughput: { total: number };
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
    };
    const cpu = childTimes(out.stderr);
    const errors = r.errors + r.timeouts + r.non2xx;
    const detail = [`errors ${r.errors}`, `timeouts ${r.timeouts}`, `non-2xx ${r.non2xx}`].filter((s) => !s.endsWith(' 0')).join(', ');
    return {
      requests: r.requests.total,
      seconds: r.duration,
      rps: r.requests.total / r.duration,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      bytes: r.throughput.total,
      errors,
      errorDetail: detail,
      clientCpuSeconds: cpu,
      clientBusy: cpu / r.duration / Math.max(1, spec.threads),
    };
  }
}

function wrkVersion(): string | null {
  const out = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (out.error !== undefined) return null;
  const text = `${out.stdout ?? ''}${out.stderr ?? ''}`;
  const match = /wrk (\S+)/.exec(text);
  return match === null ? null : (match[1] as string);
}

/** wrk when installed (or when asked for), else autocannon. */
export function pickLoadGenerator(prefer: string | undefined): LoadGenerator {
  if (prefer !== 'autocannon') {
    const version = wrkVersion();
    if (version !== null) return new Wrk(version);
    if (prefer === 'wrk') throw new Error('wrk was asked for and is not installed');
  }
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('autocannon/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string; bin: Record<string, string> | string };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin.autocannon as string);
  return new Autocannon(join(dirname(pkgFile), bin), pkg.version);
}
