// The servers under test, each started as its own process: h1wire's demo, the node:http baseline and the
// raw-socket ceiling. A server prints `listening on http://127.0.0.1:PORT` first; we wait for that line.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpuSeconds, pinning, realPid, rssBytes, spawnBounded, stopChild } from '../lib/procs.js';

export type ServerId = 'h1wire' | 'node-http' | 'ceiling';

export interface ServerSpec<Id extends string = ServerId> {
  readonly id: Id;
  readonly label: string;
  /** The node script and its arguments, for a scenario's route and options. */
  argv(options: ServerOptions): string[];
}

export interface ServerOptions {
  /** The request target the scenario sends (the ceiling precomputes its one response from it). */
  path: string;
  /** Idle time between requests, ms (the memory scenario holds connections idle for long). */
  keepAliveTimeout?: number;
  /** Preload gc-hook.js (with --expose-gc): memory() then reports live memory after a full GC. */
  gcHook?: boolean;
  /** Preload loop-hook.js: loop() then reports the event-loop delay and GC pauses since the last call. */
  loopHook?: boolean;
  /** More node flags (e.g. --perf-basic-prof, so that perf can name JIT code). */
  nodeFlags?: readonly string[];
}

/** What loop-hook.js reports, since its previous report (ms). */
export interface LoopSample {
  ms: number;
  delayP50: number;
  delayP99: number;
  delayMax: number;
  gcMs: number;
  gcMaxMs: number;
  gcCount: number;
  /** Of gcMs, in scavenges (young-generation collections). */
  minorMs: number;
}

/** What gc-hook.js reports, bytes. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

export const SERVERS: Record<ServerId, ServerSpec> = {
  h1wire: {
    id: 'h1wire',
    label: 'h1wire',
    argv: (o) => [
      here('../../lib/cli.js'),
      'demo',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      ...(o.keepAliveTimeout === undefined ? [] : ['--keep-alive-timeout', String(o.keepAliveTimeout)]),
    ],
  },
  'node-http': {
    id: 'node-http',
    label: 'node:http',
    argv: (o) => [
      here('./node-http-server.js'),
      '--port',
      '0',
      ...(o.keepAliveTimeout === undefined ? [] : ['--keep-alive-timeout', String(o.keepAliveTimeout)]),
    ],
  },
  ceiling: {
    id: 'ceiling',
    label: 'raw ceiling',
    argv: (o) => [
      here('./raw-server.js'),
      '--port',
      '0',
      '--path',
      o.path,
      ...(o.keepAliveTimeout === undefined ? [] : ['--keep-alive-timeout', String(o.keepAliveTimeout)]),
    ],
  },
};

export interface RunningServer<Id extends string = ServerId> {
  readonly spec: ServerSpec<Id>;
  readonly port: number;
  /** The node process itself (for CPU time and RSS). */
  readonly pid: number;
  readonly child: ChildProcess;
  stderr(): string;
  cpuSeconds(): number;
  rssBytes(): number;
  /** With gcHook: a full GC in the server, then its memory. */
  memory(): Promise<MemorySample>;
  /** With loopHook: the event-loop delay and GC pauses since the previous call (or the start). */
  loop(): Promise<LoopSample>;
  stop(): Promise<void>;
}

/** Starts a server and resolves once it listens; fails after `startMs`. */
export function startServer<Id extends string>(spec: ServerSpec<Id>, options: ServerOptions, maxSeconds: number, startMs = 15_000): Promise<RunningServer<Id>> {
  const nodeArgs = options.gcHook === true ? ['--expose-gc', '--import', pathToFileURL(here('./gc-hook.js')).href] : [];
  if (options.loopHook === true) nodeArgs.push('--import', pathToFileURL(here('./loop-hook.js')).href);
  if (options.nodeFlags !== undefined) nodeArgs.push(...options.nodeFlags);
  const child = spawnBounded(process.execPath, [...nodeArgs, ...spec.argv(options)], {
    maxSeconds,
    raiseFdLimit: true,
    ...(pinning.server === undefined ? {} : { cpus: pinning.server }),
  });
  let stdout = '';
  let stderr = '';
  let memoryWaiter: ((sample: MemorySample) => void) | null = null;
  let loopWaiter: ((sample: LoopSample) => void) | null = null;
  let partial = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() as string;
    for (const line of lines) {
      if (line.startsWith('H1WIRE_BENCH_MEMORY ')) {
        const waiter = memoryWaiter;
        memoryWaiter = null;
        waiter?.(JSON.parse(line.slice('H1WIRE_BENCH_MEMORY '.length)) as MemorySample);
      } else if (line.startsWith('H1WIRE_BENCH_LOOP ')) {
        const waiter = loopWaiter;
        loopWaiter = null;
        waiter?.(JSON.parse(line.slice('H1WIRE_BENCH_LOOP '.length)) as LoopSample);
      } else if (stderr.length < 64 * 1024) stderr += `${line}\n`;
    }
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      void stopChild(child);
      reject(new Error(`${spec.label} did not start: ${why}\n${stderr.trim()}`));
    };
    const timer = setTimeout(() => fail(`no "listening on" line within ${startMs} ms`), startMs);
    const onExit = (code: number | null, signal: string | null): void => fail(`exited (${code ?? signal})`);
    child.once('exit', onExit);
    child.stdout?.setEncoding('utf8').on('data', function onData(d: string) {
      stdout += d;
      const match = /^listening on http:\/\/127\.0\.0\.1:([0-9]+)$/m.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout?.off('data', onData);
      child.stdout?.resume(); // keep draining
      const pid = realPid(child);
      resolve({
        spec,
        port: Number(match[1]),
        pid,
        child,
        stderr: () => stderr,
        cpuSeconds: () => cpuSeconds(pid),
        rssBytes: () => rssBytes(pid),
        memory: () =>
          new Promise<MemorySample>((resolveMemory, rejectMemory) => {
            if (options.gcHook !== true) {
              rejectMemory(new Error('memory() needs gcHook'));
              return;
            }
            const t = setTimeout(() => rejectMemory(new Error(`${spec.label}: no memory report within 10 s`)), 10_000);
            memoryWaiter = (sample) => {
              clearTimeout(t);
              resolveMemory(sample);
            };
            process.kill(pid, 'SIGUSR2');
          }),
        loop: () =>
          new Promise<LoopSample>((resolveLoop, rejectLoop) => {
            if (options.loopHook !== true) {
              rejectLoop(new Error('loop() needs loopHook'));
              return;
            }
            const t = setTimeout(() => rejectLoop(new Error(`${spec.label}: no loop report within 10 s`)), 10_000);
            loopWaiter = (sample) => {
              clearTimeout(t);
              resolveLoop(sample);
            };
            process.kill(pid, 'SIGUSR2');
          }),
        stop: () => stopChild(child),
      });
    });
  });
}
