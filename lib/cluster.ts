// All cores, one port: `cluster(() => createServer(…), { workers, port, host })` runs N worker processes that
// each serve the port. On Linux with Node.js ≥ 22.12 every worker binds its own socket with SO_REUSEPORT (the
// kernel spreads connections, no hop through the primary); elsewhere node:cluster's round-robin (the primary
// accepts and hands sockets over). The primary replaces a dead worker with back-off, and on SIGTERM/SIGINT
// (or stop()) asks every worker to drain: stop accepting, answer what the connections already accepted send
// within a short grace and what is in flight (with Connection: close), exit.
import nodeCluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Server } from './server.js';

/** A dead worker is replaced after this long, doubled for each death in a row (a worker crashing at start
 * would otherwise be forked in a tight loop). */
export const RESTART_DELAY = 100;
export const MAX_RESTART_DELAY = 10_000;
/** A worker that lived this long was healthy: its death starts the back-off over. */
export const STABLE_UPTIME = 5_000;
/** How long a worker's in-flight requests get on shutdown before they are cut (server.close's timeout). */
export const SHUTDOWN_TIMEOUT = 10_000;
/** On shutdown, how long a worker's closed listener precedes the shutting of its connections (server.close's
 * acceptGrace): connections it accepted just before, their request still on the wire, are answered (with
 * Connection: close) rather than closed unanswered. */
export const ACCEPT_GRACE = 200;
/** After the shutdown timeout, how long the primary waits for a worker's exit before SIGKILL. */
export const EXIT_GRACE = 2_000;

export type Balance = 'reuse-port' | 'round-robin';

export interface ClusterOptions {
  /** Worker processes; 0 (the default) is one per core. */
  workers?: number;
  port?: number;
  host?: string;
  /** 'auto' (default): reuse-port where the platform and Node.js have it, else round-robin. */
  balance?: 'auto' | Balance;
  /** In-flight requests' time on shutdown, ms. */
  shutdownTimeout?: number;
  /** server.close's acceptGrace in each worker on shutdown, ms (default ACCEPT_GRACE). */
  acceptGrace?: number;
}

export interface ClusterPrimary {
  role: 'primary';
  port: number;
  host: string;
  balance: Balance;
  /** The pids of the workers alive now. */
  pids(): number[];
  /** Drains every worker and resolves when all have exited. SIGTERM and SIGINT do this too. */
  stop(): Promise<void>;
}

export interface ClusterWorker {
  role: 'worker';
  server: Server;
  port: number;
}

interface Message {
  h1wire?: 'listening' | 'stop';
  port?: number;
}

/** SO_REUSEPORT through net's `reusePort`: Linux, Node.js 22.12+ or 23.1+ (older ones ignore the option). */
export function reusePortSupported(version = process.versions.node, platform: string = process.platform): boolean {
  if (platform !== 'linux') return false;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** The back-off before replacing a worker, after `quickDeaths` deaths in a row each within STABLE_UPTIME. */
export function restartDelay(quickDeaths: number): number {
  return Math.min(MAX_RESTART_DELAY, RESTART_DELAY * 2 ** Math.min(quickDeaths, 16));
}

/** In the primary: forks the workers and resolves once all listen. In a worker: makes its server and listens. */
export function cluster(factory: () => Server | Promise<Server>, options: ClusterOptions = {}): Promise<ClusterPrimary | ClusterWorker> {
  return nodeCluster.isPrimary ? primary(options) : worker(factory, options);
}

async function worker(factory: () => Server | Promise<Server>, options: ClusterOptions): Promise<ClusterWorker> {
  const env = process.env;
  const balance = env.H1W_CLUSTER_BALANCE === 'reuse-port' ? 'reuse-port' : 'round-robin';
  const server = await factory();
  const extra = balance === 'reuse-port' ? { reusePort: true, exclusive: true } : {};
  const address = await server.listen(Number(env.H1W_CLUSTER_PORT ?? options.port ?? 0), env.H1W_CLUSTER_HOST ?? options.host ?? '127.0.0.1', extra);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close({ timeout: options.shutdownTimeout ?? SHUTDOWN_TIMEOUT, acceptGrace: options.acceptGrace ?? ACCEPT_GRACE }).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('message', (message: Message) => {
    if (message?.h1wire === 'stop') stop();
  });
  // Ctrl-C reaches the whole process group; a primary that died leaves the IPC channel closed.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  process.send?.({ h1wire: 'listening', port: address.port } satisfies Message);
  return { role: 'worker', server, port: address.port };
}

async function primary(options: ClusterOptions): Promise<ClusterPrimary> {
  const count = options.workers === undefined || options.workers === 0 ? availableParallelism() : options.workers;
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`option workers must be a whole number >= 0, got ${options.workers}`);
  const wanted = options.balance ?? 'auto';
  const balance: Balance = wanted === 'auto' ? (reusePortSupported() ? 'reuse-port' : 'round-robin') : wanted;
  if (balance === 'round-robin') nodeCluster.schedulingPolicy = nodeCluster.SCHED_RR;
  const host = options.host ?? '127.0.0.1';
  let port = options.port ?? 0;
  const shutdownTimeout = options.shutdownTimeout ?? SHUTDOWN_TIMEOUT;
  const workers = new Set<Worker>();
  const timers = new Set<NodeJS.Timeout>();
  let deathsInARow = 0;
  let stopping: Promise<void> | null = null;
  let ready = false;

  /** Forks one worker; resolves with its port once it listens, rejects if it dies first. */
  const fork = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const w = nodeCluster.fork({ H1W_CLUSTER_PORT: String(port), H1W_CLUSTER_HOST: host, H1W_CLUSTER_BALANCE: balance });
      workers.add(w);
      w.on('message', (message: Message) => {
        if (message?.h1wire === 'listening') resolve(message.port ?? port);
      });
      w.once('exit', (code, signal) => {
        workers.delete(w);
        reject(new Error(`worker ${w.process.pid} exited (${signal ?? code}) before it listened`));
        if (stopping !== null || !ready) return; // at start, a failure is the caller's (cluster() rejects)
        const quick = Date.now() - started < STABLE_UPTIME;
        const delay = restartDelay(quick ? deathsInARow : 0);
        deathsInARow = quick ? deathsInARow + 1 : 0;
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (stopping === null) fork().catch(() => {}); // its own exit schedules the next attempt
        }, delay);
        timers.add(timer);
      });
    });

  // With reuse-port each worker binds for itself, so port 0 must become one port first: the first worker's.
  // (Round-robin workers all ask the primary for the port as given; it binds once and shares.)
  let boundPort: number;
  try {
    boundPort = await fork();
    if (balance === 'reuse-port') port = boundPort;
    await Promise.all(Array.from({ length: count - 1 }, fork));
  } catch (error) {
    for (const w of workers) w.process.kill('SIGKILL');
    throw error;
  }
  ready = true;

  const stop = (): Promise<void> => {
    if (stopping !== null) return stopping;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    stopping = Promise.all(
      [...workers].map(
        (w) =>
          new Promise<void>((done) => {
            if (w.isDead()) return done();
            const kill = setTimeout(() => w.process.kill('SIGKILL'), shutdownTimeout + EXIT_GRACE);
            w.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            w.send({ h1wire: 'stop' } satisfies Message);
          }),
      ),
    ).then(() => undefined);
    return stopping;
  };
  const onSignal = (): void => {
    if (stopping !== null) process.exit(1); // a second signal: stop now
    stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    role: 'primary',
    port: boundPort,
    host,
    balance,
    pids: () => [...workers].map((w) => w.process.pid as number),
    stop,
  };
}
