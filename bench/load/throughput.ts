// Runs a throughput scenario: one process per server, a response check, a warm-up, then rounds in which
// every variant runs against every server in turn (A B C, A B C, …), so that slow drifts of a shared,
// noisy machine hit all servers alike. Each run records the load generator's figures, the server's CPU
// time (from /proc, all threads) and the generator's own CPU time.
import { sleep } from '../lib/procs.js';
import { ms, num, pct } from '../lib/stats.js';
import { SATURATED, type LoadGenerator, type LoadResult } from './loadgen.js';
import type { Mode, ThroughputScenario } from './scenarios.js';
import { SERVERS, startServer, type RunningServer, type ServerId } from './servers.js';
import { differences, fetchOnce } from './wire.js';

export interface RunResult extends LoadResult {
  /** Server CPU time during the run (user + system, all threads), seconds. */
  serverCpuSeconds: number;
}

export interface VariantOutcome {
  id: string;
  label: string;
  short?: string;
  connections: number;
  pipeline: number;
  /** Measured rounds per server, in round order. */
  runs: Partial<Record<ServerId, RunResult[]>>;
}

export interface ThroughputOutcome {
  kind: 'throughput';
  id: string;
  title: string;
  path: string;
  compareVariants: string | null;
  servers: ServerId[];
  /** Response size per server, and what differs from h1wire's response (Date aside). */
  checks: { server: ServerId; bytes: number; differences: string[] }[];
  variants: VariantOutcome[];
}

export type Log = (line: string) => void;

function describe(r: RunResult): string {
  const serverBusy = r.serverCpuSeconds / r.seconds;
  const flag = r.clientBusy >= SATURATED ? '  ← client saturated' : '';
  const errors = r.errors > 0 ? `  errors: ${r.errorDetail}` : '';
  return `${num(r.rps).padStart(9)} req/s  p50 ${ms(r.p50Ms).padStart(6)} ms  p99 ${ms(r.p99Ms).padStart(6)} ms  server CPU ${pct(serverBusy).padStart(4)}  client CPU ${pct(r.clientBusy).padStart(4)}${flag}${errors}`;
}

export async function runThroughput(
  scenario: ThroughputScenario,
  mode: Mode,
  gen: LoadGenerator,
  threads: number,
  log: Log,
): Promise<ThroughputOutcome> {
  const servers: RunningServer[] = [];
  // Bound each server's life by the scenario's planned length, with a wide margin.
  const planned = scenario.variants.length * scenario.servers.length * (mode.warmupSeconds + mode.rounds * (mode.seconds + 3));
  try {
    for (const id of scenario.servers) {
      servers.push(await startServer(SERVERS[id], { path: scenario.path }, planned * 2 + 120));
    }
    // Same work, same bytes: compare each response with h1wire's (the Date value aside).
    const responses = await Promise.all(servers.map((s) => fetchOnce(s.port, scenario.path)));
    const reference = responses[0];
    const checks = servers.map((s, i) => {
      const r = responses[i] as (typeof responses)[number];
      const diff = i === 0 || reference === undefined ? [] : differences(reference, r);
      if (!/^HTTP\/1\.1 200 /.test(r.statusLine)) diff.unshift(`status "${r.statusLine}"`);
      return { server: s.spec.id, bytes: r.bytes, differences: diff };
    });
    for (const c of checks) {
      const label = SERVERS[c.server].label.padEnd(12);
      log(`  check  ${label} ${num(c.bytes)} bytes per response${c.differences.length === 0 ? (c.server === scenario.servers[0] ? '' : ', same bytes as h1wire (Date aside)') : `; DIFFERS: ${c.differences.join('; ')}`}`);
    }

    const variants: VariantOutcome[] = scenario.variants.map((v) => ({ ...v, runs: {} }));
    const runOnce = async (server: RunningServer, v: VariantOutcome, seconds: number): Promise<RunResult> => {
      const before = server.cpuSeconds();
      const result = await gen.run({
        url: `http://127.0.0.1:${server.port}${scenario.path}`,
        connections: v.connections,
        seconds,
        pipeline: v.pipeline,
        threads,
      });
      const serverCpuSeconds = server.cpuSeconds() - before;
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(`${server.spec.label} exited during the run:\n${server.stderr().trim()}`);
      }
      await sleep(100); // let closed connections settle before the next server's run
      return { ...result, serverCpuSeconds };
    };

    for (const v of mode.warmupEveryVariant ? variants : variants.slice(0, 1)) {
      for (const server of servers) {
        log(`  warm-up  ${v.label}  ${server.spec.label}`);
        await runOnce(server, v, mode.warmupSeconds);
      }
    }
    for (let round = 1; round <= mode.rounds; round++) {
      for (const v of variants) {
        for (const server of servers) {
          const r = await runOnce(server, v, mode.seconds);
          (v.runs[server.spec.id] ??= []).push(r);
          log(`  round ${round}/${mode.rounds}  ${v.label.padEnd(34)} ${server.spec.label.padEnd(12)} ${describe(r)}`);
        }
      }
    }
    return {
      kind: 'throughput',
      id: scenario.id,
      title: scenario.title,
      path: scenario.path,
      compareVariants: scenario.compareVariants ?? null,
      servers: [...scenario.servers],
      checks,
      variants,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
