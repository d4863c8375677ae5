// Observation overhead. Issue: "With no hook, no subscriber, no timings asked for, throughput stays within 3%
// of the same build with the observation code removed (measure it)."
//
// Two copies of the compiled library (strip-observation.ts): as built, and with the observation code
// removed. Each runs the demo (obs-server.ts: what `h1wire demo` does) in its own process, and so do two
// more processes of the as-built copy with observation on, for context: one hook set, and a trace written
// to /dev/null. Before measuring, every process answers a set of requests and the bytes are compared with
// the as-built copy's (Date aside). Then rounds alternate the processes, reversing the order every other
// round (A B C D, B A D C, …), for each variant (GET / keep-alive, and pipelined ×16, where the server's CPU
// per request is the figure that moves). Each run records req/s and the server's CPU time from /proc.
import { fileURLToPath } from 'node:url';
import { sleep } from '../lib/procs.js';
import { num, pct } from '../lib/stats.js';
import { SATURATED, type LoadGenerator } from './loadgen.js';
import type { Mode, ObservationScenario } from './scenarios.js';
import { startServer, type RunningServer, type ServerSpec } from './servers.js';
import { makeBuilds } from './strip-observation.js';
import type { Log, RunResult } from './throughput.js';
import { fetchAny } from './wire.js';

export type BuildId = 'as-built' | 'stripped' | 'hook' | 'trace';

export const BUILD_LABELS: Record<BuildId, string> = {
  'as-built': 'as built, nothing watching',
  stripped: 'observation code removed',
  hook: 'as built + one hook (onFinish)',
  trace: 'as built + trace → /dev/null',
};

export interface ObservationVariant {
  id: string;
  label: string;
  short?: string;
  connections: number;
  pipeline: number;
  runs: Partial<Record<BuildId, RunResult[]>>;
}

export interface ObservationOutcome {
  kind: 'observation';
  id: string;
  title: string;
  path: string;
  builds: BuildId[];
  /** Observation checks found in the sources (absent in results from before it was counted). */
  observationChecks?: number;
  /** Edits per source file that made the stripped copy, and what each did. */
  removed: Record<string, number>;
  removedText: string[];
  /** Responses compared with the as-built copy's, per build and path (empty differences = same bytes). */
  checks: { build: BuildId; path: string; bytes: number; differences: string[] }[];
  /** Calls the hook saw, and the responses the load generator counted on that server (warm-ups included). */
  hookCalls: number;
  hookResponses: number;
  variants: ObservationVariant[];
}

/** What every copy must answer identically: whole and streamed bodies, each serializer, errors. */
const CHECK_PATHS = [
  '/',
  '/orders?rows=50',
  '/orders?rows=300&serializer=array',
  '/orders?rows=20&serializer=schema',
  '/orders?rows=20&serializer=ndjson',
  '/stream?chunks=3&size=100',
  '/status/404',
  '/status/204',
  '/nope',
  '/orders?rows=x',
];

/** The response with its Date value masked (it changes every second). */
function masked(raw: Buffer): string {
  return raw.toString('latin1').replace(/\r\nDate: [^\r]*\r\n/, '\r\nDate: *\r\n');
}

function describe(r: RunResult): string {
  const flag = r.clientBusy >= SATURATED ? '  ← client saturated' : '';
  const errors = r.errors > 0 ? `  errors: ${r.errorDetail}` : '';
  const us = (r.serverCpuSeconds / r.requests) * 1e6;
  return `${num(r.rps).padStart(9)} req/s  ${us.toFixed(2).padStart(6)} µs CPU/req  server CPU ${pct(r.serverCpuSeconds / r.seconds).padStart(4)}  client CPU ${pct(r.clientBusy).padStart(4)}${flag}${errors}`;
}

