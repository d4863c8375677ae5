// All cores, one port: `cluster(() => createServer(…), { workers, port, host })` runs N worker processes that
// each serve the port. On Linux with Node.js ≥ 22.12 every worker binds its own socket with SO_REUSEPORT (the
// kernel spreads connections, no hop through the primary); elsewhere round-robin: the primary accepts and
// hands sockets over (round-robin.ts). The primary replaces a dead worker with back-off, and on SIGTERM/SIGINT
// (or stop()) stops in order: listeners close right after an accept batch (round-robin: the primary's, and
// every socket it accepted is handed over first), then each worker answers what its connections send within a
// short grace and what is in flight (with Connection: close), reports its counts and exits.
import nodeCluster, { type Worker } from 'node:cluster';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { HANDOVER, RoundRobin, type RoundRobinCounts } from './round-robin.js';
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
  /** Called with the shutdown's counts once every worker has exited after SIGTERM/SIGINT, before the primary
   * exits (stop() resolves with them too). */
  onStopped?: (report: ShutdownReport) => void;
}

/** What one worker served, as it reported on its way out. */
export interface WorkerReport {
  pid: number;
  /** Connections its server accepted (round-robin: took from the primary). */
  accepted: number;
  requests: number;
  responses: number;
}

/** A stop's counts: each worker that reported (a worker killed or cut at the timeout does not), and with
 * round-robin the primary's listener. */
export interface ShutdownReport {
  workers: WorkerReport[];
  listener: RoundRobinCounts | null;
}

export interface ClusterPrimary {
  role: 'primary';
  port: number;
  host: string;
  balance: Balance;
  /** The pids of the workers alive now. */
  pids(): number[];
  /** Drains every worker and resolves when all have exited. SIGTERM and SIGINT do this too. */
  stop(): Promise<ShutdownReport>;
}

export interface ClusterWorker {
  role: 'worker';
  server: Server;
  port: number;
}

interface Message {
  /** listening: the worker serves (round-robin: takes sockets); leaving: it got a signal of its own and asks
   * to be stopped in order; unlisten: close the listener (reuse-port), answered by unlistened; stop: drain and
   * exit; stopped: drained, with its counts. */
  h1wire?: 'listening' | 'leaving' | 'unlisten' | 'unlistened' | 'stop' | 'stopped';
  port?: number;
  report?: WorkerReport;
}

/** One line per worker and one for the round-robin listener, for an operator's log. */
export function describeStop(report: ShutdownReport): string {
  const lines = report.workers.map((w) => `stopped: worker ${w.pid} accepted ${w.accepted} connections, answered ${w.responses} of ${w.requests} requests\n`);
  const l = report.listener;
  if (l !== null) lines.push(`stopped: listener accepted ${l.accepted} connections, handed over ${l.handedOver}, dropped ${l.dropped}\n`);
  return lines.join('');
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
  let port = Number(env.H1W_CLUSTER_PORT ?? options.port ?? 0);
  // Round-robin: the primary listens and hands sockets over; reuse-port: this worker has its own listener.
  if (balance === 'reuse-port') port = (await server.listen(port, env.H1W_CLUSTER_HOST ?? options.host ?? '127.0.0.1', { reusePort: true, exclusive: true })).port;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const report = (): WorkerReport => {
      const stats = server.stats();
      return { pid: process.pid, accepted: stats.accepted, requests: stats.requests, responses: stats.responses };
    };
    const exit = (code: number) => (): void => {
      if (process.connected) process.send?.({ h1wire: 'stopped', report: report() } satisfies Message, () => process.exit(code));
      else process.exit(code);
    };
    server.close({ timeout: options.shutdownTimeout ?? SHUTDOWN_TIMEOUT, acceptGrace: options.acceptGrace ?? ACCEPT_GRACE }).then(exit(0), exit(1));
  };
  // A signal of its own (systemd signals the whole group; Ctrl-C reaches it too): with round-robin the primary
  // may still be handing it sockets, so it asks to be taken out of turn and stops on the answer, which comes
  // after every socket sent to it.
  const signalled = (): void => {
    if (balance === 'round-robin' && process.connected) process.send?.({ h1wire: 'leaving' } satisfies Message);
    else stop();
  };
  process.on('message', (message: Message | string, socket?: Socket) => {
    if (message === HANDOVER && socket !== undefined) server.adopt(socket);
    else if (typeof message === 'object' && message?.h1wire === 'stop') stop();
    else if (typeof message === 'object' && message?.h1wire === 'unlisten') void server.closeListener().then(() => process.send?.({ h1wire: 'unlistened' } satisfies Message));
  });
  process.on('SIGTERM', signalled);
  process.on('SIGINT', signalled);
  // A primary that died leaves the IPC channel closed.
  process.on('disconnect', stop);
  process.send?.({ h1wire: 'listening', port } satisfies Message);
  return { role: 'worker', server, port };
}

