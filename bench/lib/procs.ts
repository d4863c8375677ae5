// Child processes for the benchmarks: every one runs in its own process group, bounded in time by
// coreutils `timeout` (so that even a runner killed with SIGKILL leaves nothing running for long), and is
// killed with its whole group when the runner exits, fails or is interrupted.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let installed = false;

const HAS_TIMEOUT = spawnSync('timeout', ['--version'], { stdio: 'ignore' }).status === 0;

/** Kills every child's process group now (synchronous: safe in an 'exit' handler). */
export function killAll(): void {
  for (const child of live) killGroup(child);
  live.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** A temporary directory removed on exit. */
export function registerTempDir(dir: string): void {
  tempDirs.add(dir);
}

/** Kill everything on exit, on SIGINT/SIGTERM/SIGHUP and on an uncaught error; bound the whole run. */
export function installCleanup(maxSeconds: number): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping every server and load generator\n`);
      killAll();
      process.exit(130);
    });
  }
  const fatal = (error: unknown): void => {
    process.stderr.write(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    killAll();
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  const watchdog = setTimeout(() => fatal(new Error(`the run took longer than its bound of ${maxSeconds} s`)), maxSeconds * 1000);
  watchdog.unref();
}

export interface SpawnBoundedOptions {
  /** Hard bound on the child's lifetime, seconds (SIGTERM, then SIGKILL 2 s later). */
  maxSeconds: number;
  stdio?: StdioOptions;
  /** Raise the open-file soft limit to the hard limit first (many connections). */
  raiseFdLimit?: boolean;
  /** Pin to these CPUs (taskset -c), e.g. "0". */
  cpus?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Spawns `command args` in a new process group, under `timeout` when available. The returned child's pid
 * is the group leader (timeout, or the command itself); use realPid() for the command's own pid.
 */
export function spawnBounded(command: string, args: readonly string[], options: SpawnBoundedOptions): ChildProcess {
  const pinned = options.cpus === undefined ? [command, ...args] : ['taskset', '-c', options.cpus, command, ...args];
  const bounded = HAS_TIMEOUT ? ['timeout', '-k', '2', String(Math.ceil(options.maxSeconds)), ...pinned] : pinned;
  let file = bounded[0] as string;
  let argv = bounded.slice(1);
  if (options.raiseFdLimit === true) {
    // exec keeps the same pid: the group leader stays `timeout`.
    argv = ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'bash', file, ...argv];
    file = 'bash';
  }
  const child = spawn(file, argv, { detached: true, stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** CPUs to pin servers and load generators to (`--pin`), or undefined for none. */
export const pinning: { server?: string; client?: string } = {};

/** The pid of the command itself (the child of `timeout`), or the child's pid when it was run directly.
 * (taskset execs the command, so the pid is the same with pinning.) */
export function realPid(child: ChildProcess): number {
  const pid = child.pid as number;
  if (!HAS_TIMEOUT) return pid;
  const file = `/proc/${pid}/task/${pid}/children`;
  if (existsSync(file)) {
    const first = readFileSync(file, 'utf8').trim().split(/\s+/)[0];
    if (first !== undefined && first !== '') return Number(first);
  }
  // Fallback: a process whose parent is the timeout process.
  return childPids(pid)[0] ?? pid;
}

/** The pids of a process's live children (every process in /proc whose parent, `ppid` in its stat, is `pid`):
 * e.g. a cluster primary's workers. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) children.push(Number(entry));
    } catch {
      // gone
    }
  }
  return children;
}

/** Waits for a child to exit, up to `ms`; then kills its group. */
export function waitExit(child: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode);
      return;
    }
    const timer = setTimeout(() => {
      killGroup(child);
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Stops a child: SIGTERM to its group, SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 1500): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  killGroup(child, 'SIGTERM');
  await waitExit(child, graceMs);
  killGroup(child); // anything left in the group
  live.delete(child);
}

const CLK_TCK = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/**
 * CPU time (user + system, all threads) a live process has used, seconds; NaN when it cannot be read.
 * From the scheduler's per-thread counters (/proc/<pid>/task/<tid>/schedstat, nanoseconds) when the kernel
 * has them — /proc/<pid>/stat counts in clock ticks (10 ms), ±1–2% of a one-second run — else from
 * /proc/<pid>/stat. (A thread that exits between two readings takes its time with it; a server's threads
 * live as long as it does.)
 */
export function cpuSeconds(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    if (Number.isFinite(ns) && ns > 0) return ns / 1e9;
  } catch {
    // no schedstat (or the process is gone): the tick counters below
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a live process, bytes; NaN when it cannot be read. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+([0-9]+) kB/m.exec(status);
    return match === null ? Number.NaN : Number(match[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** The soft and hard open-file limits a child of this process gets. */
export function fdLimits(): { soft: number; hard: number } {
  const out = spawnSync('bash', ['-c', 'echo "$(ulimit -Sn) $(ulimit -Hn)"'], { encoding: 'utf8' });
  const [soft, hard] = (out.stdout ?? '').trim().split(' ').map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  return { soft: soft ?? Number.NaN, hard: hard ?? Number.NaN };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