export async function runObservation(scenario: ObservationScenario, mode: Mode, gen: LoadGenerator, threads: number, root: string, log: Log): Promise<ObservationOutcome> {
  const m = mode.observation;
  const builds = makeBuilds(root);
  const edits = Object.entries(builds.removed).map(([f, n]) => `${f} ${n}`).join(', ');
  log(`  stripped copy: ${builds.checks} observation checks folded away; edits: ${edits} (list in latest.json)`);
  const script = fileURLToPath(new URL('./obs-server.js', import.meta.url));
  const spec = (id: BuildId, dir: string, extra: string[]): ServerSpec<BuildId> => ({
    id,
    label: BUILD_LABELS[id],
    argv: () => [script, '--build', dir, ...extra],
  });
  const specs: ServerSpec<BuildId>[] = [
    spec('as-built', builds.asBuilt, []),
    spec('stripped', builds.stripped, []),
    spec('hook', builds.asBuilt, ['--hook']),
    spec('trace', builds.asBuilt, ['--trace-null']),
  ];
  const ids = specs.map((s) => s.id);
  const planned = scenario.variants.length * specs.length * (m.warmupSeconds + m.rounds * (m.seconds + 3));
  const servers: RunningServer<BuildId>[] = [];
  const responses: Partial<Record<BuildId, number>> = {};
  let hookCalls = -1;
  try {
    for (const s of specs) servers.push(await startServer(s, { path: scenario.path }, planned * 2 + 120));
    // Same bytes from every copy (Date aside).
    const checks: ObservationOutcome['checks'] = [];
    for (const path of CHECK_PATHS) {
      const got = await Promise.all(servers.map((s) => fetchAny(s.port, path)));
      const reference = masked((got[0] as { raw: Buffer }).raw);
      servers.forEach((s, i) => {
        const r = got[i] as { raw: Buffer; bytes: number };
        const differences = masked(r.raw) === reference ? [] : [`${path}: ${r.bytes} bytes vs ${(got[0] as { bytes: number }).bytes} (as built)`];
        checks.push({ build: s.spec.id, path, bytes: r.bytes, differences });
      });
    }
    for (const id of ids) {
      const bad = checks.filter((c) => c.build === id && c.differences.length > 0);
      log(`  check  ${BUILD_LABELS[id].padEnd(32)} ${bad.length === 0 ? `same bytes as the as-built copy for ${CHECK_PATHS.length} requests (Date aside)` : `DIFFERS: ${bad.map((c) => c.differences.join('; ')).join('; ')}`}`);
    }

    const variants: ObservationVariant[] = scenario.variants.map((v) => ({ ...v, runs: {} }));
    const runOnce = async (server: RunningServer<BuildId>, v: ObservationVariant, seconds: number): Promise<RunResult> => {
      const before = server.cpuSeconds();
      const result = await gen.run({ url: `http://127.0.0.1:${server.port}${scenario.path}`, connections: v.connections, seconds, pipeline: v.pipeline, threads });
      const serverCpuSeconds = server.cpuSeconds() - before;
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(`${server.spec.label} exited during the run:\n${server.stderr().trim()}`);
      }
      responses[server.spec.id] = (responses[server.spec.id] ?? 0) + result.requests;
      await sleep(100);
      return { ...result, serverCpuSeconds };
    };
    for (const v of mode.warmupEveryVariant ? variants : variants.slice(0, 1)) {
      for (const server of servers) {
        log(`  warm-up  ${v.label}  ${server.spec.label}`);
        await runOnce(server, v, m.warmupSeconds);
      }
    }
    for (let round = 1; round <= m.rounds; round++) {
      // A B C D, then B A D C: neither build always runs right after the other.
      const order = round % 2 === 1 ? servers : [servers[1], servers[0], servers[3], servers[2]].filter((s): s is RunningServer<BuildId> => s !== undefined);
      for (const v of variants) {
        for (const server of order) {
          const r = await runOnce(server, v, m.seconds);
          (v.runs[server.spec.id] ??= []).push(r);
          log(`  round ${round}/${m.rounds}  ${v.label.padEnd(34)} ${server.spec.label.padEnd(32)} ${describe(r)}`);
        }
      }
    }
    const hook = servers.find((s) => s.spec.id === 'hook');
    if (hook !== undefined) {
      await hook.stop();
      await sleep(100);
      const match = /H1WIRE_BENCH_HOOK_CALLS ([0-9]+)/.exec(hook.stderr());
      hookCalls = match === null ? -1 : Number(match[1]);
    }
    return {
      kind: 'observation',
      id: scenario.id,
      title: scenario.title,
      path: scenario.path,
      builds: ids,
      observationChecks: builds.checks,
      removed: builds.removed,
      removedText: builds.removedText,
      checks,
      hookCalls,
      hookResponses: responses.hook ?? 0,
      variants,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