async function primary(options: ClusterOptions): Promise<ClusterPrimary> {
  const count = options.workers === undefined || options.workers === 0 ? availableParallelism() : options.workers;
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`option workers must be a whole number >= 0, got ${options.workers}`);
  const wanted = options.balance ?? 'auto';
  const balance: Balance = wanted === 'auto' ? (reusePortSupported() ? 'reuse-port' : 'round-robin') : wanted;
  const host = options.host ?? '127.0.0.1';
  let port = options.port ?? 0;
  const roundRobin = balance === 'round-robin' ? new RoundRobin() : null;
  if (roundRobin !== null) port = await roundRobin.listen(port, host);
  const reports: WorkerReport[] = [];
  /** Resolves once a worker serves (or died): before that it has no handler for "unlisten" or "stop" yet. */
  const startups = new Map<Worker, Promise<void>>();
  /** On stop with reuse-port: each worker's answer that its listener is closed. */
  const unlistened = new Map<Worker, () => void>();
  const shutdownTimeout = options.shutdownTimeout ?? SHUTDOWN_TIMEOUT;
  const workers = new Set<Worker>();
  const timers = new Set<NodeJS.Timeout>();
  let deathsInARow = 0;
  let stopping: Promise<ShutdownReport> | null = null;
  let ready = false;

  /** Forks one worker; resolves with its port once it listens, rejects if it dies first. */
  const fork = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const w = nodeCluster.fork({ H1W_CLUSTER_PORT: String(port), H1W_CLUSTER_HOST: host, H1W_CLUSTER_BALANCE: balance });
      workers.add(w);
      let serving = (): void => {};
      startups.set(w, new Promise<void>((r) => (serving = r)));
      w.on('message', (message: Message) => {
        if (message?.h1wire === 'listening') {
          serving();
          roundRobin?.add(w);
          resolve(message.port ?? port);
        } else if (message?.h1wire === 'leaving') {
          roundRobin?.retire(w);
          send(w, { h1wire: 'stop' });
        } else if (message?.h1wire === 'unlistened') {
          unlistened.get(w)?.();
        } else if (message?.h1wire === 'stopped' && message.report !== undefined) {
          reports.push(message.report);
        }
      });
      w.once('exit', (code, signal) => {
        serving();
        startups.delete(w);
        workers.delete(w);
        roundRobin?.remove(w);
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
    await roundRobin?.close();
    throw error;
  }
  ready = true;

  const stop = (): Promise<ShutdownReport> => {
    if (stopping !== null) return stopping;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    // Every worker is killed if it has not exited by the end of the shutdown timeout (from now: a worker stuck
    // starting holds up nothing longer than that).
    const exits = [...workers].map(
      (w) =>
        new Promise<void>((done) => {
          if (w.isDead()) return done();
          const kill = setTimeout(() => w.process.kill('SIGKILL'), shutdownTimeout + EXIT_GRACE);
          // Its report is the last message on its channel: 'exit' can come before the channel is read to its
          // end, 'close' comes after both.
          w.process.once('close', () => {
            clearTimeout(kill);
            done();
          });
        }),
    );
    // Every listener closes before any worker hears "stop" and starts answering with Connection: close: a client
    // told so reconnects at once, and must find the port closed (refused), not a listener about to close (its
    // accept queue is reset). Round-robin: the primary's listener, and what it accepted is handed over first.
    // A worker still starting (a replacement) is waited for: it would drop a message that came too early.
    const whenStarted = (w: Worker): Promise<void> => startups.get(w) ?? Promise.resolve();
    const listenerClosed = roundRobin !== null ? roundRobin.close() : Promise.all([...workers].map((w) => whenStarted(w).then(() => closeListenerOf(w))));
    void listenerClosed.then(() => {
      for (const w of workers) void whenStarted(w).then(() => send(w, { h1wire: 'stop' }));
    });
    stopping = Promise.all(exits).then(() => ({ workers: reports, listener: roundRobin === null ? null : { ...roundRobin.counts } }));
    return stopping;
  };
  /** A message to a worker whose channel may have closed since (it died): then there is no one to tell. */
  const send = (w: Worker, message: Message): void => {
    if (w.isConnected()) w.send(message);
  };
  /** Asks a worker to close its listener; resolves on its answer, or when it dies (then nothing listens there). */
  const closeListenerOf = (w: Worker): Promise<void> =>
    new Promise<void>((resolve) => {
      if (w.isDead() || !w.isConnected()) return resolve();
      const done = (): void => {
        unlistened.delete(w);
        w.off('exit', done);
        resolve();
      };
      unlistened.set(w, done);
      w.once('exit', done);
      send(w, { h1wire: 'unlisten' });
    });
  const onSignal = (): void => {
    if (stopping !== null) process.exit(1); // a second signal: stop now
    stop().then((report) => {
      options.onStopped?.(report);
      process.exit(0);
    });
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
