// The load scenarios. To add one, append to SCENARIOS: a `throughput` scenario (a route, connections and
// pipelining per variant; run against each server in alternation), an `idle-memory` one, a `slow-reader`
// one (backpressure: RSS over time while a client reads a large stream slowly), a `big-payload-latency` one
// (small-request latency while other connections pull large responses) or an `observation` one (h1wire with
// its observation code stripped vs as shipped); a new kind needs its runner in run.ts and its table in
// report.ts.
import type { ServerId } from './servers.js';

export interface Mode {
  readonly name: 'full' | 'quick';
  /** Warm-up per server (and per variant, with warmupEveryVariant), before the measured rounds, seconds. */
  warmupSeconds: number;
  warmupEveryVariant: boolean;
  /** One measured run, seconds (whole seconds: wrk takes no fractions). */
  seconds: number;
  /** Measured rounds; each round runs every variant against every server in turn (A B C, A B C, …). */
  rounds: number;
  /** Idle keep-alive connections held in the memory scenario. */
  idleConnections: number;
  /** Memory rounds (a fresh server process per round). */
  memoryRounds: number;
  /** Each micro-benchmark task runs this long, ms (plus a warm-up of a quarter of it). */
  microTimeMs: number;
  /** Slow reader: body size (MiB), read rate (MiB/s), RSS sampling period, rounds (a fresh server process per
   * server and round), and how long after the last byte the end RSS is read (ms). */
  slowReader: { megabytes: number; rateMBps: number; sampleMs: number; rounds: number; settleMs: number };
  /** Small-request latency under big payloads: measured seconds per run (the pullers start 0.5 s before and
   * stop 0.5 s after), rounds, a warm-up run per cell (0: a few requests instead), the small requests' fixed
   * rate (req/s, open loop) and connections, and the connections pulling the large response. */
  bigPayload: { seconds: number; rounds: number; warmupSeconds: number; rate: number; smallConnections: number; bigConnections: number };
  /** Observation overhead: seconds per run, rounds, warm-up per (build, variant). Short runs and many rounds:
   * the as-built/stripped ratio is taken per round, so pairs close in time beat long runs on a noisy machine. */
  observation: { seconds: number; rounds: number; warmupSeconds: number };
}

export const MODES: Record<'full' | 'quick', Mode> = {
  // ~10 minutes on 2 cores: 18 (variant, server) cells × (1 s + 4 × 3 s), the memory runs, the slow readers
  // (4 × 16 s), the latency runs (3 cells × 3 rounds × 5 s), the observation runs (8 cells × 7 × 1 s) and
  // the micro suite.
  full: {
    name: 'full',
    warmupSeconds: 1,
    warmupEveryVariant: true,
    seconds: 3,
    rounds: 4,
    idleConnections: 10_000,
    memoryRounds: 1,
    microTimeMs: 1000,
    slowReader: { megabytes: 256, rateMBps: 16, sampleMs: 100, rounds: 1, settleMs: 1000 },
    bigPayload: { seconds: 5, rounds: 3, warmupSeconds: 1, rate: 100, smallConnections: 16, bigConnections: 4 },
    observation: { seconds: 1, rounds: 7, warmupSeconds: 1 },
  },
  // ~2 minutes: a smoke run with the same structure (shorter rounds, fewer of them); indicative only.
  quick: {
    name: 'quick',
    warmupSeconds: 1,
    warmupEveryVariant: false,
    seconds: 1,
    rounds: 2,
    idleConnections: 2_000,
    memoryRounds: 1,
    microTimeMs: 100,
    slowReader: { megabytes: 32, rateMBps: 32, sampleMs: 50, rounds: 1, settleMs: 500 },
    bigPayload: { seconds: 1, rounds: 2, warmupSeconds: 0, rate: 100, smallConnections: 16, bigConnections: 4 },
    observation: { seconds: 1, rounds: 2, warmupSeconds: 1 },
  },
};

export interface ThroughputVariant {
  readonly id: string;
  readonly label: string;
  /** Column name in the variant comparison table. */
  readonly short?: string;
  readonly connections: number;
  /** Requests per write per connection (1 = none). */
  readonly pipeline: number;
}

export interface ThroughputScenario {
  readonly kind: 'throughput';
  readonly id: string;
  readonly title: string;
  /** The request target (the same for every variant: the ceiling precomputes its one response from it). */
  readonly path: string;
  readonly variants: readonly ThroughputVariant[];
  readonly servers: readonly ServerId[];
  /** With several variants: also report each server's rate relative to the first variant. */
  readonly compareVariants?: string;
}

