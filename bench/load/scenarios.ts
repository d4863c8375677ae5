// The load scenarios. To add one, append to SCENARIOS: a `throughput` scenario (a route, connections and
// pipelining per variant; run against each server in alternation) or an `idle-memory` one; a new kind needs
// its runner in run.ts (see runScenario) and its table in report.ts.
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
}

export const MODES: Record<'full' | 'quick', Mode> = {
  // ~8 minutes on 2 cores: 18 (variant, server) cells × (2 s + 5 × 4 s), the memory runs and the micro suite.
  full: { name: 'full', warmupSeconds: 2, warmupEveryVariant: true, seconds: 4, rounds: 5, idleConnections: 10_000, memoryRounds: 2, microTimeMs: 1000 },
  // ~2 minutes: a smoke run with the same structure; its numbers are indicative only.
  quick: { name: 'quick', warmupSeconds: 1, warmupEveryVariant: false, seconds: 1, rounds: 3, idleConnections: 2_000, memoryRounds: 1, microTimeMs: 150 },
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

export type Scenario = ThroughputScenario | IdleMemoryScenario;

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
];