export interface IdleMemoryScenario {
  readonly kind: 'idle-memory';
  readonly id: string;
  readonly title: string;
  readonly path: string;
  readonly servers: readonly ServerId[];
}

/** A client reads one large streamed response at a fixed slow rate; each server's RSS is sampled meanwhile. */
export interface SlowReaderScenario {
  readonly kind: 'slow-reader';
  readonly id: string;
  readonly title: string;
  /** Bytes per chunk the servers write (the body is megabytes / chunk of them). */
  readonly chunkBytes: number;
}

/** p50/p99/max of small requests at a fixed rate while other connections loop on a large response. */
export interface BigPayloadScenario {
  readonly kind: 'big-payload-latency';
  readonly id: string;
  readonly title: string;
  /** The small request (measured). */
  readonly smallPath: string;
  /** Rows per large response. */
  readonly rows: number;
}

/** h1wire as built vs the same build with its observation code stripped (and with observation on). */
export interface ObservationScenario {
  readonly kind: 'observation';
  readonly id: string;
  readonly title: string;
  readonly path: string;
  readonly variants: readonly ThroughputVariant[];
}

export type Scenario = ThroughputScenario | IdleMemoryScenario | SlowReaderScenario | BigPayloadScenario | ObservationScenario;

const ALL: readonly ServerId[] = ['h1wire', 'node-http', 'ceiling'];

export const SCENARIOS: readonly Scenario[] = [
  {
    kind: 'throughput',
    id: 'keep-alive',
    title: 'GET / (keep-alive, 50 connections), pipelining depth 1, 4 and 16',
    path: '/',
    variants: [
      { id: 'depth-1', label: 'GET / · 50 conns', short: 'depth 1', connections: 50, pipeline: 1 },
      { id: 'depth-4', label: 'GET / · 50 conns · pipelined ×4', short: 'depth 4', connections: 50, pipeline: 4 },
      { id: 'depth-16', label: 'GET / · 50 conns · pipelined ×16', short: 'depth 16', connections: 50, pipeline: 16 },
    ],
    servers: ALL,
    compareVariants: 'Pipelining depth: requests/s relative to depth 1 (same servers, same rounds)',
  },
  {
    kind: 'throughput',
    id: 'orders-50',
    title: 'GET /orders?rows=50 (11 KB of JSON built and serialized per request)',
    path: '/orders?rows=50',
    variants: [{ id: 'c50', label: '/orders?rows=50 · 50 conns', connections: 50, pipeline: 1 }],
    servers: ALL,
  },
  {
    kind: 'throughput',
    id: 'orders-5000',
    title: 'GET /orders?rows=5000 (1.1 MB of JSON built and serialized per request)',
    path: '/orders?rows=5000',
    variants: [{ id: 'c50', label: '/orders?rows=5000 · 50 conns', connections: 50, pipeline: 1 }],
    servers: ALL,
  },
  {
    kind: 'throughput',
    id: 'connections-1000',
    title: 'GET / with 1,000 keep-alive connections',
    path: '/',
    variants: [{ id: 'c1000', label: 'GET / · 1,000 conns', connections: 1000, pipeline: 1 }],
    servers: ALL,
  },
  {
    kind: 'idle-memory',
    id: 'idle-memory',
    title: 'Idle keep-alive connections: RSS growth per connection',
    path: '/',
    servers: ALL,
  },
  {
    kind: 'slow-reader',
    id: 'slow-reader',
    title: 'Slow reader: RSS while one client reads a large /stream at a fixed slow rate (backpressure)',
    chunkBytes: 64 * 1024,
  },
  {
    kind: 'big-payload-latency',
    id: 'big-payload-latency',
    title: 'Small-request latency while other connections pull /orders?rows=5000',
    smallPath: '/',
    rows: 5000,
  },
  {
    kind: 'observation',
    id: 'observation',
    title: 'Observation overhead: h1wire as built vs the same build with its observation code removed',
    path: '/',
    variants: [
      { id: 'depth-1', label: 'GET / · 50 conns', short: 'depth 1', connections: 50, pipeline: 1 },
      { id: 'depth-16', label: 'GET / · 50 conns · pipelined ×16', short: 'depth 16', connections: 50, pipeline: 16 },
    ],
  },
];
